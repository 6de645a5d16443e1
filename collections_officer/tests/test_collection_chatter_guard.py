from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import CollectionsCommon, days_ago

NOON = datetime(2026, 6, 30, 12, 0)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestChatterGuard(CollectionsCommon):
    """Writing to the customer from the case's chatter is a contact: it passes the guard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1000, due_days_ago=20)
        cls.customer.write({"email": "ap@acme.example", "phone": "+32 470 00 00 00", "tz": "UTC"})

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _post(self, user=None, subtype="mail.mt_comment", partners=None, **context):
        return (
            self.case.with_user(user or self.officer)
            .with_context(**context)
            .message_post(
                body="Please pay your overdue invoices.",
                message_type="comment",
                subtype_xmlid=subtype,
                partner_ids=(partners if partners is not None else self.customer).ids,
            )
        )

    def test_a_message_to_a_protected_customer_is_refused(self):
        blocks = [
            ({"collection_do_not_contact": True}, {}, "must not be contacted"),
            ({"collection_cease_communication": True}, {}, "communications cease"),
            ({}, {"state": "hold", "hold_reason": "Disputed delivery"}, "Disputed delivery"),
            ({}, {"breathing_space_until": days_ago(-10)}, "Breathing space"),
        ]
        for partner_vals, case_vals, reason in blocks:
            with self.subTest(reason=reason):
                self.customer.write(partner_vals)
                self.case.sudo().write(case_vals)
                count = len(self.case.message_ids)
                with self.assertRaisesRegex(UserError, reason):
                    self._post()
                self.assertEqual(len(self.case.message_ids), count)
                self.customer.write(dict.fromkeys(partner_vals, False))
                self.case.sudo().write(
                    {"state": "open", "hold_reason": False, "breathing_space_until": False}
                )
        self.assertTrue(self._post(), "an unprotected customer is written to")

    def test_followers_outside_the_company_count_as_recipients(self):
        self.case.message_subscribe(partner_ids=self.contact.ids)
        self.customer.collection_do_not_contact = True
        with self.assertRaisesRegex(UserError, "must not be contacted"):
            self._post(partners=self.env["res.partner"])

    def test_internal_notes_and_colleagues_are_always_allowed(self):
        self.customer.collection_do_not_contact = True
        to_colleague = self._post(partners=self.manager.partner_id)
        self.assertTrue(to_colleague)
        self.case.message_subscribe(partner_ids=self.contact.ids)
        note = self._post(subtype="mail.mt_note", partners=self.env["res.partner"])
        self.assertTrue(note)
        self.case.with_user(self.officer).message_post(body="Called, no answer.")

    def test_the_sms_composer_is_guarded(self):
        self.customer.collection_do_not_contact = True
        composer = (
            self.env["sms.composer"]
            .with_user(self.officer)
            .with_context(active_model="collection.case", active_id=self.case.id)
            .create(
                {
                    "composition_mode": "comment",
                    "res_model": "collection.case",
                    "res_id": self.case.id,
                    "recipient_single_number_itf": self.customer.phone,
                    "body": "Please pay.",
                }
            )
        )
        with self.assertRaisesRegex(UserError, "must not be contacted"):
            composer.action_send_sms()

    def test_a_manager_overrides_with_a_logged_reason(self):
        self.customer.collection_do_not_contact = True
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            self._post(collection_override_reason="Customer asked for a copy")
        message = self._post(
            user=self.manager, collection_override_reason="Customer asked for a copy"
        )
        self.assertTrue(message)
        log = self.case.message_ids.filtered(lambda m: "Customer asked for a copy" in m.body)
        self.assertTrue(log)
        self.assertIn(self.manager.name, str(log[0].body))
