from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPartnerCollectionFlags(CollectionsCommon):
    """How hard a customer is chased is decided by collections managers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1000, due_days_ago=20)
        partner_manager = "base.group_user,base.group_partner_manager"
        cls.sales = new_test_user(cls.env, login="co_sales", groups=partner_manager)
        cls.officer_editor = new_test_user(
            cls.env,
            login="co_officer_editor",
            groups=f"{partner_manager},collections_officer.group_collections_officer",
        )
        cls.manager.group_ids |= cls.env.ref("base.group_partner_manager")
        cls.softer = cls.env["collection.policy"].create({"name": "Softer"})

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.customer.write(
            {
                "collection_do_not_contact": True,
                "collection_cease_communication": True,
                "collection_credit_hold": True,
            }
        )

    def test_a_sales_user_cannot_lift_a_flag_or_soften_the_policy(self):
        customer = self.customer.with_user(self.sales)
        for vals in (
            {"collection_credit_hold": False},
            {"collection_do_not_contact": False},
            {"collection_cease_communication": False},
            {"collection_policy_id": self.softer.id},
            {"collection_followup_mode": "manual"},
            {"collection_contact_id": self.contact.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                customer.write(vals)
        with self.assertRaises(AccessError):
            customer.read(["collection_credit_hold"])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.sales).create(
                {"name": "Imported", "collection_credit_hold": False, "collection_policy_id": 1}
            )
        self.assertTrue(self.customer.collection_credit_hold)
        # The rest of the partner stays theirs, duplicates included.
        customer.write({"phone": "+32 2 555 00 00"})
        self.assertFalse(customer.copy().sudo().collection_credit_hold, "flags are not copied")

    def test_an_officer_cannot_change_them_on_the_partner(self):
        customer = self.customer.with_user(self.officer_editor)
        self.assertTrue(customer.collection_credit_hold, "officers read them")
        for vals in (
            {"collection_do_not_contact": False},
            {"collection_credit_hold": False},
            {"collection_policy_id": self.softer.id},
            {"collection_followup_mode": "manual"},
            {"collection_window_override": True},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(AccessError, "collections manager"),
            ):
                customer.write(vals)
        # Saving the form with the same values changes nothing: allowed.
        customer.write(
            {"collection_do_not_contact": True, "collection_contact_id": self.contact.id}
        )
        self.assertEqual(self.customer.collection_contact_id, self.contact)
        self.assertFalse(customer.collection_is_manager)
        with self.assertRaisesRegex(AccessError, "collections manager"):
            self.env["res.partner"].with_user(self.officer_editor).create(
                {"name": "New", "collection_followup_mode": "manual"}
            )
        new = (
            self.env["res.partner"]
            .with_user(self.officer_editor)
            .create({"name": "Protected from the start", "collection_do_not_contact": True})
        )
        self.assertTrue(new.collection_do_not_contact)

    def test_a_manager_changes_them(self):
        customer = self.customer.with_user(self.manager)
        self.assertTrue(customer.collection_is_manager)
        customer.write(
            {
                "collection_credit_hold": False,
                "collection_do_not_contact": False,
                "collection_policy_id": self.softer.id,
            }
        )
        self.assertFalse(self.customer.collection_credit_hold)
        self.assertEqual(self.customer.collection_policy_id, self.softer)

    def _flag_wizard(self, user, **vals):
        return (
            self.env["collection.partner.flag.wizard"]
            .with_user(user)
            .create({"case_id": self.case.id, "reason": "Letter of 12 June", **vals})
        )

    def test_an_officer_protects_the_customer_from_the_case(self):
        self.customer.write(
            {
                "collection_do_not_contact": False,
                "collection_cease_communication": False,
                "collection_credit_hold": False,
            }
        )
        # The officer of the case has no right to edit partners at all.
        self.assertFalse(self.customer.with_user(self.officer).has_access("write"))
        wizard = self._flag_wizard(
            self.officer, collection_do_not_contact=True, collection_credit_hold=True
        )
        wizard.action_apply()
        self.assertTrue(self.customer.collection_do_not_contact)
        self.assertTrue(self.customer.collection_credit_hold)
        self.assertFalse(self.customer.collection_cease_communication)
        for record in (self.case, self.customer):
            body = str(record.message_ids.filtered("body")[0].body)
            self.assertIn("Do Not Contact set", body)
            self.assertIn("Letter of 12 June", body)
        with self.assertRaisesRegex(UserError, "Nothing changes"):
            self._flag_wizard(self.officer, collection_do_not_contact=True).action_apply()
        with self.assertRaisesRegex(UserError, "reason"):
            self._flag_wizard(
                self.officer, collection_cease_communication=True, reason=" "
            ).action_apply()

    def test_only_a_manager_lifts_a_flag_from_the_case(self):
        wizard = self._flag_wizard(self.officer)
        self.assertTrue(wizard.collection_credit_hold, "starts from the customer's flags")
        wizard.collection_credit_hold = False
        with self.assertRaisesRegex(AccessError, "Only a collections manager can lift"):
            wizard.action_apply()
        self.assertTrue(self.customer.collection_credit_hold)
        self._flag_wizard(self.manager, collection_credit_hold=False).action_apply()
        self.assertFalse(self.customer.collection_credit_hold)
        self.assertIn("Credit Hold lifted", str(self.case.message_ids.filtered("body")[0].body))
