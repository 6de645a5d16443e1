import csv
import io
import re
import zipfile

from markupsafe import Markup

from odoo import api, models
from odoo.tools import html2plaintext

INVOICE_REPORT = "account.account_invoices"
LETTER_REPORT = "collections_officer.action_report_collection_letter"


class CollectionLegalPack(models.AbstractModel):
    """The hand-over pack: everything a lawyer or an agency needs, in one zip."""

    _name = "collection.legal.pack"
    _description = "Legal Action Hand-over Pack"

    @api.model
    def _build(self, legal):
        """Build the pack of ``legal`` as a zip attachment on it and return the attachment.

        The statement, every open invoice, the contact log, the promises, plans
        and disputes, the letters sent with their dates, the case's attachments
        and the legal action's own documents, with an index of what is inside.
        """
        legal.ensure_one()
        case = legal.case_id
        files = []  # (path, description, bytes)
        files.append(
            (
                "statement.pdf",
                self.env._(
                    "Customer statement on %(date)s", date=legal.company_id._collection_today()
                ),
                self.env["report.collections_officer.report_collection_statement"]
                .sudo()
                ._render_statements(case)[case.id],
            )
        )
        files += self._invoice_files(case)
        files.append(
            (
                "contact_log.csv",
                self.env._("Every contact with the customer, oldest first"),
                self._contact_log_csv(case),
            )
        )
        files.append(
            (
                "promises.csv",
                self.env._("Promises to pay and what became of them"),
                self._promises_csv(case),
            )
        )
        files.append(
            ("plans.csv", self.env._("Payment plans and their state"), self._plans_csv(case))
        )
        files.append(("disputes.csv", self.env._("Disputes of invoices"), self._disputes_csv(case)))
        files += self._letter_files(case)
        files += self._attachment_files(
            "attachments",
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "collection.case"), ("res_id", "=", case.id)]),
            self.env._("Document kept on the case"),
            legal.company_id,
        )
        files += self._attachment_files(
            "legal",
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "collection.legal"),
                    ("res_id", "=", legal.id),
                    ("id", "!=", legal.pack_attachment_id.id),
                    ("mimetype", "!=", "application/zip"),
                ]
            ),
            self.env._("Document of the legal action"),
            legal.company_id,
        )
        index = self._index_csv(legal, files)
        stream = io.BytesIO()
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("index.csv", index)
            for path, _description, content in files:
                archive.writestr(path, content)
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Hand-over pack %(name)s.zip", name=legal.name).replace(
                    "/", "-"
                ),
                "raw": stream.getvalue(),
                "mimetype": "application/zip",
                "res_model": legal._name,
                "res_id": legal.id,
            }
        )
        legal.sudo().pack_attachment_id = attachment
        legal.message_post(
            body=Markup("%s")
            % self.env._(
                "Hand-over pack built by %(user)s: %(count)s documents.",
                user=self.env.user.name,
                count=len(files),
            ),
            attachment_ids=attachment.ids,
        )
        case._message_log(
            body=self.env._(
                "Hand-over pack of legal action %(name)s built (%(count)s documents).",
                name=legal.name,
                count=len(files),
            )
        )
        return attachment

    # ---------------------------------------------------------------- files

    @api.model
    def _safe_name(self, name):
        return re.sub(r"[^\w.\- ]+", "-", name or "").strip() or "document"

    @api.model
    def _unique(self, path, taken):
        stem, dot, ext = path.rpartition(".")
        candidate, number = path, 1
        while candidate in taken:
            number += 1
            candidate = f"{stem} ({number}){dot}{ext}" if dot else f"{path} ({number})"
        taken.add(candidate)
        return candidate

    @api.model
    def _render_pdf(self, report, record_ids):
        """A real PDF of ``report`` for one record, also where tests render HTML."""
        pdf, _type = (
            self.env["ir.actions.report"]
            .sudo()
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, record_ids)
        )
        return pdf

    @api.model
    def _invoice_files(self, case):
        """Every open invoice of the case, as Odoo prints it (the PDF kept on the invoice
        when it was sent, else a new one)."""
        invoices = (
            case.open_line_ids.filtered(lambda line: line.amount_residual > 0)
            .move_id.filtered(lambda move: move.is_invoice(include_receipts=True))
            .sorted(lambda move: (move.invoice_date_due or move.date, move.id))
            .sudo()
        )
        files, taken = [], set()
        for invoice in invoices:
            kept = invoice.invoice_pdf_report_id
            if kept and (kept.raw or b"").startswith(b"%PDF"):
                content = kept.raw
            else:
                # One invoice per call: Debian's wkhtmltopdf prints one document at a time.
                report = self.env["account.move.send"]._get_default_pdf_report_id(invoice)
                content = self._render_pdf(report.report_name or INVOICE_REPORT, invoice.ids)
            files.append(
                (
                    self._unique(f"invoices/{self._safe_name(invoice.name)}.pdf", taken),
                    self.env._(
                        "Invoice %(invoice)s of %(date)s, due %(due)s, open %(residual)s",
                        invoice=invoice.name,
                        date=invoice.invoice_date,
                        due=invoice.invoice_date_due,
                        residual=invoice.amount_residual,
                    ),
                    content,
                )
            )
        return files

    @api.model
    def _letter_files(self, case):
        """The follow-ups that reached the customer: a list with their dates, the e-mails
        with what they attached, and the letters printed."""
        followups = (
            self.env["collection.followup"]
            .sudo()
            .search(
                [("case_id", "=", case.id), ("state", "in", ("done", "pending"))], order="date, id"
            )
        )
        files, taken = [], set()
        files.append(
            (
                "letters/letters_sent.csv",
                self.env._("The follow-up letters and e-mails sent, with their dates"),
                self._csv(
                    followups,
                    [
                        ("date", self.env._("Date")),
                        ("level_id", self.env._("Level")),
                        ("done_actions", self.env._("Actions")),
                        ("overdue_amount", self.env._("Overdue When Sent")),
                        ("total_due", self.env._("Total Due When Sent")),
                        ("sent_by_id", self.env._("Sent By")),
                    ],
                ),
            )
        )
        for followup in followups:
            prefix = f"letters/{followup.date} {self._safe_name(followup.level_id.name)}"
            actions = set((followup.done_actions or "").split(","))
            if followup.message_id:
                message = followup.message_id
                files.append(
                    (
                        self._unique(f"{prefix} e-mail.html", taken),
                        self.env._(
                            "E-mail %(subject)s sent on %(date)s",
                            subject=message.subject or "",
                            date=message.date,
                        ),
                        str(message.body or "").encode(),
                    )
                )
                for attachment in message.attachment_ids:
                    files.append(
                        (
                            self._unique(f"{prefix} {self._safe_name(attachment.name)}", taken),
                            self.env._("Attached to the e-mail of %(date)s", date=followup.date),
                            attachment.raw or b"",
                        )
                    )
            if "letter" in actions or followup.letter_printed:
                files.append(
                    (
                        self._unique(f"{prefix} letter.pdf", taken),
                        self.env._("Letter of %(date)s", date=followup.date),
                        self._render_pdf(LETTER_REPORT, followup.ids),
                    )
                )
        return files

    @api.model
    def _attachment_files(self, folder, attachments, description, company):
        """Files of ``attachments``, each dated on ``company``'s day it was added."""
        files, taken = [], set()
        for attachment in attachments.sorted("id"):
            files.append(
                (
                    self._unique(f"{folder}/{self._safe_name(attachment.name)}", taken),
                    f"{description} ({company._collection_today(attachment.create_date)})",
                    attachment.raw or b"",
                )
            )
        return files

    # ------------------------------------------------------------------ CSV

    @api.model
    def _cell(self, record, name):
        field = record._fields[name]
        value = record[name]
        if field.type in ("many2one", "many2many", "one2many"):
            return ", ".join(value.mapped("display_name"))
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, "") if value else ""
        if field.type == "html":
            return html2plaintext(value or "").strip()
        if field.type == "boolean":
            return "yes" if value else "no"
        if value is False or value is None:
            return ""
        return str(value)

    @api.model
    def _csv(self, records, columns):
        stream = io.StringIO()
        writer = csv.writer(stream)
        writer.writerow([label for _name, label in columns])
        for record in records:
            writer.writerow([self._cell(record, name) for name, _label in columns])
        return stream.getvalue().encode()

    @api.model
    def _contact_log_csv(self, case):
        contacts = (
            self.env["collection.contact"]
            .sudo()
            .search([("case_id", "=", case.id)], order="date, id")
        )
        return self._csv(
            contacts,
            [
                ("date", self.env._("Date")),
                ("channel", self.env._("Channel")),
                ("direction", self.env._("Direction")),
                ("partner_id", self.env._("Contact")),
                ("outcome", self.env._("Outcome")),
                ("user_id", self.env._("Officer")),
                ("level_id", self.env._("Follow-up Level")),
                ("blocked_reason", self.env._("Blocked Because")),
                ("note", self.env._("Note")),
            ],
        )

    @api.model
    def _promises_csv(self, case):
        promises = (
            self.env["collection.promise"]
            .sudo()
            .search([("case_id", "=", case.id)], order="start_date, id")
        )
        return self._csv(
            promises,
            [
                ("start_date", self.env._("Recorded On")),
                ("date", self.env._("Promised Date")),
                ("amount", self.env._("Amount")),
                ("currency_id", self.env._("Currency")),
                ("channel", self.env._("Channel")),
                ("state", self.env._("State")),
                ("amount_received", self.env._("Received")),
                ("user_id", self.env._("Officer")),
                ("note", self.env._("Note")),
            ],
        )

    @api.model
    def _plans_csv(self, case):
        plans = self.env["collection.plan"].sudo().search([("case_id", "=", case.id)], order="id")
        return self._csv(
            plans,
            [
                ("display_name", self.env._("Plan")),
                ("date_start", self.env._("Start")),
                ("date_end", self.env._("End")),
                ("frequency", self.env._("Frequency")),
                ("amount_total", self.env._("Amount")),
                ("currency_id", self.env._("Currency")),
                ("state", self.env._("State")),
                ("activation_date", self.env._("Agreed On")),
                ("missed_count", self.env._("Missed Installments")),
                ("note", self.env._("Note")),
            ],
        )

    @api.model
    def _disputes_csv(self, case):
        disputes = (
            self.env["collection.dispute"].sudo().search([("case_id", "=", case.id)], order="id")
        )
        columns = [
            (name, disputes._fields[name]._description_string(self.env))
            for name in (
                "create_date",
                "move_id",
                "amount",
                "reason",
                "description",
                "state",
                "owner_id",
                "deadline",
            )
        ]
        return self._csv(disputes, columns)

    @api.model
    def _index_csv(self, legal, files):
        stream = io.StringIO()
        writer = csv.writer(stream)
        writer.writerow([self.env._("File"), self.env._("Content"), self.env._("Size (bytes)")])
        writer.writerow(
            [
                "index.csv",
                self.env._(
                    "Hand-over pack of %(name)s, case %(case)s, customer %(customer)s, built "
                    "on %(date)s",
                    name=legal.name,
                    case=legal.case_id.name,
                    customer=legal.partner_id.display_name,
                    date=legal.company_id._collection_today(),
                ),
                "",
            ]
        )
        for path, description, content in files:
            writer.writerow([path, description, len(content)])
        return stream.getvalue().encode()
