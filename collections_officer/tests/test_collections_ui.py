from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionsUi(CollectionsBrowserCase):
    def test_officer_works_the_worklist_in_the_browser(self):
        officer = self._browser_user("tour_officer")
        case = self._overdue_case("Tour Debtor", 480)
        self.assertEqual(case.overdue_amount, 480.0)
        # Received after the case was last read; nothing refreshes the case on its own.
        self._receive_unallocated(case.partner_id, 200)
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.assertEqual(case.overdue_amount, 480.0)
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_worklist_refresh",
            login=officer.login,
        )
        # The officer's Refresh wrote the figures the form showed.
        case.invalidate_recordset()
        self.assertEqual((case.overdue_amount, case.total_due, case.state), (280.0, 280.0, "open"))

    def test_officer_escalates_a_case_in_the_browser(self):
        officer = self._browser_user("tour_escalating_officer")
        manager = self._browser_user("tour_manager", manager=True)
        team = self.env["collection.team"].create(
            {"name": "Tour Desk", "manager_id": manager.id, "member_ids": [officer.id]}
        )
        case = self._overdue_case("Escalation Debtor", 480)
        case.write({"user_id": officer.id, "team_id": team.id})
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_escalation",
            login=officer.login,
        )
        escalation = case.escalation_ids
        self.assertEqual(escalation.reason, "unwilling")
        self.assertEqual(escalation.requested_by_id, officer)
        self.assertTrue(case.activity_ids.filtered(lambda a: a.user_id == manager))
