import time
from contextlib import contextmanager
from datetime import date, timedelta

from odoo import api
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import new_test_user

# Every test runs on this frozen day: ages and buckets are counted from it.
TODAY = date(2026, 6, 30)


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
