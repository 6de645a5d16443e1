import ast

from odoo import api, models
from odoo.addons.base.models.res_lang import intersperse
from odoo.tools import SQL, float_is_zero, float_round

from ..models.collection_ledger import AGING_FIELDS
from ..models.customer_dates import customer_date


class CollectionStatementReport(models.AbstractModel):
    """What a customer statement says, as its customer reads it.

    The report's values: the open items of each case formatted once for the
    batch in the customer's language, the amounts due and aged, and the bank
    accounts to pay into. The letters, plans and legal documents reuse them.
    """

    _inherit = "report.collections_officer.report_collection_statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["collection.case"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.case",
            "docs": cases,
            # The company's today, the one the case's ages are counted from (per case:
            # ``company_today``).
            "today": (cases.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in cases.company_id
            },
            "bank_accounts": self._payment_bank_accounts(cases.company_id),
            "open_items": self._open_items(cases),
        }

    @api.model
    def _open_items(self, cases):
        """The open items of each case as its customer reads them, formatted in the
        customer's language: ``{case_id: {"rows": [{column: text}], "foreign": bool,
        "total_due": text, "overdue": text, "aging": [text per bucket]}}``.

        Formatted here once for the batch: the QWeb date and monetary widgets cost
        most of a statement's rendering, line by line. Each line in its document's
        currency; ``foreign`` when a line is in another currency than the case's.
        """
        dates, formatters = {}, {}

        def date_text(lang, day):
            if not day:
                return ""
            if (lang, day) not in dates:
                dates[lang, day] = customer_date(self.env, day, lang)
            return dates[lang, day]

        def amount_text(lang, amount, currency_id):
            if (lang, currency_id) not in formatters:
                formatters[lang, currency_id] = self._amount_formatter(
                    lang, self.env["res.currency"].browse(currency_id)
                )
            return formatters[lang, currency_id](amount)

        items = self._open_item_rows(cases)
        result = {}
        for case in cases:
            lang = case.partner_id.lang or self.env.lang or "en_US"
            today = case.company_id._collection_today()
            currency_id, rows = case.currency_id.id, []
            for line in items.get(case.id, []):
                due = line["date_maturity"]
                late = bool(due and due < today and line["amount_residual"] > 0)
                rows.append(
                    {
                        "name": line["move_name"],
                        "ref": (line["ref"] or "") if line["move_type"] == "out_invoice" else "",
                        "on_hold": line["no_followup"],
                        "date": date_text(lang, line["date"]),
                        "due": date_text(lang, due),
                        "late": late,
                        "days_late": (today - due).days if late else "",
                        "original": amount_text(lang, line["amount_currency"], line["currency_id"]),
                        "open": amount_text(
                            lang, line["amount_residual_currency"], line["currency_id"]
                        ),
                        "open_company": amount_text(lang, line["amount_residual"], currency_id),
                    }
                )
            result[case.id] = {
                "rows": rows,
                "foreign": any(
                    line["currency_id"] != currency_id for line in items.get(case.id, [])
                ),
                "total_due": amount_text(lang, case.total_due, currency_id),
                "overdue": amount_text(lang, case.overdue_amount, currency_id),
                "aging": [amount_text(lang, case[name], currency_id) for name in AGING_FIELDS],
            }
        return result

    @api.model
    def _open_item_rows(self, cases):
        """The open items of each case as plain rows, in the order its statement lists
        them (due date, else date): ``{case_id: [{column: value}]}``.

        The items of ``open_line_ids``, read in one query for the batch: a run's
        statements list tens of thousands of items, and reading them through records
        cost most of the rendering.
        """
        Line = self.env["account.move.line"]
        ledger = self.env["collection.ledger"]
        query = Line._search(ledger._open_items_domain(cases.partner_id, cases.company_id))
        columns = (
            "id",
            "partner_id",
            "company_id",
            "move_name",
            "ref",
            "move_type",
            "no_followup",
            "date",
            "date_maturity",
            "currency_id",
            "amount_currency",
            "amount_residual_currency",
            "amount_residual",
        )
        lines = self.env.execute_query_dict(
            query.select(
                *(
                    SQL(
                        "%s AS %s",
                        Line._field_to_sql(Line._table, name, query),
                        SQL.identifier(name),
                    )
                    for name in columns
                )
            )
        )
        scope = ledger._company_scope(cases.company_id)
        customers = self.env["res.partner"].browse({line["partner_id"] for line in lines})
        commercial = {partner.id: partner.commercial_partner_id.id for partner in customers}
        case_of = {(case.partner_id.id, case.company_id.id): case.id for case in cases}
        items = {}
        for line in lines:
            case_id = case_of.get((commercial[line["partner_id"]], scope.get(line["company_id"])))
            if case_id:
                items.setdefault(case_id, []).append(line)
        for case_lines in items.values():
            case_lines.sort(key=lambda line: (line["date_maturity"] or line["date"], line["id"]))
        return items

    @api.model
    def _amount_formatter(self, lang_code, currency):
        """A function formatting amounts in ``currency`` for ``lang_code`` as the QWeb
        monetary widget does, the language's separators read once: the widget reads
        and parses them at each call, and a statement has hundreds of amounts."""
        lang = self.env["res.lang"]._get_data(code=lang_code) or self.env["res.lang"]._get_data(
            code="en_US"
        )
        grouping = ast.literal_eval(lang.grouping)
        separator = (lang.thousands_sep or "").replace(" ", "\N{NO-BREAK SPACE}")
        point = lang.decimal_point.replace(" ", "\N{NO-BREAK SPACE}")
        digits, rounding = currency.decimal_places, currency.rounding
        symbol, after = currency.symbol or "", currency.position == "after"

        def format_amount(amount):
            if float_is_zero(amount, precision_digits=digits):
                amount = 0.0
            text = f"{float_round(amount, precision_rounding=rounding):.{digits}f}"
            integer, _dot, decimals = text.partition(".")
            text = intersperse(integer, grouping, separator)[0]
            if decimals:
                text = f"{text}{point}{decimals}"
            if after:
                return f"{text}\N{NO-BREAK SPACE}{symbol}"
            return f"{symbol}\N{NO-BREAK SPACE}{text}"

        return format_amount

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
