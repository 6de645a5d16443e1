import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as day_time

from odoo import api, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import freeze_time, new_test_user

# Every test runs on this frozen day: ages and buckets are counted from it.
TODAY = date(2026, 6, 30)


def morning(day=TODAY):
    """09:00 UTC on ``day``: the scheduled jobs' hour in the tests, past the start of
    the test companies' collections day (06:00 in their timezone, UTC or Europe)."""
    return datetime.combine(day, day_time(9))


def days_ago(days):
    return TODAY - timedelta(days=days)


class CollectionsCommon(AccountTestInvoicingCommon):
    """A company with a customer (and a child contact), officers and helpers
    to post invoices, payments and credit notes at given ages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("collections_officer.group_collections_manager")
        cls.Case = cls.env["collection.case"]
        cls.company = cls.env.company
        # The desk is live: the run sends. Tests of the go-live switch it off again.
        cls.company.collection_followup_live = True
        # The suite's clock stops at midnight (TODAY): its e-mails leave at any hour of
        # the contact days. The e-mail hours have tests of their own.
        cls.company.write({"collection_email_hour_start": 0.0, "collection_email_hour_end": 24.0})
        cls.customer = cls.env["res.partner"].create({"name": "Acme Debtor", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {"name": "Jane at Acme", "parent_id": cls.customer.id}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Globex Debtor", "is_company": True}
        )
        cls.officer = new_test_user(
            cls.env,
            login="co_officer",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.manager = new_test_user(
            cls.env,
            login="co_manager",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.bank_journal = cls.company_data["default_journal_bank"]

    @classmethod
    def _post_invoice(cls, amount, due_days_ago, partner=None, move_type="out_invoice", **kwargs):
        """A posted customer invoice of `amount`, due `due_days_ago` days before TODAY."""
        due = days_ago(due_days_ago)
        return cls._create_invoice_one_line(
            price_unit=amount,
            tax_ids=cls.env["account.tax"],
            move_type=move_type,
            partner_id=partner or cls.customer,
            invoice_date=min(due, TODAY),
            invoice_date_due=due,
            post=True,
            **kwargs,
        )

    @classmethod
    def _pay(cls, invoices, amount, days_ago_paid=0):
        """A native payment registered on the invoices, reconciled with them."""
        return cls._register_payment(invoices, amount=amount, payment_date=days_ago(days_ago_paid))

    @classmethod
    def _receive_unallocated(cls, amount, partner=None, days_ago_paid=0):
        """Money received on the customer's receivable account, matched with no invoice."""
        line = cls.env["account.bank.statement.line"].create(
            {
                "journal_id": cls.bank_journal.id,
                "partner_id": (partner or cls.customer).id,
                "payment_ref": "Unallocated customer payment",
                "amount": amount,
                "date": days_ago(days_ago_paid),
            }
        )
        _liquidity, suspense, _other = line._seek_for_lines()
        suspense.account_id = (partner or cls.customer).property_account_receivable_id
        return line

    def _refresh(self, companies=None):
        return self.Case._refresh_from_accounting(companies=companies or self.company)

    def _case(self, partner=None, company=None, state=None):
        domain = [
            ("partner_id", "=", (partner or self.customer).id),
            ("company_id", "=", (company or self.company).id),
        ]
        if state:
            domain.append(("state", "=", state))
        return self.Case.search(domain)

    def _day_prepared(self, companies=None, day=TODAY, judged=True):
        """The scheduled refresh (and judging) of the companies' ``day`` is done, as in
        their morning before the follow-up run: the run (or the judging) may start."""
        values = {"collection_refreshed_day": day}
        if judged:
            values["collection_judged_day"] = day
        (companies or self.company).sudo().write(values)
        self.env.flush_all()

    def _judge_in_the_morning(self, day):
        """The scheduled judging of promises and plans in the company's morning of
        ``day``, once the day's refresh is done."""
        day = fields.Date.to_date(day)
        self._day_prepared(day=day, judged=False)
        cron = self.env.ref("collections_officer.ir_cron_collection_commitment_judge")
        with freeze_time(morning(day)), self.enter_registry_test_mode():
            self.assertIs(cron.method_direct_trigger(), True, "the scheduled action failed")

    @contextmanager
    def _cron_call(self, xmlid, out_of_time=False):
        """One call of a scheduled action as the scheduler makes it, on a cursor whose
        commits are savepoints: yields ``(env, progress)``. ``out_of_time``: the job's
        time is already up, so the action stops after its first batch."""
        cron = self.env.ref(xmlid)
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {"cron_id": cron.id})
            cron, progress = cron.with_env(env)._add_progress()
            context = dict(cron.env.context)
            if out_of_time:
                context["cron_end_time"] = time.monotonic() - 1
            yield env(context=context), progress
