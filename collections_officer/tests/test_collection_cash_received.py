from datetime import date, timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon
from .test_collection_plan import PlanCommon


def days_ahead(days):
    return TODAY + timedelta(days=days)


def paid_and_states(plan):
    return [(i.amount_paid, i.state) for i in plan.installment_ids]


class CashCommon(CollectionsCommon):
    def _judge_promise(self, promise, day):
        """The daily judging of ``promise`` on ``day``, past its deadline."""
        with freeze_time(day):
            promise.sudo()._judge(day)

    def _promise(self, case, amount, user=None):
        return (
            self.env["collection.promise"]
            .with_user(user or self.officer)
            .create({"case_id": case.id, "amount": amount, "date": days_ahead(5)})
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPromiseCashReceived(CashCommon):
    """A promise is kept by money received, never by a credit note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_promise_tolerance_days = 3
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.sudo().user_id = self.officer

    def test_accepted_dispute_credit_note_does_not_keep_the_promise(self):
        promise = self._promise(self.case, 400)
        dispute = (
            self.env["collection.dispute"]
            .with_user(self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "move_id": self.invoice.id,
                    "amount": 400,
                    "reason": "quality",
                }
            )
        )
        dispute.with_user(self.manager).action_accept(note="Goods damaged in transit")
        credit_note = dispute.sudo().credit_note_id
        credit_note.action_post()
        self.assertEqual(self.invoice.amount_residual, 600, "the credit note lowered the debt")
        self.env.invalidate_all()
        self.assertEqual(promise.amount_received, 0, "no money came in")
        self._judge_promise(promise, days_ahead(9))
        self.assertEqual(promise.state, "broken")

    def test_payment_keeps_the_promise_beside_a_credit_note(self):
        promise = self._promise(self.case, 400)
        self._post_invoice(150, due_days_ago=0, move_type="out_refund")
        self._pay(self.invoice, 250, days_ago_paid=-1)
        self._judge_promise(promise, days_ahead(9))
        self.assertEqual(promise.amount_received, 250, "the 150 credited are no payment")
        self.assertEqual(promise.state, "partial")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPlanCashReceived(PlanCommon):
    """Installments are paid by cash applied to the plan's own debt, or unapplied."""

    def test_payment_of_another_current_invoice_does_not_pay_an_installment(self):
        current = self._post_invoice(500, due_days_ago=-20)  # owed, not yet due
        plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        plan.action_activate()
        self.assertEqual(plan.line_ids.move_id, self.invoice, "the plan is about what is overdue")
        self._pay(current, 500, days_ago_paid=-1)
        with freeze_time(date(2026, 7, 10)):
            self.env.invalidate_all()
            self.assertEqual(plan.amount_received, 0)
            self.assertEqual(paid_and_states(plan)[0], (0, "pending"))

    def test_plan_of_all_that_is_due_is_paid_by_the_current_invoice(self):
        current = self._post_invoice(500, due_days_ago=-20)
        self._refresh()
        wizard = self._wizard(installment_count=3, first_date=date(2026, 7, 15))
        wizard.include_not_due = True
        plan = wizard._create_plan()
        plan.action_activate()
        self.assertEqual(plan.line_ids.move_id, self.invoice | current)
        self._pay(current, 500, days_ago_paid=-1)
        with freeze_time(date(2026, 7, 10)):
            self.env.invalidate_all()
            self.assertEqual(plan.amount_received, 500)

    def test_unapplied_payment_pays_an_installment_a_credit_note_does_not(self):
        plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        plan.action_activate()
        self._receive_unallocated(300, days_ago_paid=-1)
        self._post_invoice(200, due_days_ago=0, move_type="out_refund")  # unapplied credit
        with freeze_time(date(2026, 7, 10)):
            self.env.invalidate_all()
            self.assertEqual(plan.amount_received, 300)
            self.assertEqual(paid_and_states(plan), [(300, "paid"), (0, "pending"), (0, "pending")])


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCaseCollectedAndCredited(CashCommon):
    """A case keeps the cash it collected and the credit notes apart."""

    def test_collected_is_cash_credited_apart(self):
        invoice = self._post_invoice(1000, due_days_ago=30)
        self._refresh()
        case = self._case()
        self.assertEqual(case.opened_date, TODAY)
        self._post_invoice(300, due_days_ago=0, move_type="out_refund")
        self._pay(invoice, 700)
        self._refresh()
        case = case.with_user(self.officer)
        self.assertEqual(case.state, "closed")
        self.assertEqual((case.collected_amount, case.credited_amount), (700, 300))
        with self.assertRaises(UserError):  # an access error is one too
            case.write({"credited_amount": 0})
        kpi = self.env["collection.kpi"]
        [june] = kpi._kpis([kpi._scope(self.company, TODAY)])
        self.assertEqual((june["collected"], june["credited"]), (700, 300))

    def test_upgrade_tells_cash_and_credit_notes_apart_on_closed_cases(self):
        invoice = self._post_invoice(1000, due_days_ago=30)
        self._refresh()
        self._post_invoice(300, due_days_ago=0, move_type="out_refund")
        self._pay(invoice, 700)
        self._refresh()
        case = self._case()
        # As a case closed before the upgrade kept it: payments and credit notes together.
        case.sudo().write({"collected_amount": 1000, "credited_amount": 0})
        case._recompute_money_received()
        self.assertEqual((case.collected_amount, case.credited_amount), (700, 300))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestOneOverdue(CashCommon):
    """Disputed, held, blocked, in-payment and below-tolerance items are not overdue:
    not for the case, not for a promise, not for a plan, in any currency."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_tolerance = 1.0
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])

    def _eur_invoice(self, amount, due_days_ago):
        return self._post_invoice(amount, due_days_ago, currency_id=self.eur.id)

    def test_set_apart_items_are_not_overdue_for_case_promise_and_plan(self):
        chased = self._eur_invoice(1000, 30)
        self._refresh()
        case = self._case()
        case.sudo().user_id = self.officer
        self.env["collection.dispute"].with_user(self.officer).create(
            {"case_id": case.id, "move_id": chased.id, "amount": 400, "reason": "quality"}
        )
        self._eur_invoice(200, 25).action_toggle_block_payment()
        self._eur_invoice(300, 20).payment_state = "in_payment"
        held = self._eur_invoice(100, 15)
        held.line_ids.filtered(lambda line: line.balance > 0).no_followup = True
        small = self._eur_invoice(100, 10)
        self._register_payment(small, amount=99, currency_id=self.eur.id, payment_date=TODAY)
        self._refresh()
        # 600 EUR: the 400 disputed, the blocked, in-payment and held invoices and the
        # 1 EUR left (below the tolerance of 1.00 = 2 EUR) set apart.
        self.assertEqual(case.overdue_amount, 300, "600 EUR at 2 EUR a unit")

        contact = (
            self.env["collection.contact.wizard"]
            .with_user(self.officer)
            .create({"case_id": case.id, "outcome": "promised"})
        )
        contact._onchange_outcome()
        self.assertEqual((contact.currency_id, contact.promise_amount), (self.eur, 600))
        plan_wizard = (
            self.env["collection.plan.wizard"].with_user(self.officer).create({"case_id": case.id})
        )
        self.assertEqual((plan_wizard.currency_id, plan_wizard.amount_total), (self.eur, 600))

        promise = self._promise(case, 600)
        self.assertEqual(promise.currency_id, self.eur)
        self.assertEqual(promise.line_ids.move_id, chased, "the debt set apart is not promised")
        # Paying what was set apart pays nothing of the promise.
        self._register_payment(held, amount=100, currency_id=self.eur.id, payment_date=TODAY)
        self._register_payment(
            chased, amount=300, currency_id=self.eur.id, payment_date=days_ahead(1)
        )
        self._judge_promise(promise, days_ahead(9))
        self.assertEqual(promise.amount_received, 300)
        self.assertEqual(promise.state, "partial")
