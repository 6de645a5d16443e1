from odoo import api, models
from odoo.tools import SQL

# Customers from which reading the whole ledger once beats looking each one up.
WHOLE_LEDGER_CUSTOMERS = 10000


class CollectionLedger(models.AbstractModel):
    """What customers paid: the last payment, money received in a window, payment habits.

    Cash (payments, bank statement lines) apart from credit notes, counted on
    the whole receivable or on a promise's or a plan's own debt; the payment
    history says how late each customer pays.
    """

    _inherit = "collection.ledger"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _add_last_payment_dates(self, figures, scope, every_customer=False):
        """Date of the latest payment received, reconciled or not, and not undone.

        A payment undone by a reversal (a bounced cheque or direct debit) is not a
        payment received. With ``every_customer`` (``figures`` holds the whole
        scope's customers), the ledger is read in one pass rather than through the
        list of their ids, which PostgreSQL searches line by line.
        """
        partner_filter = self._customers_lines_filter(
            None if every_customer else list({partner_id for partner_id, _company in figures})
        )
        company_values = self._company_scope_sql(scope)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id, cm.case_company_id, MAX(aml.date)
                  FROM account_move_line aml
                  JOIN (VALUES %s) AS cm(company_id, case_company_id)
                    ON cm.company_id = aml.company_id
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.credit > 0
                   AND (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                   %s
                   AND NOT EXISTS (
                       SELECT 1
                         FROM account_move reversal
                        WHERE reversal.reversed_entry_id = m.id
                          AND reversal.state = 'posted'
                   )
              GROUP BY p.commercial_partner_id, cm.case_company_id
                """,
                company_values,
                partner_filter,
            )
        )
        for partner_id, company_id, last_date in rows:
            if (partner_id, company_id) in figures:
                figures[(partner_id, company_id)]["last_payment_date"] = last_date

    @api.model
    def _money_kind_sql(self):
        """Joins of a receivable line ``aml`` of the entry ``m`` giving ``kind.cash``: the
        one home of what cash is (a payment, a bank statement line, or the reversal of
        one) against a credit note; see ``_money_received_sql``."""
        return SQL(
            """
            LEFT JOIN account_move reversed ON reversed.id = m.reversed_entry_id
            CROSS JOIN LATERAL (
                SELECT m.origin_payment_id IS NOT NULL
                       OR m.statement_line_id IS NOT NULL
                       OR reversed.origin_payment_id IS NOT NULL
                       OR reversed.statement_line_id IS NOT NULL AS cash
            ) AS kind
            """
        )

    @api.model
    def _money_received_sql(self):
        """Whether the line joined by ``_money_kind_sql`` is money received: cash, a
        credit note or the reversal of one."""
        return SQL("(kind.cash OR m.move_type = 'out_refund' OR reversed.move_type = 'out_refund')")

    @api.model
    def _fetch_received(self, windows):
        """The cash received in each window of ``windows``: see ``_fetch_money_received``."""
        return [cash for cash, _credited in self._fetch_money_received(windows)]

    @api.model
    def _fetch_money_received(self, windows):
        """Money received from customers in date windows, in one query: the one home
        of what a customer paid.

        ``windows`` is a list of ``(commercial partner id, case company id, date
        from, date to)``, optionally followed by ``(debt line ids, currency)``;
        returns ``(cash, credited)`` for each window, in the same order.

        Read from accounting, never kept: the posted lines on receivable accounts
        of the commercial partner (or its contacts) for the company's cases, dated
        in the window (both days included).

        ``cash``, money received, is payments and bank statement lines: money in
        (credits) less money paid back to the customer (debits, e.g. an outbound
        refund payment), less the reversals of payments and statement lines (a
        bounced cheque or direct debit gives the money back).

        ``credited`` is credit notes (less their reversals): they lower the debt
        without any money coming in, so they are never cash. Exchange
        differences, write-off and other miscellaneous entries are neither.

        Without debt lines, every such line counts, at its balance in company
        currency. With debt lines (those a promise or a plan covers), only what is
        applied to those lines counts, plus what is left unapplied on the
        receivable: a payment of another invoice pays nothing of that debt. It is
        counted in ``currency`` (a foreign currency all the debt shares; None or
        the company currency: company currency): the amounts in that currency the
        payments settled, so that a payment of the invoice-currency amount after
        the rate moved pays it in full. Unapplied money in yet another currency is
        converted at the rate of its own date.
        """
        if not windows:
            return []
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "currency_id",
                "date",
                "parent_state",
                "balance",
                "amount_residual",
                "amount_residual_currency",
                "move_id",
            ]
        )
        self.env["account.move"].flush_model(
            ["origin_payment_id", "statement_line_id", "move_type", "reversed_entry_id"]
        )
        self.env["account.partial.reconcile"].flush_model(
            ["debit_move_id", "credit_move_id", "amount", "debit_amount_currency"]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        companies = self.env["res.company"].browse({window[1] for window in windows})
        scope = self._company_scope(companies)
        if not scope:
            return [(0.0, 0.0)] * len(windows)
        company_values = self._company_scope_sql(scope)
        rows_values, currencies = [], []
        for index, window in enumerate(windows):
            partner_id, company_id, start, end = window[:4]
            line_ids, currency = (*window[4:], None, None)[:2]
            company = companies.browse(company_id)
            foreign = currency if currency and currency != company.currency_id else None
            currencies.append((company, foreign))
            rows_values.append(
                SQL(
                    "(%s, %s, %s, %s::date, %s::date, %s, %s::int[], %s::int)",
                    index,
                    partner_id,
                    company_id,
                    start,
                    end,
                    line_ids is not None,
                    list(line_ids or []),
                    foreign.id if foreign else None,
                )
            )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT w.idx,
                       aml.date,
                       kind.cash,
                       SUM(CASE
                           WHEN NOT w.scoped THEN -aml.balance
                           WHEN w.currency_id IS NULL
                               THEN COALESCE(applied.amount, 0) - aml.amount_residual
                           WHEN aml.currency_id = w.currency_id
                               THEN COALESCE(applied.amount_currency, 0)
                                    - aml.amount_residual_currency
                           ELSE COALESCE(applied.amount_currency, 0)
                       END),
                       SUM(CASE
                           WHEN w.scoped AND w.currency_id IS NOT NULL
                                AND aml.currency_id != w.currency_id
                               THEN -aml.amount_residual
                           ELSE 0
                       END)
                  FROM (VALUES %s)
                       AS w(idx, partner_id, company_id, date_from, date_to, scoped, line_ids,
                            currency_id)
                  JOIN (VALUES %s) AS cm(company_id, case_company_id)
                    ON cm.case_company_id = w.company_id
                  JOIN res_partner p ON p.commercial_partner_id = w.partner_id
                  JOIN account_move_line aml
                    ON aml.partner_id = p.id
                   AND aml.company_id = cm.company_id
                   AND aml.date BETWEEN w.date_from AND w.date_to
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
             %s
             LEFT JOIN LATERAL (
                    -- Applied to the debt: matched with one of its lines, whatever
                    -- the cash or the credit note was matched with besides.
                    SELECT SUM(pr.amount) AS amount,
                           SUM(pr.debit_amount_currency) AS amount_currency
                      FROM account_partial_reconcile pr
                     WHERE pr.credit_move_id = aml.id
                       AND pr.debit_move_id = ANY(w.line_ids)
                   ) AS applied ON w.scoped
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND %s
              GROUP BY w.idx, aml.date, kind.cash
                """,
                SQL(", ").join(rows_values),
                company_values,
                self._money_kind_sql(),
                self._money_received_sql(),
            )
        )
        received = [[0.0, 0.0] for _window in windows]
        for index, day, cash, amount, to_convert in rows:
            amount = float(amount or 0)
            if to_convert:
                company, foreign = currencies[index]
                amount += company.currency_id._convert(
                    float(to_convert), foreign, company, day, round=False
                )
            received[index][0 if cash else 1] += amount
        return [tuple(amounts) for amounts in received]

    # --------------------------------------------------------- payment history

    @api.model
    def _fetch_payment_history(self, companies, partners=None):
        """How each customer paid their invoices, in one query.

        Returns ``{(commercial partner id, company id of the case): values}`` with
        ``paid_count`` (invoices fully paid), ``late_count`` (paid after their due
        date), ``avg_days_late`` and ``median_days_late``. An invoice counts when its
        receivable item is reconciled: its payment date is the last reconciliation
        date (the later of the invoice and the payment or credit note), its delay
        that date less its due date, 0 when paid on time or early.
        """
        scope = self._company_scope(companies)
        if not scope:
            return {}
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "parent_state",
                "reconciled",
                "balance",
                "date_maturity",
                "date",
                "move_id",
            ]
        )
        self.env["account.move"].flush_model(["move_type"])
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "max_date"])
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        company_values = self._company_scope_sql(scope)
        partner_filter = self._customers_lines_filter(None if partners is None else partners.ids)
        rows = self.env.execute_query(
            SQL(
                """
                WITH paid AS (
                    SELECT aml.partner_id,
                           aml.company_id,
                           GREATEST(
                               MAX(pr.max_date) - COALESCE(aml.date_maturity, aml.date), 0
                           ) AS late
                      FROM account_move_line aml
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_partial_reconcile pr ON pr.debit_move_id = aml.id
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND aml.reconciled
                       AND aml.balance > 0
                       AND m.move_type IN ('out_invoice', 'out_receipt')
                       AND aml.company_id = ANY(%(companies)s)
                       %(partner_filter)s
                  GROUP BY aml.id
                )
                SELECT p.commercial_partner_id,
                       cm.case_company_id,
                       COUNT(*),
                       COUNT(*) FILTER (WHERE paid.late > 0),
                       AVG(paid.late),
                       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY paid.late)
                  FROM paid
                  JOIN (VALUES %(company_values)s) AS cm(company_id, case_company_id)
                    ON cm.company_id = paid.company_id
                  JOIN res_partner p ON p.id = paid.partner_id
              GROUP BY p.commercial_partner_id, cm.case_company_id
                """,
                companies=list(scope),
                company_values=company_values,
                partner_filter=partner_filter,
            )
        )
        wanted = None if partners is None else set(partners.ids)
        return {
            (partner_id, company_id): {
                "paid_count": count,
                "late_count": late_count,
                "avg_days_late": float(average or 0),
                "median_days_late": round(float(median or 0)),
            }
            for partner_id, company_id, count, late_count, average, median in rows
            if wanted is None or partner_id in wanted
        }

    @api.model
    def _customers_lines_filter(self, partner_ids):
        """``AND`` the move line ``aml`` belongs to one of these commercial partners
        (their contacts included), or nothing when ``partner_ids`` is None or too long.

        On the line's own partner, so that a batch of customers reads its lines through
        the index on it, not the whole ledger. Past ``WHOLE_LEDGER_CUSTOMERS`` one pass
        over the ledger is cheaper (the list would be searched once per line): the
        caller keeps the customers it asked for."""
        if partner_ids is None or len(partner_ids) > WHOLE_LEDGER_CUSTOMERS:
            return SQL()
        return SQL(
            "AND aml.partner_id = ANY(ARRAY("
            "SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s)))",
            list(partner_ids),
        )
