from odoo import api, fields, models
from odoo.addons.base.models.ir_actions_report import _wkhtml

STATEMENT_REPORT = "collections_officer.action_report_collection_statement"


class CollectionStatementReport(models.AbstractModel):
    """The customer statement, and the documents sent with follow-ups."""

    _name = "report.collections_officer.report_collection_statement"
    _description = "Customer Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["collection.case"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.case",
            "docs": cases,
            # The user's today, the one the case's ages are counted from.
            "today": fields.Date.context_today(self),
            "bank_accounts": self._payment_bank_accounts(cases.company_id),
        }

    @api.model
    def _payment_bank_accounts(self, companies):
        """The accounts customers pay into, per company id.

        The bank accounts of the company's bank journals (where payments are
        received and matched), else the bank accounts of the company itself.
        Customer documents name them in their body: the PDF header and footer
        are not drawn by every wkhtmltopdf build.
        """
        journals = (
            self.env["account.journal"]
            .sudo()
            .search(
                [
                    ("type", "=", "bank"),
                    ("company_id", "in", companies.ids),
                    ("bank_account_id", "!=", False),
                ]
            )
        )
        accounts = {}
        for company in companies:
            accounts[company.id] = (
                journals.filtered(lambda j, c=company: j.company_id == c).bank_account_id
                or company.sudo().partner_id.bank_ids
            )
        return accounts

    @api.model
    def _render_statements(self, cases):
        """The customer statement of each case as PDF bytes: ``{case_id: bytes}``.

        Odoo's own batch rendering: one wkhtmltopdf call for all the cases,
        each statement its own document (its own page numbers), split again
        per case by page count or by the statement's top-level heading (its
        only ``<h2>``).
        """
        report = self.env["ir.actions.report"].with_context(debug=False)
        if _wkhtml().is_patched_qt:
            streams = report._render_qweb_pdf_prepare_streams(
                STATEMENT_REPORT, {}, res_ids=cases.ids
            )
            return {case.id: streams[case.id]["stream"].getvalue() for case in cases}
        # A wkhtmltopdf built on unpatched Qt (Debian's) takes one document per call:
        # the batch is still rendered and split per statement by Odoo in one go, then
        # each statement is printed by a call of its own.
        html = report._render_qweb_html(STATEMENT_REPORT, cases.ids, data={"debug": False})[0]
        bodies, html_ids, header, footer, paperformat = report._prepare_html(
            html, report_model="collection.case"
        )
        statement_report = report._get_report(STATEMENT_REPORT)
        return {
            case_id: report._run_wkhtmltopdf(
                [body],
                report_ref=statement_report,
                header=header,
                footer=footer,
                specific_paperformat_args=paperformat,
            )
            for case_id, body in zip(html_ids, bodies, strict=True)
        }

    @api.model
    def _invoice_pdf_attachments(self, cases):
        """The PDFs of each case's overdue invoices: ``{case_id: attachments}``.

        A case with nothing overdue yet (a reminder before the due date) gets
        the invoices falling due. Invoices never sent get Odoo's own invoice PDF,
        rendered in one go and kept on the invoice as when it is sent.
        """
        today = fields.Date.context_today(self)
        invoices_by_case = {
            case.id: case.open_line_ids.filtered(
                lambda line, case=case: (
                    line.date_maturity
                    and (line.date_maturity < today or not case.oldest_due_date)
                    and not line.no_followup
                    and line.amount_residual > 0
                )
            ).move_id.filtered(lambda move: move.is_invoice())
            for case in cases
        }
        invoices = self.env["account.move"].union(*invoices_by_case.values())
        missing = invoices.filtered(lambda move: not move.invoice_pdf_report_id).sudo()
        send = self.env["account.move.send"].sudo()
        for company_invoices in missing.grouped("company_id").values():
            data = {
                move: {"pdf_report": send._get_default_pdf_report_id(move)}
                for move in company_invoices
            }
            send._prepare_invoice_pdf_report(data)
            send._link_invoice_documents(data)
        return {case_id: moves.invoice_pdf_report_id for case_id, moves in invoices_by_case.items()}
