"""19.0.1.2.0: the cases' story, the dispute holds of any language, the shipped records.

- Cases from before their story was kept (opened and closed dates, the amount
  due at opening, the level reached) get it from what the database knows, so
  the KPIs count them.
- The holds of the former "disputed" contact outcome written in another
  language than English become disputes, as the English ones did in 19.0.1.1.0.
- The records of the noupdate data files (e-mail and SMS templates, the default
  policy and its levels, scheduled actions, rates) that the company never
  edited get what this release ships; the edited ones are left as they are,
  and the collections managers are told what they miss.
- Every active case gets its priority score and next action.
"""

import logging
import os

import pytz

from odoo import SUPERUSER_ID, api
from odoo.modules.module import load_script
from odoo.tools import SQL

_logger = logging.getLogger("odoo.addons.collections_officer.migrations")


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _backfill_case_story(env)
    env["collection.dispute"]._migrate_dispute_holds()
    here = os.path.dirname(__file__)
    shipped = load_script(
        os.path.join(here, os.pardir, "shipped_data.py"), "collections_officer_shipped_data"
    )
    versions = shipped.load_versions(os.path.join(here, "shipped_versions.json"))
    shipped.tell_managers(env, shipped.refresh_unedited_records(env, versions))
    env["collection.case"]._update_priority_all()


def _company_tz(company):
    tz = (
        company._collection_tz()
        if hasattr(company, "_collection_tz")
        else company.partner_id.tz or "UTC"
    )
    return tz if tz in pytz.all_timezones_set else "UTC"


def _backfill_case_story(env):
    """Fill the story fields a case of an older release left empty.

    Opened: the day the case was created, in its company's day (a case reopened
    since has its date already). Closed: the day of its last change of state,
    else of its last change. The level reached: the level it closed at. The
    amount due at opening of a case still open: what the refresh would write
    had it opened today; a closed case's is not known and stays empty.
    """
    Case = env["collection.case"]
    Case.flush_model()
    state_field = env["ir.model.fields"]._get("collection.case", "state")
    for company in env["res.company"].with_context(active_test=False).search([]):
        tz = _company_tz(company)
        env.execute_query(
            SQL(
                """
                UPDATE collection_case
                   SET opened_date = (create_date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date
                 WHERE opened_date IS NULL AND company_id = %(company)s
                """,
                tz=tz,
                company=company.id,
            )
        )
        env.execute_query(
            SQL(
                """
                UPDATE collection_case c
                   SET closed_date = GREATEST(c.opened_date, (COALESCE(
                           (SELECT max(m.date)
                              FROM mail_tracking_value v
                              JOIN mail_message m ON m.id = v.mail_message_id
                             WHERE m.model = 'collection.case'
                               AND m.res_id = c.id
                               AND v.field_id = %(state_field)s),
                           c.write_date
                       ) AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date)
                 WHERE c.state = 'closed' AND c.closed_date IS NULL
                   AND c.company_id = %(company)s
                """,
                state_field=state_field.id,
                tz=tz,
                company=company.id,
            )
        )
    env.execute_query(
        SQL(
            """
            UPDATE collection_case
               SET level_reached_id = level_id
             WHERE state = 'closed' AND level_reached_id IS NULL AND level_id IS NOT NULL
            """
        )
    )
    env.execute_query(
        SQL(
            """
            UPDATE collection_case
               SET opening_amount = COALESCE(NULLIF(overdue_amount, 0), amount_not_due, 0)
             WHERE state != 'closed' AND opening_amount IS NULL
            """
        )
    )
    Case.invalidate_model(["opened_date", "closed_date", "level_reached_id", "opening_amount"])
