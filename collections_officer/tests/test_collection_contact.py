from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon

NOON = datetime(2026, 6, 30, 12, 0)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionContact(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1000, due_days_ago=20)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _log(self, user=None, **vals):
        wizard = (
            self.env["collection.contact.wizard"]
            .with_user(user or self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "channel": "phone",
                    "partner_id": self.contact.id,
                    "outcome": "spoke",
                    **vals,
                }
            )
        )
        wizard.action_log()
        return self.case.contact_ids.sorted("id")[-1:]

    def test_a_call_is_logged_and_posted_on_the_chatter(self):
        contact = self._log(note="<p>Will check with accounting</p>")
        self.assertEqual((contact.channel, contact.outcome), ("phone", "spoke"))
        self.assertEqual(contact.user_id, self.officer)
        self.assertEqual(contact.partner_id, self.contact)
        body = str(self.case.message_ids[0].body)
        self.assertIn("Phone - Spoke", body)
        self.assertIn("Will check with accounting", body)

    def test_an_officer_logs_only_what_a_person_reports(self):
        offered = dict(
            self.env["collection.contact.wizard"]
            ._fields["outcome"]
            ._description_selection(self.env)
        )
        self.assertIn("paid", offered)
        self.assertNotIn("sent", offered, "written by the follow-up run")
        self.assertNotIn("blocked", offered, "written by the compliance guard")
        with self.assertRaisesRegex(ValidationError, "Only what was said or done"):
            self._log(outcome="sent")

    def test_a_promise_from_a_call(self):
        contact = self._log(
            outcome="promised", promise_amount=400, promise_date=TODAY + timedelta(days=5)
        )
        promise = self.env["collection.promise"].search([("case_id", "=", self.case.id)])
        self.assertEqual((promise.amount, promise.date), (400, TODAY + timedelta(days=5)))
        self.assertEqual(promise.contact_log_id, contact)
        self.assertEqual(len(self.case.contact_ids), 1, "one contact, not two")
        self.assertEqual(self.case.state, "promised")

    def test_a_promise_needs_a_positive_amount_and_a_future_date(self):
        with self.assertRaisesRegex(ValidationError, "positive"):
            self._log(outcome="promised", promise_amount=0, promise_date=TODAY)
        with self.assertRaisesRegex(ValidationError, "today or later"):
            self._log(outcome="promised", promise_amount=10, promise_date=TODAY - timedelta(days=1))
        self.assertFalse(self.case.contact_ids, "nothing logged")

    def test_a_dispute_puts_the_case_on_hold(self):
        self._log(outcome="disputed", note="<p>Goods damaged</p>")
        self.assertEqual(self.case.state, "hold")
        self.assertIn("Goods damaged", self.case.hold_reason)

    def test_a_contact_person_of_another_customer_is_refused(self):
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        with self.assertRaisesRegex(ValidationError, "not a contact of"):
            self._log(partner_id=stranger.id)

    def test_a_contact_in_the_future_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "future"):
            self._log(date=NOON + timedelta(hours=2))

    def test_the_log_is_history(self):
        contact = self._log()
        with self.assertRaises(AccessError):
            contact.with_user(self.officer).unlink()
        with self.assertRaisesRegex(UserError, "cannot change"):
            contact.with_user(self.officer).channel = "email"
        contact.with_user(self.officer).note = "<p>Completed</p>"
        with self.assertRaises(AccessError):
            contact.with_user(self.manager).unlink()

    def test_the_guard_blocks_an_officer_and_a_manager_overrides_it(self):
        self.customer.collection_do_not_contact = True
        with self.assertRaisesRegex(UserError, "must not be contacted"):
            self._log()
        self.assertFalse(self.case.contact_ids)
        contact = self._log(user=self.manager, override_reason="Customer called us back")
        self.assertIn("Customer called us back", contact.compliance_override)
        inbound = self._log(direction="inbound")
        self.assertEqual(inbound.direction, "inbound", "the customer may always call us")

    def test_contacts_of_another_company_are_invisible(self):
        self._log()
        other = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env,
            login="co_outsider",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(self.env["collection.contact"].with_user(outsider).search([]))
