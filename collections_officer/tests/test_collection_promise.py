from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from ..models.collection_case_chatter import GUARD_PASSED
from .common import TODAY, CollectionsCommon, days_ago


def days_ahead(days):
    return days_ago(-days)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionPromise(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_promise_tolerance_days = 3
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)
        cls.Promise = cls.env["collection.promise"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _promise(self, amount=400, date=None, **vals):
        return self.Promise.create(
            {
                "case_id": self.case.id,
                "amount": amount,
                "date": date or days_ahead(5),
                "contact_id": self.contact.id,
                **vals,
            }
        )

    def _last_note(self):
        """The case's latest logged note (tracking messages have no body)."""
        return self.case.message_ids.filtered("body")[:1].body or ""

    def _judge_on(self, day):
        self._judge_in_the_morning(day)

    def test_record_promise_from_the_case(self):
        promise = self.Promise.with_user(self.officer).create(
            {
                "case_id": self.case.id,
                "amount": 400,
                "date": days_ahead(5),
                "contact_id": self.contact.id,
                "channel": "phone",
                "note": "Will pay on Friday.",
            }
        )
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.start_date, TODAY)
        self.assertEqual(promise.deadline, days_ahead(8), "promised date + 3 tolerance days")
        self.assertEqual(self.case.state, "promised")
        contact = promise.contact_log_id
        self.assertEqual(contact.case_id, self.case)
        self.assertEqual((contact.outcome, contact.channel), ("promised", "phone"))
        self.assertEqual(contact.partner_id, self.contact)
        self.assertEqual(contact.user_id, self.officer)
        self.assertIn("Promise to pay recorded", self._last_note())
        self.assertEqual(self.case.promise_count, 1)

    def test_promise_kept_with_payment_inside_tolerance(self):
        promise = self._promise(400)
        self._pay(self.invoice, 400, days_ago_paid=-7)  # two days after the promised date
        self._judge_on(days_ahead(8))
        self.assertEqual(promise.state, "open", "not judged before date + tolerance is over")
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.amount_received, 400)
        self.assertEqual(promise.judged_date, days_ahead(9))
        self.assertEqual(self.case.state, "open", "back to follow-up: 600 are still overdue")
        self.assertIn("kept", self._last_note())
        self.assertEqual(self.customer.collection_reliability, 100)
        self.assertEqual(self.customer.collection_promise_kept_count, 1)

    def test_payment_after_tolerance_breaks_the_promise(self):
        promise = self._promise(400)
        self._pay(self.invoice, 400, days_ago_paid=-9)
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.state, "broken")

    def test_promise_broken_and_judged_once(self):
        promise = self._promise(400)
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.case.state, "open")
        self.assertIn("broken", self._last_note())
        self.assertEqual(self.customer.collection_reliability, 0)
        self.assertEqual(self.customer.collection_promise_broken_count, 1)
        messages = self.case.message_ids
        self._judge_on(days_ahead(10))
        self.assertEqual(self.case.message_ids, messages, "judging again logs nothing")
        self.assertEqual(promise.judged_date, days_ahead(9))

    def test_promise_partly_kept(self):
        promise = self._promise(400)
        self._pay(self.invoice, 150, days_ago_paid=-2)
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.state, "partial")
        self.assertEqual(promise.amount_received, 150)
        self.assertIn("partly kept", self._last_note())
        self.assertEqual(self.customer.collection_reliability, 50)

    def test_payment_before_the_promise_does_not_count(self):
        self._pay(self.invoice, 400, days_ago_paid=1)
        promise = self._promise(400)
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.amount_received, 0)
        self.assertEqual(promise.state, "broken")

    def test_unallocated_payment_counts_a_credit_note_does_not(self):
        promise = self._promise(400)
        self._receive_unallocated(250, days_ago_paid=-1)
        self._post_invoice(150, due_days_ago=0, move_type="out_refund")
        self._judge_on(days_ahead(9))
        self.assertEqual(promise.amount_received, 250, "a credit note is no money received")
        self.assertEqual(promise.state, "partial")

    def test_broken_promise_escalates_when_configured(self):
        self.company.collection_broken_action = "escalate"
        self._promise(400)
        self._judge_on(days_ahead(9))
        self.assertEqual(self.case.state, "escalated")

    def test_kept_promise_closes_the_case_when_nothing_is_overdue(self):
        self._promise(1000)
        self._pay(self.invoice, 1000, days_ago_paid=-1)
        self._judge_on(days_ahead(9))
        self.assertEqual(self.case.state, "closed")

    def test_followup_waits_while_the_promise_is_open(self):
        self._promise(400)
        self.assertIn(self.case.id, self.case._get_followup_blockers())
        with freeze_time(days_ahead(8)):
            self.assertIn("Promise", self.case._get_followup_blockers()[self.case.id])
        with freeze_time(days_ahead(9)):
            self.assertNotIn(self.case.id, self.case._get_followup_blockers(), "deadline passed")
        self._judge_on(days_ahead(9))
        with freeze_time(days_ahead(9)):
            self.assertNotIn(self.case.id, self.case._get_followup_blockers())

    def test_new_promise_replaces_the_open_one(self):
        first = self._promise(400)
        second = self._promise(300, date=days_ahead(10))
        self.assertEqual(first.state, "cancelled")
        self.assertEqual(second.state, "open")
        self.assertEqual(len(self.case.contact_ids.filtered(lambda c: c.outcome == "promised")), 2)

    def test_cancel_keeps_the_history(self):
        promise = self._promise(400)
        promise.with_user(self.officer).action_cancel()
        self.assertEqual(promise.state, "cancelled")
        self.assertEqual(self.case.state, "open")
        self.assertTrue(promise.contact_log_id.exists())
        with self.assertRaisesRegex(UserError, "Only open promises"):
            promise.action_cancel()
        open_promise = self._promise(100)
        with self.assertRaisesRegex(UserError, "cancel a promise instead"):
            open_promise.sudo().unlink()

    def test_bad_promises_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "must be positive"):
            self._promise(0)
        with self.assertRaisesRegex(ValidationError, "must be positive"):
            self._promise(-10)
        with self.assertRaisesRegex(ValidationError, "in the past"):
            self._promise(100, date=days_ago(1))
        self._pay(self.invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        with self.assertRaisesRegex(UserError, "is closed"):
            self._promise(100)

    def test_promise_from_a_logged_contact_is_not_logged_twice(self):
        contact = self.env["collection.contact"].create(
            {"case_id": self.case.id, "channel": "visit", "outcome": "promised"}
        )
        # Log a Contact's own call: a client never links a contact by hand.
        self.Promise = self.Promise.with_context(collection_contact_logged=GUARD_PASSED)
        promise = self._promise(200, channel="visit", contact_log_id=contact.id)
        self.assertEqual(promise.contact_log_id, contact)
        self.assertEqual(self.case.contact_ids, contact)
