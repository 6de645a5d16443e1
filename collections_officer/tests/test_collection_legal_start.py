from datetime import timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionLegalStart(FollowupCommon):
    """Legal action decided on an escalation starts with the letter before action; each
    later step asks for what it needs when it is taken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["res.partner"].create({"name": "Recoveries Ltd", "is_company": True})
        cls.lawyer = cls.env["res.partner"].create(
            {"name": "Sue & Co Solicitors", "is_company": True}
        )

    def setUp(self):
        super().setUp()
        self._post_invoice(800, due_days_ago=45)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _decide_legal_action(self):
        """An officer escalates, a manager decides Legal Action, as the screens do."""
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": self.case.id, "reason": "unwilling", "note": "Refused on three calls."}
        ).action_escalate()
        wizard = (
            self.env["collection.escalation.decide.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "escalation_id": self.case.pending_escalation_id.id,
                    "decision": "legal",
                    "decision_note": "No reply to the final notice.",
                }
            )
        )
        return wizard.action_decide()

    def _step(self, legal, step, **values):
        action = (
            legal.with_user(self.manager).action_open_file_claim()
            if step == "court"
            else legal.with_user(self.manager).action_open_hand_over()
        )
        self.assertEqual(action["res_model"], "collection.legal.step.wizard")
        return (
            self.env["collection.legal.step.wizard"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"step": step, **values})
        )

    def test_the_decision_opens_the_letter_before_action(self):
        action = self._decide_legal_action()
        legal = self.case.legal_ids
        self.assertEqual(len(legal), 1)
        self.assertEqual((legal.legal_type, legal.state), ("notice", "draft"))
        self.assertFalse(legal.party_id)
        self.assertEqual(self.case.state, "legal")
        # The manager lands on the legal action, the letter at hand.
        self.assertEqual((action["res_model"], action["res_id"]), ("collection.legal", legal.id))
        self.assertIn("letter before action", legal.activity_ids.summary)

    def test_the_letter_is_sent_at_once_without_an_external_party(self):
        self._decide_legal_action()
        legal = self.case.legal_ids.with_user(self.manager)
        legal.action_send_notice()
        self.assertEqual(legal.state, "notice_sent")
        self.assertEqual(legal.notice_date, TODAY)
        self.assertFalse(legal.party_id)
        email = self._emails()[0]
        self.assertEqual(email.partner_ids, self.customer)
        self.assertEqual(len(email.attachment_ids), 3)
        self.assertFalse(legal.activity_ids, "the to-do of the decision is done")

    def test_the_agency_step_asks_for_the_agency(self):
        self._decide_legal_action()
        legal = self.case.legal_ids
        legal.with_user(self.manager).action_send_notice()
        self.company.collection_legal_agency_rate = 18
        without = self._step(legal, "agency")
        self.assertEqual(without.commission_rate, 18)
        with self.assertRaisesRegex(UserError, "choose the collection agency"):
            without.action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("notice", "notice_sent"))
        # The model refuses the same step without its party, whoever calls it.
        with self.assertRaisesRegex(ValidationError, "External Party"):
            legal.with_user(self.manager).write({"legal_type": "agency"})
            legal.with_user(self.manager).action_hand_over()
        self._step(
            legal, "agency", party_id=self.agency.id, party_reference="RL-77"
        ).action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("agency", "handed_over"))
        self.assertEqual((legal.party_id, legal.party_reference), (self.agency, "RL-77"))
        self.assertEqual((legal.handover_date, legal.commission_rate), (TODAY, 18))

    def test_the_lawyer_step_asks_for_the_lawyer_then_the_claim_for_its_reference(self):
        self._decide_legal_action()
        legal = self.case.legal_ids
        legal.with_user(self.manager).action_send_notice()
        with self.assertRaisesRegex(UserError, "choose the lawyer"):
            self._step(legal, "lawyer").action_confirm()
        self._step(legal, "lawyer", party_id=self.lawyer.id).action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("lawyer", "handed_over"))
        self.assertEqual(legal.party_id, self.lawyer)
        # The lawyer files the claim once the reply period is over, with the court's number.
        with freeze_time(TODAY + timedelta(days=31)):
            claim = self._step(legal, "court")
            self.assertEqual(claim.party_id, self.lawyer)
            self.assertEqual(claim.filing_date, TODAY + timedelta(days=31))
            with self.assertRaisesRegex(UserError, "reference the court gave"):
                claim.action_confirm()
            claim.court_reference = "K12AB345"
            claim.action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("lawyer", "filed"))
        self.assertEqual(legal.court_reference, "K12AB345")
        self.assertEqual(legal.filing_date, TODAY + timedelta(days=31))

    def test_a_court_claim_waits_for_the_reply_period(self):
        self._decide_legal_action()
        legal = self.case.legal_ids
        legal.with_user(self.manager).action_send_notice()
        claim = self._step(legal, "court", party_id=self.lawyer.id, court_reference="K1")
        with self.assertRaisesRegex(ValidationError, "may reply until"):
            claim.action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("notice", "notice_sent"))
        with freeze_time(TODAY + timedelta(days=31)):
            self._step(
                legal, "court", party_id=self.lawyer.id, court_reference="K1"
            ).action_confirm()
        self.assertEqual((legal.legal_type, legal.state), ("court", "filed"))

    def test_officers_take_no_step(self):
        self._decide_legal_action()
        legal = self.case.legal_ids
        with self.assertRaises(UserError):
            legal.with_user(self.officer).action_open_hand_over()

    def test_outside_the_e_mail_hours_a_manager_sends_the_letter_with_a_reason(self):
        """The guard's refusal is said in the send dialog, which takes the override."""
        self._decide_legal_action()
        # Midnight: outside the company's e-mail hours.
        self.company.write({"collection_email_hour_start": 8.0, "collection_email_hour_end": 20.0})
        legal = self.case.legal_ids
        action = legal.with_user(self.manager).action_open_send_notice()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({})
        )
        self.assertIn("e-mail hours", wizard.guard_note)
        self.assertIn("give the reason for overriding the guard", wizard.guard_note)
        with self.assertRaisesRegex(UserError, "send it with the reason for overriding"):
            wizard.action_send()
        self.assertEqual(legal.state, "draft", "nothing sent, nothing recorded")
        wizard.override_reason = "The customer asked for it tonight"
        wizard.action_send()
        self.assertEqual(legal.state, "notice_sent")
        contact = self.env["collection.contact"].search(
            [("case_id", "=", self.case.id), ("outcome", "=", "letter_before_action")]
        )
        self.assertEqual(len(contact), 1)
        self.assertTrue(contact.compliance_override)
        # An officer has no such dialog.
        with self.assertRaises(UserError):
            legal.with_user(self.officer).action_open_send_notice()
