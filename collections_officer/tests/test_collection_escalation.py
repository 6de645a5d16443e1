from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import CollectionsCommon, days_ago

NOON = datetime(2026, 6, 30, 12, 0)
PROOF = "collections_officer.action_report_collection_proof_of_debt"
ESCALATION_ACTIVITY = "collections_officer.mail_activity_type_collection_escalation"


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionEscalation(CollectionsCommon):
    """Officers escalate a case; a manager decides, and every step is the case's story."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.invoice = cls._post_invoice(1000, due_days_ago=20)
        cls.customer.write({"email": "ap@acme.example", "tz": "UTC"})
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk A",
                "manager_id": cls.manager.id,
                "member_ids": [cls.officer.id],
            }
        )
        cls.practitioner = cls.env["res.partner"].create({"name": "Pat Practitioner LLP"})

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _escalate(self, reason="unwilling", user=None, **values):
        wizard = (
            self.env["collection.escalate.wizard"]
            .with_user(user or self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "reason": reason,
                    "note": "Refused to pay on three calls.",
                }
                | values
            )
        )
        wizard.action_escalate()
        return self.case.escalation_ids.sorted("id")[-1:]

    def _decide(self, decision, user=None, note="Decided after review.", **values):
        escalation = self.case.pending_escalation_id
        wizard = (
            self.env["collection.escalation.decide.wizard"]
            .with_user(user or self.manager)
            .create(
                {
                    "escalation_id": escalation.id,
                    "decision": decision,
                    "decision_note": note,
                }
                | values
            )
        )
        return wizard.action_decide()

    def _activities(self, user, activity_type=None):
        activities = self.case.activity_ids.filtered(lambda a: a.user_id == user)
        if activity_type:
            activities = activities.filtered(
                lambda a: a.activity_type_id == self.env.ref(activity_type)
            )
        return activities

    # ------------------------------------------------------------ escalate

    def test_escalation_gives_the_team_manager_an_activity(self):
        escalation = self._escalate()
        self.assertEqual(self.case.state, "escalated")
        self.assertEqual(escalation.state, "pending")
        self.assertEqual(escalation.reason, "unwilling")
        self.assertEqual(escalation.requested_by_id, self.officer)
        self.assertEqual(escalation.manager_ids, self.manager)
        self.assertEqual(self.case.pending_escalation_id, escalation)
        self.assertTrue(self._activities(self.manager, ESCALATION_ACTIVITY))
        self.assertIn("Refused to pay on three calls.", self.case.message_ids[0].body)

    def test_without_a_team_manager_the_collections_managers_are_asked(self):
        self.team.manager_id = False
        self._escalate()
        self.assertTrue(self._activities(self.manager, ESCALATION_ACTIVITY))
        self.assertFalse(self._activities(self.officer, ESCALATION_ACTIVITY))

    def test_an_escalation_by_the_follow_up_is_recorded_for_the_manager_to_decide(self):
        # As the manager alert level and a broken promise write it.
        self.case.sudo().write({"state": "escalated"})
        escalation = self.case.pending_escalation_id
        self.assertEqual(escalation.reason, "followup")
        self.assertEqual(escalation.manager_ids, self.manager)
        self.case.sudo().write({"state": "escalated"})
        self.assertEqual(len(self.case.escalation_ids), 1, "recorded once")
        self._decide("officer", note="Call them once more.")
        self.assertEqual(self.case.state, "open")
        self.assertEqual(escalation.decision, "officer")

    def test_paid_while_escalated_withdraws_the_escalation(self):
        escalation = self._escalate()
        self._pay(self.invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(escalation.state, "withdrawn")
        self.assertIn("Nothing is overdue any more", escalation.decision_note)
        self.assertFalse(self.case.pending_escalation_id)
        self.assertFalse(
            self._activities(self.manager, ESCALATION_ACTIVITY), "nothing left to decide"
        )
        with self.assertRaisesRegex(UserError, "no longer awaits a decision"):
            escalation.with_user(self.manager)._decide("officer", "Too late.")

    def test_one_pending_escalation_per_case_and_none_for_a_closed_case(self):
        self._escalate()
        with self.assertRaisesRegex(UserError, "already awaits"):
            self._escalate()
        self._decide("officer")
        self._pay(self.invoice, 1000)
        self.assertEqual(self.case.state, "closed")
        with self.assertRaisesRegex(UserError, "closed case"):
            self._escalate()

    def test_an_officer_cannot_decide_nor_edit_nor_delete_an_escalation(self):
        escalation = self._escalate()
        with self.assertRaises(AccessError):
            self._decide("hold", user=self.officer)
        with self.assertRaises(AccessError):
            escalation.with_user(self.officer)._decide("hold", "I decide myself.")
        self.assertEqual(escalation.state, "pending")
        with self.assertRaisesRegex(UserError, "history"):
            escalation.with_user(self.manager).write({"note": "Rewritten"})
        with self.assertRaises(AccessError):
            escalation.with_user(self.officer).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            escalation.sudo().unlink()
        with self.assertRaisesRegex(UserError, "undecided"):
            self.env["collection.escalation"].with_user(self.officer).create(
                {
                    "case_id": self.case.id,
                    "reason": "other",
                    "note": "Decided already",
                    "state": "decided",
                    "decision": "writeoff",
                }
            )

    def test_a_decision_needs_a_reason(self):
        escalation = self._escalate()
        with self.assertRaisesRegex(UserError, "reason for the decision"):
            escalation.with_user(self.manager)._decide("hold", "  ")

    def test_a_case_with_escalations_cannot_be_deleted(self):
        self._escalate()
        self._decide("officer")
        self._pay(self.invoice, 1000)
        self.assertEqual(self.case.state, "closed")
        with self.assertRaisesRegex(UserError, "escalations or write-offs"):
            self.case.unlink()

    # ------------------------------------------------------------ decisions

    def test_back_to_the_officer_with_instructions(self):
        self._escalate()
        self._decide("officer", note="Call the finance director, not AP.")
        escalation = self.case.escalation_ids
        self.assertEqual(self.case.state, "open")
        self.assertEqual(escalation.state, "decided")
        self.assertEqual(escalation.decision, "officer")
        self.assertEqual(escalation.decided_by_id, self.manager)
        self.assertEqual(escalation.decision_note, "Call the finance director, not AP.")
        officer_todo = self._activities(self.officer)
        self.assertEqual(len(officer_todo), 1)
        self.assertIn("Call the finance director", str(officer_todo.note))
        self.assertFalse(
            self._activities(self.manager, ESCALATION_ACTIVITY), "the manager's task is done"
        )
        self.assertIn("Back to the Officer", self.case.message_ids[0].body)

    def test_the_tasks_fall_due_on_the_companys_day(self):
        # The officer's and the manager's own day is the server's (UTC); the company's is
        # the day before in Los Angeles, the day after in Auckland and on Kiritimati.
        (self.officer | self.manager).tz = "UTC"
        for zone, moment, company_day in (
            ("America/Los_Angeles", datetime(2026, 6, 30, 3, 0), days_ago(1)),
            ("Pacific/Auckland", datetime(2026, 6, 30, 20, 0), days_ago(-1)),
            ("Pacific/Kiritimati", NOON, days_ago(-1)),
        ):
            with self.subTest(zone=zone), freeze_time(moment):
                self.company.collection_timezone = zone
                self.assertEqual(self.company._collection_today(), company_day)
                self._escalate("unable")
                self.assertEqual(
                    self._activities(self.manager, ESCALATION_ACTIVITY).date_deadline,
                    company_day,
                )
                self._decide("hardship", note="Lost their main client: propose 12 months.")
                latest = self._activities(self.officer).sorted("id")[-1:]
                self.assertEqual(latest.date_deadline, company_day)

    def test_hardship_plan(self):
        self._escalate("unable")
        self._decide("hardship", note="Lost their main client: propose 12 months.")
        self.assertEqual(self.case.state, "open")
        self.assertTrue(self.case.hardship)
        self.assertIn("hardship", self._activities(self.officer).summary)

    def test_hold(self):
        self._escalate("fraud")
        self._decide(
            "hold",
            note="Police report filed.",
            hold_reason="Fraud investigation",
            hold_until="2026-09-30",
        )
        self.assertEqual(self.case.state, "hold")
        self.assertEqual(self.case.hold_reason, "Fraud investigation")
        self.assertEqual(str(self.case.hold_until), "2026-09-30")
        self.assertIn(self.case.id, self.case._get_followup_blockers())

    def test_legal_action_and_agency_go_through_the_legal_hook(self):
        for decision, legal_type in (("legal", "notice"), ("agency", "agency")):
            with self.subTest(decision=decision):
                self._escalate()
                self._decide(decision, note="No reply to the final notice.")
                self.assertEqual(self.case.escalation_ids.sorted("id")[-1].decision, decision)
                legal = self.env["collection.legal"].search(
                    [("case_id", "=", self.case.id), ("legal_type", "=", legal_type)]
                )
                self.assertEqual(len(legal), 1, "the legal hook opened the legal action")

    def test_write_off_decision_opens_the_write_off_wizard(self):
        self._escalate("unreachable")
        action = self._decide("writeoff", note="Skip-trace failed.")
        self.assertEqual(action["res_model"], "collection.writeoff.wizard")
        self.assertEqual(action["context"]["default_case_id"], self.case.id)
        self.assertEqual(self.case.escalation_ids.decision, "writeoff")

    # ---------------------------------------------------- insolvency and death

    def test_insolvency_stops_every_contact_through_the_guard(self):
        self._escalate(
            "insolvent",
            insolvency_date=days_ago(5),
            insolvency_contact_id=self.practitioner.id,
            claim_date=days_ago(1),
            claim_reference="CR-2026-042",
        )
        self.assertEqual(self.case.insolvency_type, "insolvent")
        self.assertEqual(self.case.insolvency_contact_id, self.practitioner)
        self.assertEqual(self.case.claim_reference, "CR-2026-042")
        verdict = self.env["collection.compliance"]._check_contacts(self.case, "email")
        self.assertEqual(verdict[self.case.id]["verdict"], "blocked")
        self.assertIn("insolvent", verdict[self.case.id]["reason"])
        self.assertIn(self.case.id, self.case._get_followup_blockers())
        with self.assertRaisesRegex(UserError, "insolvent"):
            self.case.with_user(self.officer).message_post(
                body="Please pay your overdue invoices.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=self.customer.ids,
            )
        # Still blocked once the manager sent the case back to the officer.
        self._decide("officer", note="Lodge the claim with the practitioner.")
        self.assertIn(self.case.id, self.case._get_contact_blockers("email"))

    def test_only_a_manager_clears_insolvency(self):
        self._escalate("deceased", insolvency_date=days_ago(3))
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.case.with_user(self.officer).write({"insolvency_type": False})
        self.case.with_user(self.manager).write({"insolvency_type": False})
        self.assertNotIn(self.case.id, self.case._get_contact_blockers("email"))

    def test_proof_of_debt_states_what_was_owed_on_the_insolvency_date(self):
        second = self._post_invoice(500, due_days_ago=15, ref="PO-7781")
        self._pay(second, 200, days_ago_paid=10)  # before the insolvency: deducted
        self._pay(self.invoice, 100, days_ago_paid=2)  # after it: still owed that day
        self._escalate(
            "insolvent",
            insolvency_date=days_ago(5),
            insolvency_contact_id=self.practitioner.id,
            claim_reference="CR-2026-042",
        )
        owed = self.case._proof_of_debt_lines()[self.case.id]
        self.assertEqual(
            sorted((line.move_id, amount) for line, amount, _currency in owed),
            sorted([(self.invoice, 1000.0), (second, 300.0)]),
        )
        html = (
            self.env["ir.actions.report"]
            .with_user(self.officer)
            ._render_qweb_html(PROOF, self.case.ids)[0]
            .decode()
        )
        for text in (
            "Proof of Debt",
            self.company.name,
            self.customer.name,
            self.practitioner.name,
            "CR-2026-042",
            self.invoice.name,
            second.name,
            "PO-7781",
            "1,000.00",
            "300.00",
            "1,300.00",
        ):
            self.assertIn(text, html)
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(PROOF, self.case.ids)[0]
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_no_proof_of_debt_for_a_solvent_customer(self):
        with self.assertRaisesRegex(UserError, "insolvent or deceased"):
            self.case.action_print_proof_of_debt()


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionEscalationRules(CollectionsCommon):
    """Escalations follow the case's team and company, like the other child records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1000, due_days_ago=20)
        cls.outsider = new_test_user(
            cls.env,
            login="co_outsider",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {"name": "Desk B", "member_ids": [cls.officer.id]}
        )

    def test_officers_of_another_team_neither_see_nor_escalate(self):
        self._refresh()
        case = self._case()
        case.write({"user_id": self.officer.id, "team_id": self.team.id})
        case.with_user(self.officer)._escalate("other", "Needs a look.")
        escalation = case.escalation_ids
        self.assertTrue(escalation.with_user(self.officer).has_access("read"))
        self.assertFalse(escalation.with_user(self.outsider).has_access("read"))
        with self.assertRaises(AccessError):
            case.with_user(self.outsider)._escalate("other", "Not mine.")
