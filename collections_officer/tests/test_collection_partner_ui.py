from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionPartnerUi(CollectionsBrowserCase):
    """The collections settings of a customer, set from the contact by a collections
    manager who may not edit contacts."""

    browser_size = "1440x900"

    def test_manager_sets_officer_and_policy_from_the_contact(self):
        manager = self._browser_user("partner_desk_manager", manager=True)
        officer = self._browser_user("partner_officer")
        policy = self.env["collection.policy"].create({"name": "Gentle Policy"})
        customer = self.env["res.partner"].create({"name": "Kestrel Supplies", "is_company": True})
        self.assertFalse(customer.with_user(manager).has_access("write"))
        self.env.flush_all()
        self.start_tour(
            f"/odoo/res.partner/{customer.id}",
            "collections_officer_partner_settings",
            login=manager.login,
        )
        self.assertEqual(customer.collection_user_id, officer)
        self.assertEqual(customer.collection_policy_id, policy)
        self.assertEqual(customer.name, "Kestrel Supplies")
