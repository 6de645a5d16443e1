"""Packages the add-on as odoo-addon-collections_officer.

setuptools-odoo reads name, version (from the manifest) and dependencies; the
add-on folder sits at the top of the repository, so it is mapped onto the
odoo.addons namespace here.
"""

import setuptools
from setuptools_odoo import core

# setuptools-odoo knows Odoo up to 16.0; 19.0 packages the same way.
core.ODOO_VERSION_INFO.setdefault(
    "19.0",
    core.ODOO_VERSION_INFO["16.0"]
    | {
        "odoo_dep": "odoo>=19.0a,<19.1dev",
        "pkg_version_specifier": ">=19.0dev,<19.1dev",
        "python_requires": ">=3.10",
    },
)

ADDON = "collections_officer"
NAMESPACE = f"odoo.addons.{ADDON}"

keywords = core.get_addon_setuptools_keywords(ADDON)
keywords.pop("namespace_packages", None)
keywords.update(
    packages=[
        NAMESPACE + package.removeprefix(ADDON)
        for package in setuptools.find_packages(include=[ADDON, f"{ADDON}.*"])
    ],
    package_dir={NAMESPACE: ADDON},
    package_data={
        NAMESPACE: [
            "**/*.xml",
            "**/*.csv",
            "**/*.md",
            "**/*.js",
            "**/*.html",
            "**/*.png",
            "**/*.scss",
            "**/*.json",
            "i18n/*.pot",
            "i18n/*.po",
        ]
    },
)
setuptools.setup(**keywords)
