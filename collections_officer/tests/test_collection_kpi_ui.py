from odoo import fields
from odoo.addons.collections_officer.models.collection_kpi import previous_month
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCollectionKpiUi(HttpCase):
    def test_manager_opens_the_reporting_screens(self):
        manager = new_test_user(
            self.env,
            login="tour_kpi_manager",
            password="tour_kpi_manager",
            groups="base.group_user,collections_officer.group_collections_manager",
        )
        # Last month kept on the demo book, for the trend to show.
        self.env["collection.snapshot"]._take_snapshots(
            self.env.company, previous_month(fields.Date.today())
        )
        self.env.flush_all()  # the browser's requests read the database, not this cache
        for url, tour in (
            ("collection_kpi_card_action_server", "collections_officer_dashboard"),
            ("collection_snapshot_action", "collections_officer_aging_trend"),
            ("collection_expected_cash_action_server", "collections_officer_expected_cash"),
            ("collection_contact_analysis_action", "collections_officer_contacts_made"),
        ):
            with self.subTest(tour=tour):
                self.start_tour(
                    f"/odoo/action-collections_officer.{url}", tour, login=manager.login
                )
