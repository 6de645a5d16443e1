from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, freeze_time, tagged

from .common import TODAY, CollectionsCommon

REFRESH = "collections_officer.ir_cron_collection_case_refresh"
UNTIL = TODAY + timedelta(days=30)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionHold(CollectionsCommon):
    """A manager's hold ends on its end date, in the company's morning, or when a
    manager lifts it; a dispute on a held case is still resolved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@acme.example"
        cls.invoice = cls._post_invoice(1000, due_days_ago=20)
        cls.team = cls.env["collection.team"].create(
            {"name": "Hold desk", "manager_id": cls.manager.id, "member_ids": [cls.officer.id]}
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _escalate(self):
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": self.case.id, "reason": "unable", "note": "Their main customer failed."}
        ).action_escalate()

    def _decide_hold(self, until=UNTIL, reason="Main customer bankrupt: hold two months"):
        """The manager's Hold decision, as the decision dialog sends it."""
        return (
            self.env["collection.escalation.decide.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "escalation_id": self.case.pending_escalation_id.id,
                    "decision": "hold",
                    "decision_note": "Give them time to recover.",
                    "hold_reason": reason,
                    "hold_until": until and str(until),
                }
            )
            .action_decide()
        )

    def _hold(self, until=UNTIL):
        self._escalate()
        self._decide_hold(until)
        self.assertEqual(self.case.state, "hold")

    def _lift(self, reason, user=None):
        return (
            self.env["collection.case.hold.lift.wizard"]
            .with_user(user or self.manager)
            .create({"case_id": self.case.id, "reason": reason})
            .action_lift()
        )

    def _notes(self):
        return " ".join(self.case.message_ids.mapped("body"))

    # ------------------------------------------------------------ the decision

    def test_the_hold_decision_stores_its_end_date(self):
        self._escalate()
        for until in (False, TODAY, TODAY - timedelta(days=3)):
            # A savepoint: the decision is written before its hold is checked.
            with self.subTest(until=until), self.assertRaises(UserError) as refused:
                self._decide_hold(until)
            self.assertIn("until when", str(refused.exception))
        self.assertEqual(self.case.state, "escalated", "no decision without the end")
        self._decide_hold(UNTIL)
        self.assertRecordValues(
            self.case,
            [
                {
                    "state": "hold",
                    "hold_until": UNTIL,
                    "hold_reason": "Main customer bankrupt: hold two months",
                }
            ],
        )
        self.assertEqual(self.case.escalation_ids.decision, "hold")

    def test_the_decision_view_asks_for_the_end_date(self):
        arch = self.env["collection.escalation.decide.wizard"].get_views([(False, "form")])[
            "views"
        ]["form"]["arch"]
        self.assertIn('name="hold_until"', arch)

    # ------------------------------------------------------------ who lifts it

    def test_an_officer_cannot_lift_nor_change_a_hold(self):
        self._hold()
        officer_case = self.case.with_user(self.officer)
        with self.assertRaises(AccessError):
            officer_case.action_lift_hold()
        with self.assertRaises(AccessError):
            officer_case._lift_hold("I decide myself.")
        with self.assertRaises(AccessError):
            self._lift("I decide myself.", user=self.officer)
        for vals in (
            {"hold_until": False},
            {"hold_until": str(TODAY + timedelta(days=1))},
            {"hold_reason": False},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "lift its hold"):
                officer_case.write(vals)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            officer_case.write({"state": "open"})
        self.assertRecordValues(self.case, [{"state": "hold", "hold_until": UNTIL}])

    def test_a_manager_extends_a_hold(self):
        self._hold()
        later = UNTIL + timedelta(days=14)
        self.case.with_user(self.manager).write({"hold_until": str(later)})
        self.assertEqual(self.case.hold_until, later)

    def test_a_manager_lifts_the_hold_with_a_reason(self):
        self._hold()
        action = self.case.with_user(self.manager).action_lift_hold()
        self.assertEqual(action["res_model"], "collection.case.hold.lift.wizard")
        with self.assertRaisesRegex(UserError, "Say why"):
            self._lift("   ")
        self._lift("The insurer paid them early.")
        self.assertRecordValues(
            self.case, [{"state": "open", "hold_reason": False, "hold_until": False}]
        )
        self.assertIn("Hold lifted by", self._notes())
        self.assertIn("The insurer paid them early.", self._notes())
        with self.assertRaisesRegex(UserError, "not on hold"):
            self._lift("Again.")

    def test_a_lifted_hold_goes_back_to_the_promise_made_meanwhile(self):
        self._hold()
        self.env["collection.promise"].with_user(self.officer).create(
            {"case_id": self.case.id, "amount": 1000, "date": str(TODAY + timedelta(days=5))}
        )
        self.assertEqual(self.case.state, "hold", "a promise does not end the hold")
        self._lift("They promised: follow the promise.")
        self.assertEqual(self.case.state, "promised")

    # ------------------------------------------------------------ the end date

    def _morning_refresh(self, at):
        """The scheduled refresh at ``at`` (naive UTC), as the scheduler calls it."""
        self.env.flush_all()
        with freeze_time(at), self._cron_call(REFRESH) as (env, _progress):
            env["collection.case"]._cron_refresh_cases()
        self.env.invalidate_all()

    def test_the_hold_ends_in_the_company_morning_of_its_end_date(self):
        # In Auckland, 3 July starts while it is still 2 July in UTC.
        self.company.collection_timezone = "Pacific/Auckland"
        self._hold(until=date(2026, 7, 3))
        self.company.collection_refreshed_day = date(2026, 7, 1)
        # 05:00 on 3 July in Auckland: the company's day has not started.
        self._morning_refresh(datetime(2026, 7, 2, 17, 0))
        self.assertEqual(self.case.state, "hold")
        # 06:30 on 3 July in Auckland (18:30 on 2 July UTC): the company's morning.
        self._morning_refresh(datetime(2026, 7, 2, 18, 30))
        self.assertRecordValues(
            self.case, [{"state": "open", "hold_until": False, "hold_reason": False}]
        )
        self.assertIn("The hold ended on", self._notes())

    def test_a_hold_ending_later_stays(self):
        self._hold()
        self.company.collection_refreshed_day = TODAY
        self._morning_refresh(datetime(2026, 7, 1, 9, 0))
        self.assertRecordValues(self.case, [{"state": "hold", "hold_until": UNTIL}])

    # ------------------------------------------------------- disputes on hold

    def _dispute(self):
        return (
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

    def _resolve(self, dispute, decision, **values):
        return (
            self.env["collection.dispute.resolve.wizard"]
            .with_user(self.manager)
            .create({"dispute_id": dispute.id, "decision": decision, **values})
        )

    def test_a_rejection_on_a_held_case_asks_for_the_override_in_the_dialog(self):
        dispute = self._dispute()
        self._hold()
        wizard = self._resolve(dispute, "reject", note="The goods left our warehouse intact.")
        self.assertTrue(wizard.is_manager)
        self.assertIn("compliance guard", wizard.guard_note)
        self.assertIn("Main customer bankrupt", wizard.guard_note)
        self.assertIn("overriding the guard", wizard.guard_note)
        with self.assertRaises(UserError) as refused:
            wizard.action_resolve()
        self.assertIn("give the reason for overriding the guard", str(refused.exception))
        self.assertNotIn("ask a collections manager", str(refused.exception))
        self.assertEqual(dispute.state, "open")
        self.assertEqual(wizard.note, "The goods left our warehouse intact.", "nothing lost")

        wizard.override_reason = "The customer must know before the hold ends."
        wizard.action_resolve()

        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(self.case.state, "hold", "the hold stays")
        sent = self.case.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )
        self.assertEqual(len(sent), 1)
        self.assertIn("left our warehouse intact", str(sent.body))
        self.assertIn("The customer must know before the hold ends.", self._notes())
        contact = self.case.contact_ids.filtered(lambda c: c.outcome == "dispute_rejected")
        self.assertEqual(len(contact), 1)
        self.assertIn("The customer must know before the hold ends.", contact.compliance_override)

    def test_only_a_manager_overrides_the_guard_to_reject(self):
        dispute = self._dispute()
        self._hold()
        with self.assertRaises(AccessError):
            dispute.with_user(self.officer).action_reject(
                note="No.", override_reason="I decide myself."
            )
        self.assertEqual(dispute.state, "open")

    def test_a_rejection_the_guard_allows_needs_no_override(self):
        dispute = self._dispute()
        wizard = self._resolve(dispute, "reject", note="Signed for in good condition.")
        self.assertFalse(wizard.guard_note)
        wizard.override_reason = "Not needed."
        wizard.action_resolve()
        self.assertEqual(dispute.state, "rejected")
        contact = self.case.contact_ids.filtered(lambda c: c.outcome == "dispute_rejected")
        self.assertFalse(contact.compliance_override, "nothing was overridden")

    def test_a_dispute_on_a_held_case_is_accepted(self):
        dispute = self._dispute()
        self._hold()
        wizard = self._resolve(dispute, "accept", accepted_amount=400, note="Damaged in transit.")
        self.assertFalse(wizard.guard_note, "accepting e-mails nobody")
        wizard.action_resolve()
        self.assertEqual(dispute.state, "accepted")
        self.assertTrue(dispute.credit_note_id)
        self.assertEqual(self.case.state, "hold")


@tagged("post_install", "-at_install")
class TestCollectionHoldDemo(TransactionCase):
    def test_the_demo_hold_has_an_end_date_and_can_be_released(self):
        lumen = self.env.ref("collections_officer.res_partner_lumen_demo", raise_if_not_found=False)
        if not lumen:
            self.skipTest("no demo data")
        case = self.env["collection.case"].search([("partner_id", "=", lumen.id)])
        self.assertEqual(case.state, "hold")
        self.assertTrue(case.hold_until)
        maya = self.env.ref("collections_officer.user_collections_manager_demo")
        self.env["collection.case.hold.lift.wizard"].with_user(maya).create(
            {"case_id": case.id, "reason": "The insurer paid."}
        ).action_lift()
        self.assertNotEqual(case.state, "hold")
