import io
from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from .common import TODAY, CollectionsCommon, morning


class FollowupCommon(CollectionsCommon):
    """A policy of five levels as the company default, and a customer 10 days late."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Test reminder",
                "model_id": cls.env["ir.model"]._get_id("collection.case"),
                "subject": "Reminder {{ object.name }}",
                "body_html": "<p>You owe <t t-out='object.overdue_amount'/>.</p>",
            }
        )
        cls.sms_template = cls.env["sms.template"].create(
            {
                "name": "Test SMS",
                "model_id": cls.env["ir.model"]._get_id("collection.case"),
                "body": "Please pay {{ object.name }}",
            }
        )
        cls.team = cls.env["collection.team"].create(
            {"name": "Desk", "manager_id": cls.manager.id, "member_ids": [(4, cls.officer.id)]}
        )
        cls.policy = cls.env["collection.policy"].create(
            {"name": "Test policy", "cc_emails": "credit@example.com"}
        )
        level = cls.env["collection.level"]
        cls.level_1 = level.create(
            {
                "name": "Reminder",
                "policy_id": cls.policy.id,
                "delay_days": 7,
                "send_email": True,
                "mail_template_id": cls.template.id,
                "attach_statement": True,
            }
        )
        cls.level_2 = level.create(
            {
                "name": "Second",
                "policy_id": cls.policy.id,
                "delay_days": 21,
                "send_email": True,
                "mail_template_id": cls.template.id,
                "attach_statement": False,
                "schedule_call": True,
            }
        )
        cls.level_3 = level.create(
            {
                "name": "Final notice",
                "policy_id": cls.policy.id,
                "delay_days": 35,
                "print_letter": True,
                "letter_title": "Final notice",
                "send_sms": True,
                "sms_template_id": cls.sms_template.id,
            }
        )
        cls.level_4 = level.create(
            {"name": "Manager", "policy_id": cls.policy.id, "delay_days": 50, "alert_manager": True}
        )
        cls.level_5 = level.create(
            {
                "name": "Legal",
                "policy_id": cls.policy.id,
                "delay_days": 60,
                "propose_legal": True,
                "credit_hold": True,
            }
        )
        cls.company.collection_policy_id = cls.policy
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.customer.write({"email": "acme@example.com", "phone": "+32470000000"})
        cls.env["collection.policy"].search([("id", "!=", cls.policy.id)]).active = False

    def _run(self, cases=None):
        return self.env["collection.run"]._run_company(self.company, cases=cases)

    def _followups(self, case=None):
        return self.env["collection.followup"].search([("case_id", "=", (case or self.case).id)])

    def _emails(self, case=None):
        return (case or self.case).message_ids.filtered(
            lambda m: m.message_type == "comment" and m.partner_ids
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionFollowup(FollowupCommon):
    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer
        self.case.team_id = self.team

    def test_first_level_emails_the_customer_with_the_statement(self):
        self._run()
        followup = self._followups()
        self.assertEqual(followup.level_id, self.level_1)
        self.assertEqual(followup.state, "done")
        self.assertEqual(self.case.level_id, self.level_1)
        self.assertEqual(self.case.level_date, TODAY)
        email = self._emails()
        self.assertEqual(len(email), 1)
        self.assertEqual(email.partner_ids, self.customer)
        self.assertIn(self.case.name, email.subject)
        self.assertIn("credit@example.com", email.outgoing_email_to)
        self.assertEqual(len(email.attachment_ids), 1)
        self.assertTrue(email.attachment_ids.name.startswith("Statement"))
        self.assertEqual(email.attachment_ids.mimetype, "application/pdf")
        mails = self.env["mail.mail"].search([("mail_message_id", "=", email.id)])
        self.assertTrue(mails, "the e-mail is queued")
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertIn("credit@example.com", "".join(mails.mapped(lambda m: m.email_to or "")))
        contact = followup.contact_ids
        self.assertEqual((contact.channel, contact.outcome), ("email", "sent"))
        self.assertEqual(contact.level_id, self.level_1)

    def test_statements_rendered_together_are_split_per_case(self):
        others = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "email": f"b{i}@example.com"} for i in range(2)]
        )
        for partner in others:
            self._post_invoice(300, due_days_ago=9, partner=partner)
        self._refresh()
        cases = self.case | self.Case.search([("partner_id", "in", others.ids)])
        pdfs = self.env[
            "report.collections_officer.report_collection_statement"
        ]._render_statements(cases)
        self.assertEqual(set(pdfs), set(cases.ids))
        for case in cases:
            reader = PdfFileReader(io.BytesIO(pdfs[case.id]))
            text = "".join(page.extract_text() for page in reader.pages)
            self.assertIn(case.name, text)
            for other in cases - case:
                self.assertNotIn(other.name, text)

    def test_the_collections_contact_receives_the_email(self):
        self.contact.email = "jane@example.com"
        self.customer.collection_contact_id = self.contact
        self._run()
        self.assertEqual(self._emails().partner_ids, self.contact)

    def test_running_twice_sends_nothing_twice(self):
        self._run()
        self._run()
        self.assertEqual(len(self._followups()), 1)
        self.assertEqual(len(self._emails()), 1)
        self.assertEqual(len(self.env["collection.run"].search([("date", "=", TODAY)])), 1)

    def test_the_database_refuses_a_level_twice_in_a_cycle(self):
        self._run()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["collection.followup"].sudo().create(
                {"case_id": self.case.id, "level_id": self.level_1.id, "cycle": 0}
            )
            self.env.flush_all()

    def test_levels_progress_one_at_a_time_and_never_skip(self):
        self._post_invoice(500, due_days_ago=45)
        self._refresh()
        self._run()
        self.assertEqual(self.case.level_id, self.level_1, "no level is skipped")
        self._run()
        self.assertEqual(len(self._followups()), 1)
        # The second level waits for the days between the two levels (21 - 7).
        with freeze_time(TODAY + timedelta(days=13)):
            self._run()
            self.assertEqual(self.case.level_id, self.level_1)
        with freeze_time(TODAY + timedelta(days=14)):
            self._run()
            self.assertEqual(self.case.level_id, self.level_2)
            self.assertEqual(
                self.case.activity_ids.activity_type_id,
                self.env.ref("mail.mail_activity_data_call"),
            )
            self.assertEqual(self.case.activity_ids.user_id, self.officer)

    def test_a_case_never_goes_back_a_level(self):
        old = self._post_invoice(500, due_days_ago=45)
        self._refresh()
        self._run()
        with freeze_time(TODAY + timedelta(days=14)):
            self._run()
            self._pay(old, 500)
            self._refresh()
            self._run()
            self.assertEqual(self.case.days_overdue, 24, "the oldest item is now younger")
        self.assertEqual(self.case.level_id, self.level_2, "not back to the first level")
        self.assertEqual(len(self._followups()), 2)
        with freeze_time(TODAY + timedelta(days=30)):
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_3, "oldest item 40 days late")

    def test_letter_sms_manager_alert_legal_and_credit_hold(self):
        self.case.sudo().write(
            {"level_id": self.level_2.id, "level_date": TODAY - timedelta(days=30)}
        )
        day = datetime.combine(TODAY + timedelta(days=30), datetime.min.time())
        with freeze_time(day + timedelta(hours=3)):
            # 03:00 in the customer's timezone (UTC): the SMS waits for 08:00.
            self._refresh()
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_3)
            self.assertEqual(followup.state, "pending")
            self.assertEqual(followup.defer_until, day + timedelta(hours=8))
            self.assertEqual(followup.done_actions, "letter")
            self.assertEqual(self.case.level_id, self.level_3, "the level went ahead")
            self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.customer.id)]))
        deferred_cron = self.env.ref("collections_officer.ir_cron_collection_followup_deferred")
        with freeze_time(day + timedelta(hours=7)), self.enter_registry_test_mode():
            deferred_cron.method_direct_trigger()
        self.assertEqual(followup.state, "pending", "not before the window opens")
        with freeze_time(day + timedelta(hours=8, minutes=5)):
            with self.enter_registry_test_mode():
                deferred_cron.method_direct_trigger()
            self.assertEqual(followup.state, "done")
            self.assertTrue(followup.letter_to_print)
            sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
            self.assertEqual(sms.state, "outgoing", "queued, sent by the SMS provider later")
            self.assertIn(self.case.name, sms.body)
            action = followup.action_print_letters()
            self.assertEqual(action["report_name"], "collections_officer.report_collection_letter")
            self.assertTrue(followup.letter_printed)
            self.assertEqual(
                set(followup.contact_ids.mapped("channel")), {"letter", "sms"}, "both logged"
            )
        with freeze_time(TODAY + timedelta(days=45)):
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_4)
            self.assertEqual(self.case.state, "escalated")
            alert = self.case.activity_ids.filtered(lambda a: a.user_id == self.manager)
            self.assertTrue(alert)
        with freeze_time(TODAY + timedelta(days=55)):
            self._refresh()
            self._run()
            self.assertEqual(
                self.case.level_id, self.level_4, "no level while the manager has not decided"
            )
            escalation = self.env["collection.escalation"].search(
                [("case_id", "=", self.case.id), ("state", "=", "pending")]
            )
            escalation.with_user(self.manager)._decide("officer", "Carry on with the levels")
            self._run()
            self.assertEqual(self.case.level_id, self.level_5)
            self.assertTrue(self.customer.collection_credit_hold)
            notes = "".join(str(body) for body in self.case.message_ids.mapped("body"))
            self.assertIn("legal action", notes)
            self.assertIn("on credit hold", notes)

    def test_a_level_with_a_charge_invoices_the_fee_once(self):
        rule = self.env["collection.charge.rule"].create({"name": "Fee", "fee_amount": 40})
        self.level_1.charge_rule_id = rule
        self._run()
        followup = self._followups()
        self.assertEqual(followup.state, "done")
        charge = followup.charge_move_ids
        self.assertEqual(len(charge), 1)
        self.assertEqual(charge.move_type, "out_invoice")
        self.assertEqual(charge.state, "posted")
        self.assertEqual(charge.partner_id, self.customer)
        self.assertEqual(charge.amount_total, 40)
        self._run()
        self.assertEqual(
            self.env["account.move"].search_count(
                [("partner_id", "=", self.customer.id), ("amount_total", "=", 40)]
            ),
            1,
            "never invoiced twice",
        )

    def test_a_charge_the_books_refuse_fails_its_follow_up_not_the_run(self):
        self.level_1.charge_rule_id = self.env["collection.charge.rule"].create(
            {"name": "Fee", "fee_amount": 40}
        )
        self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")]
        ).active = False
        self._run()
        followup = self._followups()
        self.assertEqual(followup.state, "failed")
        self.assertIn("charge failed", followup.error)
        self.assertEqual(len(self._emails()), 1, "the e-mail still went")
        self.assertFalse(self.env["collection.charge"].search([("case_id", "=", self.case.id)]))

    def test_manual_customer_is_prepared_for_review_then_sent(self):
        self.customer.collection_followup_mode = "manual"
        self._run()
        followup = self._followups()
        self.assertEqual(followup.state, "to_review")
        self.assertFalse(self._emails(), "nothing sent before the review")
        self.assertFalse(self.case.level_id)
        self._run()
        self.assertEqual(len(self._followups()), 1, "prepared once")
        followup.with_user(self.officer).action_send()
        self.assertEqual(followup.state, "done")
        self.assertEqual(len(self._emails()), 1)
        self.assertEqual(self.case.level_id, self.level_1)
        self.assertEqual(followup.sent_by_id, self.officer)

    def test_skipping_a_prepared_level(self):
        self.customer.collection_followup_mode = "manual"
        self._run()
        self._followups().action_cancel()
        self.assertEqual(self._followups().state, "cancelled")
        self.assertIn("cancelled by", self.case.message_ids[0].body)
        self.assertEqual(self.case.level_id, self.level_1, "the next run goes on from here")
        self._run()
        self.assertEqual(len(self._followups()), 1)

    def test_send_now_on_a_selection(self):
        other = self.env["res.partner"].create({"name": "Other", "email": "o@example.com"})
        self._post_invoice(300, due_days_ago=3, partner=other)
        self._refresh()
        other_case = self._case(other)
        cases = self.case | other_case
        wizard = (
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(active_model="collection.case", active_ids=cases.ids)
            .create({})
        )
        self.assertIn("Nothing is due yet", wizard.preview)
        with self.assertRaisesRegex(UserError, "Nothing is due yet"):
            wizard.action_send()
        wizard.case_ids = self.case
        wizard.action_send()
        self.assertEqual(self.case.level_id, self.level_1)
        self._run()
        self.assertEqual(len(self._emails()), 1, "the daily run does not send it again")
        # Sending now again, another day, repeats the current level on purpose.
        with freeze_time(TODAY + timedelta(days=1)):
            resend = self.env["collection.send.wizard"].create({"case_ids": self.case.ids})
            self.assertIn("again", resend.preview)
            resend.action_send()
        self.assertEqual(len(self._emails()), 2)
        self.assertEqual(len(self._followups().filtered("resend")), 1)

    def test_an_officer_sends_the_legal_level_with_its_credit_hold(self):
        self.case.sudo().write(
            {"level_id": self.level_4.id, "level_date": TODAY - timedelta(days=60)}
        )
        with freeze_time(TODAY + timedelta(days=55)):
            self._refresh()
            wizard = (
                self.env["collection.send.wizard"]
                .with_user(self.officer)
                .create({"case_ids": self.case.ids})
            )
            wizard.action_send()
            self.assertEqual(self.case.level_id, self.level_5)
            self.assertTrue(self.customer.collection_credit_hold)
            proposal = self.case.activity_ids.filtered(lambda a: "legal" in (a.summary or ""))
            self.assertEqual(proposal.user_id, self.manager, "the team manager decides")

    def test_an_email_failure_is_logged_and_the_run_goes_on(self):
        other = self.env["res.partner"].create({"name": "No Mail Ltd"})
        self._post_invoice(300, due_days_ago=9, partner=other)
        self._refresh()
        other_case = self._case(other)
        self._run()
        failed = self._followups(other_case)
        self.assertEqual(failed.state, "failed")
        self.assertIn("no e-mail address", failed.error)
        self.assertIn("no e-mail address", other_case.message_ids[0].body)
        statements = self.env["ir.attachment"].search(
            [("res_model", "=", "collection.case"), ("res_id", "=", other_case.id)]
        )
        self.assertFalse(statements, "no statement rendered for an e-mail that cannot go out")
        self.assertEqual(self._followups().state, "done", "the other case was sent")
        self._run()
        self.assertEqual(len(self._followups(other_case)), 1, "not retried every day")
        other.email = "nomail@example.com"
        failed.action_send()
        self.assertEqual(failed.state, "done")

    def test_an_email_that_cannot_be_written_fails_alone(self):
        broken = self.env["res.partner"].create({"name": "Broken Ltd", "email": "b@example.com"})
        self._post_invoice(300, due_days_ago=9, partner=broken)
        self._refresh()
        broken_case = self._case(broken)
        # The e-mails of the batch are written together: this one cannot be.
        self.template.body_html = (
            "<p>Owed: <t t-out='1 // (object.partner_id.name != \"Broken Ltd\")'/></p>"
        )
        self._run()
        self.assertEqual(self._followups(broken_case).state, "failed")
        self.assertFalse(self._emails(broken_case))
        self.assertEqual(self._followups().state, "done", "the other case was sent")
        self.assertEqual(len(self._emails()), 1)
        self.assertEqual(self._followups().message_id, self._emails())

    def test_a_guarded_case_is_blocked_and_logged_once(self):
        self.case.breathing_space_until = TODAY + timedelta(days=30)
        self._run()
        self.assertFalse(self._followups(), "the daily run leaves it alone")
        wizard = self.env["collection.send.wizard"].create({"case_ids": self.case.ids})
        wizard.action_send()
        followup = self._followups()
        self.assertEqual(followup.state, "blocked")
        self.assertIn("Breathing space", followup.blocked_reason)
        blocked = followup.contact_ids
        self.assertEqual((blocked.outcome, blocked.channel), ("blocked", "email"))
        self.assertFalse(self._emails())
        self.assertFalse(self.case.level_id)
        followup.action_send()
        self.assertEqual(len(followup.contact_ids), 1, "the same reason is logged once")

    def test_a_level_blocked_on_two_channels_is_logged_once_per_channel(self):
        self.customer.collection_do_not_contact = True
        self.case.sudo().write(
            {"level_id": self.level_2.id, "level_date": TODAY - timedelta(days=30)}
        )
        noon = datetime.combine(TODAY + timedelta(days=30), datetime.min.time()) + timedelta(
            hours=12
        )
        with freeze_time(noon):
            self._refresh()
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_3)
            self.assertEqual(followup.state, "blocked")
            self.assertEqual(set(followup.contact_ids.mapped("channel")), {"letter", "sms"})
            self._run()
            followup.action_send()
            self.assertEqual(len(followup.contact_ids), 2, "each channel's reason logged once")

    def test_send_now_takes_over_a_deferred_follow_up(self):
        self.level_3.print_letter = False  # SMS only: deferred whole, the level waits
        self.case.sudo().write(
            {"level_id": self.level_2.id, "level_date": TODAY - timedelta(days=30)}
        )
        night = datetime.combine(TODAY + timedelta(days=30), datetime.min.time())
        with freeze_time(night + timedelta(hours=3)):
            self._refresh()
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_3)
            self.assertEqual(followup.state, "pending", "the SMS waits for the morning")
            self.assertEqual(self.case.level_id, self.level_2)
            self.env["collection.send.wizard"].create({"case_ids": self.case.ids}).action_send()
            self.assertEqual(
                self._followups().filtered(lambda f: f.level_id == self.level_3), followup
            )
        with freeze_time(night + timedelta(hours=9)):
            self.env["collection.send.wizard"].create({"case_ids": self.case.ids}).action_send()
            self.assertEqual(followup.state, "done")
            self.assertEqual(len(self._followups()), 1, "no second follow-up of the level")

    def test_promise_pauses_the_run(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=5)}
        )
        self._run()
        self.assertFalse(self._followups())

    def test_a_reopened_case_starts_the_levels_again(self):
        self._run()
        self._pay(self.invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertFalse(self.case.level_id)
        self.assertEqual(self.case.followup_cycle, 1)
        with freeze_time(TODAY + timedelta(days=20)):
            self._post_invoice(200, due_days_ago=8)
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_1)
        self.assertEqual(len(self._followups()), 2)

    def test_daily_cron_runs_every_company(self):
        cron = self.env.ref("collections_officer.ir_cron_collection_followup_run")
        # In the company's morning, once its day's refresh and judging are done.
        self._day_prepared()
        with freeze_time(morning()), self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.assertEqual(self.case.level_id, self.level_1)
        run = self.env["collection.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(run.done_count, 1)

    def test_bank_warning_is_shown_on_the_run_and_the_followups(self):
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "payment_ref": "Unknown transfer",
                "amount": 1000,
                "date": TODAY,
            }
        )
        self.customer.collection_followup_mode = "manual"
        run = self._run()
        self.assertTrue(run.bank_warning)
        self.assertEqual(self._followups().bank_warning, run.bank_warning)


@tagged("post_install", "-at_install")
class TestCollectionPolicyValidation(FollowupCommon):
    def test_a_level_without_any_action_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            self.env["collection.level"].create(
                {"name": "Idle", "policy_id": self.policy.id, "delay_days": 90}
            )

    def test_two_levels_with_the_same_delay_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "same|share"):
            self.env["collection.level"].create(
                {
                    "name": "Twin",
                    "policy_id": self.policy.id,
                    "delay_days": 7,
                    "schedule_call": True,
                }
            )

    def test_an_email_level_needs_its_template(self):
        with self.assertRaisesRegex(ValidationError, "template"):
            self.env["collection.level"].create(
                {"name": "Mail", "policy_id": self.policy.id, "delay_days": 90, "send_email": True}
            )

    def test_a_cc_that_is_not_an_email_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "not an e-mail address"):
            self.policy.cc_emails = "credit@example.com, not-an-address"

    def test_officers_read_policies_but_cannot_change_them(self):
        self.assertTrue(self.policy.with_user(self.officer).level_ids)
        with self.assertRaises(AccessError):
            self.policy.with_user(self.officer).name = "Mine"
