from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


class CollectionLedger(models.AbstractModel):
    """The debt a promise or a plan covers, and what a customer owed on a day.

    A commitment's own lines and currency, fixed the day it is made (the debits
    open that day, less those follow-up sets apart); what was owed on each debt
    that day (a proof of debt reads it too); and the debt a new commitment would
    cover as it stands now.
    """

    _inherit = "collection.ledger"  # pylint: disable=consider-merging-classes-inherited

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
