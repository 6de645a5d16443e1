import contextlib
import io
import logging
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from lxml import html as lxml_html
from markupsafe import Markup

from odoo import api, models
from odoo.addons.base.models import ir_actions_report
from odoo.addons.base.models.ir_actions_report import _wkhtml
from odoo.exceptions import UserError
from odoo.tools import find_in_path, split_every
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

_logger = logging.getLogger(__name__)

STATEMENT_REPORT = "collections_officer.action_report_collection_statement"
# Statements rendered and printed per wkhtmltopdf process, and processes running at
# once: the first half of a run's batch prints while the second is rendered. Smaller
# batches did not pay on the 2,000-customer benchmark (by 50: 40 processes, more CPU
# and more queries than by 100).
STATEMENT_BATCH = 100
STATEMENT_WORKERS = 2
# The system parameter that sets the processes at once instead (each Odoo worker that
# prints runs that many: several workers on the same cores may want 1).
STATEMENT_PROCESSES_PARAM = "collections_officer.statement_processes"


def _print_pdf(command, document, names=(), store=None):
    """Run wkhtmltopdf on one HTML document of the statements of the cases named
    ``names``: ``(return code, PDF bytes, stderr, one PDF per name or None)``.

    The split is done here too when the PDF tools are installed (processes, off
    the interpreter), else the caller splits. ``store``, when given, is called
    with each statement's PDF (see ``_filestore_writer``). Runs in a worker
    thread: files and processes only, no ORM and no cursor.
    """
    with tempfile.TemporaryDirectory(prefix="collection_statements.") as directory:
        source = os.path.join(directory, "statements.html")
        target = os.path.join(directory, "statements.pdf")
        if len(document) >= 4 * 1024 * 1024:
            # As Odoo does: wkhtmltopdf slows down exponentially on very long tables.
            tree = lxml_html.fromstring(document)
            ir_actions_report._split_table(tree, 500)
            document = lxml_html.tostring(tree, encoding="unicode")
        with open(source, "w", encoding="utf-8") as html_file:
            html_file.write(document)
        # Looked up at each call, like Odoo does, so that it can be timed or replaced.
        process = ir_actions_report._run_wkhtmltopdf([*command, source, target])
        if process.returncode not in (0, 1):
            return process.returncode, b"", process.stderr or "", None
        with open(target, "rb") as pdf_file:
            pdf = pdf_file.read()
        split = _split_with_tools(directory, target, names) if len(names) > 1 else None
        if store:
            for statement in split or ([pdf] if len(names) <= 1 else []):
                store(statement)
        return process.returncode, pdf, process.stderr or "", split


def _without_javascript_delay(command):
    """The wkhtmltopdf arguments without the wait Odoo gives scripts to draw (a second
    by default): a statement is static HTML, and each process would idle that long."""
    command = list(command)
    if "--javascript-delay" in command:
        index = command.index("--javascript-delay")
        command[index + 1] = "0"
    return command


def _pdf_tools():
    """Paths of the command-line tools that cut printed statements, by name, or None.

    Poppler's pdfinfo, pdftotext, pdfseparate and pdfunite are needed; qpdf, when
    installed, counts and cuts the pages in about half the time of poppler.
    """
    try:
        tools = {
            name: find_in_path(name) for name in ("pdfinfo", "pdftotext", "pdfseparate", "pdfunite")
        }
    except OSError:
        return None
    with contextlib.suppress(OSError):
        tools["qpdf"] = find_in_path("qpdf")
    return tools


def _statement_starts(pages, names):
    """The page where each named statement starts: the first page, after the previous
    statement's start, that carries its case's reference. None when one is missing."""
    if len(pages) == len(names):
        return list(range(len(names)))
    starts, expected = [], list(names)
    for number, text in enumerate(pages):
        if expected and expected[0] in text:
            starts.append(number)
            expected.pop(0)
    if expected or starts[0] != 0:
        return None
    return starts


