from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionsUi(HttpCase):
    def test_officer_works_the_worklist_in_the_browser(self):
        officer = self.env["res.users"].create(
            {
                "name": "Tour Officer",
                "login": "tour_officer",
                "password": "tour_officer",
                "group_ids": [
                    self.env.ref("collections_officer.group_collections_officer").id,
                    self.env.ref("base.group_user").id,
                ],
            }
        )
        # The browser runs on the real clock: date the invoice relative to it.
        overdue_since = fields.Date.today() - timedelta(days=60)
        customer = self.env["res.partner"].create({"name": "Tour Debtor", "is_company": True})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 480, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.env["collection.case"]._refresh_from_accounting(companies=self.env.company)
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_worklist",
            login=officer.login,
        )

    def test_officer_escalates_a_case_in_the_browser(self):
        officer = self.env["res.users"].create(
            {
                "name": "Tour Escalating Officer",
                "login": "tour_escalating_officer",
                "password": "tour_escalating_officer",
                "group_ids": [
                    self.env.ref("collections_officer.group_collections_officer").id,
                    self.env.ref("base.group_user").id,
                ],
            }
        )
        manager = self.env["res.users"].create(
            {
                "name": "Tour Manager",
                "login": "tour_manager",
                "group_ids": [
                    self.env.ref("collections_officer.group_collections_manager").id,
                    self.env.ref("base.group_user").id,
                ],
            }
        )
        team = self.env["collection.team"].create(
            {"name": "Tour Desk", "manager_id": manager.id, "member_ids": [officer.id]}
        )
        overdue_since = fields.Date.today() - timedelta(days=60)
        customer = self.env["res.partner"].create({"name": "Escalation Debtor", "is_company": True})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 480, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.env["collection.case"]._refresh_from_accounting(companies=self.env.company)
        case = self.env["collection.case"].search([("partner_id", "=", customer.id)])
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
