from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionDisputeUi(HttpCase):
    def test_officer_records_a_dispute_from_the_case(self):
        officer = self.env["res.users"].create(
            {
                "name": "Dispute Officer",
                "login": "dispute_officer",
                "password": "dispute_officer",
                "group_ids": [
                    self.env.ref("collections_officer.group_collections_officer").id,
                    self.env.ref("base.group_user").id,
                ],
            }
        )
        # The browser runs on the real clock: date the invoice relative to it.
        overdue_since = fields.Date.today() - timedelta(days=45)
        customer = self.env["res.partner"].create({"name": "Dispute Debtor", "is_company": True})
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
            "collections_officer_dispute",
            login=officer.login,
        )
        dispute = self.env["collection.dispute"].search([("move_id", "=", invoice.id)])
        self.assertEqual((dispute.amount, dispute.reason, dispute.state), (100, "quality", "open"))
        self.assertEqual(dispute.case_id.disputed_amount, 100)
