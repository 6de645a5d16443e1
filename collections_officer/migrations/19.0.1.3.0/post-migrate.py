"""19.0.1.3.0: money received is cash, credit notes are credited; the company's day.

- A closed case kept as "received while open" the payments and the credit notes
  of its cycle together. It now keeps the cash alone, and the credit notes apart
  as "Credited": both are read again from accounting for every closed case.
- A monthly snapshot kept its aging in six standard-bucket columns; it now keeps
  it as lines in the company's buckets. The columns of the snapshots already
  taken become lines in the standard buckets, labelled so (30, 60, 90, 120
  days), before the columns are dropped.
- The scheduled actions become hourly (each company is worked in its own
  morning): the shipped records the company never edited get this release's
  values, the edited ones are left as they are and the managers told.
- With Sales installed, the new bridge add-on that refuses the orders of a
  customer on credit hold is installed, as a new installation would have it.
"""

import logging
import os

from odoo import SUPERUSER_ID, api
from odoo.modules.module import load_script
from odoo.tools import SQL
from odoo.tools.sql import table_columns

_logger = logging.getLogger("odoo.addons.collections_officer.migrations")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _split_cash_and_credits(env)
    _snapshot_aging_as_lines(env)
    here = os.path.dirname(__file__)
    shipped = load_script(
        os.path.join(here, os.pardir, "shipped_data.py"), "collections_officer_shipped_data"
    )
    versions = shipped.load_versions(os.path.join(here, "shipped_versions.json"))
    shipped.tell_managers(env, shipped.refresh_unedited_records(env, versions))
    _install_sales_bridge(env)


def _install_sales_bridge(env):
    """Mark ``collections_officer_sale`` for installation when Sales is installed: the
    upgrade installs it in the same run (auto-install acts only when a dependency is
    installed, not when a release adds a bridge)."""
    Module = env["ir.module.module"]
    if not Module.search_count([("name", "=", "sale"), ("state", "=", "installed")]):
        return
    bridge = Module.search(
        [("name", "=", "collections_officer_sale"), ("state", "=", "uninstalled")]
    )
    if bridge:
        bridge.button_install()
        _logger.info("Sales is installed: collections_officer_sale is installed with the upgrade.")


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


# The six aging columns of a snapshot up to 19.0.1.2.0, in the standard buckets.
SNAPSHOT_AGING_COLUMNS = (
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_91_120",
    "amount_over_120",
)
STANDARD_LIMITS = (30, 60, 90, 120)


def _snapshot_aging_as_lines(env):
    """The aging columns of the snapshots already taken, as their bucket lines.

    Odoo drops the columns of removed fields at the end of the upgrade, after
    this script: they are still there to read. A snapshot that has lines is
    left alone.
    """
    columns = table_columns(env.cr, "collection_snapshot")
    if any(column not in columns for column in SNAPSHOT_AGING_COLUMNS):
        return
    rows = env.execute_query(
        SQL(
            """
            SELECT s.id, %s
              FROM collection_snapshot s
             WHERE NOT EXISTS (
                   SELECT 1 FROM collection_snapshot_bucket b WHERE b.snapshot_id = s.id
                   )
          ORDER BY s.id
            """,
            SQL(", ").join(SQL.identifier(column) for column in SNAPSHOT_AGING_COLUMNS),
        )
    )
    if not rows:
        return
    buckets = env["collection.kpi"]._buckets_of(STANDARD_LIMITS)
    env["collection.snapshot.bucket"].create(
        [
            dict(bucket, snapshot_id=snapshot_id, amount=float(amount or 0))
            for snapshot_id, *amounts in rows
            for bucket, amount in zip(buckets, amounts, strict=True)
        ]
    )
    _logger.info("%s monthly snapshots: their aging kept as lines.", len(rows))
