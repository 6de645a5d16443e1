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


def pytest_sessionfinish(session, exitstatus):
    """A skipped test proves nothing: fail the run (e.g. a browser test without its browser)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1
