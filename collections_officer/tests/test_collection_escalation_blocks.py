import html
from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)
AWAITING = "awaiting a manager's decision"


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionEscalationBlocks(FollowupCommon):
    """A case escalated to a manager gets no follow-up level until the manager decides:
    the customer who refused to pay is not sent a friendly reminder meanwhile."""

    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer
        self.assertEqual(self.case._get_due_levels(), {self.case.id: self.level_1})
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {
                "case_id": self.case.id,
                "reason": "unwilling",
                "note": "Refused to pay on two calls.",
            }
        ).action_escalate()
        self.assertEqual(self.case.state, "escalated")

    def _send_now(self, user, **values):
        return (
            self.env["collection.send.wizard"]
            .with_user(user)
            .with_context(active_model="collection.case", active_ids=self.case.ids)
            .create(values)
        )

    def _preview(self, user):
        # As the web client shows it: computed on the unsaved wizard.
        wizard_model = (
            self.env["collection.send.wizard"]
            .with_user(user)
            .with_context(active_model="collection.case", active_ids=self.case.ids)
        )
        with Form(wizard_model) as wizard:
            return html.unescape(str(wizard.preview))

    def _decide(self, decision="officer"):
        self.env["collection.escalation.decide.wizard"].with_user(self.manager).create(
            {
                "escalation_id": self.case.pending_escalation_id.id,
                "decision": decision,
                "decision_note": "Call them once more, then the final notice.",
            }
        ).action_decide()

    def test_a_live_run_sends_no_level_and_the_case_says_why(self):
        self._run()
        self.assertFalse(self._followups(), "no level is prepared")
        self.assertFalse(self._emails(), "no friendly reminder to a customer who refused")
        self.assertFalse(self.case.level_id)
        case = self.case.with_user(self.officer)
        self.assertFalse(case.next_level_id, "no level ahead until the manager decides")
        self.assertIn(AWAITING, case.followup_blocked_reason)
        self.assertIn("Unwilling to Pay", case.followup_blocked_reason)
        # The next action is not the level's date, nor the manager's to-do.
        self.assertFalse(case.next_action_date)
        self.assertEqual(case.next_action_label, "Awaiting a manager's decision")

    def test_the_dry_run_previews_the_level_held_back_and_why(self):
        self.company.collection_followup_live = False
        self._run()
        preview = self._followups()
        self.assertEqual(preview.state, "preview")
        self.assertEqual(preview.level_id, self.level_1)
        self.assertIn(AWAITING, preview.blocked_reason)
        self.assertFalse(self._emails())

    def test_an_officer_cannot_send_now_a_manager_may_with_a_reason(self):
        preview = self._preview(self.officer)
        self.assertIn("nothing is sent", preview)
        self.assertIn(AWAITING, preview)
        self.assertIn("only a collections manager may send", preview)
        with self.assertRaisesRegex(UserError, AWAITING):
            self._send_now(self.officer).action_send()
        self.assertFalse(self._emails())
        # The manager sees the e-mail an override would send, and sends it with a reason.
        wizard = self._send_now(self.manager, override_reason="Agreed with the customer's CFO.")
        self.assertEqual(wizard.composed_level_id, self.level_1)
        wizard.action_send()
        self.assertEqual(self._followups().level_id, self.level_1)
        self.assertTrue(self._emails())
        self.assertIn(
            "Agreed with the customer's CFO.",
            " ".join(self.case.message_ids.mapped("body")),
        )

    def test_after_the_decision_the_follow_up_resumes(self):
        self._decide("officer")
        self.assertEqual(self.case.state, "open")
        case = self.case.with_user(self.officer)
        self.assertFalse(case.followup_blocked_reason)
        self.assertEqual(case.next_level_id, self.level_1)
        self._run()
        self.assertEqual(self._followups().level_id, self.level_1)
        self.assertEqual(self._followups().state, "done")
        self.assertTrue(self._emails())
