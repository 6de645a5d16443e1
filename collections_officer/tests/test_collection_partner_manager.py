from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionsSettingsWithoutContactRights(CollectionsCommon):
    """The collections desk sets how a customer is worked and chased without the right to
    edit contacts: a collections manager the whole of it, an officer the officer and the
    collections contact. The rest of the contact stays with those who may edit contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.softer = cls.env["collection.policy"].create({"name": "Softer"})

    def _settings(self, partner):
        return {
            "collection_user_id": partner.collection_user_id,
            "collection_contact_id": partner.collection_contact_id,
            "collection_policy_id": partner.collection_policy_id,
            "collection_followup_mode": partner.collection_followup_mode,
        }

    def test_a_manager_sets_the_officer_policy_and_settings(self):
        # As an RPC client calls: with the tracking the test environment turns off.
        customer = self.customer.with_env(self.env(user=self.manager, context={}))
        # The customer was created earlier, as committed: its changes are tracked from here.
        self.env.cr.precommit.run()
        self.assertFalse(customer.has_access("write"), "the manager may not edit contacts")
        customer.write(
            {
                "collection_user_id": self.officer.id,
                "collection_contact_id": self.contact.id,
                "collection_policy_id": self.softer.id,
                "collection_followup_mode": "manual",
                "collection_do_not_contact": True,
                "collection_window_override": True,
                "collection_contact_hour_start": 9.0,
                "collection_contact_hour_end": 17.0,
                "collection_credit_hold": True,
            }
        )
        self.assertEqual(
            self._settings(self.customer),
            {
                "collection_user_id": self.officer,
                "collection_contact_id": self.contact,
                "collection_policy_id": self.softer,
                "collection_followup_mode": "manual",
            },
        )
        self.assertTrue(self.customer.collection_do_not_contact)
        self.assertEqual(self.customer.collection_contact_hour_end, 17.0)
        self.assertTrue(self.customer.collection_credit_hold)
        self.assertEqual(self.customer.collection_credit_hold_user_id, self.manager)
        # The change is tracked on the customer under the manager's name.
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.customer.invalidate_recordset(["message_ids"])
        tracking = self.customer.message_ids.filtered(
            lambda message: (
                "collection_policy_id" in message.sudo().tracking_value_ids.field_id.mapped("name")
            )
        )
        self.assertEqual(tracking.author_id, self.manager.partner_id)

    def test_the_rest_of_the_contact_stays_refused(self):
        customer = self.customer.with_user(self.manager)
        for vals in (
            {"name": "Acme Renamed"},
            {"name": "Acme Renamed", "collection_policy_id": self.softer.id},
            {"collection_user_id": self.officer.id, "phone": "+32 2 555 00 00"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                customer.write(vals)
        self.assertEqual(self.customer.name, "Acme Debtor")
        self.assertFalse(self.customer.collection_policy_id)
        self.assertFalse(self.customer.collection_user_id)

    def test_an_officer_sets_the_officer_and_contact_only(self):
        customer = self.customer.with_user(self.officer)
        self.assertFalse(customer.has_access("write"))
        customer.write(
            {"collection_user_id": self.officer.id, "collection_contact_id": self.contact.id}
        )
        self.assertEqual(self.customer.collection_user_id, self.officer)
        self.assertEqual(self.customer.collection_contact_id, self.contact)
        for vals in (
            {"collection_policy_id": self.softer.id},
            {"collection_followup_mode": "manual"},
            {"collection_credit_hold": True},
            {"collection_window_override": True},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(AccessError, "collections manager"),
            ):
                customer.write(vals)
        # Saving the dialog with a manager's settings unchanged passes.
        customer.write({"collection_followup_mode": "auto", "collection_user_id": False})
        self.assertFalse(self.customer.collection_user_id)

    def test_a_customer_the_user_cannot_read_stays_closed(self):
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        stranger = self.env["res.partner"].create(
            {"name": "Stranger", "is_company": True, "company_id": elsewhere.id}
        )
        with self.assertRaises(AccessError):
            stranger.with_user(self.manager).write({"collection_policy_id": self.softer.id})
        self.assertFalse(stranger.collection_policy_id)

    def test_the_contact_form_offers_the_collections_dialog(self):
        customer = self.customer.with_user(self.manager)
        self.assertFalse(customer.collection_contact_editable)
        self.assertTrue(self.customer.collection_contact_editable, "the administrator edits")
        Partner = self.env["res.partner"].with_user(self.manager)
        contact_form = etree.fromstring(Partner.get_view(view_type="form")["arch"])
        self.assertEqual(contact_form.get("edit"), "False", "the contact is read-only to them")
        self.assertTrue(contact_form.xpath("//button[@name='action_edit_collection_settings']"))
        action = customer.action_edit_collection_settings()
        self.assertEqual((action["res_id"], action["target"]), (self.customer.id, "new"))
        dialog = etree.fromstring(Partner.get_view(action["views"][0][0], "form")["arch"])
        self.assertEqual(dialog.get("edit"), "1", "the dialog is editable to them")
        shown = set(dialog.xpath("//field/@name"))
        self.assertLessEqual(
            {"collection_user_id", "collection_policy_id", "collection_followup_mode"}, shown
        )
        # A contact person of the customer opens its company's settings.
        self.assertEqual(
            self.contact.with_user(self.manager).action_edit_collection_settings()["res_id"],
            self.customer.id,
        )
