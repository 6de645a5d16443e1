from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon, days_ago


def days_ahead(days):
    return days_ago(-days)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPromiseLimits(CollectionsCommon):
    """A promise holds follow-up only within the company's limits, or once approved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"collection_promise_max_days": 30, "collection_promise_min_percent": 10})
        cls._post_invoice(1000, due_days_ago=30)
        cls.Promise = cls.env["collection.promise"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _promise(self, amount, days, user=None, **vals):
        return self.Promise.with_user(user or self.officer).create(
            {"case_id": self.case.id, "amount": amount, "date": days_ahead(days), **vals}
        )

    def _holds(self):
        return self.case.id in self.case._get_followup_blockers()

    def test_a_tiny_promise_eleven_months_ahead_does_not_silence_follow_up(self):
        promise = self._promise(1.0, 330)
        self.assertTrue(promise.needs_approval)
        self.assertIn("more than 30 days", promise.approval_reason)
        self.assertIn("less than 10%", promise.approval_reason)
        self.assertFalse(self._holds(), "follow-up goes on until a manager approves")
        self.assertEqual(self.case.state, "open")
        self.assertIn("approval", self.case.message_ids.filtered("body")[0].body)
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            promise.with_user(self.officer).action_approve()
        with self.assertRaises(UserError):
            promise.with_user(self.officer).write({"approved_by_id": self.officer.id})
        with self.assertRaises(UserError):
            promise.with_user(self.officer).write({"needs_approval": False})
        self.assertFalse(self._holds())
        promise.with_user(self.manager).action_approve()
        self.assertEqual(promise.approved_by_id, self.manager)
        self.assertTrue(self._holds())
        self.assertEqual(self.case.state, "promised")

    def test_each_limit_on_its_own(self):
        cases = [
            (400, 5, False),  # within both
            (100, 30, False),  # exactly at both limits
            (99, 5, True),  # below 10% of 1,000
            (400, 31, True),  # beyond 30 days
        ]
        for amount, days, needs in cases:
            with self.subTest(amount=amount, days=days):
                promise = self._promise(amount, days)
                self.assertEqual(promise.needs_approval, needs)
                self.assertEqual(self._holds(), not needs)
                promise.action_cancel()

    def test_no_limit_when_zero(self):
        self.company.write({"collection_promise_max_days": 0, "collection_promise_min_percent": 0})
        promise = self._promise(1.0, 330)
        self.assertFalse(promise.needs_approval)
        self.assertTrue(self._holds())

    def test_a_manager_recording_the_promise_approves_it(self):
        promise = self._promise(1.0, 330, user=self.manager)
        self.assertTrue(promise.needs_approval)
        self.assertEqual(promise.approved_by_id, self.manager)
        self.assertTrue(self._holds())

    def test_a_promise_waiting_for_approval_releases_the_one_it_replaces(self):
        first = self._promise(400, 5)
        self.assertEqual(self.case.state, "promised")
        self._promise(1.0, 330)
        self.assertEqual(first.state, "cancelled")
        self.assertEqual(self.case.state, "open", "nothing holds the case any more")
        self.assertFalse(self._holds())

    def test_a_promise_cannot_be_back_dated(self):
        promise = self._promise(400, 5, start_date=days_ago(60))
        self.assertEqual(promise.start_date, TODAY, "money counts from the day it is recorded")
        for vals in (
            {"start_date": days_ago(60)},
            {"amount": 1.0},
            {"date": days_ahead(300)},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "cannot change"):
                promise.with_user(self.manager).write(vals)
        self.assertEqual(promise.start_date, TODAY)
        approved = self._promise(400, 5, approved_by_id=self.officer.id)
        self.assertFalse(approved.approved_by_id, "approval is not given on create")

    def test_the_manager_gets_the_approval_to_do(self):
        activity_type = self.env.ref("collections_officer.mail_activity_type_promise_approval")

        def approvals():
            return self.case.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

        promise = self._promise(1.0, 330)
        self.assertTrue(approvals(), "someone is asked to approve")
        self.assertNotIn(self.officer, approvals().user_id, "not the officer who asked")
        self.assertIn(self.manager, approvals().user_id)
        promise.with_user(self.manager).action_approve()
        self.assertFalse(approvals(), "done once approved")
        # A new word replacing one that waits: the old request goes with it.
        self._promise(2.0, 300)
        self.assertEqual(len(approvals()), len(self.case.with_user(self.officer)._get_approvers()))
        self._promise(500, 5)
        self.assertFalse(approvals(), "nothing left to approve")

    def test_no_promise_on_top_of_an_active_plan(self):
        plan = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create({"case_id": self.case.id, "installment_count": 2, "first_date": days_ahead(10)})
            ._create_plan()
        )
        plan.with_user(self.officer).action_activate()
        with self.assertRaisesRegex(UserError, "Cancel the plan first"):
            self._promise(500, 5)
        self.assertFalse(self.Promise.search([("case_id", "=", self.case.id)]))
        plan.with_user(self.officer).action_cancel()
        self.assertTrue(self._promise(500, 5))
