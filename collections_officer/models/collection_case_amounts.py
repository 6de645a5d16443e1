from odoo import api, fields, models
from odoo.tools import format_amount, format_list

from .collection_ledger import AGING_FIELDS, MONETARY_FIGURES

# The amounts a customer is told, by kind: the ledger's figure each one is.
CUSTOMER_AMOUNT_KINDS = {
    "overdue": "overdue_amount",
    "total": "total_due",
    "not_due": "amount_not_due",
}


class CollectionCase(models.Model):
    """What the customer owes as the customer reads it: in their documents' currencies.

    The case's own figures are in the company's currency, the invoices in another
    currency counted at the rate of their date: right for the desk, a figure the
    customer never saw. Every text sent to the customer (e-mails, SMS, letters,
    statements) states the amounts from here instead.
    """

    _inherit = "collection.case"

    # Not stored: read from accounting once for all the cases being rendered (the
    # ORM computes it for the whole batch), and read again when the case's figures
    # change, so that it always says what the case's figures say.
    customer_amounts = fields.Json(
        string="Amounts in the Documents' Currencies",
        compute="_compute_customer_amounts",
        help="What the customer owes in each currency of their open documents.",
    )

    @api.depends("partner_id", "company_id", *MONETARY_FIGURES)
    def _compute_customer_amounts(self):
        cases = self.filtered(lambda case: case.partner_id and case.company_id)
        figures = self.env["collection.ledger"]._fetch_figures_by_currency(
            cases.company_id, cases.partner_id
        )
        for case in self:
            by_currency = figures.get((case.partner_id.id, case.company_id.id), {})
            case.customer_amounts = [
                {"currency_id": currency_id, **values}
                for currency_id, values in by_currency.items()
            ] or False

    def _customer_amounts(self):
        """What each case's customer owes, per currency of their documents:
        ``{case id: [{"currency": res.currency, "overdue": amount, "total": amount,
        "not_due": amount, "aging": [amount per bucket of AGING_FIELDS]}]}``, the
        currencies in the order of their codes. Read in one query for all the cases.
        """
        Currency = self.env["res.currency"]
        result = {}
        for case in self:
            amounts = []
            for values in case.customer_amounts or []:
                entry = {kind: values[figure] for kind, figure in CUSTOMER_AMOUNT_KINDS.items()}
                entry["currency"] = Currency.browse(values["currency_id"])
                entry["aging"] = [values[name] for name in AGING_FIELDS]
                amounts.append(entry)
            result[case.id] = sorted(amounts, key=lambda entry: entry["currency"].name)
        return result

    def _customer_figures(self, kind):
        """The amounts of ``kind`` ("overdue", "total" or "not_due") the customer owes:
        ``[(currency, amount)]``, one per currency of their documents in which the
        amount is not zero; when none is, ``[(currency, 0.0)]`` in the documents'
        currency (the company's when they have several or none).
        """
        self.ensure_one()
        if kind not in CUSTOMER_AMOUNT_KINDS:
            raise ValueError(f"Unknown kind of amount: {kind!r}")
        amounts = self._customer_amounts()[self.id]
        figures = [
            (entry["currency"], entry[kind])
            for entry in amounts
            if not entry["currency"].is_zero(entry[kind])
        ]
        if figures:
            return figures
        currency = amounts[0]["currency"] if len(amounts) == 1 else self.currency_id
        return [(currency, 0.0)]

    def _customer_amount_text(self, kind, lang_code=None):
        """The amount of ``kind`` ("overdue", "total" or "not_due") the customer owes, as
        they read it: one figure per currency of their documents, e.g. "€1,000.00 and
        $250.00", formatted in ``lang_code`` (default: the customer's language).

        A currency in which the customer is in credit is deducted in words ("less
        £100.00 in your favour"): it is never converted into the others.
        """
        self.ensure_one()
        lang_code = (
            lang_code
            or self.followup_partner_id.lang
            or self.partner_id.lang
            or self.env.lang
            or "en_US"
        )
        env = self.with_context(lang=lang_code).env
        figures = self._customer_figures(kind)
        owed = [
            format_amount(env, amount, currency, lang_code)
            for currency, amount in figures
            if amount > 0
        ]
        in_credit = [
            format_amount(env, -amount, currency, lang_code)
            for currency, amount in figures
            if amount < 0
        ]
        if not owed or not in_credit:
            return format_list(
                env,
                [format_amount(env, amount, currency, lang_code) for currency, amount in figures],
                lang_code=lang_code,
            )
        return env._(
            "%(owed)s, less %(credits)s in your favour",
            owed=format_list(env, owed, lang_code=lang_code),
            credits=format_list(env, in_credit, lang_code=lang_code),
        )
