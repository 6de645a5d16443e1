from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionDeskUi(CollectionsBrowserCase):
    """The officer's and the manager's day on a 1440 px wide screen."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("desk_officer")
        cls.relief = cls._browser_user("desk_relief")
        cls.relief.name = "Relief Officer"
        cls.manager = cls._browser_user("desk_manager", manager=True)
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk Team",
                "manager_id": cls.manager.id,
                "member_ids": [Command.set((cls.officer | cls.relief).ids)],
            }
        )
        # Only this test's cases are the officer's to work.
        cls.env["collection.case"].search([("company_id", "=", cls.env.company.id)]).write(
            {"user_id": cls.manager.id, "team_id": False}
        )

    @classmethod
    def _officers_case(cls, name, amount, days=45, officer=None):
        case = cls._overdue_case(name, amount, days=days)
        case.write({"user_id": (officer or cls.officer).id, "team_id": cls.team.id})
        return case

    @classmethod
    def _add_invoice(cls, case, amount, days):
        due = cls._today() - timedelta(days=days)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": case.partner_id.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        case._refresh_from_accounting(companies=cls.env.company)

    def test_officers_morning(self):
        top = self._officers_case("Brightwell Ltd", 2400, days=40)
        second = self._officers_case("Calder Ltd", 800, days=35)
        (top | second).sudo().next_action_date = self._today()
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_my_day_action",
            "collections_officer_morning",
            login=self.officer.login,
        )
        self.assertEqual(top.state, "promised")
        promise = top.promise_ids
        self.assertEqual((promise.amount, promise.user_id), (2400, self.officer))
        self.assertEqual(promise.date, self._browser_today() + timedelta(days=4))
        due = self.env["collection.my.day"].with_user(self.officer).search([])
        self.assertNotIn(top, due.case_id, "nothing to do on it until the promise falls due")
        self.assertIn(second, due.case_id)

    def test_manager_rebalances_cases(self):
        moved = self._officers_case("Dunmore Ltd", 700) | self._officers_case("Elmstead Ltd", 500)
        kept = self._officers_case("Glenrock Ltd", 900)
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_manager_rebalances",
            login=self.manager.login,
        )
        self.assertEqual(moved.user_id, self.relief)
        self.assertEqual(kept.user_id, self.officer, "cases not selected stay")

    def test_officer_sorts_open_items(self):
        case = self._officers_case("Holloway Ltd", 300, days=60)
        self._add_invoice(case, 900, days=30)
        self._add_invoice(case, 100, days=10)
        self.assertEqual(len(case.open_line_ids), 3)
        self.env.flush_all()
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{case.id}",
            "collections_officer_sort_open_items",
            login=self.officer.login,
        )

    def test_worklist_headers_read_in_full_at_1440_px(self):
        for name, amount, days in (
            ("Fairholme Ltd", 12500, 95),
            ("Ashbury Engineering Group Ltd", 830, 20),
            ("Kingsbridge Ltd", 4200, 61),
        ):
            self._officers_case(name, amount, days=days)
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_worklist_headers",
            login=self.officer.login,
        )
