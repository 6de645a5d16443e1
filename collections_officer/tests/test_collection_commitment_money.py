from datetime import date, timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon
from .test_collection_plan import PlanCommon


def days_ahead(days):
    return TODAY + timedelta(days=days)


class CommitmentCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_promise_tolerance_days = 3
        cls.Promise = cls.env["collection.promise"]

    def _promise(self, amount, **vals):
        self._refresh()
        return self.Promise.create(
            {"case_id": self._case().id, "amount": amount, "date": days_ahead(5), **vals}
        )

    def _judge_on(self, day):
        self._judge_in_the_morning(day)

    def _bounce(self, payment, day=TODAY):
        """The bank returns the payment: 'Reverse Entry' of its journal entry."""
        self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=payment.move_id.ids
        ).create({"date": day, "journal_id": payment.journal_id.id}).reverse_moves()


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCommitmentMoney(CommitmentCommon):
    """Promises count the money that pays the debt they are about, in its currency."""

    def test_bounced_cheque_does_not_keep_the_promise(self):
        invoice = self._post_invoice(1000, due_days_ago=30)
        promise = self._promise(400)
        payment = self._pay(invoice, 400)
        self.env.invalidate_all()
        self.assertEqual(promise.amount_received, 400)
        self._bounce(payment)
        self.env.invalidate_all()
        self.assertEqual(promise.amount_received, 0, "the cheque bounced")
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.state, "broken")

    def test_customer_who_keeps_buying_has_not_kept_the_promise(self):
        old = self._post_invoice(1000, due_days_ago=30)
        promise = self._promise(400)
        self.assertEqual(promise.line_ids.move_id, old)
        new = self._post_invoice(600, due_days_ago=-30)
        self._pay(new, 600, days_ago_paid=-1)
        self._post_invoice(80, due_days_ago=-30, move_type="out_refund")  # unapplied credit
        self._pay(old, 100, days_ago_paid=-2)
        self._judge_on(days_ahead(9))
        self.assertEqual(
            promise.amount_received, 100, "100 on the old invoice, not the 600 nor the 80 credited"
        )
        self.assertEqual(promise.state, "partial")

    def test_foreign_currency_promise_kept_after_the_rate_moved(self):
        eur = self.setup_other_currency(
            "EUR", rates=[("2000-01-01", 2.0), (days_ahead(1).isoformat(), 2.5)]
        )
        invoice = self._post_invoice(1000, due_days_ago=30, currency_id=eur.id)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 500, "in company currency, at the invoice rate")
        wizard = self.env["collection.contact.wizard"].create(
            {"case_id": case.id, "outcome": "promised"}
        )
        wizard._onchange_outcome()
        self.assertEqual((wizard.currency_id, wizard.promise_amount), (eur, 1000))
        promise = self._promise(1000)
        self.assertEqual(promise.currency_id, eur)
        self._register_payment(invoice, amount=1000, currency_id=eur.id, payment_date=days_ahead(2))
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.amount_received, 1000, "1000 EUR, worth 400 now")
        self.assertEqual(promise.state, "kept")

    def test_promise_over_several_currencies_is_in_company_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._post_invoice(1000, due_days_ago=30, currency_id=eur.id)
        self._post_invoice(100, due_days_ago=20)
        promise = self._promise(600)
        self.assertEqual(promise.currency_id, self.company.currency_id)
        self.assertEqual(len(promise.line_ids), 2)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPlanMoney(PlanCommon):
    """Plans are paid by money applied to the debt they cover, or left unapplied."""

    def test_payments_of_later_invoices_do_not_pay_the_plan(self):
        plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        plan.action_activate()
        self.assertEqual(plan.line_ids.move_id, self.invoice)
        new = self._post_invoice(500, due_days_ago=-30)
        self._pay(new, 500, days_ago_paid=-1)
        self._receive_unallocated(120, days_ago_paid=-2)
        with freeze_time(date(2026, 7, 10)):
            self.env.invalidate_all()
            self.assertEqual(plan.amount_received, 120)
            self.assertEqual(plan.installment_ids[0].amount_paid, 120)

    def test_bounced_payment_unpays_the_installment(self):
        plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        plan.action_activate()
        payment = self._pay(self.invoice, 300)
        self.env.invalidate_all()
        self.assertEqual(plan.installment_ids[0].amount_paid, 300)
        self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=payment.move_id.ids
        ).create({"date": TODAY, "journal_id": payment.journal_id.id}).reverse_moves()
        self.env.invalidate_all()
        self.assertEqual(plan.amount_received, 0)

    def test_scope_read_again_once_the_debt_is_paid(self):
        plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        plan.action_activate()
        self._pay(self.invoice, 1000, days_ago_paid=-3)
        self._create_invoice_one_line(  # bought afterwards
            price_unit=200,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ahead(1),
            post=True,
        )
        # Recomputed later (an upgrade does so): still the debt owed the day it was made.
        plan.sudo()._compute_scope()
        self.assertEqual(plan.line_ids.move_id, self.invoice)
        with freeze_time(date(2026, 7, 4)):
            self.env.invalidate_all()
            self.assertEqual(plan.amount_received, 1000)
