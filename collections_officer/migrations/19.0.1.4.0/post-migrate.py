"""19.0.1.4.0: dates in customer documents are written out in the customer's language.

The shipped follow-up and plan e-mails gave dates in the numeric format of the
customer's language ("01/02/2027"); they now write the month out ("2 January
2027"). The shipped records the company never edited get this release's wording;
the edited ones are left as they are and the managers told.
"""

import os

from odoo import SUPERUSER_ID, api
from odoo.modules.module import load_script


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    here = os.path.dirname(__file__)
    shipped = load_script(
        os.path.join(here, os.pardir, "shipped_data.py"), "collections_officer_shipped_data"
    )
    versions = shipped.load_versions(os.path.join(here, "shipped_versions.json"))
    shipped.tell_managers(env, shipped.refresh_unedited_records(env, versions))