def _qpdf(tools, *args):
    """Run qpdf; its exit code 3 only reports warnings, the output is written."""
    process = subprocess.run(
        [tools["qpdf"], *args], capture_output=True, check=False, encoding="utf-8"
    )
    if process.returncode not in (0, 3):
        raise subprocess.CalledProcessError(process.returncode, process.args, stderr=process.stderr)
    return process.stdout


def _page_count(tools, pdf_path):
    """The number of pages of a PDF, or None when it cannot be read."""
    if "qpdf" in tools:
        return int(_qpdf(tools, "--show-npages", pdf_path))
    info = subprocess.run(
        [tools["pdfinfo"], pdf_path], capture_output=True, check=True, encoding="utf-8"
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)\s*$", info, re.MULTILINE)
    return int(found.group(1)) if found else None


def _cut_pages(tools, pdf_path, directory):
    """A PDF file per page of the PDF, in ``directory``: their paths, in page order."""
    if "qpdf" in tools:
        _qpdf(tools, "--split-pages", pdf_path, os.path.join(directory, "page.pdf"))
    else:
        pattern = os.path.join(directory, "page-%d.pdf")
        subprocess.run([tools["pdfseparate"], pdf_path, pattern], capture_output=True, check=True)
    # page-7.pdf from pdfseparate, page-007.pdf from qpdf
    names = sorted(os.listdir(directory), key=lambda name: int(re.findall(r"\d+", name)[-1]))
    return [os.path.join(directory, name) for name in names]


def _split_with_tools(directory, pdf_path, names):
    """One PDF per name, cut with the command-line tools; None when they are missing
    or fail."""
    tools = _pdf_tools()
    if not tools:
        return None
    try:
        count = _page_count(tools, pdf_path)
        if count == len(names):
            # A page per statement, the common case: no need to read the pages to cut.
            starts = list(range(count))
        else:
            text = subprocess.run(
                [tools["pdftotext"], "-enc", "UTF-8", pdf_path, "-"],
                capture_output=True,
                check=True,
                encoding="utf-8",
            ).stdout
            pages = text.split("\f")[:-1]  # each page ends with a form feed
            starts = _statement_starts(pages, names)
            count = len(pages)
        if not starts:
            return None
        page_directory = os.path.join(directory, "pages")
        os.mkdir(page_directory)
        page_files = _cut_pages(tools, pdf_path, page_directory)
        if len(page_files) != count:
            return None
        pdfs = []
        for index, (first, last) in enumerate(zip(starts, [*starts[1:], count], strict=True)):
            files = page_files[first:last]
            if len(files) > 1:
                target = os.path.join(directory, f"statement-{index}.pdf")
                subprocess.run([tools["pdfunite"], *files, target], capture_output=True, check=True)
                files = [target]
            with open(files[0], "rb") as pdf_file:
                pdfs.append(pdf_file.read())
        return pdfs
    except (OSError, ValueError, subprocess.CalledProcessError, UnicodeDecodeError):
        return None


