from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import format_date

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionLegalUi(CollectionsBrowserCase):
    """A manager takes an escalated case to legal action and sends the letter before
    action from the screens, without an external party."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("legal_officer")
        cls.manager = cls._browser_user("legal_manager", manager=True)
        # The letter leaves whatever the hour and the day the browser runs on.
        cls.env.company.write(
            {
                "collection_email_hour_start": 0.0,
                "collection_email_hour_end": 24.0,
                "collection_contact_days": "all",
            }
        )

    def test_manager_sends_the_letter_before_action_of_an_escalation(self):
        case = self._overdue_case("Legal Debtor", 1800, days=75, email="ap@legal.example")
        case.write({"user_id": self.officer.id})
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": case.id, "reason": "unwilling", "note": "Refused on three calls."}
        ).action_escalate()
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_escalation_action",
            "collections_officer_legal_start",
            login=self.manager.login,
        )
        legal = case.legal_ids
        today = case.company_id._collection_today()
        self.assertRecordValues(
            legal,
            [{"legal_type": "notice", "state": "notice_sent", "notice_date": today}],
        )
        self.assertFalse(legal.party_id)
        self.assertEqual(case.escalation_ids.decision, "legal")
        email = case.message_ids.filtered(lambda m: legal.name in (m.subject or ""))
        self.assertEqual(email.partner_ids, case.partner_id)
        self.assertEqual(len(email.attachment_ids), 3)
        deadline = today + timedelta(days=case.company_id.collection_legal_reply_days)
        self.assertIn(format_date(self.env, deadline, date_format="long"), email.body)
