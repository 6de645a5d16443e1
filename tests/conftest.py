"""Suite-level tests: the set-up commands, packaging and the external API.

The add-on's own Odoo tests live in collections_officer/tests; bin/test runs
both sets with pytest-odoo against a freshly installed test database.
"""

import pathlib

import pytest

PROJECT_DIR = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def project_dir():
    return PROJECT_DIR
