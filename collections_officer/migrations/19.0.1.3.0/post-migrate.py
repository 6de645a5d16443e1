"""19.0.1.3.0: money received is cash, credit notes are credited; the company's day.

- A closed case kept as "received while open" the payments and the credit notes
  of its cycle together. It now keeps the cash alone, and the credit notes apart
  as "Credited": both are read again from accounting for every closed case.
- The scheduled actions become hourly (each company is worked in its own
  morning): the shipped records the company never edited get this release's
  values, the edited ones are left as they are and the managers told.
"""

import logging
import os

from odoo import SUPERUSER_ID, api
from odoo.modules.module import load_script

_logger = logging.getLogger("odoo.addons.collections_officer.migrations")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _split_cash_and_credits(env)
    here = os.path.dirname(__file__)
    shipped = load_script(
        os.path.join(here, os.pardir, "shipped_data.py"), "collections_officer_shipped_data"
    )
    versions = shipped.load_versions(os.path.join(here, "shipped_versions.json"))
    shipped.tell_managers(env, shipped.refresh_unedited_records(env, versions))


def _split_cash_and_credits(env):
    """Collected (cash) and credited (credit notes) of every closed case, from accounting."""
    cases = (
        env["collection.case"]
        .with_context(active_test=False)
        .search([("state", "=", "closed"), ("closed_date", "!=", False)])
    )
    for company, company_cases in cases.grouped("company_id").items():
        company_cases._recompute_money_received()
        _logger.info(
            "%s: collected and credited amounts read again for %s closed cases.",
            company.name,
            len(company_cases),
        )
