"""The add-on driven from outside through Odoo's external API, as an integrator would."""

from datetime import timedelta

import odoorpc

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestExternalApi(HttpCase):
    def test_integrator_lists_and_refreshes_cases(self):
        overdue_since = fields.Date.today() - timedelta(days=40)
        customer = self.env["res.partner"].create({"name": "API Debtor", "is_company": True})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": overdue_since,
                "invoice_date_due": overdue_since,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "price_unit": 300, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.env.flush_all()  # the server's requests read the database, not this cache

        # A client from outside the test carries no test cookie: let its requests in.
        with self.allow_requests(all_requests=True):
            client = odoorpc.ODOO("127.0.0.1", port=self.http_port(), timeout=60)
            client.login(self.env.cr.dbname, "admin", "admin")
            cases = client.env["collection.case"]
            client.execute("collection.case", "action_refresh_all", [])
            # Queued for the refresh cron rather than run in the request: run it.
            cron = self.env.ref("collections_officer.ir_cron_collection_case_refresh")
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
            cron.method_direct_trigger()
            self.env.flush_all()
            found = cases.search_read(
                [("partner_id", "=", customer.id)],
                ["state", "overdue_amount", "overdue_invoice_count"],
            )
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["state"], "open")
        self.assertEqual(found[0]["overdue_amount"], 300)
        self.assertEqual(found[0]["overdue_invoice_count"], 1)
