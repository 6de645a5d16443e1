from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon
from .test_collection_plan import PlanCommon, days_ahead

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)
ESCALATION_ACTIVITY = "collections_officer.mail_activity_type_collection_escalation"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionNextActionPaid(PlanCommon):
    """The next action is what is still to do: a paid installment is done."""

    def test_a_paid_installment_is_not_the_next_action(self):
        plan = self._plan(first_date=days_ahead(2), installment_count=3)
        plan.action_activate()
        first, second = plan.installment_ids.sorted("date")[:2]
        self.case._update_priority()
        self.assertEqual(self.case.next_action_label, "Installment 1 of 3 due")
        self.assertEqual(self.case.next_action_date, first.date + timedelta(days=5))
        with freeze_time(days_ahead(1)):
            self._pay(self.invoice, first.amount, days_ago_paid=-1)
            self.env.invalidate_all()
            self.assertEqual(first.state, "paid")
            self.case._update_priority()
            self.assertEqual(self.case.next_action_label, "Installment 2 of 3 due")
            self.assertEqual(self.case.next_action_date, second.date + timedelta(days=5))

    def test_an_open_promise_says_how_much_is_due(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 500, "date": days_ahead(3)}
        )
        self.case._update_priority()
        self.assertRegex(self.case.next_action_label, r"^Promise of .*500\.00.* due$")


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionDecidedEscalation(CollectionsCommon):
    """A decided escalation closes every "Decide" to-do of its case, and the case leaves
    the managers' and the officer's day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1000, due_days_ago=20)
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk A",
                "manager_id": cls.manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": self.case.id, "reason": "unwilling", "note": "Refused twice."}
        ).action_escalate()
        # As the demo data records it: a "Decide" to-do written, not scheduled by the code.
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            {
                "res_model_id": self.env["ir.model"]._get_id("collection.case"),
                "res_id": self.case.id,
                "activity_type_id": self.env.ref(ESCALATION_ACTIVITY).id,
                "summary": "Decide: Acme Debtor (Unwilling to Pay)",
                "user_id": self.manager.id,
                "date_deadline": TODAY,
            }
        )

    def _my_day(self, user):
        return (
            self.env["collection.my.day"]
            .with_user(user)
            .search([("case_id", "=", self.case.id), ("user_id", "in", (user.id, False))])
        )

    def _decide_activities(self):
        return self.case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ESCALATION_ACTIVITY)
        )

    def test_the_decision_closes_the_decide_activities_and_the_case_leaves_my_day(self):
        self.assertEqual(len(self._decide_activities()), 2)
        self.assertEqual(self._my_day(self.manager).mapped("reason"), ["6_escalation"])
        self.assertFalse(self._my_day(self.officer), "the decision is the manager's, not hers")
        self.env["collection.escalation.decide.wizard"].with_user(self.manager).create(
            {
                "escalation_id": self.case.pending_escalation_id.id,
                "decision": "hold",
                "decision_note": "Wait for the insurer.",
                "hold_reason": "Insurance claim",
                "hold_until": TODAY + timedelta(days=30),
            }
        ).action_decide()
        self.assertEqual(self.case.state, "hold")
        self.assertFalse(self._decide_activities(), "every Decide to-do is done")
        self.assertFalse(self.case.next_action_date)
        self.assertFalse(self._my_day(self.manager))
        self.assertFalse(self._my_day(self.officer))

    def test_back_to_the_officer_the_case_is_the_officers_again(self):
        self.env["collection.escalation.decide.wizard"].with_user(self.manager).create(
            {
                "escalation_id": self.case.pending_escalation_id.id,
                "decision": "officer",
                "decision_note": "Call them once more.",
            }
        ).action_decide()
        self.assertFalse(self._decide_activities())
        self.assertFalse(self._my_day(self.manager))
        # The case is the officer's again: its level, late, comes before the to-do.
        row = self._my_day(self.officer)
        self.assertEqual((row.reason, row.summary), ("1_action", "Follow-up: Friendly Reminder"))
        self.assertIn("Back from escalation", self.case.activity_ids.summary)
