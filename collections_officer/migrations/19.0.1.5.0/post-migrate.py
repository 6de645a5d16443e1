"""19.0.1.5.0: the customer's page.

Every case gets the signed link and the short code of its page, so that the next
reminder carries them. The shipped e-mails and SMS the company never edited get
this release's wording, which links to the page; the edited ones are left as they
are and the managers told.
"""

import os

from odoo import SUPERUSER_ID, api
from odoo.modules.module import load_script


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["collection.case"].with_context(active_test=False).search([])._portal_ensure_codes()
    here = os.path.dirname(__file__)
    shipped = load_script(
        os.path.join(here, os.pardir, "shipped_data.py"), "collections_officer_shipped_data"
    )
    versions = shipped.load_versions(os.path.join(here, "shipped_versions.json"))
    shipped.tell_managers(env, shipped.refresh_unedited_records(env, versions))
