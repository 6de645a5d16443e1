from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionsUiWalk(HttpCase):
    """The screens added for rules enforced in the data: what they say is what happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        officer_groups = [
            cls.env.ref("collections_officer.group_collections_officer").id,
            cls.env.ref("base.group_user").id,
        ]
        cls.officer = cls.env["res.users"].create(
            {
                "name": "Walk Officer",
                "login": "walk_officer",
                "password": "walk_officer",
                "group_ids": officer_groups,
            }
        )
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Walk Manager",
                "login": "walk_manager",
                "password": "walk_manager",
                "group_ids": [
                    *officer_groups,
                    cls.env.ref("collections_officer.group_collections_manager").id,
                ],
            }
        )
        # The browser runs on the real clock: date the invoice relative to it.
        overdue_since = fields.Date.today() - timedelta(days=60)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Walk Debtor", "is_company": True, "email": "debtor@example.com"}
        )
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 1200, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company)
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])
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
                    "first_date": fields.Date.today() + timedelta(days=10),
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
