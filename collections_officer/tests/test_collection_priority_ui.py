from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionPriorityUi(HttpCase):
    """The priority and the next action as an officer sees them in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls.env["res.users"].create(
            {
                "name": "Priority Officer",
                "login": "priority_officer",
                "password": "priority_officer",
                "group_ids": [
                    cls.env.ref("collections_officer.group_collections_officer").id,
                    cls.env.ref("base.group_user").id,
                ],
            }
        )
        # No follow-up level to come: the callback is the only next action.
        cls.env.company.collection_policy_id = False
        # The browser runs on the real clock: date the invoice relative to it.
        overdue_since = fields.Date.today() - timedelta(days=45)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Priority Debtor", "is_company": True, "phone": "+44 20 7946 0000"}
        )
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": 900, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.env.company)
        cls.case = cls.env["collection.case"].search([("partner_id", "=", cls.customer.id)])
        cls.case.user_id = cls.officer

    def test_officer_reads_the_priority_and_agrees_a_callback(self):
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            f"/odoo/action-collections_officer.collection_case_action/{self.case.id}",
            "collections_officer_priority_callback",
            login=self.officer.login,
        )
        self.assertEqual(self.case.callback_date, fields.Date.today() + timedelta(days=2))
        self.assertEqual(self.case.next_action_label, "Call back")
