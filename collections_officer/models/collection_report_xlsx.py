import base64
import datetime
import io
import re

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from odoo import api, models

# Day 0 of Excel's 1900 date system, as seen from 1900-03-01 on.
EXCEL_EPOCH = datetime.date(1899, 12, 30)


class CollectionReportXlsx(models.AbstractModel):
    """The XLSX workbooks of the desk's reports.

    Written in xlsxwriter's constant-memory mode (each row goes to disk as it is
    written), so a book of any size takes little memory; totals are formulas
    (with their value cached, for readers that do not compute).
    """

    _name = "collection.report.xlsx"
    _description = "Collections: XLSX Reports"

    # ---------------------------------------------------------------- helpers

    @api.model
    def _new_workbook(self, stream):
        workbook = xlsxwriter.Workbook(
            stream, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"}
        )
        styles = {
            "header": workbook.add_format(
                {
                    "bold": True,
                    "bg_color": "#D9E1F2",
                    "bottom": 1,
                    "text_wrap": True,
                    "valign": "top",
                }
            ),
            "title": workbook.add_format({"bold": True, "font_size": 13}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "int": workbook.add_format({"num_format": "0"}),
            "total_label": workbook.add_format({"bold": True, "top": 1}),
            "total_int": workbook.add_format({"bold": True, "top": 1, "num_format": "0"}),
        }
        return workbook, styles

    @api.model
    def _money_format(self, currency):
        """An Excel number format showing amounts in ``currency``: "#,##0.00 "€""."""
        number = "#,##0" + ("." + "0" * currency.decimal_places if currency.decimal_places else "")
        symbol = (currency.symbol or currency.name).replace('"', "")
        return f'"{symbol}" {number}' if currency.position == "before" else f'{number} "{symbol}"'

    @api.model
    def _sheet_name(self, name, taken):
        """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
        base = re.sub(r"[\[\]:*?/\\]", " ", name or "")[:31].strip() or "Sheet"
        candidate, index = base, 2
        while candidate.lower() in taken:
            suffix = f" ({index})"
            candidate = base[: 31 - len(suffix)] + suffix
            index += 1
        taken.add(candidate.lower())
        return candidate

    @api.model
    def _download(self, record, content, filename):
        """An action downloading ``content``, kept as an attachment of ``record``."""
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(content),
                "res_model": record._name,
                "res_id": record.id,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @staticmethod
    def _cell(row, col):
        return xl_rowcol_to_cell(row, col)

    # ------------------------------------------------------------------ aging

    @api.model
    def _aging_workbook(self, rows, as_of, companies, buckets, tie_out=None):
        """The aged receivables as an XLSX file (bytes): one sheet per company.

        ``rows``: items as ``collection.aging.report._compute_aging`` gives them,
        with the same ``buckets``: an iterable read once, row by row, in the order
        of ``companies.sorted("name")`` (``collection.aging.line._stream_rows``),
        or a list, put in that order here. Each row goes to the sheet as it
        comes: the rows are never all held at once. ``tie_out``: the result of
        ``_tie_out``, written on a last sheet when given.
        """
        report = self.env["collection.aging.report"]
        labels = report._bucket_labels(report._parse_buckets(buckets))
        sorted_companies = companies.sorted("name")
        if isinstance(rows, list):
            position = {company.id: index for index, company in enumerate(sorted_companies)}
            rows = sorted(rows, key=lambda row: position.get(row["company_id"], len(position)))
        stream = io.BytesIO()
        workbook, styles = self._new_workbook(stream)
        money_formats, total_formats = {}, {}

        def money(currency, total=False):
            cache = total_formats if total else money_formats
            if currency.id not in cache:
                props = {"num_format": self._money_format(currency)}
                if total:
                    props |= {"bold": True, "top": 1}
                cache[currency.id] = workbook.add_format(props)
            return cache[currency.id]

        # A handful of officers, teams and currencies: each read once, when first met.
        names = {"res.users": {}, "collection.team": {}}
        currency_by_id = {}

        def name_of(model, record_id):
            cache = names[model]
            if record_id not in cache:
                cache[record_id] = self.env[model].sudo().browse(record_id).name
            return cache[record_id]

        def currency_of(currency_id):
            if currency_id not in currency_by_id:
                currency_by_id[currency_id] = self.env["res.currency"].browse(currency_id)
            return currency_by_id[currency_id]

        headers = [
            self.env._("Customer"),
            self.env._("Officer"),
            self.env._("Team"),
            self.env._("Entry"),
            self.env._("Date"),
            self.env._("Due Date"),
            self.env._("Days"),
            self.env._("Foreign Currency"),
            self.env._("Open in Foreign Currency"),
            *labels,
            self.env._("Total"),
        ]
        first_bucket = 9
        total_col = first_bucket + len(labels)
        rows = iter(rows) if isinstance(rows, list) else rows
        pending = next(rows, None)
        taken = set()
        total_cells = {}
        for company in sorted_companies:
            has_rows = pending is not None and pending["company_id"] == company.id
            if len(companies) > 1 and not has_rows and company.id not in (tie_out or {}):
                continue
            sheet_name = self._sheet_name(company.name, taken)
            sheet = workbook.add_worksheet(sheet_name)
            company_money = money(company.currency_id)
            sheet.set_column(0, 0, 32)
            sheet.set_column(1, 3, 18)
            sheet.set_column(4, 5, 11)
            sheet.set_column(6, 7, 8)
            sheet.set_column(8, total_col, 14)
            sheet.freeze_panes(1, 1)
            sheet.set_row(0, 30)
            for col, header in enumerate(headers):
                sheet.write_string(0, col, header, styles["header"])
            sums = [0.0] * (len(labels) + 1)
            row_index = 0
            while pending is not None and pending["company_id"] == company.id:
                row, pending = pending, next(rows, None)
                row_index += 1
                residual = float(row["residual"])
                currency = currency_of(row["currency_id"])
                # Empty cells are left unwritten: each cell costs, on books of 20,000 items.
                sheet.write_string(row_index, 0, row["partner_name"] or "")
                if row["user_id"]:
                    sheet.write_string(row_index, 1, name_of("res.users", row["user_id"]))
                if row["team_id"]:
                    sheet.write_string(row_index, 2, name_of("collection.team", row["team_id"]))
                sheet.write_string(row_index, 3, row["move_name"] or "")
                # Dates as Excel serial numbers: a tenth of the cost of write_datetime.
                sheet.write_number(row_index, 4, (row["date"] - EXCEL_EPOCH).days, styles["date"])
                if row["date_maturity"]:
                    sheet.write_number(
                        row_index, 5, (row["date_maturity"] - EXCEL_EPOCH).days, styles["date"]
                    )
                sheet.write_number(row_index, 6, row["days"], styles["int"])
                if currency != company.currency_id:
                    sheet.write_string(row_index, 7, currency.name)
                    sheet.write_number(
                        row_index, 8, float(row["residual_currency"]), money(currency)
                    )
                sheet.write_number(row_index, first_bucket + row["bucket"], residual, company_money)
                sheet.write_number(row_index, total_col, residual, company_money)
                sums[row["bucket"]] += residual
                sums[-1] += residual
            last = row_index
            total_row = last + 1
            sheet.write_string(total_row, 0, self.env._("Total"), styles["total_label"])
            for offset, value in enumerate(sums):
                col = first_bucket + offset
                formula = f"=SUM({self._cell(1, col)}:{self._cell(last, col)})" if last else "=0"
                sheet.write_formula(
                    total_row,
                    col,
                    formula,
                    money(company.currency_id, total=True),
                    company.currency_id.round(value),
                )
            sheet.autofilter(0, 0, max(last, 1), total_col)
            total_cells[company.id] = (sheet_name, self._cell(total_row, total_col), sums[-1])
        # Rows of companies not asked for are not written; a stream is closed now.
        if hasattr(rows, "close"):
            rows.close()
        if tie_out is not None:
            self._tie_out_sheet(
                workbook, styles, money, companies, as_of, tie_out, total_cells, taken
            )
        if not workbook.worksheets():
            workbook.add_worksheet(self._sheet_name(self.env._("Aged Receivables"), taken))
        workbook.close()
        return stream.getvalue()

    @api.model
    def _tie_out_sheet(
        self, workbook, styles, money, companies, as_of, tie_out, total_cells, taken
    ):
        """The aging's total against the receivable accounts' balance, and the lines left out."""
        sheet = workbook.add_worksheet(self._sheet_name(self.env._("Tie-out"), taken))
        reasons = self.env["collection.aging.report"]._excluded_reasons()
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, 4, 18)
        sheet.write_string(
            0,
            0,
            self.env._("Aged receivables as of %(date)s against the ledger", date=as_of),
            styles["title"],
        )
        headers = [
            self.env._("Company"),
            self.env._("Receivable Balance"),
            self.env._("Aged Total"),
            self.env._("Left Out"),
            self.env._("Difference"),
        ]
        for col, header in enumerate(headers):
            sheet.write_string(2, col, header, styles["header"])
        row_index = 2
        excluded = []
        for company in companies.sorted("name"):
            if company.id not in tie_out:
                continue
            figures = tie_out[company.id]
            row_index += 1
            fmt = money(company.currency_id)
            sheet.write_string(row_index, 0, company.name)
            sheet.write_number(row_index, 1, figures["balance"], fmt)
            if company.id in total_cells:
                sheet_name, cell, value = total_cells[company.id]
                sheet.write_formula(row_index, 2, f"='{sheet_name}'!{cell}", fmt, value)
            else:
                sheet.write_number(row_index, 2, figures["aged"], fmt)
            sheet.write_number(row_index, 3, figures["excluded"], fmt)
            b, c, d = (self._cell(row_index, col) for col in (1, 2, 3))
            sheet.write_formula(
                row_index,
                4,
                f"={b}-{c}-{d}",
                fmt,
                company.currency_id.round(
                    figures["balance"] - figures["aged"] - figures["excluded"]
                ),
            )
            excluded += [(company, line) for line in figures["excluded_lines"]]
        if excluded:
            row_index += 2
            for col, header in enumerate(
                [
                    self.env._("Company"),
                    self.env._("Entry"),
                    self.env._("Date"),
                    self.env._("Why Left Out"),
                    self.env._("Amount"),
                ]
            ):
                sheet.write_string(row_index, col, header, styles["header"])
            for company, line in excluded:
                row_index += 1
                sheet.write_string(row_index, 0, company.name)
                sheet.write_string(row_index, 1, line["move_name"] or "")
                sheet.write_datetime(row_index, 2, line["date"], styles["date"])
                sheet.write_string(row_index, 3, reasons.get(line["excluded"], line["excluded"]))
                sheet.write_number(
                    row_index, 4, float(line["residual"]), money(company.currency_id)
                )

    # --------------------------------------------------------------- activity

    @api.model
    def _activity_workbook(self, rows, date_from, date_to, columns, currency):
        """The activity of each officer over a period as an XLSX file (bytes).

        ``rows``: ``[(officer name, {column key: value})]``; ``columns``:
        ``[(key, header, is_money)]``; amounts in ``currency``.
        """
        stream = io.BytesIO()
        workbook, styles = self._new_workbook(stream)
        sheet = workbook.add_worksheet(self._sheet_name(self.env._("Activity"), set()))
        money = workbook.add_format({"num_format": self._money_format(currency)})
        money_total = workbook.add_format(
            {"num_format": self._money_format(currency), "bold": True, "top": 1}
        )
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, len(columns), 14)
        sheet.write_string(
            0,
            0,
            self.env._("Activity from %(start)s to %(end)s", start=date_from, end=date_to),
            styles["title"],
        )
        sheet.set_row(2, 30)
        sheet.write_string(2, 0, self.env._("Officer"), styles["header"])
        for col, (_key, header, _is_money) in enumerate(columns, start=1):
            sheet.write_string(2, col, header, styles["header"])
        sheet.freeze_panes(3, 1)
        sums = [0.0] * len(columns)
        row_index = 2
        for row_index, (name, values) in enumerate(rows, start=3):
            sheet.write_string(row_index, 0, name)
            for col, (key, _header, is_money) in enumerate(columns, start=1):
                value = values.get(key, 0) or 0
                sums[col - 1] += value
                sheet.write_number(row_index, col, value, money if is_money else styles["int"])
        last = row_index
        total_row = last + 1
        sheet.write_string(total_row, 0, self.env._("Total"), styles["total_label"])
        for col, (_key, _header, is_money) in enumerate(columns, start=1):
            formula = f"=SUM({self._cell(3, col)}:{self._cell(last, col)})" if last > 2 else "=0"
            value = currency.round(sums[col - 1]) if is_money else sums[col - 1]
            sheet.write_formula(
                total_row, col, formula, money_total if is_money else styles["total_int"], value
            )
        sheet.autofilter(2, 0, max(last, 3), len(columns))
        workbook.close()
        return stream.getvalue()
