from datetime import timedelta

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

# A case's aging buckets, youngest first.
AGING_FIELDS = (
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_91_120",
    "amount_over_120",
)
STANDARD_BUCKET_HELP = (
    "Standard buckets (30, 60, 90 and 120 days past due), whatever the company's aging "
    "buckets: the aged receivables report shows those."
)
# The accounting figures a refresh writes on a case, all read from move lines.
MONETARY_FIGURES = (
    "total_due",
    "overdue_amount",
    "no_followup_amount",
    "disputed_amount",
    *AGING_FIELDS,
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

    Here: which case follows up a line (the case company), the open and chased
    items, and a case's figures, in company currency and in its documents'
    currencies. By job, the rest: ``collection_ledger_overdue`` (disputed parts,
    tolerance, what is overdue), ``collection_ledger_commitment`` (a promise's or
    a plan's debt), ``collection_ledger_money`` (payments received, payment
    history) and ``collection_ledger_aging`` (the aging at a past day).
    """

    _name = "collection.ledger"
    _description = "Collections: Reads of Accounting"

    # ------------------------------------------------------------ planning

    @api.model
    def _analytic_transaction(self):
        """No JIT compilation of the queries left in this transaction (a request, a
        batch): those of a report or a dashboard, grouping the whole book, which
        PostgreSQL estimates expensive (it guesses a group per line) and compiles
        for longer than they run (aged receivables 1.3 s instead of 1.1 s on
        200,000 invoices). Undone at commit or rollback."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    # ------------------------------------------------------------ scope

    @api.model
    def _case_company(self, company):
        """The company whose cases follow up the receivables booked in ``company``.

        Like Odoo's partner balance, a head office and its branches are one
        creditor: their customers have one case, at the head office, unless the
        head office chose cases per branch.
        """
        root = company.sudo().root_id
        return company if root.collection_case_per_branch else root

    @api.model
    def _case_key(self, partner, company):
        """``(commercial partner, case company)``: which case follows up what ``partner``
        owes on a line or invoice booked in ``company``. The keys of ``_find_cases``."""
        return partner.commercial_partner_id, self._case_company(company)

    @api.model
    def _find_cases(self, partners, companies):
        """``{(commercial partner, case company): case}`` of what ``partners`` owe on lines
        or invoices booked in ``companies`` (branches included), read with the caller's
        rights: the open case, else the latest closed one. Look a line or invoice up with
        ``_case_key(partner, company)``."""
        case_companies = self.env["res.company"].union(
            *(self._case_company(company) for company in companies)
        )
        cases = self.env["collection.case"].search(
            [
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("company_id", "in", case_companies.ids),
            ],
            order="id desc",
        )
        found = {}
        for case in cases.sorted(lambda c: c.state == "closed"):
            found.setdefault((case.partner_id, case.company_id), case)
        return found

    @api.model
    def _company_day_domain(self, field, operator, days=0):
        """``field operator (the record's company's day + days)``, for records of any company:
        every company judges dates on its own day."""
        companies_by_day = {}
        for company in (
            self.env["res.company"].sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        ):
            companies_by_day.setdefault(company._collection_today(), []).append(company.id)
        return Domain.OR(
            Domain("company_id", "in", company_ids)
            & Domain(field, operator, day + timedelta(days=days))
            for day, company_ids in companies_by_day.items()
        )

    @api.model
    def _company_scope(self, companies):
        """``{company id of a line: company id of its case}`` for the cases of ``companies``."""
        related = (
            self.env["res.company"]
            .sudo()
            .search([("id", "child_of", companies.sudo().root_id.ids)])
        )
        scope = {}
        for company in related:
            case_company = self._case_company(company)
            if case_company in companies:
                scope[company.id] = case_company.id
        return scope

    @api.model
    def _company_scope_sql(self, scope):
        """``scope`` (see ``_company_scope``) as the rows ``(line company id, case company
        id)`` of a SQL ``VALUES`` list."""
        return SQL(", ").join(
            SQL("(%s, %s)", line_company_id, case_company_id)
            for line_company_id, case_company_id in scope.items()
        )

    @api.model
    def _open_items_domain(self, partners, companies):
        """The open receivable items of the commercial partners, for the cases of the companies."""
        return Domain(
            [
                ("partner_id.commercial_partner_id", "in", partners.ids),
                ("company_id", "in", list(self._company_scope(companies))),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "!=", 0),
            ]
        )

    @api.model
    def _chased_items_domain(self, partners, companies):
        """The open debits follow-up chases and charges may bill.

        Left out (shown on the case, never chased): debits marked 'No Follow-Up'
        (those of miscellaneous journals only when the company does not follow
        them up), items due on or before the company's follow-up start, and
        invoices Odoo itself holds: blocked, or paid by a payment still in
        process. Residuals below the tolerance are not filtered here: see
        ``_below_tolerance``.
        """
        company_domains = []
        for line_company_id, case_company_id in self._company_scope(companies).items():
            case_company = self.env["res.company"].browse(case_company_id)
            domain = Domain("company_id", "=", line_company_id)
            followed = Domain("no_followup", "=", False)
            if case_company.collection_include_misc_debits:
                followed |= Domain("journal_id.type", "=", "general")
            domain &= followed
            if start := case_company.collection_followup_from:
                domain &= Domain("date_maturity", ">", start) | (
                    Domain("date_maturity", "=", False) & Domain("date", ">", start)
                )
            company_domains.append(domain)
        return (
            self._open_items_domain(partners, companies)
            & Domain("amount_residual", ">", 0)
            & Domain("move_id.payment_state", "not in", ("blocked", "in_payment"))
            & Domain.OR(company_domains or [Domain.FALSE])
        )

    # ---------------------------------------------------------------- figures

    @api.model
    def _items_sql(self, companies, partner_ids=None):
        """The receivable items of ``companies`` (and of ``partner_ids``, commercial
        partners, when given) as the CTEs ``disputed, lines, split, items`` of one
        query, with what ``_fetch_figures`` sets apart, line by line.

        Returns ``(scope, case companies, SQL)``; ``scope`` is empty when no
        company has cases. Each item carries its case's partner and company, its
        currency and residuals in both currencies, its due date and age, the part
        an open dispute takes (``disputed``, ``disputed_currency``), ``residual``
        (what is left) and ``set_apart`` (held, not followed up or below the
        tolerance). One home for what an item is: the figures of a case and its
        figures per document currency read the same items.
        """
        scope = self._company_scope(companies)
        case_companies = self.env["res.company"].browse(set(scope.values()))
        if not scope:
            return scope, case_companies, SQL()
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "currency_id",
                "journal_id",
                "parent_state",
                "reconciled",
                "amount_residual",
                "amount_residual_currency",
                "date_maturity",
                "date",
                "no_followup",
                "move_id",
                "credit",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["account.journal"].flush_model(["type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.move"].flush_model(
            ["origin_payment_id", "statement_line_id", "payment_state", "reversed_entry_id"]
        )
        self.env["collection.dispute"].flush_model(["move_id", "amount_set_apart"])
        # Items age on the day of their case's company.
        today = {company: company._collection_today() for company in case_companies}
        company_values = SQL(", ").join(
            SQL(
                "(%s, %s, %s::date, %s::date, %s, %s::numeric)",
                line_company_id,
                case_company_id,
                today[case_company],
                case_company.collection_followup_from or None,
                bool(case_company.collection_include_misc_debits),
                case_company.collection_tolerance or 0.0,
            )
            for line_company_id, case_company_id in scope.items()
            for case_company in [case_companies.browse(case_company_id)]
        )
        # The tolerance in each active currency, for residuals in a foreign currency.
        currencies = self.env["res.currency"].search([("active", "=", True)])
        tolerances = []
        for company in case_companies:
            rates = (currencies | company.currency_id)._get_rates(company, today[company])
            base = company.collection_tolerance / rates[company.currency_id.id]
            tolerances += [
                SQL("(%s, %s, %s::numeric)", company.id, currency_id, base * rate)
                for currency_id, rate in rates.items()
            ]
        tolerance_values = SQL(", ").join(tolerances)
        # On the line's own partner, the customers' contacts included: the lines are
        # then found through an index, not by reading the whole ledger per batch.
        partner_filter = (
            SQL(
                "AND aml.partner_id = ANY(ARRAY(SELECT id FROM res_partner"
                " WHERE commercial_partner_id = ANY(%s)))",
                list(partner_ids),
            )
            if partner_ids is not None
            else SQL()
        )
        return (
            scope,
            case_companies,
            SQL(
                """
                disputed AS (
                    SELECT move_id, SUM(amount_set_apart) AS amount
                      FROM collection_dispute
                     WHERE amount_set_apart > 0
                  GROUP BY move_id
                ),
                lines AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           cm.case_company_id AS company_id,
                           aml.id,
                           aml.move_id,
                           aml.currency_id,
                           aml.amount_residual AS full_residual,
                           aml.amount_residual_currency AS residual_currency,
                           COALESCE(aml.date_maturity, aml.date) AS due,
                           cm.today - COALESCE(aml.date_maturity, aml.date) AS age,
                           cm.tolerance,
                           t.tolerance AS currency_tolerance,
                           aml.amount_residual > 0 AND (
                               (aml.no_followup AND NOT (cm.include_misc AND j.type = 'general'))
                               OR COALESCE(COALESCE(aml.date_maturity, aml.date)
                                           <= cm.followup_from, FALSE)
                               -- The few entries Odoo holds, hashed once: looked up
                               -- line by line, every open item cost an index search.
                               OR aml.move_id IN (
                                   SELECT id FROM account_move
                                    WHERE payment_state IN ('blocked', 'in_payment')
                               )
                           ) AS held
                      FROM account_move_line aml
                      JOIN (VALUES %(company_values)s)
                           AS cm(company_id, case_company_id, today, followup_from,
                                 include_misc, tolerance)
                        ON cm.company_id = aml.company_id
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN account_journal j ON j.id = aml.journal_id
                      JOIN res_partner p ON p.id = aml.partner_id
                 LEFT JOIN (VALUES %(tolerance_values)s) AS t(company_id, currency_id, tolerance)
                        ON t.company_id = cm.case_company_id AND t.currency_id = aml.currency_id
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.reconciled IS NOT TRUE
                       AND aml.parent_state = 'posted'
                       AND aml.amount_residual != 0
                       %(partner_filter)s
                ),
                -- The open disputes of an invoice take its installments oldest first, in
                -- the invoice's currency; each line's part is converted at its own rate.
                -- Only the lines of disputed invoices are ordered for it: sorting every
                -- open item by invoice spilled to disk on a large book.
                split AS (
                    SELECT lines.*, 0::numeric AS disputed_currency
                      FROM lines
                 LEFT JOIN disputed d ON d.move_id = lines.move_id
                     WHERE d.move_id IS NULL
                 UNION ALL
                    SELECT lines.*,
                           CASE WHEN lines.residual_currency <= 0 THEN 0
                                ELSE LEAST(
                                    lines.residual_currency,
                                    GREATEST(d.amount - COALESCE(SUM(lines.residual_currency)
                                        FILTER (WHERE lines.residual_currency > 0)
                                        OVER (PARTITION BY lines.move_id
                                              ORDER BY lines.due, lines.id
                                              ROWS BETWEEN UNBOUNDED PRECEDING
                                                       AND 1 PRECEDING), 0), 0)
                                )
                           END AS disputed_currency
                      FROM lines
                      JOIN disputed d ON d.move_id = lines.move_id
                ),
                items AS (
                    SELECT split.*,
                           full_residual - disputed AS residual,
                           full_residual - disputed > 0 AND (
                               held
                               OR CASE WHEN currency_tolerance IS NULL
                                       THEN ABS(full_residual - disputed) < tolerance
                                       ELSE ABS(residual_currency - disputed_currency)
                                            < currency_tolerance
                                  END
                           ) AS set_apart
                      FROM (
                        SELECT split.*,
                               CASE WHEN disputed_currency = 0 THEN 0
                                    ELSE full_residual * disputed_currency / residual_currency
                               END AS disputed
                          FROM split
                      ) AS split
                )
                """,
                company_values=company_values,
                tolerance_values=tolerance_values,
                partner_filter=partner_filter,
            ),
        )

    @api.model
    def _fetch_figures(self, companies, partners=None):
        """Accounting figures per (commercial partner id, company id of the case), in two queries.

        Works per receivable move line (each installment of an invoice has its
        own due date), on the amounts residual in company currency; lines of a
        branch count at the company of its cases (see ``_case_company``).

        Every credit, whatever its journal, reduces what is due and what is
        overdue. Debits follow-up does not chase are set apart (reported as
        ``no_followup_amount``, in the total and the buckets, never in the
        overdue amount): those marked 'No Follow-Up' (see
        ``collection_include_misc_debits``), those due on or before the company's
        follow-up start, invoices Odoo holds (blocked, payment in process) and
        residuals below the tolerance (converted to the line's currency).

        The part of an invoice under an open dispute is set apart too, as
        ``disputed_amount`` (see ``_disputed_by_move``): it is in the total and
        the buckets, never chased, and the rest of the invoice is chased as if
        it were all that is owed on it. A fully disputed invoice does not age
        the case.

        Credits pay the oldest chased debits first: the oldest due date, the
        count of overdue invoices and the next due date are those of the debits
        the credits leave uncovered (a running sum over the customer's debits
        in the same query).
        """
        scope, case_companies, items = self._items_sql(
            companies, None if partners is None else partners.ids
        )
        if not scope:
            return {}
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH %(items)s,
                -- The customers with credits: only their debits are netted, in order.
                credited AS (
                    SELECT DISTINCT partner_id, company_id FROM items WHERE residual < 0
                ),
                netted AS (
                    SELECT items.*,
                           residual > 0 AND NOT set_apart AS chased,
                           residual AS uncovered
                      FROM items
                 LEFT JOIN credited c USING (partner_id, company_id)
                     WHERE c.partner_id IS NULL
                 UNION ALL
                    SELECT items.*,
                           residual > 0 AND NOT set_apart AS chased,
                           -- What credits leave unpaid of each chased debit, oldest paid first.
                           LEAST(
                               residual,
                               SUM(residual) FILTER (WHERE residual > 0 AND NOT set_apart)
                                   OVER (PARTITION BY partner_id, company_id
                                         ORDER BY due, id ROWS UNBOUNDED PRECEDING)
                               + SUM(LEAST(residual, 0)) OVER (PARTITION BY partner_id, company_id)
                           ) AS uncovered
                      FROM items
                      JOIN credited USING (partner_id, company_id)
                ),
                summed AS (
                SELECT partner_id,
                       company_id,
                       SUM(full_residual) AS total_due,
                       COALESCE(SUM(residual) FILTER (WHERE %(overdue)s), 0) AS overdue_amount,
                       COALESCE(SUM(residual) FILTER (WHERE set_apart), 0) AS no_followup_amount,
                       SUM(disputed) AS disputed_amount,
                       COALESCE(SUM(full_residual) FILTER (WHERE age <= 0), 0) AS amount_not_due,
                       COALESCE(SUM(full_residual) FILTER (WHERE age BETWEEN 1 AND 30), 0)
                           AS amount_1_30,
                       COALESCE(SUM(full_residual) FILTER (WHERE age BETWEEN 31 AND 60), 0)
                           AS amount_31_60,
                       COALESCE(SUM(full_residual) FILTER (WHERE age BETWEEN 61 AND 90), 0)
                           AS amount_61_90,
                       COALESCE(SUM(full_residual) FILTER (WHERE age BETWEEN 91 AND 120), 0)
                           AS amount_91_120,
                       COALESCE(SUM(full_residual) FILTER (WHERE age > 120), 0)
                           AS amount_over_120,
                       MIN(due) FILTER (WHERE chased AND age > 0 AND %(uncovered)s)
                           AS oldest_due_date,
                       MIN(due) FILTER (WHERE chased AND age <= 0 AND %(uncovered)s)
                           AS next_due_date,
                       COUNT(DISTINCT move_id) FILTER (WHERE chased AND age > 0 AND %(uncovered)s)
                           AS overdue_invoice_count
                  FROM netted
              GROUP BY partner_id, company_id
                )
                -- Rounded as the company currency rounds (half away from zero), by the
                -- database: one pass over thousands of customers' figures.
                SELECT s.partner_id, s.company_id, %(rounded)s,
                       s.oldest_due_date, s.next_due_date, s.overdue_invoice_count
                  FROM summed s
                  JOIN (VALUES %(roundings)s) AS cur(company_id, rounding)
                    ON cur.company_id = s.company_id
                """,
                items=items,
                overdue=self._overdue_sql(),
                uncovered=SQL("uncovered > 0 AND uncovered >= tolerance"),
                rounded=SQL(", ").join(
                    SQL(
                        "(ROUND(s.%s / cur.rounding) * cur.rounding)::float8 AS %s",
                        SQL.identifier(name),
                        SQL.identifier(name),
                    )
                    for name in MONETARY_FIGURES
                ),
                roundings=SQL(", ").join(
                    SQL("(%s, %s::numeric)", company.id, company.currency_id.rounding)
                    for company in case_companies
                ),
            )
        )
        figures = {}
        for row in rows:
            values = {name: row[name] for name in MONETARY_FIGURES}
            values["oldest_due_date"] = row["oldest_due_date"] or False
            values["next_due_date"] = row["next_due_date"] or False
            values["overdue_invoice_count"] = row["overdue_invoice_count"]
            values["last_payment_date"] = False
            figures[(row["partner_id"], row["company_id"])] = values
        if figures:
            self._add_last_payment_dates(figures, scope, every_customer=partners is None)
        return figures

    # ------------------------------------------------- in the documents' currencies

    @api.model
    def _fetch_figures_by_currency(self, companies, partners):
        """What each customer owes in each currency its documents are in, in one query.

        Returns ``{(commercial partner id, company id of the case): {currency id:
        values}}``, ``values`` holding ``total_due``, ``overdue_amount`` and the aging
        buckets (``AGING_FIELDS``) in that currency: the residuals of the lines in
        that currency (``amount_residual_currency``), never converted. A customer
        reads the amounts of their own invoices, not their value in the company's
        currency at the rate of the day they were booked.

        The same items and the same rules as ``_fetch_figures``, line by line:
        credits deduct from the overdue amount of their own currency, and what
        that method sets apart (disputed parts, items held or not followed up,
        residuals below the tolerance) is never overdue. A currency left with
        nothing open is not returned.
        """
        if not partners:
            return {}
        scope, _case_companies, items = self._items_sql(
            companies, partners.commercial_partner_id.ids
        )
        if not scope:
            return {}
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH %(items)s
                SELECT partner_id,
                       company_id,
                       currency_id,
                       SUM(residual_currency) AS total_due,
                       COALESCE(SUM(residual_currency - disputed_currency)
                                FILTER (WHERE %(overdue)s), 0) AS overdue_amount,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age <= 0), 0)
                           AS amount_not_due,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age BETWEEN 1 AND 30), 0)
                           AS amount_1_30,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age BETWEEN 31 AND 60), 0)
                           AS amount_31_60,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age BETWEEN 61 AND 90), 0)
                           AS amount_61_90,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age BETWEEN 91 AND 120), 0)
                           AS amount_91_120,
                       COALESCE(SUM(residual_currency) FILTER (WHERE age > 120), 0)
                           AS amount_over_120
                  FROM items
              GROUP BY partner_id, company_id, currency_id
                """,
                items=items,
                overdue=self._overdue_sql(),
            )
        )
        figures = {}
        names = ("total_due", "overdue_amount", *AGING_FIELDS)
        for row in rows:
            currency = self.env["res.currency"].browse(row["currency_id"])
            values = {name: currency.round(float(row[name])) for name in names}
            if all(currency.is_zero(amount) for amount in values.values()):
                continue
            figures.setdefault((row["partner_id"], row["company_id"]), {})[currency.id] = values
        return figures
