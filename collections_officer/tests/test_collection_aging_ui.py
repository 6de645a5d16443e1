from unittest.mock import patch

from odoo.tests import tagged

from ..report import collection_aging_line as aging_line
from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionAgingUi(CollectionsBrowserCase):
    """A manager shows the aged receivables: the pivot, the graph and the list read
    the ledger as of the day, and an item opens its invoice."""

    browser_size = "1440x900"

    def test_manager_shows_the_aged_receivables(self):
        manager = self._browser_user("aging_manager", manager=True)
        self._overdue_case("Aging Overdue Debtor", 4321, days=60)
        # Due today: not yet overdue.
        self._overdue_case("Aging Early Debtor", 1234, days=0)
        rows = (
            self.env["collection.aging.wizard"]
            .with_user(manager)
            .create({"company_ids": [(6, 0, self.env.company.ids)]})
            ._visible_rows()
        )
        self.assertEqual(
            sorted(
                (row["partner_name"], row["bucket_label"])
                for row in rows
                if row["partner_name"].startswith("Aging ")
            ),
            [("Aging Early Debtor", "Not Due"), ("Aging Overdue Debtor", "31-60")],
        )
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_aging_wizard_action",
            "collections_officer_aged_receivables",
            login=manager.login,
        )

    def test_a_large_run_opens_by_officer(self):
        """Past the customers a pivot lists at once, it opens with a row per officer;
        a click on an officer's row lists their customers."""
        manager = self._browser_user("aging_large_manager", manager=True)
        officer = self._browser_user("aging_desk_officer")
        self._overdue_case("Aging Overdue Debtor", 4321, days=60).user_id = officer
        self.env.flush_all()  # the browser's requests read the database, not this cache
        with patch.object(aging_line, "PIVOT_CUSTOMER_ROWS", 1):
            self.start_tour(
                "/odoo/action-collections_officer.collection_aging_wizard_action",
                "collections_officer_aged_receivables_by_officer",
                login=manager.login,
            )
