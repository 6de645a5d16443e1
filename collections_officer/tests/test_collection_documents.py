import io
import re
from datetime import timedelta
from html import unescape
from unittest.mock import patch

from odoo.addons.base.models import ir_actions_report
from odoo.addons.collections_officer.report import collection_statement_report
from odoo.tests import freeze_time, tagged
from odoo.tools import format_date
from odoo.tools.pdf import PdfFileReader

from .common import TODAY, CollectionsCommon

STATEMENT = "collections_officer.action_report_collection_statement"
LETTER = "collections_officer.action_report_collection_letter"
PLAN = "collections_officer.action_report_collection_plan"
REPORT_MODEL = "report.collections_officer.report_collection_statement"


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
        return self.env["ir.actions.report"]._render_qweb_html(report, cases.ids)[0].decode()

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
        pdf = self.env[REPORT_MODEL]._render_statements(self.case)[self.case.id]
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_letters_print_in_batch_with_the_level_text(self):
        other = self.env["res.partner"].create({"name": "Second Debtor"})
        self._post_invoice(500, due_days_ago=50, partner=other)
        self._refresh()
        cases = self.case | self._case(other)
        final = self._letter_level()
        followups = (
            self.env["collection.followup"]
            .sudo()
            .create([{"case_id": case.id, "level_id": final.id} for case in cases])
        )
        html = self._html(LETTER, followups)
        self.assertIn("Acme Debtor", html)
        self.assertIn("Second Debtor", html)
        self.assertEqual(html.count("Final Notice before Legal Action"), 2)
        self.assertIn("formal notice of default", html)

    def _letter_level(self):
        policy = self.env["collection.policy"].create({"name": "Letters"})
        self.manager_level = self.env["collection.level"].create(
            {
                "name": "Manager Alert",
                "policy_id": policy.id,
                "delay_days": 50,
                "alert_manager": True,
            }
        )
        return self.env["collection.level"].create(
            {
                "name": "Final",
                "policy_id": policy.id,
                "delay_days": 35,
                "print_letter": True,
                "letter_title": "Final Notice before Legal Action",
                "letter_body": "<p>This is our formal notice of default.</p>",
            }
        )

    def test_a_letter_prints_the_level_it_was_prepared_for(self):
        final = self._letter_level()
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": final.id})
        )
        followup._execute()
        self.assertTrue(followup.letter_to_print)
        # Printed days later: the case has moved on to the manager alert meanwhile.
        self.case.sudo().level_id = self.manager_level
        action = followup.with_env(self.env).action_print_letters()
        self.assertEqual(action["context"]["active_ids"], followup.ids)
        html = self._html(LETTER, followup)
        self.assertIn("Final Notice before Legal Action", html)
        self.assertIn("formal notice of default", html)
        self.assertNotIn("Manager Alert", html)

    def test_a_followup_keeps_the_figures_it_was_sent_with(self):
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": self._letter_level().id})
        )
        followup._execute()
        self.assertEqual(followup.state, "done")
        self.assertEqual(
            (
                followup.overdue_amount,
                followup.total_due,
                followup.oldest_due_date,
                followup.days_overdue,
            ),
            (600.0, 850.0, TODAY - timedelta(days=40), 40),
            "700 overdue less the credit note of 100; 250 not due yet",
        )
        self._pay(self.invoice, 700)
        self._refresh()
        self.assertNotEqual(self.case.overdue_amount, 600.0)
        self.assertEqual(followup.overdue_amount, 600.0, "what the letter said")
        self.assertEqual(followup.oldest_due_date, TODAY - timedelta(days=40))
        with freeze_time(TODAY + timedelta(days=5)):
            self.assertEqual(followup.days_overdue, 40)

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

    # ------------------------------------------------------------ batch rendering

    def _long_case(self):
        other = self.env["res.partner"].create({"name": "Long Debtor"})
        for age in range(45):
            self._post_invoice(10 + age, due_days_ago=age + 1, partner=other)
        self._refresh()
        long_case = self._case(other)
        alone = self.env[REPORT_MODEL]._render_statements(long_case)[long_case.id]
        alone_pages = len(PdfFileReader(io.BytesIO(alone)).pages)
        self.assertGreater(alone_pages, 1, "the long statement runs over several pages")
        return long_case, alone_pages

    def _assert_split(self, pdfs, cases, long_case, alone_pages):
        self.assertEqual(set(pdfs), set(cases.ids))
        for case in cases:
            reader = PdfFileReader(io.BytesIO(pdfs[case.id]))
            text = "".join(page.extract_text() for page in reader.pages)
            self.assertIn(case.name, text)
            self.assertNotIn((cases - case).name, text)
        pages = len(PdfFileReader(io.BytesIO(pdfs[long_case.id])).pages)
        self.assertEqual(pages, alone_pages, "the same pages as when rendered alone")

    def test_statements_rendered_together_are_each_their_own_pdf(self):
        long_case, alone_pages = self._long_case()
        cases = self.case | long_case
        # The process itself is counted: it may run in a worker thread.
        run = ir_actions_report._run_wkhtmltopdf
        with patch.object(ir_actions_report, "_run_wkhtmltopdf", side_effect=run) as wkhtmltopdf:
            pdfs = self.env[REPORT_MODEL]._render_statements(cases)
        # One process for the batch, whichever wkhtmltopdf build prints it.
        self.assertEqual(wkhtmltopdf.call_count, 1)
        self._assert_split(pdfs, cases, long_case, alone_pages)

    def test_statement_processes_do_not_wait_for_scripts(self):
        # A statement is static HTML: Odoo's default second for scripts to draw would
        # idle every process of a run.
        self.env["ir.config_parameter"].sudo().set_param("report.print_delay", "1000")
        if ir_actions_report._wkhtml().is_patched_qt:
            self.skipTest("a patched wkhtmltopdf prints through Odoo's own batch rendering")
        run = ir_actions_report._run_wkhtmltopdf
        with patch.object(ir_actions_report, "_run_wkhtmltopdf", side_effect=run) as wkhtmltopdf:
            self.env[REPORT_MODEL]._render_statements(self.case)
        args = wkhtmltopdf.call_args.args[0]
        self.assertEqual(args[args.index("--javascript-delay") + 1], "0")

    def test_statements_are_split_without_poppler_too(self):
        long_case, alone_pages = self._long_case()
        cases = self.case | long_case
        # Without poppler's tools the split is done in Python: the same statements.
        with patch.object(collection_statement_report, "_pdf_tools", return_value=None):
            pdfs = self.env[REPORT_MODEL]._render_statements(cases)
        self._assert_split(pdfs, cases, long_case, alone_pages)

    def test_statements_are_split_with_and_without_qpdf(self):
        tools = collection_statement_report._pdf_tools()
        if not tools or "qpdf" not in tools:
            self.skipTest("qpdf and poppler's tools are installed by the set-up")
        long_case, alone_pages = self._long_case()
        cases = self.case | long_case
        poppler = {name: path for name, path in tools.items() if name != "qpdf"}
        for label, installed in (("qpdf", tools), ("poppler only", poppler)):
            with (
                self.subTest(tools=label),
                patch.object(collection_statement_report, "_pdf_tools", return_value=installed),
                # The split in Python is the fallback: it must not be what is tested here.
                patch.object(
                    type(self.env[REPORT_MODEL]), "_split_statements", side_effect=AssertionError
                ),
            ):
                pdfs = self.env[REPORT_MODEL]._render_statements(cases)
                self._assert_split(pdfs, cases, long_case, alone_pages)

    def test_statement_processes_follow_the_system_parameter(self):
        report = self.env[REPORT_MODEL]
        param = collection_statement_report.STATEMENT_PROCESSES_PARAM
        self.assertEqual(
            report._statement_processes(), collection_statement_report.STATEMENT_WORKERS
        )
        self.env["ir.config_parameter"].sudo().set_param(param, "1")
        pool = collection_statement_report.ThreadPoolExecutor
        with patch.object(
            collection_statement_report, "ThreadPoolExecutor", side_effect=pool
        ) as made:
            pdfs = report._render_statements(self.case)
        self.assertEqual(made.call_args.kwargs, {"max_workers": 1}, "one process at a time")
        self.assertEqual(set(pdfs), set(self.case.ids))
        self.env["ir.config_parameter"].sudo().set_param(param, "two")
        with self.assertLogs(collection_statement_report.__name__, "WARNING") as logged:
            self.assertEqual(
                report._statement_processes(), collection_statement_report.STATEMENT_WORKERS
            )
        self.assertIn("not a positive whole number", logged.output[0])

    def test_statements_print_in_several_processes(self):
        cases = self.case
        for index in range(2):
            partner = self.env["res.partner"].create({"name": f"Other Debtor {index}"})
            self._post_invoice(100 + index, due_days_ago=12, partner=partner)
            self._refresh()
            cases |= self._case(partner)
        run = ir_actions_report._run_wkhtmltopdf
        with (
            patch.object(collection_statement_report, "STATEMENT_BATCH", 2),
            patch.object(ir_actions_report, "_run_wkhtmltopdf", side_effect=run) as wkhtmltopdf,
        ):
            pdfs = self.env[REPORT_MODEL]._render_statements(cases)
        self.assertEqual(wkhtmltopdf.call_count, 2, "two statements per process")
        self.assertEqual(set(pdfs), set(cases.ids))
        for case in cases:
            reader = PdfFileReader(io.BytesIO(pdfs[case.id]))
            text = "".join(page.extract_text() for page in reader.pages)
            self.assertIn(case.name, text)
            for other in cases - case:
                self.assertNotIn(other.name, text)

    def test_statements_to_attach_are_written_ahead_into_the_filestore(self):
        if ir_actions_report._wkhtml().is_patched_qt:
            self.skipTest("a patched wkhtmltopdf prints through Odoo's own batch rendering")
        other = self.env["res.partner"].create({"name": "Other Debtor"})
        self._post_invoice(100, due_days_ago=12, partner=other)
        self._refresh()
        cases = self.case | self._case(other)
        Attachment = self.env["ir.attachment"].sudo()

        def stored_file(pdf):
            checksum = Attachment._compute_checksum(pdf)
            return Attachment._full_path(f"{checksum[:2]}/{checksum}")

        statements = self.env[REPORT_MODEL]
        pdfs = statements._start_statements(cases, to_filestore=True)()
        # The printing threads wrote them where their attachments will find them: the
        # run's thread writes no file (creating thousands is slow on some disks).
        for pdf in pdfs.values():
            with open(stored_file(pdf), "rb") as stored:
                self.assertEqual(stored.read(), pdf)
        with patch.object(type(Attachment), "_mark_for_gc") as marked:
            attachment = Attachment.create(
                {"name": "Statement.pdf", "raw": pdfs[self.case.id], "res_model": "res.partner"}
            )
        marked.assert_not_called()
        self.assertEqual(attachment.raw, pdfs[self.case.id])
        # Attachments kept in the database: nothing is written ahead.
        self.env["ir.config_parameter"].sudo().set_param("ir_attachment.location", "db")
        self.case.partner_id.name = "Acme Renamed"
        renamed = statements._start_statements(self.case, to_filestore=True)()[self.case.id]
        with self.assertRaises(FileNotFoundError):
            open(stored_file(renamed), "rb").close()

    # ------------------------------------------------------------ e-mail bodies

    def _email_body(self, template_xmlid, attach_statement):
        policy = self.env["collection.policy"].create({"name": "Mails"})
        level = self.env["collection.level"].create(
            {
                "name": "Reminder",
                "policy_id": policy.id,
                "delay_days": 7,
                "send_email": True,
                "mail_template_id": self.env.ref(template_xmlid).id,
                "attach_statement": attach_statement,
            }
        )
        self.customer.email = "acme@example.com"
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": level.id})
        )
        followup._execute()
        self.assertEqual(followup.state, "done", followup.error)
        return followup.message_id

    def test_an_email_says_the_statement_is_attached_only_when_it_is(self):
        for xmlid in (
            "collections_officer.mail_template_collection_reminder",
            "collections_officer.mail_template_collection_second_reminder",
            "collections_officer.mail_template_collection_final_notice",
            "collections_officer.mail_template_collection_upcoming",
        ):
            with self.subTest(template=xmlid):
                without = self._email_body(xmlid, attach_statement=False)
                self.assertFalse(without.attachment_ids)
                self.assertNotIn("statement", str(without.body))
                self.assertNotIn("below", str(without.body), "nothing is listed below")
                with_statement = self._email_body(xmlid, attach_statement=True)
                self.assertTrue(with_statement.attachment_ids)
                self.assertIn("statement of account is attached", str(with_statement.body))

    # ------------------------------------------------------ what customers read

    def _plan(self):
        wizard = self.env["collection.plan.wizard"].create(
            {
                "case_id": self.case.id,
                "installment_count": 3,
                "first_date": TODAY + timedelta(days=7),
            }
        )
        return self.env["collection.plan"].browse(wizard.action_create_plan()["res_id"])

    def test_the_plan_pdf_keeps_the_internal_note_to_ourselves(self):
        plan = self._plan()
        plan.note = "<p>Agreed by phone with AP: they are short of cash until March.</p>"
        html = self._html(PLAN, plan)
        self.assertIn(self.case.name, html)
        self.assertNotIn("short of cash", html)

    def test_documents_say_how_to_pay_and_whom_to_contact(self):
        bank = self.env["res.bank"].create({"name": "Test Bank", "bic": "TESTBEBB"})
        account = self.env["res.partner.bank"].create(
            {
                "acc_number": "BE71 0961 2345 6769",
                "partner_id": self.company.partner_id.id,
                "bank_id": bank.id,
            }
        )
        self.bank_journal.bank_account_id = account
        self.officer.partner_id.phone = "+32 2 555 01 01"
        self.officer.email = "officer@example.com"
        self.case.user_id = self.officer
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": self._letter_level().id})
        )
        for report, records in (
            (STATEMENT, self.case),
            (LETTER, followup),
            (PLAN, self._plan()),
        ):
            with self.subTest(report=report):
                html = self._html(report, records)
                self.assertIn("BE71 0961 2345 6769", html)
                self.assertIn("TESTBEBB", html)
                self.assertIn(f"Please quote <strong>{self.case.name}</strong>", html)
                self.assertIn("officer@example.com", html)
                self.assertIn("+32 2 555 01 01", html)
        self.case.user_id = False
        self.company.write({"email": "credit@company.example", "phone": "+32 2 555 00 00"})
        html = self._html(STATEMENT, self.case)
        self.assertIn("credit@company.example", html)
        self.assertIn("+32 2 555 00 00", html)

    def test_statement_lines_in_their_document_currency(self):
        currency = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        eur_invoice = self._post_invoice(400, due_days_ago=20, currency_id=currency.id)
        self._refresh()
        self.assertEqual(self.case.total_due, 1050.0, "850 + 400 EUR at 2 EUR per unit")
        html = self._html(STATEMENT, self.case)
        row = html[html.index(eur_invoice.name) :]
        row = row[: row.index("</tr>")]
        self.assertIn("400.00", row, "the invoice's own amount")
        self.assertIn("€", row)
        self.assertNotIn("200.00", row, "never its value in company currency")
        self.assertNotIn("1,050.00", html, "nor a total in company currency")
        totals = html[html.index('name="total_due"') :]
        totals = totals[: totals.index("</td>")]
        self.assertIn("850.00", totals, "a total per currency")
        self.assertIn("400.00", totals)

    def test_statement_amounts_read_as_the_monetary_widget_writes_them(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["res.lang"]._activate_lang("de_CH")
        widget = self.env["ir.qweb.field.monetary"]
        report = self.env[REPORT_MODEL]
        eur = self.env.ref("base.EUR")
        eur.active = True
        jpy = self.env.ref("base.JPY")
        jpy.active = True
        for lang in ("en_US", "fr_FR", "de_CH"):
            for currency in self.company.currency_id | eur | jpy:
                format_amount = report._amount_formatter(lang, currency)
                for amount in (0.0, -0.0, -0.004, 0.01, 1234567.891, -1234.5, 1e9 + 0.125):
                    html = widget.with_context(lang=lang).value_to_html(
                        amount, {"display_currency": currency}
                    )
                    expected = unescape(re.sub("<[^>]+>", "", str(html))).replace("\ufeff", "")
                    self.assertEqual(format_amount(amount), expected, (lang, currency.name, amount))

    def test_statement_speaks_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        html = self._html(STATEMENT, self.case)
        self.assertIn("700,00", html, "French decimal comma on the lines")
        self.assertIn("850,00", html, "and on the totals")
        self.assertIn(
            format_date(self.env, self.invoice.invoice_date_due, "fr_FR", date_format="long"), html
        )
