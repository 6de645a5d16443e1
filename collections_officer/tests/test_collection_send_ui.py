from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionSendUi(CollectionsBrowserCase):
    def test_officer_sends_a_follow_up_with_an_edited_email(self):
        officer = self._browser_user("send_officer")
        case = self._overdue_case("Send Debtor", 900, days=12, email="send.debtor@example.com")
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_send_edited",
            login=officer.login,
        )
        followup = self.env["collection.followup"].search([("case_id", "=", case.id)])
        self.assertEqual(followup.state, "done")
        self.assertEqual(followup.sent_by_id, officer)
        self.assertEqual(followup.level_id, case.level_id)
        email = followup.message_id
        self.assertEqual(email.subject, "As agreed on the phone today")
        self.assertEqual(email.partner_ids, case.partner_id)
        self.assertTrue(email.attachment_ids.name.startswith("Statement"))
        mail = self.env["mail.mail"].search([("mail_message_id", "=", email.id)])
        self.assertEqual(mail.subject, "As agreed on the phone today")
        contact = followup.contact_ids
        self.assertEqual((contact.channel, contact.outcome), ("email", "sent"))

    def test_officer_sends_the_statement_from_the_case(self):
        officer = self._browser_user("statement_officer")
        case = self._overdue_case("Statement Debtor", 700, days=12, email="stmt@example.com")
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_send_statement",
            login=officer.login,
        )
        email = case.message_ids.filtered(lambda m: m.subject == "The statement you asked for")
        self.assertEqual(email.partner_ids, case.partner_id)
        self.assertTrue(email.attachment_ids.name.startswith("Statement"))
        self.assertEqual(
            (case.contact_ids.channel, case.contact_ids.outcome, case.contact_ids.user_id),
            ("email", "statement_sent", officer),
        )
        self.assertFalse(self.env["collection.followup"].search([("case_id", "=", case.id)]))
