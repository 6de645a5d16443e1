from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionLayoutUi(CollectionsBrowserCase):
    """The worklist, the case form and the menu read in full on a 1440 px wide screen."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("layout_officer")
        cls.manager = cls._browser_user("layout_manager", manager=True)
        # The manager also registers payments: the widest header a manager has.
        cls.manager.group_ids |= cls.env.ref("account.group_account_invoice")
        cls.kestrel = cls._overdue_case(
            "Kestrel Engineering Services Ltd", 3400, days=95, phone="+44 20 7946 0123"
        )
        cls.orchard = cls._overdue_case(
            "Orchard Supplies Wholesale Ltd", 1250, days=40, phone="+44 161 496 0456"
        )
        cls.bluewave = cls._overdue_case(
            "Bluewave Logistics International", 870, days=20, phone="+32 9 123 45 67"
        )
        cls.cases = cls.kestrel | cls.orchard | cls.bluewave
        cls.cases.user_id = cls.officer
        cls.kestrel.sudo().level_id = cls.env.ref(
            "collections_officer.collection_level_default_second"
        )
        cls.env["collection.contact"].create(
            {
                "case_id": cls.orchard.id,
                "channel": "phone",
                "direction": "inbound",
                "outcome": "promised",
                "date": fields.Datetime.now() - timedelta(days=4),
            }
        )

    def test_worklist_reads_in_full_at_1440_px(self):
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_layout_worklist",
            login=self.officer.login,
        )

    def test_officers_case_actions_fit_one_row(self):
        # Received after the case was last read: the action menu's refresh finds it.
        self._receive_unallocated(self.kestrel.partner_id, 800)
        self.env.flush_all()
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.kestrel.id}",
            "collections_officer_layout_case_form",
            login=self.officer.login,
        )
        self.assertEqual(self.kestrel.overdue_amount, 2600)

    def test_managers_case_actions_fit_one_row(self):
        wizard = (
            self.env["collection.escalate.wizard"]
            .with_user(self.officer)
            .create({"case_id": self.bluewave.id, "reason": "unwilling", "note": "Refused."})
        )
        wizard.action_escalate()
        self.assertTrue(self.bluewave.pending_escalation_id)
        self.env.flush_all()
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.bluewave.id}",
            "collections_officer_layout_case_form_manager",
            login=self.manager.login,
        )
        self.assertTrue(self.bluewave.partner_credit_hold)
        self.assertEqual(self.bluewave.partner_credit_hold_reason, "Ten invoices unpaid")

    def test_held_case_actions_fit_one_row(self):
        self.orchard.sudo().write({"state": "hold", "hold_reason": "In talks with the owner"})
        self.env.flush_all()
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.orchard.id}",
            "collections_officer_layout_case_form_held",
            login=self.manager.login,
        )

    def test_managers_menu_fits_at_1440_px(self):
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_layout_manager_menu",
            login=self.manager.login,
        )
