from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionFollowupBeforeDue(FollowupCommon):
    """A level with a negative delay reminds the customer before the due date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_0 = cls.env["collection.level"].create(
            {
                "name": "Due soon",
                "policy_id": cls.policy.id,
                "delay_days": -5,
                "send_email": True,
                "mail_template_id": cls.env.ref(
                    "collections_officer.mail_template_collection_upcoming"
                ).id,
                "attach_statement": False,
                "attach_invoices": True,
            }
        )

    def _remind_before_due(self):
        self.invoice = self._post_invoice(800, due_days_ago=-3)
        self._refresh()
        self.case = self._case()
        self._run()

    def test_a_customer_is_reminded_before_the_due_date(self):
        self._post_invoice(300, due_days_ago=-10, partner=self.other_customer)
        self._remind_before_due()
        self.assertEqual(self.case.state, "upcoming")
        self.assertEqual(self.case.next_due_date, TODAY + timedelta(days=3))
        self.assertEqual(self.case.overdue_amount, 0)
        self.assertFalse(self._case(self.other_customer), "due in 10 days, beyond the reminder")
        self.assertEqual(self._followups().level_id, self.level_0)
        self.assertEqual(self._followups().state, "done")
        email = self._emails()
        self.assertEqual(len(email), 1)
        self.assertIn("fall due soon", email.body)
        self.assertTrue(self.invoice.invoice_pdf_report_id, "the invoice PDF is kept on it")
        self.assertEqual(email.attachment_ids, self.invoice.invoice_pdf_report_id)
        self.assertEqual(email.attachment_ids.mimetype, "application/pdf")
        self.assertIn("invoices concerned are attached", email.body)
        self.assertNotIn("statement", email.body, "the level attaches no statement")
        self._refresh()
        self._run()
        self.assertEqual(len(self._emails()), 1, "reminded once")
        with freeze_time(TODAY + timedelta(days=6)):
            self._refresh()
            other_case = self._case(self.other_customer)
            self.assertEqual(other_case.state, "upcoming", "due in 4 days now")
            self.assertEqual(other_case.next_due_date, TODAY + timedelta(days=10))

    def test_follow_up_goes_on_once_the_item_is_overdue(self):
        self._remind_before_due()
        with freeze_time(TODAY + timedelta(days=9)):
            self._refresh()
            self.assertEqual(self.case.state, "open")
            self.assertIn("follow-up starts", self.case.message_ids[0].body)
            self._run()
            self.assertEqual(self.case.level_id, self.level_0, "6 days late: not yet 7")
        with freeze_time(TODAY + timedelta(days=10)):
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_1)
        self.assertEqual(len(self._followups()), 2)
        self.assertEqual(self._case(), self.case, "the same case all along")

    def test_an_overdue_customer_is_not_reminded_of_a_due_date_past(self):
        self._post_invoice(500, due_days_ago=10)
        self._post_invoice(200, due_days_ago=-2)
        self._refresh()
        self.case = self._case()
        self.assertEqual(self.case.state, "open")
        self._run()
        self.assertEqual(self._followups().level_id, self.level_1)

    def test_paid_before_the_due_date_the_case_closes(self):
        self._remind_before_due()
        self._pay(self.invoice, 800)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.followup_cycle, 1)
        self.assertFalse(self.case.level_id)

    def test_an_overdue_case_paid_with_an_item_due_soon_restarts_with_the_reminders(self):
        late = self._post_invoice(500, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self._run()
        self.assertEqual(self.case.level_id, self.level_1)
        self._post_invoice(200, due_days_ago=-2)
        self._pay(late, 500)
        self._refresh()
        self.assertEqual(self.case.state, "upcoming")
        self.assertEqual(self.case.followup_cycle, 1)
        self._run()
        self.assertEqual(self.case.level_id, self.level_0)

    def test_no_case_before_the_due_date_without_a_reminder_level(self):
        no_reminder = self.env["collection.policy"].create({"name": "No reminder"})
        self.env["collection.level"].create(
            {
                "name": "Late",
                "policy_id": no_reminder.id,
                "delay_days": 7,
                "send_email": True,
                "mail_template_id": self.template.id,
            }
        )
        self.customer.collection_policy_id = no_reminder
        self._post_invoice(800, due_days_ago=-3)
        self._post_invoice(300, due_days_ago=-3, partner=self.other_customer)
        self._refresh()
        self.assertFalse(self._case(), "the customer's own policy has no reminder before due")
        self.assertEqual(self._case(self.other_customer).state, "upcoming")
        self.level_0.unlink()
        self._refresh()
        self.assertEqual(self._case(self.other_customer).state, "closed")

    def test_the_statement_of_a_case_due_soon_says_nothing_is_overdue(self):
        self._remind_before_due()
        report = "collections_officer.action_report_collection_statement"
        html = str(self.env["ir.actions.report"]._render_qweb_html(report, self.case.ids)[0])
        self.assertIn("Nothing is overdue", html)
        self.assertNotIn("ignore the overdue amounts", html)

    def test_the_letter_of_a_case_due_soon_asks_to_pay_by_the_due_date(self):
        self._remind_before_due()
        report = "collections_officer.action_report_collection_letter"
        level = self.env["collection.level"].create(
            {"name": "Letter", "policy_id": self.policy.id, "delay_days": -30, "print_letter": True}
        )
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": level.id})
        )
        html = str(self.env["ir.actions.report"]._render_qweb_html(report, followup.ids)[0])
        self.assertIn("fall due on the dates shown", html)
        self.assertNotIn("are overdue", html)
