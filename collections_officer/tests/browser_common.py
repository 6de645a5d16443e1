from datetime import date, timedelta

import pytz

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user


class CollectionsBrowserCase(HttpCase):
    """Users and overdue customers for the browser tests.

    The browser runs on the real clock. The company is always on another day than the
    server, as it is for some hours of every day in a timezone far from UTC: whatever
    takes the server's date for the company's fails at every run, not only around
    midnight. Invoices are dated relative to the company's today, and the company
    e-mails its customers at any hour of any day, so that a tour that sends passes
    whenever the suite runs (the sending windows have tests of their own).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.write(
            {
                "collection_timezone": cls._zone_on_another_day(),
                "collection_email_hour_start": 0.0,
                "collection_email_hour_end": 24.0,
                "collection_contact_days": "all",
            }
        )

    @classmethod
    def _today(cls):
        """The company's date now: the day its cases are aged and followed up on."""
        return cls.env.company._collection_today()

    @staticmethod
    def _browser_today():
        """The day the browser counts from when a tour types "in four days": its own,
        the machine's local date, which may be neither the company's nor UTC's."""
        return date.today()

    @staticmethod
    def _zone_on_another_day():
        """A timezone whose date is not the server's (UTC) one at this moment: 14 hours
        ahead from 10:00 UTC, 11 hours behind until 11:00."""
        now = pytz.utc.localize(fields.Datetime.now())
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            if now.astimezone(pytz.timezone(zone)).date() != now.date():
                return zone
        raise AssertionError("every hour has a timezone on another day")

    @classmethod
    def _browser_user(cls, login, manager=False):
        group = "group_collections_manager" if manager else "group_collections_officer"
        return new_test_user(
            cls.env,
            login=login,
            password=login,
            name=login.replace("_", " ").title(),
            groups=f"base.group_user,collections_officer.{group}",
        )

    @classmethod
    def _overdue_case(cls, name, amount, days=60, **partner_vals):
        """A customer owing ``amount`` for ``days`` days, and its case."""
        customer = cls.env["res.partner"].create({"name": name, "is_company": True, **partner_vals})
        overdue_since = cls._today() - timedelta(days=days)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.env.company)
        return cls.env["collection.case"].search([("partner_id", "=", customer.id)])

    @classmethod
    def _receive_unallocated(cls, customer, amount):
        """Money received from ``customer`` on its receivable account, matched with no
        invoice: no reconciliation refreshes the case, its figures wait for a refresh."""
        journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        line = cls.env["account.bank.statement.line"].create(
            {
                "journal_id": journal.id,
                "partner_id": customer.id,
                "payment_ref": "Customer payment",
                "amount": amount,
                "date": cls._today(),
            }
        )
        _liquidity, suspense, _other = line._seek_for_lines()
        suspense.account_id = customer.property_account_receivable_id
        return line
