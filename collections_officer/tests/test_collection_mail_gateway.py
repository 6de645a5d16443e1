from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import TODAY, morning
from .test_collection_followup import FollowupCommon

REPLY = """From: Jane at Acme <jane@acme.example.com>
To: {to}
Subject: {subject}
Message-Id: <{name}@acme.example.com>
In-Reply-To: {parent}
References: {parent}
Date: Tue, 30 Jun 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
{headers}
We paid the invoice last week: the remittance advice follows.
"""

BOUNCE = """From: MAILER-DAEMON@mail.acme.example.com
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-Id: <bounce-{name}@mail.acme.example.com>
Date: Tue, 30 Jun 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

This is the mail system: your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.acme.example.com

Final-Recipient: rfc822; {email}
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Type: text/rfc822-headers

Message-Id: {parent}
To: {email}
Subject: Reminder

--BOUNDARY--
"""


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionMailGateway(FollowupCommon):
    """The customer's e-mail system answers through Odoo's mail gateway: replies hold the
    next level until read, automatic replies do not, bounces send the next level on paper."""

    def setUp(self):
        super().setUp()
        self.contact.email = "jane@acme.example.com"
        self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})
        self._run()
        self.sent = self._followups()
        self.assertEqual(self.sent.state, "done")
        self.assertTrue(self.sent.message_id.message_id, "the e-mail has a Message-Id")

    def _receive(self, template, **values):
        values = {"to": self.officer.email or "officer@example.com", "headers": ""} | values
        raw = template.format(parent=self.sent.message_id.message_id, **values)
        return self.env["mail.thread"].message_process(None, raw)

    def _reply(self, name="reply", subject="Re: Reminder", headers=""):
        self._receive(REPLY, name=name, subject=subject, headers=headers)
        return self.case.message_ids.filtered(
            lambda m: m.message_id == f"<{name}@acme.example.com>"
        )

    def _replies_logged(self):
        return self.env["collection.contact"].search(
            [("case_id", "=", self.case.id), ("direction", "=", "inbound")]
        )

    def _level_two_day(self):
        # The second level is due 14 days after the first (21 - 7 days).
        return freeze_time(TODAY + timedelta(days=14))

    # ------------------------------------------------------------------ replies

    def test_a_reply_lands_on_the_case_and_holds_the_next_level(self):
        message = self._reply(subject="Re: Reminder - we paid")
        self.assertTrue(message, "the reply is routed to the case of the e-mail it answers")
        self.assertEqual(message.author_id, self.contact)
        contact = self._replies_logged()
        self.assertRecordValues(
            contact,
            [
                {
                    "channel": "email",
                    "outcome": "replied",
                    "partner_id": self.contact.id,
                    "message_id": message.id,
                    "user_id": self.officer.id,
                }
            ],
        )
        activity = self.case.activity_ids.filtered(lambda a: "replied" in (a.summary or ""))
        self.assertEqual(activity.summary, "Customer replied: Re: Reminder - we paid")
        self.assertEqual(activity.user_id, self.officer)
        self.assertTrue(self.case.reply_pending)
        self.assertTrue(self.case.reply_date)
        self.assertIn("customer replied", self.case.followup_blocked_reason)
        level, _resend, reason = self.case._get_manual_levels()[self.case.id]
        self.assertFalse(level, "Send Follow-up Now waits too")
        self.assertIn("Mark Reply Read", reason)
        with self._level_two_day():
            self._run()
            self.assertEqual(self.case.level_id, self.level_1, "the second level is held")
            self.case.with_user(self.officer).action_mark_reply_read()
            self.assertFalse(self.case.reply_pending)
            self.assertFalse(activity.active, "the reply's to-do is done")
            self._run()
            self.assertEqual(self.case.level_id, self.level_2, "read: the levels go on")

    def test_the_reply_to_do_marked_done_releases_the_level(self):
        self._reply()
        activity = self.case.reply_activity_id
        self._reply(name="reply-again", subject="Re: Reminder (bis)")
        self.assertEqual(self.case.reply_activity_id, activity, "one to-do for unread replies")
        self.assertEqual(activity.summary, "Customer replied: Re: Reminder (bis)")
        self.assertEqual(len(self._replies_logged()), 2, "each reply is a contact")
        activity.with_user(self.officer).action_feedback(feedback="Called them back.")
        self.assertFalse(self.case.reply_pending)
        self.assertFalse(self.case.followup_blocked_reason)
        with self._level_two_day():
            self._run()
            self.assertEqual(self.case.level_id, self.level_2)

    def test_a_dry_run_shows_the_level_a_reply_holds(self):
        self._reply()
        self.company.collection_followup_live = False
        with self._level_two_day():
            self._run()
            preview = self._followups().filtered(lambda f: f.state == "preview")
            self.assertEqual(preview.level_id, self.level_2)
            self.assertIn("customer replied", preview.blocked_reason)
            self.assertEqual(self.case.level_id, self.level_1)

    def test_officers_clear_the_reply_only_with_its_button(self):
        self._reply()
        for values in ({"reply_pending": False}, {"reply_activity_id": False}):
            with self.subTest(values=values), self.assertRaises(UserError):
                self.case.with_user(self.officer).write(values)
        self.assertTrue(self.case.reply_pending)
        with self.assertRaises(UserError):
            self.case.with_user(self.officer).write({"email_bounced": False})

    def test_automatic_replies_are_only_noted(self):
        cases = [
            ("by-header", "Re: Reminder", "Auto-Submitted: auto-replied\n"),
            ("by-autoreply", "Re: Reminder", "X-Autoreply: yes\n"),
            ("by-precedence", "Re: Reminder", "Precedence: auto_reply\n"),
            ("by-exchange", "Re: Reminder", "X-Auto-Response-Suppress: All\n"),
            ("out-of-office", "Out of Office: Reminder", ""),
            ("german", "Abwesenheitsnotiz: Reminder", ""),
            ("french", "Réponse automatique : Reminder", ""),
        ]
        for name, subject, headers in cases:
            with self.subTest(name=name):
                message = self._reply(name=name, subject=subject, headers=headers)
                self.assertTrue(message, "kept in the chatter")
                self.assertIn("Automatic reply", self.case.message_ids[0].body)
        self.assertFalse(self._replies_logged(), "no contact")
        self.assertFalse(self.case.activity_ids.filtered(lambda a: "replied" in a.summary))
        self.assertFalse(self.case.reply_pending, "nothing held")
        with self._level_two_day():
            self._run()
            self.assertEqual(self.case.level_id, self.level_2)

    def test_auto_submitted_no_is_a_person_writing(self):
        self._reply(headers="Auto-Submitted: no\n")
        self.assertTrue(self.case.reply_pending)

    def test_a_colleague_answering_by_email_holds_nothing(self):
        self.officer.email = "officer@mycompany.example.com"
        raw = REPLY.format(
            to="customer@example.com",
            subject="Re: Reminder",
            name="colleague",
            parent=self.sent.message_id.message_id,
            headers="",
        ).replace("Jane at Acme <jane@acme.example.com>", "Officer <officer@mycompany.example.com>")
        self.env["mail.thread"].message_process(None, raw)
        self.assertFalse(self._replies_logged())
        self.assertFalse(self.case.reply_pending)

    # ------------------------------------------------------------------ bounces

    def _bounce(self):
        with mute_logger("odoo.addons.mail.models.mail_thread"):
            self._receive(BOUNCE, name="1", email="acme@example.com")

    def test_a_bounce_sends_the_next_level_as_a_letter_until_the_address_is_corrected(self):
        self.assertFalse(self.case.email_failing)
        self._bounce()
        self.assertEqual(self.customer.message_bounce, 1)
        self.assertTrue(self.case.email_failing)
        self.assertIn("acme@example.com", self.case.email_failing_note)
        with self._level_two_day():
            wizard = (
                self.env["collection.send.wizard"]
                .with_user(self.manager)
                .with_context(active_model="collection.case", active_ids=self.case.ids)
                .create({"override_reason": "Check the preview"})
            )
            self.assertIn("e-mail address failing: sent as a letter", wizard.preview)
            self.assertFalse(wizard.is_composed, "no e-mail is composed")
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_2)
            self.assertEqual(followup.state, "done")
            self.assertEqual(followup.channel_note, "e-mail address failing: sent as a letter")
            self.assertTrue(followup.letter_to_print, "the e-mail went as a letter")
            self.assertFalse(followup.message_id, "no e-mail into the void")
            self.assertIn("letter", followup.done_actions.split(","))
            self.assertNotIn("email", followup.done_actions.split(","))
            self.assertIn(
                "e-mail address failing: sent as a letter",
                self.case.message_ids.filtered(lambda m: "Second" in (m.body or ""))[:1].body,
            )
            letters = self.env["collection.contact"].search(
                [("followup_id", "=", followup.id), ("channel", "=", "letter")]
            )
            self.assertTrue(letters, "the letter is logged as the contact")
            # The customer gives a new address: e-mails go again.
            self.customer.email = "accounts@acme.example.com"
            self.assertFalse(self.case.email_failing)
            self.assertFalse(self.case._get_email_fallbacks({self.case.id: self.level_2}))
            wizard = (
                self.env["collection.send.wizard"]
                .with_user(self.officer)
                .with_context(active_model="collection.case", active_ids=self.case.ids)
                .create({})
            )
            self.assertNotIn("sent as a letter", wizard.preview)
            self.assertTrue(wizard.is_composed, "the e-mail is composed again")
            wizard.action_send()
            resend = self._followups().filtered("resend")
            self.assertEqual(resend.state, "done")
            self.assertFalse(resend.channel_note)
            self.assertIn("email", resend.done_actions.split(","))
            self.assertTrue(resend.message_id, "e-mailed")

    def test_a_bounce_goes_by_sms_when_the_level_has_one(self):
        self.level_2.sms_template_id = self.sms_template
        self._bounce()
        # In the day: texts keep the contact hours.
        with freeze_time(morning(TODAY + timedelta(days=14)) + timedelta(hours=3)):
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_2)
            self.assertEqual(followup.channel_note, "e-mail address failing: sent by SMS")
            self.assertEqual(set(followup.done_actions.split(",")), {"sms", "call"})
            self.assertFalse(followup.letter_to_print)

    def test_a_blacklisted_address_is_failing(self):
        self.assertFalse(self.case.email_failing)
        self.env["mail.blacklist"].sudo()._add("acme@example.com")
        self.env.invalidate_all()
        self.assertTrue(self.case.email_failing)

    # ------------------------------------------------------------------ preference

    def test_a_customer_who_wants_paper_gets_letters(self):
        self.customer.collection_channel_preference = "letter"
        with self._level_two_day():
            self._run()
            followup = self._followups().filtered(lambda f: f.level_id == self.level_2)
            self.assertEqual(
                followup.channel_note, "the customer asked for paper: sent as a letter"
            )
            self.assertTrue(followup.letter_to_print)
            self.assertFalse(followup.message_id)
        self.customer.collection_channel_preference = "email"
        self.assertFalse(self.case._get_email_fallbacks({self.case.id: self.level_2}))
