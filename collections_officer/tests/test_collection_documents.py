from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon

STATEMENT = "collections_officer.action_report_collection_statement"
LETTER = "collections_officer.action_report_collection_letter"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionDocuments(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.external_report_layout_id = cls.env.ref("web.external_layout_standard")
        cls.invoice = cls._post_invoice(1000, due_days_ago=40)
        cls.young = cls._post_invoice(250, due_days_ago=-10)
        cls.refund = cls._post_invoice(100, due_days_ago=5, move_type="out_refund")
        cls._pay(cls.invoice, 300)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _html(self, report, cases):
        return str(self.env["ir.actions.report"]._render_qweb_html(report, cases.ids)[0])

    def test_statement_lists_open_items_totals_and_aging(self):
        html = self._html(STATEMENT, self.case)
        for move in self.invoice | self.young | self.refund:
            self.assertIn(move.name, html)
        self.assertIn(self.case.name, html)
        self.assertIn("700.00", html, "the invoice's open amount after the partial payment")
        self.assertIn("850.00", html, "total due: 700 + 250 - 100")
        self.assertIn("Aging", html)

    def test_statement_shows_the_payment_plan(self):
        self.assertNotIn("Payment plan", self._html(STATEMENT, self.case))
        wizard = self.env["collection.plan.wizard"].create(
            {
                "case_id": self.case.id,
                "installment_count": 3,
                "first_date": TODAY + timedelta(days=7),
            }
        )
        plan = self.env["collection.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.action_activate()
        self.case.invalidate_recordset()
        html = self._html(STATEMENT, self.case)
        self.assertIn("Payment plan", html)
        for installment in plan.installment_ids:
            self.assertIn(installment.display_name, html)

    def test_statement_pdf(self):
        pdf = self.case._render_statements()[self.case.id]
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_letters_print_in_batch_with_the_level_text(self):
        other = self.env["res.partner"].create({"name": "Second Debtor"})
        self._post_invoice(500, due_days_ago=50, partner=other)
        self._refresh()
        cases = self.case | self._case(other)
        policy = self.env["collection.policy"].create({"name": "Letters"})
        final = self.env["collection.level"].create(
            {
                "name": "Final",
                "policy_id": policy.id,
                "delay_days": 35,
                "print_letter": True,
                "letter_title": "Final Notice before Legal Action",
                "letter_body": "<p>This is our formal notice of default.</p>",
            }
        )
        cases.sudo().level_id = final
        html = self._html(LETTER, cases)
        self.assertIn("Acme Debtor", html)
        self.assertIn("Second Debtor", html)
        self.assertEqual(html.count("Final Notice before Legal Action"), 2)
        self.assertIn("formal notice of default", html)

    def test_email_goes_to_collections_contact_then_invoice_address_then_customer(self):
        template = self.env.ref("collections_officer.mail_template_collection_reminder")

        def recipient():
            self.case.invalidate_recordset(["followup_partner_id"])
            values = template._generate_template(self.case.ids, ("partner_to", "subject"))
            return values[self.case.id]

        self.assertEqual(recipient()["partner_ids"], self.customer.ids)
        invoice_address = self.env["res.partner"].create(
            {"name": "Acme Accounts", "parent_id": self.customer.id, "type": "invoice"}
        )
        self.assertEqual(recipient()["partner_ids"], invoice_address.ids)
        self.customer.collection_contact_id = self.contact
        values = recipient()
        self.assertEqual(values["partner_ids"], self.contact.ids)
        self.assertIn(self.case.name, values["subject"])

    def test_default_policy_is_shipped_as_the_company_default(self):
        policy = self.env.ref("collections_officer.collection_policy_default").sudo()
        self.assertEqual(self.env.ref("base.main_company").sudo().collection_policy_id, policy)
        self.assertEqual(policy._get_levels().mapped("delay_days"), [7, 21, 35, 50, 60])
        reminder, second, final, manager, legal = policy._get_levels()
        self.assertTrue(reminder.send_email and reminder.attach_statement)
        self.assertTrue(second.schedule_call)
        self.assertTrue(final.print_letter and final.letter_body)
        self.assertTrue(manager.alert_manager)
        self.assertTrue(legal.propose_legal and legal.credit_hold)
