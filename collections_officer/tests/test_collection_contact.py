from datetime import datetime, timedelta

from odoo import Command
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
        self._last_result = wizard.action_log()
        return self.case.contact_ids.sorted("id")[-1:]

    def test_a_call_is_logged_and_posted_on_the_chatter(self):
        contact = self._log(note="<p>Will check with accounting</p>")
        self.assertEqual((contact.channel, contact.outcome), ("phone", "spoke"))
        self.assertEqual(contact.user_id, self.officer)
        self.assertEqual(contact.partner_id, self.contact)
        body = str(self.case.message_ids[0].body)
        self.assertIn("Phone: Spoke", body)
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

    def test_a_dispute_records_a_dispute_of_the_invoice(self):
        invoice = self.case.open_line_ids.move_id
        self._log(
            outcome="disputed",
            note="<p>Goods damaged</p>",
            dispute_move_ids=[Command.set(invoice.ids)],
        )
        self.assertEqual(self.case.state, "open", "disputes set apart invoices, not the case")
        self.assertEqual(self.case.dispute_ids.move_id, invoice)
        self.assertIn("Goods damaged", self.case.dispute_ids.description)

    def test_a_contact_person_of_another_customer_is_refused(self):
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        with self.assertRaisesRegex(ValidationError, "not a contact of"):
            self._log(partner_id=stranger.id)

    def test_a_contact_in_the_future_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "future"):
            self._log(date=NOON + timedelta(hours=2))

    def test_the_log_is_history(self):
        contact = self._log()
        for user in (self.officer, self.manager):
            for vals in (
                {"channel": "email"},
                {"outcome": "promised"},
                {"date": NOON - timedelta(days=1)},
                {"direction": "inbound"},
                {"partner_id": False},
                {"compliance_breach": True},
            ):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaisesRegex(UserError, "cannot be rewritten"):
                        contact.with_user(user).write(vals)
        self.assertEqual((contact.channel, contact.outcome), ("phone", "spoke"))
        with self.assertRaisesRegex(UserError, "cannot be rewritten"):
            contact.with_user(self.officer).note = "<p>Completed</p>"
        contact.with_user(self.manager).write({"channel": "phone"})  # no change, no harm
        with self.assertRaises(AccessError):
            contact.with_user(self.officer).unlink()
        with self.assertRaises(UserError):
            contact.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "never deleted"):
            contact.sudo().unlink()
        self.assertTrue(contact.exists())

    def test_a_correction_is_a_new_entry(self):
        contact = self._log(outcome="spoke", note="<p>Spoke to Jane</p>")
        action = contact.with_user(self.officer).action_correct()
        self.assertEqual(action["res_model"], "collection.contact.wizard")
        wizard = (
            self.env["collection.contact.wizard"]
            .with_user(self.officer)
            .with_context(**action["context"])
            .create({"outcome": "left_message"})
        )
        self.assertEqual((wizard.channel, wizard.date), ("phone", contact.date))
        wizard.action_log()
        correction = self.case.contact_ids.sorted("id")[-1]
        self.assertNotEqual(correction, contact)
        self.assertEqual(correction.correction_of_id, contact)
        self.assertEqual(contact.correction_ids, correction)
        self.assertEqual(contact.outcome, "spoke", "the corrected entry stays as it was")
        self.assertEqual(correction.outcome, "left_message")
        self.assertIn("corrects", str(self.case.message_ids[0].body))
        self._post_invoice(500, due_days_ago=20, partner=self.other_customer)
        self._refresh()
        other_case = self._case(partner=self.other_customer)
        values = {
            "case_id": other_case.id,
            "channel": "phone",
            "outcome": "spoke",
            "correction_of_id": contact.id,
        }
        with self.assertRaisesRegex(ValidationError, "case of the contact it corrects"):
            self.env["collection.contact"]._log_reported([values])
        with self.assertRaisesRegex(UserError, "Correct button"):
            self.env["collection.contact"].with_user(self.officer).create(
                {**values, "case_id": self.case.id}
            )

    def test_a_contact_outside_contact_hours_is_recorded_as_a_breach(self):
        self.customer.tz = "UTC"
        self._log(date=datetime(2026, 6, 29, 22, 30))
        result = self._last_result
        contact = self.case.contact_ids
        self.assertEqual(len(contact), 1, "recorded, not refused")
        self.assertTrue(contact.compliance_breach)
        self.assertIn("contact hours", contact.blocked_reason)
        self.assertEqual(contact.outcome, "spoke", "what happened, not 'blocked'")
        self.assertIn("Compliance breach", str(self.case.message_ids[0].body))
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("contact hours", result["params"]["message"])

    def test_the_contact_log_judges_the_breach_whoever_writes_it(self):
        self.customer.tz = "UTC"
        Contact = self.env["collection.contact"].with_user(self.officer)
        values = {
            "case_id": self.case.id,
            "channel": "phone",
            "outcome": "no_answer",
            "date": datetime(2026, 6, 29, 22, 30),
        }
        contact = Contact.create({**values, "compliance_breach": False, "blocked_reason": False})
        self.assertTrue(contact.compliance_breach, "a client cannot hide a breach")
        self.assertIn("contact hours", contact.blocked_reason)
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            Contact.create({**values, "compliance_override": "Trust me"})
        inbound = Contact.create({**values, "direction": "inbound"})
        self.assertFalse(inbound.compliance_breach, "the customer may call us any time")
        with self.assertRaisesRegex(UserError, "Compliance Breach"):
            Contact.create({**values, "date": NOON, "compliance_breach": True})
        at_noon = Contact.create({**values, "date": NOON})
        self.assertFalse(at_noon.compliance_breach)

    def test_a_call_over_the_cap_is_recorded_and_counts(self):
        self.company.collection_max_calls = 1
        first = self._log(outcome="no_answer")
        self.assertFalse(first.compliance_breach)
        second = self._log(outcome="no_answer")
        self.assertTrue(second.compliance_breach)
        self.assertIn("At most 1", second.blocked_reason)
        self.assertEqual(len(self.case.contact_ids), 2)

    def test_the_guard_warns_strongly_and_a_manager_overrides_it(self):
        self.customer.collection_do_not_contact = True
        contact = self._log()
        self.assertTrue(contact.compliance_breach)
        self.assertIn("must not be contacted", contact.blocked_reason)
        self.assertEqual(self._last_result["params"]["type"], "danger")
        self.assertTrue(self._last_result["params"]["sticky"])
        override = self._log(user=self.manager, override_reason="Customer called us back")
        self.assertIn("Customer called us back", override.compliance_override)
        self.assertFalse(override.compliance_breach)
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self._log(override_reason="I know better")
        inbound = self._log(direction="inbound")
        self.assertEqual(inbound.direction, "inbound", "the customer may always call us")
        self.assertFalse(inbound.compliance_breach)

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
