from datetime import datetime, timedelta

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)
# The same day, after the contact hours (the customer is in UTC).
LATE = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=22, minutes=30)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionContactLogComplete(FollowupCommon):
    """Every message the desk sends a customer is in the contact log, under who sent it,
    saying what it was; every contact a person records is judged by the guard, whichever
    button recorded it."""

    def setUp(self):
        super().setUp()
        self.customer.tz = "UTC"
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _contacts(self, outcome=None):
        contacts = self.case.contact_ids.sorted("id")
        return contacts.filtered(lambda c: c.outcome == outcome) if outcome else contacts

    def _assert_logged(self, outcome, channel, user, message=None):
        contact = self._contacts(outcome)
        self.assertEqual(len(contact), 1, f"one {outcome} entry in the contact log")
        self.assertRecordValues(
            contact,
            [
                {
                    "channel": channel,
                    "direction": "outbound",
                    "user_id": user.id,
                    "compliance_breach": False,
                }
            ],
        )
        if message is not None:
            self.assertEqual(contact.message_id, message)
        return contact

    def _customer_emails(self):
        return self.case.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )

    # ------------------------------------------------------ what the desk sends

    def _scheduled_run(self):
        # The scheduled action runs as its user, the superuser (OdooBot).
        cron = self.env.ref("collections_officer.ir_cron_collection_followup_run")
        self.assertEqual(cron.user_id.id, SUPERUSER_ID)
        self.env["collection.run"].with_user(cron.user_id)._run_company(self.company)

    def test_a_level_sent_by_the_scheduled_run_is_under_the_cases_officer(self):
        self._scheduled_run()
        contact = self._assert_logged("sent", "email", self.officer)
        self.assertEqual(contact.level_id, self.level_1)

    def test_a_level_sent_by_the_run_is_never_under_the_superuser(self):
        self.case.write({"user_id": False, "team_id": False})
        self._scheduled_run()
        contact = self._contacts("sent")
        self.assertEqual(len(contact), 1)
        self.assertNotEqual(contact.user_id.id, SUPERUSER_ID)
        self.assertEqual(contact.user_id, self.case.user_id, "the case's officer, if any")

    def test_the_letter_before_action_emailed_is_logged(self):
        legal = self.case._start_legal_action("notice")
        legal.with_user(self.manager).action_send_notice()
        email = self._customer_emails()
        self.assertEqual(len(email), 1)
        contact = self._assert_logged("letter_before_action", "email", self.manager, email)
        self.assertEqual(contact.partner_id, self.customer)
        self.assertEqual(len(contact.message_id.attachment_ids), 3)
        self.assertFalse(self._contacts("message_sent"), "logged once, as what it was")

    def test_the_letter_before_action_printed_is_logged_as_a_letter(self):
        legal = self.case._start_legal_action("notice")
        legal.with_user(self.manager).action_print_notice()
        self._assert_logged("letter_before_action", "letter", self.manager)

    def test_the_dispute_rejection_is_logged(self):
        dispute = self.env["collection.dispute"].create(
            {"case_id": self.case.id, "move_id": self.invoice.id, "amount": 300}
        )
        dispute.with_user(self.manager).action_reject(note="The goods were delivered.")
        email = self._customer_emails()
        self.assertEqual(len(email), 1)
        self._assert_logged("dispute_rejected", "email", self.manager, email)

    def test_the_remittance_request_is_logged(self):
        dispute = self.env["collection.dispute"].create(
            {
                "case_id": self.case.id,
                "move_id": self.invoice.id,
                "amount": 1000,
                "reason": "already_paid",
            }
        )
        dispute.with_user(self.officer).action_request_remittance()
        self._assert_logged("remittance_requested", "email", self.officer, self._customer_emails())

    def test_the_plan_proposal_is_logged_as_proposed_not_promised(self):
        plan = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "installment_count": 2,
                    "first_date": TODAY + timedelta(days=15),
                }
            )
            ._create_plan()
        )
        plan.with_user(self.officer).action_propose()
        self.assertFalse(self._contacts("promised"), "the customer has promised nothing yet")
        contact = self._assert_logged("plan_proposed", "email", self.officer)
        self.assertEqual(contact.message_id.model, "collection.plan")
        self.assertEqual(contact.message_id.res_id, plan.id)

    def test_the_statement_is_logged_as_a_statement(self):
        form = Form(
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(
                active_model="collection.case",
                active_ids=self.case.ids,
                default_case_ids=self.case.ids,
                default_mode="statement",
            )
        )
        form.save().action_send()
        email = self._customer_emails()
        self.assertEqual(len(email), 1)
        self._assert_logged("statement_sent", "email", self.officer, email)

    def test_a_message_to_the_customer_from_the_chatter_is_logged(self):
        message = self.case.with_user(self.officer).message_post(
            body="Please call us back.",
            subject="Your account",
            partner_ids=self.contact.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        contact = self._assert_logged("message_sent", "email", self.officer, message)
        self.assertEqual(contact.partner_id, self.contact)
        self.assertIn("Your account", str(contact.note))
        # A note to colleagues contacts nobody.
        self.case.with_user(self.officer).message_post(
            body="Left a voicemail.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.assertEqual(len(self._contacts()), 1)

    def test_a_client_cannot_say_what_a_chatter_message_was(self):
        self.case.with_user(self.officer).with_context(
            collection_sent_as="letter_before_action"
        ).message_post(
            body="Pay now.",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self._assert_logged("message_sent", "email", self.officer)
        self.assertFalse(self._contacts("letter_before_action"))

    def test_what_the_desk_sends_is_not_logged_by_hand(self):
        Contact = self.env["collection.contact"].with_user(self.officer)
        base = {"case_id": self.case.id, "channel": "email"}
        for outcome in ("statement_sent", "letter_before_action", "plan_proposed"):
            with self.subTest(outcome=outcome), self.assertRaises(UserError):
                Contact.create({**base, "outcome": outcome})
        message = self.case.message_post(body="Internal", subtype_xmlid="mail.mt_note")
        with self.assertRaisesRegex(UserError, "Message"):
            Contact.create({**base, "outcome": "spoke", "message_id": message.id})
        offered = dict(
            self.env["collection.contact.wizard"].with_user(self.officer)._selection_outcome()
        )
        self.assertFalse({"statement_sent", "plan_proposed", "message_sent"} & set(offered))

    # ------------------------------------------- what a person records, judged

    def test_record_promise_after_hours_is_a_breach(self):
        with freeze_time(LATE):
            promise = (
                self.env["collection.promise"]
                .with_user(self.officer)
                .create(
                    {"case_id": self.case.id, "amount": 500, "date": str(TODAY + timedelta(days=5))}
                )
            )
        contact = promise.contact_log_id
        self.assertEqual(contact, self._contacts("promised"))
        self.assertEqual((contact.channel, contact.user_id), ("phone", self.officer))
        self.assertTrue(contact.compliance_breach)
        self.assertIn("contact hours", contact.blocked_reason)
        self.assertTrue(
            any("Compliance breach" in str(m.body) for m in self.case.message_ids),
            "the breach is noted on the case",
        )

    def test_record_promise_beyond_the_cap_is_a_breach(self):
        self.company.write({"collection_max_calls": 1, "collection_call_quiet_days": 0})
        self.env["collection.contact"].with_user(self.officer).create(
            {"case_id": self.case.id, "channel": "phone", "outcome": "no_answer"}
        )
        promise = (
            self.env["collection.promise"]
            .with_user(self.officer)
            .create(
                {"case_id": self.case.id, "amount": 500, "date": str(TODAY + timedelta(days=5))}
            )
        )
        self.assertTrue(promise.contact_log_id.compliance_breach)
        # A promise recorded within the hours and the cap is clean.
        self.company.collection_max_calls = 0
        promise = (
            self.env["collection.promise"]
            .with_user(self.officer)
            .create(
                {"case_id": self.case.id, "amount": 400, "date": str(TODAY + timedelta(days=6))}
            )
        )
        self.assertFalse(promise.contact_log_id.compliance_breach)

    def test_record_dispute_logs_a_judged_contact(self):
        with freeze_time(LATE):
            self.env["collection.dispute"].with_user(self.officer).create(
                {"case_id": self.case.id, "move_id": self.invoice.id, "amount": 200}
            )
        contact = self._contacts("disputed")
        self.assertEqual(len(contact), 1)
        self.assertEqual((contact.channel, contact.user_id), ("phone", self.officer))
        self.assertTrue(contact.compliance_breach)
        self.assertIn("contact hours", contact.blocked_reason)
        self.assertIn(self.invoice.name, str(contact.note))

    def test_record_dispute_by_letter_is_not_judged_as_a_call(self):
        with freeze_time(LATE):
            self.env["collection.dispute"].with_user(self.officer).create(
                {
                    "case_id": self.case.id,
                    "move_id": self.invoice.id,
                    "amount": 200,
                    "channel": "letter",
                }
            )
        contact = self._contacts("disputed")
        self.assertEqual(contact.channel, "letter")
        self.assertFalse(contact.compliance_breach)

    def test_log_a_contact_disputing_logs_one_contact(self):
        with freeze_time(LATE):
            wizard = (
                self.env["collection.contact.wizard"]
                .with_user(self.officer)
                .create(
                    {
                        "case_id": self.case.id,
                        "channel": "phone",
                        "outcome": "disputed",
                        "dispute_move_ids": [Command.set(self.invoice.ids)],
                    }
                )
            )
            wizard.action_log()
        contact = self._contacts("disputed")
        self.assertEqual(len(contact), 1, "the wizard's entry, not a second one")
        self.assertTrue(contact.compliance_breach)
        self.assertEqual(self.case.dispute_ids.channel, "phone")

    def test_a_context_default_date_is_judged_as_recorded(self):
        late = LATE - timedelta(days=1)
        contact = (
            self.env["collection.contact"]
            .with_user(self.officer)
            .with_context(default_date=late.strftime("%Y-%m-%d %H:%M:%S"))
            .create({"case_id": self.case.id, "channel": "phone", "outcome": "spoke"})
        )
        self.assertEqual(contact.date, late)
        self.assertTrue(contact.compliance_breach, "judged at the date recorded, not now")
