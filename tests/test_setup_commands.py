import os
import subprocess

import pytest


@pytest.mark.parametrize("command", ["bin/serve", "bin/test"])
def test_commands_fail_with_one_clear_line_without_odoo(project_dir, tmp_path, command):
    env = dict(os.environ, ODOO_SRC=str(tmp_path / "no-odoo-here"))
    result = subprocess.run(
        ["bash", command],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Odoo 19.0 community not found at ODOO_SRC=" in lines[0]


def test_ci_runs_exactly_the_readme_test_command(project_dir):
    ci = (project_dir / ".ci" / "run").read_text()
    readme = (project_dir / "README.md").read_text()
    assert "exec bash bin/test" in ci
    assert "bin/test" in readme and "bin/serve" in readme
