from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseStory(CollectionsCommon):
    """Case figures follow payments at once, and a closed case keeps its story."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._post_invoice(1000, due_days_ago=40)
        cls.other_invoice = cls._post_invoice(500, due_days_ago=20)
        policy = cls.env["collection.policy"].create({"name": "Story"})
        cls.level = cls.env["collection.level"].create(
            {
                "name": "Second Reminder",
                "policy_id": policy.id,
                "delay_days": 21,
                "print_letter": True,
            }
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def test_registering_a_payment_from_the_case_refreshes_it_and_stays_on_it(self):
        self.assertEqual(self.case.overdue_amount, 1500.0)
        action = self.case.action_register_payment()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"amount": 1000, "payment_date": TODAY, "group_payment": True})
        )
        self.assertIs(wizard.action_create_payments(), True, "the dialog closes on the case")
        self.assertEqual(self.case.overdue_amount, 500.0, "no refresh needed")
        self.assertEqual(self.case.state, "open")

    def test_a_payment_reconciled_in_accounting_updates_the_case_at_once(self):
        payment = self._pay(self.invoice, 1000)
        self.assertEqual(self.case.overdue_amount, 500.0)
        self.assertEqual(self.case.last_payment_date, TODAY)
        self._pay(self.other_invoice, 500)
        self.assertEqual(self.case.state, "closed")
        # The cheque bounced: the payment is cancelled and the debt is back.
        payment.action_cancel()
        self.assertEqual(self.case.state, "open")
        self.assertEqual(self.case.overdue_amount, 1000.0)

    def test_a_closed_case_keeps_its_story(self):
        self.assertEqual(self.case.opened_date, TODAY)
        self.assertEqual(self.case.opening_amount, 1500.0)
        self.case.sudo().write({"level_id": self.level.id, "level_date": TODAY})
        with freeze_time(TODAY + timedelta(days=10)):
            self._pay(self.invoice, 1000, days_ago_paid=-10)
            self._pay(self.other_invoice, 500, days_ago_paid=-10)
            self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.overdue_amount, 0.0)
        self.assertFalse(self.case.level_id, "a new cycle starts from the first level")
        self.assertEqual(
            (
                self.case.opened_date,
                self.case.opening_amount,
                self.case.closed_date,
                self.case.collected_amount,
                self.case.last_payment_date,
                self.case.level_reached_id,
            ),
            (
                TODAY,
                1500.0,
                TODAY + timedelta(days=10),
                1500.0,
                TODAY + timedelta(days=10),
                self.level,
            ),
        )
        # Overdue again: a new cycle with its own story.
        with freeze_time(TODAY + timedelta(days=40)):
            self._post_invoice(300, due_days_ago=5)
            self._refresh()
            self.assertEqual(self.case.state, "open")
            self.assertEqual(self.case.opened_date, TODAY + timedelta(days=40))
            self.assertFalse(self.case.closed_date)
            self.assertFalse(self.case.level_reached_id)
            self.assertEqual(self.case.collected_amount, 0.0)
            self.assertEqual(self.case.opening_amount, 300.0)

    def test_a_case_opened_by_hand_starts_its_story(self):
        other = self.env["res.partner"].create({"name": "By Hand Debtor", "is_company": True})
        self._post_invoice(300, due_days_ago=15, partner=other)
        case = self.Case.with_user(self.officer).create({"partner_id": other.id})
        self.assertEqual((case.opened_date, case.opening_amount), (TODAY, 300.0))

    def test_a_credit_note_reset_to_draft_puts_the_debt_back_at_once(self):
        refund = self._post_invoice(400, due_days_ago=0, move_type="out_refund")
        self._refresh()
        self.assertEqual(self.case.overdue_amount, 1100.0, "the unapplied credit note deducted")
        refund.button_draft()
        self.assertEqual(self.case.overdue_amount, 1500.0)
