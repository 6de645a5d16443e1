from datetime import timedelta

from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionPriorityUi(CollectionsBrowserCase):
    """The priority and the next action as an officer sees them in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("priority_officer")
        # No follow-up level to come: the callback is the only next action.
        cls.env.company.collection_policy_id = False
        cls.case = cls._overdue_case("Priority Debtor", 900, days=45, phone="+44 20 7946 0000")
        cls.customer = cls.case.partner_id
        cls.case.user_id = cls.officer

    def test_officer_reads_the_priority_and_agrees_a_callback(self):
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.case.id}",
            "collections_officer_priority_callback",
            login=self.officer.login,
        )
        self.assertEqual(self.case.callback_date, self._browser_today() + timedelta(days=2))
        self.assertEqual(self.case.next_action_label, "Call back")
