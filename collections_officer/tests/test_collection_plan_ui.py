from odoo import Command
from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionPlanUi(CollectionsBrowserCase):
    """A plan above the limits, on screen: the officer sees the limits before Create and
    asks for the approval, the team's manager refuses, the officer builds a new plan."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.write(
            {"collection_plan_max_amount": 10000, "collection_plan_max_months": 12}
        )
        cls.officer = cls._browser_user("plan_officer")
        cls.manager = cls._browser_user("plan_manager", manager=True)
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Plan Desk",
                "manager_id": cls.manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        cls.case = cls._overdue_case("Kestrel Freight", 12000, days=45, email="kestrel@example.com")
        cls.case.write({"user_id": cls.officer.id, "team_id": cls.team.id})

    def test_a_plan_over_the_limits_is_requested_refused_and_built_again(self):
        Plan = self.env["collection.plan"]
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.case.id}",
            "collections_officer_plan_approval",
            login=self.officer.login,
        )
        plan = Plan.search([("case_id", "=", self.case.id)])
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.amount_total, 12000)
        self.assertTrue(plan.needs_approval)
        self.assertEqual((plan.state, plan.approval_state), ("draft", "requested"))
        self.assertEqual(plan.activity_ids.user_id, self.manager, "the team's manager is asked")

        self.start_tour(
            f"/odoo/action-collections_officer.collection_plan_action/{plan.id}",
            "collections_officer_plan_refuse",
            login=self.manager.login,
        )
        plan.invalidate_recordset()
        self.assertEqual(plan.approval_state, "refused")
        self.assertEqual(plan.refusal_reason, "Too much at once for this customer")
        self.assertFalse(plan.activity_ids)

        self.start_tour(
            f"/odoo/action-collections_officer.collection_plan_action/{plan.id}",
            "collections_officer_plan_new",
            login=self.officer.login,
        )
        self.env.invalidate_all()
        new_plan = Plan.search([("case_id", "=", self.case.id)]) - plan
        self.assertEqual(len(new_plan), 1)
        self.assertEqual(new_plan.amount_total, 9000)
        self.assertFalse(new_plan.needs_approval)
        self.assertEqual(new_plan.state, "draft")
        self.assertEqual(new_plan.user_id, self.officer)
        self.assertEqual((plan.state, plan.approval_state), ("draft", "refused"))
