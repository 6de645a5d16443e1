"""Settings of the whole test run."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def patient_browser():
    """Give headless Chromium a minute to open its devtools port.

    Odoo waits 10 s, then skips the browser test; on a busy CI machine Chromium
    can take longer to start, and a skipped tour proves nothing.
    """
    # Imported here: pytest-odoo sets Odoo up before the session starts.
    from odoo.tests import common

    common.CHECK_BROWSER_ITERATIONS = 600
    yield
