from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

# The accounting figures a refresh writes on a case, all read from move lines.
MONETARY_FIGURES = (
    "total_due",
    "overdue_amount",
    "no_followup_amount",
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_91_120",
    "amount_over_120",
)
FIGURE_FIELDS = (
    *MONETARY_FIGURES,
    "oldest_due_date",
    "next_due_date",
    "overdue_invoice_count",
    "last_payment_date",
)
EMPTY_FIGURES = dict.fromkeys(FIGURE_FIELDS, 0) | {
    "oldest_due_date": False,
    "next_due_date": False,
    "last_payment_date": False,
}


class CollectionLedger(models.AbstractModel):
    """Every read of accounting the add-on makes, in one place.

    Cases, promises, plans and charges ask their money questions here: what a
    customer owes and since when, when they last paid, what they paid in a
    window. Accounting stays the only ledger; these are queries, not copies.
    """

    _name = "collection.ledger"
    _description = "Collections: Reads of Accounting"

    @api.model
    def _open_items_domain(self, partners, companies):
        """The open receivable items of the commercial partners, in the companies."""
        return Domain(
            [
                ("partner_id.commercial_partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "!=", 0),
            ]
        )

    @api.model
    def _is_overdue(self, values):
        return bool(values) and values["overdue_amount"] > 0

    @api.model
    def _fetch_figures(self, companies, partners=None):
        """Accounting figures per (commercial partner id, company id), in two queries.

        Works per receivable move line (each installment of an invoice has its
        own due date), on the amounts residual in company currency. Credits
        (credit notes, unreconciled payments) reduce what is due and what is
        overdue; lines marked 'No Follow-Up' are reported apart.
        """
        today = fields.Date.context_today(self)
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "parent_state",
                "reconciled",
                "amount_residual",
                "date_maturity",
                "date",
                "no_followup",
                "move_id",
                "credit",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.move"].flush_model(["origin_payment_id", "statement_line_id"])
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", partners.ids)
            if partners is not None
            else SQL()
        )
        age = SQL("(%s::date - COALESCE(aml.date_maturity, aml.date))", today)
        overdue_debit = SQL("NOT aml.no_followup AND aml.amount_residual > 0 AND %s > 0", age)
        coming_debit = SQL("NOT aml.no_followup AND aml.amount_residual > 0 AND %s <= 0", age)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT p.commercial_partner_id AS partner_id,
                       aml.company_id,
                       SUM(aml.amount_residual) AS total_due,
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE NOT aml.no_followup
                             AND (aml.amount_residual < 0 OR %(age)s > 0)), 0) AS overdue_amount,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE aml.no_followup), 0)
                           AS no_followup_amount,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(age)s <= 0), 0)
                           AS amount_not_due,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 1 AND 30), 0)
                           AS amount_1_30,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 31 AND 60), 0)
                           AS amount_31_60,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 61 AND 90), 0)
                           AS amount_61_90,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 91 AND 120), 0)
                           AS amount_91_120,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(age)s > 120), 0)
                           AS amount_over_120,
                       MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(overdue_debit)s)
                           AS oldest_due_date,
                       MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(coming_debit)s)
                           AS next_due_date,
                       COUNT(DISTINCT aml.move_id) FILTER (WHERE %(overdue_debit)s)
                           AS overdue_invoice_count
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.reconciled IS NOT TRUE
                   AND aml.parent_state = 'posted'
                   AND aml.amount_residual != 0
                   AND aml.company_id = ANY(%(companies)s)
                   %(partner_filter)s
              GROUP BY p.commercial_partner_id, aml.company_id
                """,
                age=age,
                overdue_debit=overdue_debit,
                coming_debit=coming_debit,
                companies=companies.ids,
                partner_filter=partner_filter,
            )
        )
        figures = {}
        currency_by_company = {company.id: company.currency_id for company in companies}
        for row in rows:
            currency = currency_by_company[row["company_id"]]
            values = {name: currency.round(float(row[name])) for name in MONETARY_FIGURES}
            values["oldest_due_date"] = row["oldest_due_date"] or False
            values["next_due_date"] = row["next_due_date"] or False
            values["overdue_invoice_count"] = row["overdue_invoice_count"]
            values["last_payment_date"] = False
            figures[(row["partner_id"], row["company_id"])] = values
        if figures:
            self._add_last_payment_dates(figures, companies)
        return figures

    @api.model
    def _add_last_payment_dates(self, figures, companies):
        """Date of the latest payment received, reconciled or not."""
        partner_ids = list({partner_id for partner_id, _company in figures})
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id, aml.company_id, MAX(aml.date)
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.credit > 0
                   AND (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                   AND aml.company_id = ANY(%s)
                   AND p.commercial_partner_id = ANY(%s)
              GROUP BY p.commercial_partner_id, aml.company_id
                """,
                companies.ids,
                partner_ids,
            )
        )
        for partner_id, company_id, last_date in rows:
            if (partner_id, company_id) in figures:
                figures[(partner_id, company_id)]["last_payment_date"] = last_date

    @api.model
    def _fetch_received(self, windows):
        """Money received from customers in date windows, in one query.

        ``windows`` is a list of ``(commercial partner id, company id, date from,
        date to)``; returns the amount received in each window, in the same order.

        Money received is read from accounting, never kept: the posted lines on
        receivable accounts of the commercial partner (or its contacts) in the
        company, dated in the window (both days included), of
        - payments and bank statement lines: money in (credits) less money paid back
          to the customer (debits, e.g. an outbound refund payment);
        - credit notes: their receivable credit (a credit note settles debt too).
        Amounts are the lines' balance in company currency, i.e. at the rate of the
        payment's own date for a foreign-currency payment. Exchange differences,
        write-off and other miscellaneous entries are not money received. Whether
        the money is matched with an invoice or left unallocated does not matter.
        """
        if not windows:
            return []
        self.env["account.move.line"].flush_model(
            ["account_id", "partner_id", "company_id", "date", "parent_state", "balance", "move_id"]
        )
        self.env["account.move"].flush_model(
            ["origin_payment_id", "statement_line_id", "move_type"]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        values = SQL(", ").join(
            SQL("(%s, %s, %s, %s::date, %s::date)", index, partner_id, company_id, start, end)
            for index, (partner_id, company_id, start, end) in enumerate(windows)
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT w.idx, SUM(-aml.balance)
                  FROM (VALUES %s) AS w(idx, partner_id, company_id, date_from, date_to)
                  JOIN res_partner p ON p.commercial_partner_id = w.partner_id
                  JOIN account_move_line aml
                    ON aml.partner_id = p.id
                   AND aml.company_id = w.company_id
                   AND aml.date BETWEEN w.date_from AND w.date_to
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND (m.origin_payment_id IS NOT NULL
                        OR m.statement_line_id IS NOT NULL
                        OR m.move_type = 'out_refund')
              GROUP BY w.idx
                """,
                values,
            )
        )
        received = [0.0] * len(windows)
        for index, amount in rows:
            received[index] = float(amount or 0)
        return received
