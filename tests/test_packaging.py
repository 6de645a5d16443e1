import ast
import subprocess
import sys
import zipfile


def test_wheel_is_an_installable_odoo_addon(project_dir, tmp_path):
    manifest = ast.literal_eval((project_dir / "collections_officer/__manifest__.py").read_text())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(project_dir),
        ],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("odoo_addon_collections_officer-*.whl")
    assert wheel.name.startswith(f"odoo_addon_collections_officer-{manifest['version']}")
    names = zipfile.ZipFile(wheel).namelist()
    for path in (
        "odoo/addons/collections_officer/__manifest__.py",
        "odoo/addons/collections_officer/models/collection_case.py",
        "odoo/addons/collections_officer/security/ir.model.access.csv",
        "odoo/addons/collections_officer/views/collection_case_views.xml",
        "odoo/addons/collections_officer/controllers/portal.py",
        "odoo/addons/collections_officer/i18n/fr.po",
        "odoo/addons/collections_officer/static/src/portal/collection_portal.scss",
        "odoo/addons/collections_officer/migrations/19.0.1.5.0/shipped_versions.json",
    ):
        assert path in names, path
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: odoo<19.1dev,>=19.0a" in requires, requires
