from odoo import api, models
from odoo.tools import SQL


class CollectionLedger(models.AbstractModel):
    """What follow-up chases: the parts disputes set apart, the tolerance, overdue.

    The amounts below the company tolerance are no debt, an invoice's disputed
    part is never chased, and ``_overdue_sql`` is the one definition of an overdue
    item that the case figures and the commitments read.
    """

    _inherit = "collection.ledger"  # pylint: disable=consider-merging-classes-inherited

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
        return self._overdue_check(company or self.env.company)(values)

    @api.model
    def _overdue_check(self, company):
        """``_is_overdue`` for the figures of ``company``'s customers, as a function of
        the figures: the tolerance read once for the thousands of customers of a
        refresh."""
        currency = company.currency_id
        tolerance = self._tolerance(company, currency)
        # Amounts a rounding unit or more away from the tolerance are plainly above or
        # below it: only those near it are compared as the currency rounds, which is
        # most of a refresh's time spent on thousands of customers otherwise.
        clearly_above = tolerance + currency.rounding
        clearly_below = tolerance - currency.rounding

        def is_overdue(values):
            if not values or values["overdue_amount"] <= 0 or not values["oldest_due_date"]:
                return False
            amount = abs(values["overdue_amount"])
            if amount >= clearly_above:
                return True
            if amount <= clearly_below:
                return False
            return currency.compare_amounts(amount, tolerance) >= 0

        return is_overdue

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
