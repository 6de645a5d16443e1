from datetime import timedelta

from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionsUiWalk(CollectionsBrowserCase):
    """The screens added for rules enforced in the data: what they say is what happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.officer = cls._browser_user("walk_officer")
        cls.manager = cls._browser_user("walk_manager", manager=True)
        cls.case = cls._overdue_case("Walk Debtor", 1200, email="debtor@example.com")
        cls.customer = cls.case.partner_id
        cls.case.user_id = cls.officer

    def _case_url(self, action, record):
        return f"/odoo/action-collections_officer.{action}/{record.id}"

    def test_officer_protects_a_customer(self):
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            self._case_url("collection_case_action", self.case),
            "collections_officer_protect_customer",
            login=self.officer.login,
        )
        self.assertTrue(self.customer.collection_do_not_contact)
        self.assertIn(
            "12 June", " ".join(self.case.message_ids.mapped("body")), "the reason is logged"
        )
        self.assertIn(self.case.id, self.case._get_contact_blockers(channel="email"))

    def test_manager_approves_a_plan_above_the_limits(self):
        self.company.collection_plan_max_months = 2
        plan = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "installment_count": 4,
                    "first_date": self._today() + timedelta(days=10),
                }
            )
            ._create_plan()
        )
        plan.with_user(self.officer).action_request_approval()
        self.env.flush_all()
        self.start_tour(
            self._case_url("collection_plan_action", plan),
            "collections_officer_manager_approves_plan",
            login=self.manager.login,
        )
        self.assertEqual(plan.approval_state, "approved")
        self.assertEqual(plan.approved_by_id, self.manager)

    def test_manager_goes_live_from_a_dry_run(self):
        self.company.sudo().collection_followup_live = False
        run = self.env["collection.run"].create({"company_id": self.company.id, "dry_run": True})
        self.env.flush_all()
        self.start_tour(
            self._case_url("collection_run_action", run),
            "collections_officer_manager_goes_live",
            login=self.manager.login,
        )
        self.assertTrue(self.company.collection_followup_live)