class CollectionStatementReport(models.AbstractModel):
    """The customer statement printed to PDF, and the documents sent with follow-ups.

    Statements are printed in batches, one wkhtmltopdf process per batch in the
    background, and cut again into one PDF per case; the invoices sent with a
    follow-up go as their own PDFs, rendered by Odoo when missing. What a
    statement says is in ``collection_statement_data``.
    """

    _name = "report.collections_officer.report_collection_statement"
    _description = "Customer Statement"

    @api.model
    def _statement_file_name(self, case):
        """The name of the PDF file of a case's statement, as it is attached."""
        return self.env._("Statement %(case)s.pdf", case=case.name).replace("/", "-")

    @api.model
    def _render_statements(self, cases):
        """The customer statement of each case as PDF bytes: ``{case_id: bytes}``."""
        return self._start_statements(cases)()

    @api.model
    def _filestore_writer(self):
        """A function writing a PDF into the filestore, where an attachment of that PDF
        finds it when it is created; None when attachments are kept in the database.

        Called from the printing threads: creating thousands of files is slow on
        some disks, and this is file I/O only (no cursor), done while the run's
        thread works. A file whose attachment is never created is marked for
        Odoo's filestore garbage collection like any other.
        """
        attachments = self.env["ir.attachment"].sudo()
        if attachments._storage() == "db":
            return None
        return lambda pdf: attachments._file_write(pdf, attachments._compute_checksum(pdf))

    @api.model
    def _statement_processes(self):
        """How many wkhtmltopdf processes print statements at once in this worker: the
        system parameter ``collections_officer.statement_processes``, else
        ``STATEMENT_WORKERS``. A value that is not a positive whole number is logged
        and the default used: statements keep printing."""
        value = self.env["ir.config_parameter"].sudo().get_param(STATEMENT_PROCESSES_PARAM)
        if not value:
            return STATEMENT_WORKERS
        try:
            processes = int(value)
        except ValueError:
            processes = 0
        if processes < 1:
            _logger.warning(
                "System parameter %s is %r, not a positive whole number: %s processes are used.",
                STATEMENT_PROCESSES_PARAM,
                value,
                STATEMENT_WORKERS,
            )
            return STATEMENT_WORKERS
        return processes

    @api.model
    def _start_statements(self, cases, to_filestore=False):
        """Start printing the customer statements of ``cases``; returns a function that
        waits for them and gives ``{case_id: bytes}``. With ``to_filestore``, the
        PDFs are written ahead into the filestore, for the caller to attach them.

        Odoo's own batch rendering: one wkhtmltopdf call for ``STATEMENT_BATCH`` cases,
        each statement its own document (its own page numbers), split again per case
        by page count or by the statement's top-level heading (its only ``<h2>``).
        The wkhtmltopdf processes run in the background, ``_statement_processes`` at a
        time, while the next statements are rendered and the caller goes on with its
        work (the e-mails): only the processes run in the threads, never the ORM.
        """
        report = self.env["ir.actions.report"].with_context(debug=False)
        if _wkhtml().is_patched_qt:
            streams = report._render_qweb_pdf_prepare_streams(
                STATEMENT_REPORT, {}, res_ids=cases.ids
            )
            pdfs = {case.id: streams[case.id]["stream"].getvalue() for case in cases}
            return lambda: pdfs
        # A wkhtmltopdf built on unpatched Qt (Debian's) takes one document per call
        # and draws no header or footer, so no page number can run across the batch:
        # the statements of a batch are printed as one document (a process costs about
        # a second) and split again where each one starts.
        statement_report = report._get_report(STATEMENT_REPORT)
        paperformat = statement_report.get_paperformat()
        store = self._filestore_writer() if to_filestore else None
        pool = ThreadPoolExecutor(max_workers=self._statement_processes())
        jobs = []
        try:
            for batch in split_every(STATEMENT_BATCH, cases.ids, cases.browse):
                html = report._render_qweb_html(STATEMENT_REPORT, batch.ids, data={"debug": False})
                document, html_ids, articles, paperformat_args = self._statements_document(html[0])
                command = _without_javascript_delay(
                    statement_report._build_wkhtmltopdf_args(
                        paperformat, False, specific_paperformat_args=paperformat_args
                    )
                )
                names = [case.name for case in cases.browse(html_ids)]
                jobs.append(
                    (
                        html_ids,
                        names,
                        articles,
                        command,
                        pool.submit(_print_pdf, command, document, names, store),
                    )
                )
        except Exception:
            pool.shutdown(cancel_futures=True)
            raise

        def wait():
            try:
                pdfs = {}
                for html_ids, names, articles, command, job in jobs:
                    pdf, split = self._printed(job.result())
                    if split is None:
                        split = self._split_statements(pdf, names) if len(articles) > 1 else [pdf]
                    if not split:
                        # A statement not found: each one printed alone.
                        alone = [
                            pool.submit(_print_pdf, command, self._wrap_statements([article]))
                            for article in articles
                        ]
                        split = [self._printed(job.result())[0] for job in alone]
                    pdfs.update(zip(html_ids, split, strict=True))
                return pdfs
            finally:
                pool.shutdown(cancel_futures=True)

        return wait

    @api.model
    def _printed(self, result):
        """The PDF of a wkhtmltopdf process and its split (or None), or the error it
        ended with."""
        returncode, pdf, error, split = result
        if returncode == 1:
            # Unpatched Qt complains about the header and footer options, and the
            # assets it cannot fetch without a web server: the PDF is there.
            _logger.warning("wkhtmltopdf: %s", error)
        elif returncode:
            raise UserError(
                self.env._(
                    "Wkhtmltopdf failed (error code: %(code)s). Message: %(message)s",
                    code=returncode,
                    message=error[-1000:],
                )
            )
        return pdf, split

    @api.model
    def _statements_document(self, html):
        """One HTML document for wkhtmltopdf of the statements rendered in ``html``:
        ``(document, case ids, statements, paperformat arguments)``, ``statements``
        the HTML of each one (its ``article``), in the order of the case ids.

        What Odoo's ``_prepare_html`` does for a batch, without the header and footer
        that unpatched Qt cannot draw, and with the page layout rendered once for the
        batch rather than once per statement.
        """
        root = lxml_html.fromstring(html, parser=lxml_html.HTMLParser(encoding="utf-8"))
        div_of_class = "//div[contains(concat(' ', normalize-space(@class), ' '), ' %s ')]"
        for node in root.xpath(div_of_class % "header") + root.xpath(div_of_class % "footer"):
            node.getparent().remove(node)
        nodes = root.xpath(div_of_class % "article")
        case_ids = [int(node.get("data-oe-id")) for node in nodes]
        articles = [lxml_html.tostring(node, encoding="unicode") for node in nodes]
        paperformat_args = {
            name: value for name, value in root.items() if name.startswith("data-report-")
        }
        lang = nodes[0].get("data-oe-lang") if nodes else None
        return self._wrap_statements(articles, lang), case_ids, articles, paperformat_args

    @api.model
    def _wrap_statements(self, articles, lang=None):
        """The statements ``articles`` in the report's page layout, each starting a page."""
        report = self.env["ir.actions.report"]._get_report(STATEMENT_REPORT)
        layout = report._get_layout()
        page_break = '<div style="page-break-before: always;"></div>'
        document = (
            self.env["ir.qweb"]
            .with_context(lang=lang or self.env.lang)
            ._render(
                layout.id,
                {
                    "subst": False,
                    "body": Markup(page_break.join(articles)),
                    "base_url": report._get_report_url(layout=layout),
                    "report_xml_id": report.xml_id,
                    "debug": False,
                },
            )
        )
        return str(document)

    @api.model
    def _split_statements(self, pdf, names):
        """Split a PDF of the statements of the cases named ``names`` (in that order).

        Each statement starts a page and names its case at the top: a case's
        statement starts on the first page, after the previous one's, that
        carries its reference (unpatched Qt writes no outline to split on).
        Returns one PDF per name, or ``[]`` when a statement is not found (the
        caller then prints them one by one).
        """
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        pages = reader.pages
        if len(pages) != len(names):
            pages = [page.extract_text() for page in pages]
        starts = _statement_starts(pages, names)
        if not starts:
            return []
        pdfs = []
        for first, last in zip(starts, [*starts[1:], len(reader.pages)], strict=True):
            writer = PdfFileWriter()
            for number in range(first, last):
                writer.add_page(reader.pages[number])
            stream = io.BytesIO()
            writer.write(stream)
            pdfs.append(stream.getvalue())
        return pdfs

    @api.model
    def _invoice_pdf_attachments(self, cases):
        """The PDFs of each case's overdue invoices: ``{case_id: attachments}``.

        A case with nothing overdue yet (a reminder before the due date) gets
        the invoices falling due. Invoices never sent get Odoo's own invoice PDF,
        rendered in one go and kept on the invoice as when it is sent.
        """
        invoices_by_case = {
            case.id: case.open_line_ids.filtered(
                lambda line, case=case: (
                    line.date_maturity
                    and (
                        line.date_maturity < case.company_id._collection_today()
                        or not case.oldest_due_date
                    )
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
