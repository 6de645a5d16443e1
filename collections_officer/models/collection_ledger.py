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
    """

    _name = "collection.ledger"
    _description = "Collections: Reads of Accounting"

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

    @api.model
    def _set_commitment_scope(self, commitments, date_field, amount_field):
        """Set ``line_ids`` and ``currency_id`` of promises or plans: their own debt.

        A promise or a plan is about what was overdue on the day in ``date_field``,
        when it was made: the debits open that day and due before it, less those
        follow-up sets apart (see ``_set_apart_lines``). One for more than that
        (``amount_field``, in its currency), or made when nothing was overdue,
        covers the debt falling due too. Only money applied to these lines, or left
        unapplied, pays it: the payment of another, current invoice does not. Read
        again later, it is still the same lines. The currency is the one all the
        debits open that day share, else the company's, as the wizards offer it.
        """
        dated = commitments.filtered(lambda c: c.case_id and c[date_field])
        owed = self._owed_on(
            {
                day: self.env["collection.case"].union(*(c.case_id for c in group))
                for day, group in dated.grouped(date_field).items()
            }
        )
        no_lines = self.env["account.move.line"]
        set_apart = self._set_apart_lines(
            no_lines.union(*(line for debts in owed.values() for line, _a, _c in debts))
        )
        for commitment in commitments:
            company = commitment.company_id or commitment.case_id.company_id
            day = commitment[date_field]
            debts = owed.get((commitment.case_id.id, day), [])
            lines = no_lines.union(*(line for line, _amount, _currency in debts))
            currency = self._commitment_currency(company, lines)
            chased = [debt for debt in debts if debt[0] not in set_apart]
            overdue = [debt for debt in chased if (debt[0].date_maturity or debt[0].date) < day]
            overdue_owed = sum(
                amount_currency
                if line.currency_id == currency
                else company.currency_id._convert(amount, currency, company, day, round=False)
                for line, amount, amount_currency in overdue
            )
            amount = commitment[amount_field] or 0.0
            if overdue and currency.compare_amounts(amount, overdue_owed) <= 0:
                chased = overdue
            commitment.line_ids = no_lines.union(*(line for line, _amount, _currency in chased))
            commitment.currency_id = currency

    @api.model
    def _set_apart_lines(self, lines):
        """The open ``lines`` follow-up sets apart: held, blocked or in payment, below
        the tolerance, or wholly under dispute (see ``_items_sql``)."""
        if not lines:
            return lines
        scope, _companies, items = self._items_sql(
            self.env["res.company"].union(
                *(self._case_company(company) for company in lines.company_id)
            ),
            lines.partner_id.commercial_partner_id.ids,
        )
        if not scope:
            return lines.browse()
        rows = self.env.execute_query(
            SQL(
                """
                WITH %s
                SELECT id FROM items
                 WHERE id = ANY(%s)
                   AND full_residual > 0
                   AND (set_apart OR disputed_currency >= residual_currency)
                """,
                items,
                lines.ids,
            )
        )
        return lines.browse([line_id for [line_id] in rows])

    @api.model
    def _debt_on(self, cases_by_day):
        """The receivable debits each case's customer owed on a day: ``{(case id, day): lines}``.

        ``cases_by_day`` maps a day to cases. The debt owed on a day is the debits
        booked by then and still open that day: open now, or settled on that day
        or later. A promise or a plan covers the debt owed the day it is made;
        reading it back from that day gives the same lines on a later
        recomputation.
        """
        debt = {}
        for day, cases in cases_by_day.items():
            domain = Domain(
                [
                    ("partner_id.commercial_partner_id", "in", cases.partner_id.ids),
                    ("company_id", "in", list(self._company_scope(cases.company_id))),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("balance", ">", 0),
                    ("date", "<=", day),
                ]
            ) & (
                Domain("reconciled", "=", False) | Domain("matched_credit_ids.max_date", ">=", day)
            )
            lines = self.env["account.move.line"].sudo().search(domain, order="id")
            grouped = lines.grouped(
                lambda line: (
                    line.partner_id.commercial_partner_id.id,
                    self._case_company(line.company_id).id,
                )
            )
            for case in cases:
                debt[(case.id, day)] = grouped.get(
                    (case.partner_id.id, case.company_id.id), lines.browse()
                )
        return debt

    @api.model
    def _owed_on(self, cases_by_day):
        """What each case's customer owed on each debt on a day, for a proof of debt.

        ``{(case id, day): [(line, amount in company currency, amount in the line's
        currency)]}``: the debts of ``_debt_on`` less what settled them before
        that day. Partials are read in one query for all the lines.
        """
        debt = self._debt_on(cases_by_day)
        lines = self.env["account.move.line"].union(*debt.values())
        partials = (
            self.env["account.partial.reconcile"]
            .sudo()
            .search([("debit_move_id", "in", lines.ids)])
        )
        owed = {}
        for (case_id, day), case_lines in debt.items():
            settled = {}
            for partial in partials.filtered(lambda p, day=day: p.max_date < day):
                amounts = settled.setdefault(partial.debit_move_id.id, [0.0, 0.0])
                amounts[0] += partial.amount
                amounts[1] += partial.debit_amount_currency
            owed[(case_id, day)] = [
                (
                    line,
                    line.balance - settled.get(line.id, (0.0, 0.0))[0],
                    line.amount_currency - settled.get(line.id, (0.0, 0.0))[1],
                )
                for line in case_lines
            ]
        return owed

    @api.model
    def _commitment_currency(self, company, lines):
        """The currency of a promise or a plan: the one all its lines share, else the company's."""
        return lines.currency_id if len(lines.currency_id) == 1 else company.currency_id

    @api.model
    def _commitment_scope(self, cases):
        """The debt a promise or a plan made on each case covers, as it stands now.

        Returns ``{case id: {"lines", "currency", "overdue", "total"}}``: the
        customer's open receivable debits, the currency of the commitment (the
        invoices' currency when they all share one, else the company's) and what
        is overdue and due in that currency. What is overdue is what the case's
        figures call overdue (``_overdue_sql``), in every currency: credits
        deducted, disputed parts and items held, in payment or below the tolerance
        left out. Amounts in another currency than the commitment's are converted
        from company currency at today's rate.
        """
        scope, _companies, items = self._items_sql(cases.company_id, cases.partner_id.ids)
        rows = (
            self.env.execute_query(
                SQL(
                    """
                    WITH %(items)s
                    SELECT partner_id,
                           company_id,
                           currency_id,
                           ARRAY_AGG(id) FILTER (WHERE full_residual > 0),
                           SUM(full_residual),
                           SUM(residual_currency),
                           COALESCE(SUM(residual) FILTER (WHERE %(overdue)s), 0),
                           COALESCE(SUM(residual_currency - disputed_currency)
                                    FILTER (WHERE %(overdue)s), 0)
                      FROM items
                  GROUP BY partner_id, company_id, currency_id
                    """,
                    items=items,
                    overdue=self._overdue_sql(),
                )
            )
            if scope
            else []
        )
        by_key = {}
        for partner_id, company_id, currency_id, debit_ids, *amounts in rows:
            by_key.setdefault((partner_id, company_id), []).append(
                (currency_id, debit_ids or [], [float(amount) for amount in amounts])
            )
        Line = self.env["account.move.line"].sudo()
        result = {}
        for case in cases:
            company = case.company_id
            today = company._collection_today()
            groups = by_key.get((case.partner_id.id, company.id), [])
            debits = Line.browse(sorted(i for _c, ids, _a in groups for i in ids))
            currency = self._commitment_currency(company, debits)
            overdue = total = 0.0
            for currency_id, _ids, amounts in groups:
                total_company, total_currency, due_company, due_currency = amounts
                if currency_id == currency.id:
                    total += total_currency
                    overdue += due_currency
                else:
                    total += company.currency_id._convert(
                        total_company, currency, company, today, round=False
                    )
                    overdue += company.currency_id._convert(
                        due_company, currency, company, today, round=False
                    )
            result[case.id] = {
                "lines": debits,
                "currency": currency,
                "overdue": currency.round(overdue),
                "total": currency.round(total),
            }
        return result

    # --------------------------------------------------------------- disputes

    @api.model
    def _disputed_by_move(self, moves):
        """``{invoice: amount}`` set apart by disputes, in the invoice's currency.

        While a dispute is open its amount is not chased (nor, once accepted, the
        accepted amount until its credit note is posted): follow-up, the overdue
        amount and charges see only the rest of the invoice (``_fetch_figures``
        applies the same amounts, oldest installment first).
        """
        return dict(
            self.env["collection.dispute"]
            .sudo()
            ._read_group(
                [("move_id", "in", moves.ids), ("amount_set_apart", ">", 0)],
                ["move_id"],
                ["amount_set_apart:sum"],
            )
        )

    @api.model
    def _undisputed_installments(self, installments, disputed):
        """The installments ``[(due, amount, payments)]`` of an invoice less ``disputed``.

        The disputed amount takes the oldest installments first, as in
        ``_fetch_figures``, up to what each still owes.
        """
        result = []
        for due, amount, paid in sorted(installments, key=lambda inst: inst[0]):
            owed = amount - sum(paid_amount for _day, paid_amount in paid)
            taken = max(min(disputed, owed), 0.0)
            disputed -= taken
            result.append((due, amount - taken, paid))
        return result

    # -------------------------------------------------------------- tolerance

    @api.model
    def _tolerance(self, company, currency=None):
        """The company's tolerance in ``currency`` (default: the company's), at today's rate."""
        company_currency = company.currency_id
        currency = currency or company_currency
        if currency == company_currency:
            return company.collection_tolerance
        return company_currency._convert(
            company.collection_tolerance,
            currency,
            company,
            company._collection_today(),
            round=False,
        )

    @api.model
    def _below_tolerance(self, company, amount, currency=None):
        """Whether ``amount`` (in ``currency``, default the company's) is too small to chase.

        The company tolerance is converted to the amount's currency at today's
        rate; an amount below it is not debt: no case, no level, no charge.
        """
        currency = currency or company.currency_id
        tolerance = self._tolerance(company, currency)
        return currency.compare_amounts(abs(amount), tolerance) < 0

    @api.model
    def _lines_below_tolerance(self, lines):
        """The receivable lines whose residual, in the line's currency, is below the tolerance."""
        tolerances = {}
        below = []
        for line in lines:
            key = (line.company_id, line.currency_id)
            if key not in tolerances:
                tolerances[key] = self._tolerance(*key)
            if (
                line.currency_id.compare_amounts(
                    abs(line.amount_residual_currency), tolerances[key]
                )
                < 0
            ):
                below.append(line.id)
        return lines.browse(below)

    @api.model
    def _is_overdue(self, values, company=None):
        """Whether the figures of a customer show debt to chase.

        The overdue amount left after credits must reach the company tolerance,
        and some overdue item must be left uncovered by the credits.
        """
        if not values or values["overdue_amount"] <= 0 or not values["oldest_due_date"]:
            return False
        return not self._below_tolerance(company or self.env.company, values["overdue_amount"])

    @api.model
    def _overdue_sql(self):
        """Whether an item of ``_items_sql`` is overdue: the one definition of it.

        A credit (it lowers what is overdue), or a debit past its due date that
        follow-up chases: its disputed part taken off, and not held (blocked or
        'No Follow-Up'), in payment or below the tolerance (compared in the
        item's own currency). The case's figures, its figures per currency and
        what a promise or a plan offers to cover all read it.
        """
        return SQL("(residual < 0 OR (residual > 0 AND NOT set_apart AND age > 0))")

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
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids))
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
                               OR COALESCE(m.payment_state IN ('blocked', 'in_payment'), FALSE)
                           ) AS held
                      FROM account_move_line aml
                      JOIN (VALUES %(company_values)s)
                           AS cm(company_id, case_company_id, today, followup_from,
                                 include_misc, tolerance)
                        ON cm.company_id = aml.company_id
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN account_journal j ON j.id = aml.journal_id
                      JOIN account_move m ON m.id = aml.move_id
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
                split AS (
                    SELECT lines.*,
                           CASE WHEN d.amount IS NULL OR lines.residual_currency <= 0 THEN 0
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
                 LEFT JOIN disputed d ON d.move_id = lines.move_id
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
                netted AS (
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
                )
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
                """,
                items=items,
                overdue=self._overdue_sql(),
                uncovered=SQL("uncovered > 0 AND uncovered >= tolerance"),
            )
        )
        figures = {}
        currency_by_company = {company.id: company.currency_id for company in case_companies}
        for row in rows:
            currency = currency_by_company[row["company_id"]]
            values = {name: currency.round(float(row[name])) for name in MONETARY_FIGURES}
            values["oldest_due_date"] = row["oldest_due_date"] or False
            values["next_due_date"] = row["next_due_date"] or False
            values["overdue_invoice_count"] = row["overdue_invoice_count"]
            values["last_payment_date"] = False
            figures[(row["partner_id"], row["company_id"])] = values
        if figures:
            self._add_last_payment_dates(figures, scope)
        return figures

    @api.model
    def _add_last_payment_dates(self, figures, scope):
        """Date of the latest payment received, reconciled or not, and not undone.

        A payment undone by a reversal (a bounced cheque or direct debit) is not a
        payment received.
        """
        partner_ids = list({partner_id for partner_id, _company in figures})
        company_values = SQL(", ").join(
            SQL("(%s, %s)", line_company_id, case_company_id)
            for line_company_id, case_company_id in scope.items()
        )
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
                   AND p.commercial_partner_id = ANY(%s)
                   AND NOT EXISTS (
                       SELECT 1
                         FROM account_move reversal
                        WHERE reversal.reversed_entry_id = m.id
                          AND reversal.state = 'posted'
                   )
              GROUP BY p.commercial_partner_id, cm.case_company_id
                """,
                company_values,
                partner_ids,
            )
        )
        for partner_id, company_id, last_date in rows:
            if (partner_id, company_id) in figures:
                figures[(partner_id, company_id)]["last_payment_date"] = last_date

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
        company_values = SQL(", ").join(
            SQL("(%s, %s)", line_company_id, case_company_id)
            for line_company_id, case_company_id in scope.items()
        )
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
             LEFT JOIN account_move reversed ON reversed.id = m.reversed_entry_id
            CROSS JOIN LATERAL (
                    SELECT m.origin_payment_id IS NOT NULL
                           OR m.statement_line_id IS NOT NULL
                           OR reversed.origin_payment_id IS NOT NULL
                           OR reversed.statement_line_id IS NOT NULL AS cash
                   ) AS kind
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
                   AND (kind.cash
                        OR m.move_type = 'out_refund'
                        OR reversed.move_type = 'out_refund')
              GROUP BY w.idx, aml.date, kind.cash
                """,
                SQL(", ").join(rows_values),
                company_values,
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
        company_values = SQL(", ").join(
            SQL("(%s, %s)", line_company_id, case_company_id)
            for line_company_id, case_company_id in scope.items()
        )
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", partners.ids)
            if partners is not None
            else SQL()
        )
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
                 WHERE TRUE %(partner_filter)s
              GROUP BY p.commercial_partner_id, cm.case_company_id
                """,
                companies=list(scope),
                company_values=company_values,
                partner_filter=partner_filter,
            )
        )
        return {
            (partner_id, company_id): {
                "paid_count": count,
                "late_count": late_count,
                "avg_days_late": float(average or 0),
                "median_days_late": round(float(median or 0)),
            }
            for partner_id, company_id, count, late_count, average, median in rows
        }

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

    # ------------------------------------------------------------ as of a date

    @api.model
    def _aging_as_of_sql(self, requests, by="due_date", buckets=None):
        """The receivable items open at a date, as the CTEs ``requests, settled, aged``.

        ``requests``: a list of ``(companies, day, commercial partner ids or None)``.
        Returns ``(case companies, SQL)``; the SQL is empty when no company asked
        has cases. ``aged`` holds a row per request (``idx``, its index in
        ``requests``; ``as_of``, its day) and posted receivable line of the
        companies (and of their branches booking for them) dated on or before
        that day, partner or not: ``line_id``, ``move_id``, ``line_company_id``,
        ``company_id`` (of the case), ``partner_id`` (commercial, NULL without a
        customer), ``currency_id``, ``date``, ``date_maturity``, ``invoice_date``,
        ``days`` (from the due date, or the invoice date with ``by`` set to
        ``invoice_date``, to the day), ``bucket`` (0 = not due, then the index of
        the bucket in the case company's buckets, or in ``buckets`` when given:
        a comma list or a list of limits in days), ``residual`` (company
        currency) and ``residual_currency`` (the line's currency).

        An item's residual at a day is its balance less what the partial
        reconciliations dated (``max_date``, the later date of both sides) on or
        before that day settled, on either side: an invoice paid after the day is
        still owed on it, a payment matched after it is still an unallocated
        credit. The partials are summed once per distinct day, not per line.
        Summed over every line it is the receivable accounts' balance that day.
        """
        if by not in ("due_date", "invoice_date"):
            raise ValueError(f"Age items by due_date or invoice_date, not {by!r}")
        scopes = {}
        for companies, _day, _partners in requests:
            if tuple(companies.ids) not in scopes:
                scopes[tuple(companies.ids)] = self._company_scope(companies)
        case_companies = self.env["res.company"].browse(
            {case_id for scope in scopes.values() for case_id in scope.values()}
        )
        rows = [
            SQL(
                "(%s, %s::date, %s, %s, %s, %s::int[])",
                index,
                day,
                line_company_id,
                case_company_id,
                partners is None,
                list(partners or []),
            )
            for index, (companies, day, partners) in enumerate(requests)
            for line_company_id, case_company_id in scopes[tuple(companies.ids)].items()
        ]
        if not rows:
            return case_companies, SQL()
        limits = self.env["collection.aging.report"]._company_limits(case_companies, buckets)
        # width_bucket counts the thresholds <= age: 0 (not due), 1 (1 to first limit)...
        thresholds = SQL(", ").join(
            SQL("(%s, %s::int[])", company_id, [1] + [limit + 1 for limit in company_limits])
            for company_id, company_limits in limits.items()
        )
        # Partials never cross a company tree: those of the trees asked for are enough.
        tree = (
            self.env["res.company"]
            .sudo()
            .search([("id", "child_of", case_companies.sudo().root_id.ids)])
        )
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "currency_id",
                "move_id",
                "parent_state",
                "date",
                "date_maturity",
                "balance",
                "amount_currency",
            ]
        )
        self.env["account.move"].flush_model(["invoice_date"])
        self.env["account.partial.reconcile"].flush_model(
            [
                "debit_move_id",
                "credit_move_id",
                "amount",
                "debit_amount_currency",
                "credit_amount_currency",
                "max_date",
                "company_id",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        age_from = (
            SQL("COALESCE(aml.date_maturity, aml.date)")
            if by == "due_date"
            else SQL("COALESCE(m.invoice_date, aml.date)")
        )
        return case_companies, SQL(
            """
            requests AS (
                SELECT r.*, t.thresholds
                  FROM (VALUES %(rows)s)
                       AS r(idx, as_of, line_company_id, company_id, all_partners, partner_ids)
                  JOIN (VALUES %(thresholds)s) AS t(company_id, thresholds)
                    ON t.company_id = r.company_id
            ),
            -- What the partials dated by each day settled of each line, either side.
            settled AS (
                SELECT d.as_of, sides.line_id,
                       SUM(sides.amount) AS amount,
                       SUM(sides.amount_currency) AS amount_currency
                  FROM (SELECT DISTINCT as_of FROM requests) AS d
                  JOIN (
                        SELECT pr.debit_move_id AS line_id,
                               pr.max_date,
                               -pr.amount AS amount,
                               -pr.debit_amount_currency AS amount_currency
                          FROM account_partial_reconcile pr
                         WHERE pr.company_id = ANY(%(tree)s)
                     UNION ALL
                        SELECT pr.credit_move_id,
                               pr.max_date,
                               pr.amount,
                               pr.credit_amount_currency
                          FROM account_partial_reconcile pr
                         WHERE pr.company_id = ANY(%(tree)s)
                       ) AS sides
                    ON sides.max_date <= d.as_of
              GROUP BY d.as_of, sides.line_id
            ),
            aged AS (
                SELECT r.idx,
                       r.as_of,
                       aml.id AS line_id,
                       aml.move_id,
                       aml.company_id AS line_company_id,
                       r.company_id,
                       p.commercial_partner_id AS partner_id,
                       aml.currency_id,
                       aml.date,
                       aml.date_maturity,
                       m.invoice_date,
                       r.as_of - %(age_from)s AS days,
                       width_bucket(r.as_of - %(age_from)s, r.thresholds) AS bucket,
                       aml.balance + COALESCE(s.amount, 0) AS residual,
                       aml.amount_currency + COALESCE(s.amount_currency, 0) AS residual_currency
                  FROM requests r
                  JOIN account_move_line aml
                    ON aml.company_id = r.line_company_id
                   AND aml.date <= r.as_of
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
             LEFT JOIN res_partner p ON p.id = aml.partner_id
             LEFT JOIN settled s ON s.line_id = aml.id AND s.as_of = r.as_of
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND (r.all_partners OR p.commercial_partner_id = ANY(r.partner_ids))
            )
            """,
            rows=SQL(", ").join(rows),
            thresholds=thresholds,
            tree=tree.ids,
            age_from=age_from,
        )

    @api.model
    def _aging_as_of(self, requests, by="due_date", buckets=None, group_by=None):
        """What was open at a date, item by item or summed, in one query.

        ``requests``, ``by`` and ``buckets`` as in ``_aging_as_of_sql``. Without
        ``group_by``, a dict per item open at its request's day (the columns of
        ``aged``). With ``group_by``, a tuple of column names among ``idx``,
        ``company_id``, ``partner_id``, ``currency_id`` and ``bucket``, a dict per
        group with those and the sum of ``residual`` (company currency), and of
        ``residual_currency`` when grouped by currency.
        """
        _case_companies, aged = self._aging_as_of_sql(requests, by, buckets)
        if not aged:
            return []
        if group_by is None:
            return self.env.execute_query_dict(
                SQL(
                    """
                    WITH %s
                    SELECT *
                      FROM aged
                     WHERE residual != 0 OR residual_currency != 0
                  ORDER BY idx, company_id, COALESCE(date_maturity, date), line_id
                    """,
                    aged,
                )
            )
        allowed = ("idx", "company_id", "partner_id", "currency_id", "bucket")
        if not group_by or any(name not in allowed for name in group_by):
            raise ValueError(f"Group the aging by some of {allowed}, not {group_by}")
        columns = SQL(", ").join(SQL.identifier(name) for name in group_by)
        sums = [SQL("SUM(residual) AS residual")]
        if "currency_id" in group_by:
            sums.append(SQL("SUM(residual_currency) AS residual_currency"))
        return self.env.execute_query_dict(
            SQL(
                "WITH %s SELECT %s, %s FROM aged GROUP BY %s ORDER BY %s",
                aged,
                columns,
                SQL(", ").join(sums),
                columns,
                columns,
            )
        )
