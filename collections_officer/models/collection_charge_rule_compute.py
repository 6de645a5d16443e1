from collections import defaultdict
from datetime import timedelta
from itertools import pairwise

from odoo import api, models
from odoo.fields import Domain

# Simple daily interest on a 365-day year, as the UK Act and most EU transpositions count it.
DAYS_IN_YEAR = 365


class CollectionChargeRule(models.Model):
    """What a rule charges on the overdue invoices of cases: the fixed fee, the
    compensation by band and the interest for the days no earlier charge covers."""

    _inherit = "collection.charge.rule"  # pylint: disable=consider-merging-classes-inherited

    def _compensation_for(self, debt):
        """The fixed compensation for a debt of `debt` (company currency)."""
        self.ensure_one()
        if self.band_1_limit and debt < self.band_1_limit:
            return self.band_1_amount
        if self.band_2_limit and debt < self.band_2_limit:
            return self.band_2_amount
        return self.compensation_amount

    @api.model
    def _is_debt(self, amount, currency, tolerance):
        """Whether `amount` is owed: above zero and not below the company's tolerance
        (already in `currency`)."""
        return (
            currency.compare_amounts(amount, 0.0) > 0
            and currency.compare_amounts(amount, tolerance) >= 0
        )

    @api.model
    def _frozen_period(self, case, date):
        """(start, end) of the case's breathing space as a half-open period, or None. Its
        last day is frozen too; without a recorded start, everything before its end is."""
        if not case.breathing_space_until:
            return None
        return (
            case.breathing_space_from or date.min,
            case.breathing_space_until + timedelta(days=1),
        )

    def _overdue_items(self, cases, date):
        """{late invoice: figures} of the cases' invoices that may draw a charge: the open
        ones overdue on `date` and those charged before, paid since.

        Figures, in the invoice's currency: `installments` [(due date, original amount,
        [(payment date, amount paid)])] from the reconciliation history, each installment
        bearing interest from its own due date; `residual`; `debt` the original amount in
        company currency, which sets the compensation band.
        """
        Line = self.env["account.move.line"]
        company = self.company_id
        late = Domain(
            [
                ("date_maturity", "<", date),
                ("no_followup", "=", False),
                ("move_id.move_type", "=", "out_invoice"),
            ]
        )
        if company.collection_followup_from:
            # Items due before follow-up went live are shown, not chased: no charge either.
            late &= Domain("date_maturity", ">", company.collection_followup_from)
        # What follow-up chases, charges may bill: the ledger's definition of debt.
        open_domain = (
            self.env["collection.ledger"]._chased_items_domain(cases.partner_id, company) & late
        )
        moves = self.env["account.move"].union(
            *(move for (move,) in Line._read_group(open_domain, ["move_id"])),
            # Paid since the last charge: the days up to each payment are still due.
            *(
                move
                for (move,) in self.env["collection.charge"]._read_group(
                    [("case_id", "in", cases.ids), ("state", "!=", "released")],
                    ["source_move_id"],
                )
            ),
        )
        charge_invoices = (
            self.env["collection.charge"].search([("invoice_id", "in", moves.ids)]).invoice_id
        )
        ledger = self.env["collection.ledger"]
        moves = (moves - charge_invoices).filtered(
            lambda move: (
                move.state == "posted"
                # A branch's invoices are charged by the rules of the company of their case.
                and ledger._case_company(move.company_id) == company
                and move.commercial_partner_id in cases.partner_id
                # Blocked by accounting or cancelled by a credit note: not a late debt to
                # charge. A payment registered and not yet booked ('in payment' with the
                # receivable still open) stops the charges until it is reconciled, and then
                # the interest runs to its date.
                and move.payment_state not in ("blocked", "reversed")
                and not (
                    move.payment_state == "in_payment"
                    and not move.currency_id.is_zero(move.amount_residual)
                )
            )
        )
        if not moves:
            return {}
        lines = Line.search(
            late
            & Domain(
                [
                    ("move_id", "in", moves.ids),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("balance", ">", 0),
                ]
            )
        )
        payments = defaultdict(list)
        for line, paid_on, amount in self.env["account.partial.reconcile"]._read_group(
            [("debit_move_id", "in", lines.ids)],
            ["debit_move_id", "max_date:day"],
            ["debit_amount_currency:sum"],
        ):
            payments[line].append((paid_on, amount))
        items = {}
        for line in lines:
            item = items.setdefault(
                line.move_id,
                {"installments": [], "residual": 0.0, "debt": 0.0, "currency": line.currency_id},
            )
            item["installments"].append((line.date_maturity, line.amount_currency, payments[line]))
            item["residual"] += line.amount_residual_currency
            item["debt"] += line.balance
        # The part of an invoice under an open dispute bears no fee and no interest.
        for move, disputed in ledger._disputed_by_move(moves).items():
            if item := items.get(move):
                item["residual"] -= min(disputed, item["residual"])
                item["installments"] = ledger._undisputed_installments(
                    item["installments"], disputed
                )
        return items

    def _prepare_charges(self, cases, items, date):
        """({(case, currency, issuer): [charge values]} of what is due and not yet charged,
        {case: [(invoice, start, end)] of interest periods without a reference rate}).
        """
        charge_model = self.env["collection.charge"]
        moves = self.env["account.move"].union(*items)
        counted = Domain([("source_move_id", "in", moves.ids), ("state", "!=", "released")])
        fees_done = {
            (move, kind)
            for move, kind in charge_model._read_group(
                counted
                & Domain([("rule_id", "=", self.id), ("kind", "in", ("fee", "compensation"))]),
                ["source_move_id", "kind"],
            )
        }
        # Interest of any rule counts: a day of lateness is charged interest only once.
        covered = defaultdict(list)
        for charge in charge_model.search(counted & Domain("kind", "=", "interest")):
            covered[charge.source_move_id].append((charge.date_from, charge.date_to))
        rate_table = (
            self.env["collection.reference.rate"]._rate_table(
                self.reference_rate_type, self.company_id
            )
            if self.interest_type == "reference"
            else None
        )
        case_by_partner = {case.partner_id: case for case in cases}
        # Fees, bands and the tolerance are set in company currency: one rate per currency.
        company_currency = self.company_id.currency_id
        to_currency = {
            currency: company_currency._get_conversion_rate(
                company_currency, currency, self.company_id, date
            )
            for currency in {item["currency"] for item in items.values()}
        }
        tolerances = {
            currency: self.env["collection.ledger"]._tolerance(self.company_id, currency)
            for currency in to_currency
        }
        charges_by_key = defaultdict(list)
        missing = defaultdict(list)

        def order(move):
            return (min(inst[0] for inst in items[move]["installments"]), move.id)

        for move in moves.sorted(order):
            item = items[move]
            currency = item["currency"]
            case = case_by_partner.get(move.commercial_partner_id)
            if not case:
                continue
            common = {
                "case_id": case.id,
                "rule_id": self.id,
                "source_move_id": move.id,
                "currency_id": currency.id,
                "base_amount": item["residual"],
                "date": date,
            }
            # The charge is the late invoice's creditor's claim: the company that issued it
            # (a branch's invoice, charged on the head office's case) bills it.
            charges = charges_by_key[case, currency, move.company_id]
            tolerance = tolerances[currency]
            # Fees fall on debts still open; a residual below the tolerance is not a debt.
            if self._is_debt(item["residual"], currency, tolerance):
                if self.fee_amount > 0 and (move, "fee") not in fees_done:
                    amount = currency.round(self.fee_amount * to_currency[currency])
                    charges.append(common | {"kind": "fee", "amount": amount})
                if self.compensation and (move, "compensation") not in fees_done:
                    # The band is the debt's as it fell due: part payments do not lower it.
                    amount = currency.round(
                        self._compensation_for(item["debt"]) * to_currency[currency]
                    )
                    if amount > 0:
                        charges.append(common | {"kind": "compensation", "amount": amount})
            if self.interest_type != "none":
                parts, gaps = self._interest_parts(
                    item,
                    covered[move],
                    self._frozen_period(case, date),
                    rate_table,
                    date,
                    tolerance,
                )
                missing[case].extend((move, start, end) for start, end in gaps)
                # Too little to bill yet: it accrues until the next run.
                if not currency.is_zero(sum(part["amount"] for part in parts)):
                    charges.extend(common | part for part in parts)
        return (
            {key: charges for key, charges in charges_by_key.items() if charges},
            {case: gaps for case, gaps in missing.items() if gaps},
        )

    def _interest_parts(self, item, covered, frozen, rate_table, date, tolerance):
        """(interest charge values, [(start, end)] left uncharged for want of a reference
        rate) of one late invoice, for the days no charge covers yet.

        The days run from each installment's due date to `date`; each payment lowers the
        amount bearing interest from the day it was made. Periods are split wherever the
        amount or the rate changes, so that each charge has one base and one rate; the
        breathing space and the days already charged are left out.
        """
        currency = item["currency"]
        installments = item["installments"]
        start = min(due for due, _amount, _paid in installments)
        if start >= date:
            return [], []
        holes = [(start, date)]
        for hole_start, hole_end in sorted([*covered, *([frozen] if frozen else [])]):
            holes = [
                part
                for begin, end in holes
                for part in ((begin, min(end, hole_start)), (max(begin, hole_end), end))
                if part[0] < part[1]
            ]
        changes = {due for due, _amount, _paid in installments} | {
            paid_on for _due, _amount, paid in installments for paid_on, _amount_paid in paid
        }
        parts, gaps = [], []
        for begin, end in holes:
            cuts = sorted({begin, end} | {day for day in changes if begin < day < end})
            for cut_start, cut_end in pairwise(cuts):
                base = sum(
                    amount
                    - sum(paid_amount for paid_on, paid_amount in paid if paid_on <= cut_start)
                    for due, amount, paid in installments
                    if due <= cut_start
                )
                # Nothing, or less than the tolerance, is owed: no interest on it.
                if not self._is_debt(base, currency, tolerance):
                    continue
                for part_start, part_end, rate in self._interest_periods(
                    rate_table, cut_start, cut_end
                ):
                    if rate is None:
                        if gaps and gaps[-1][1] == part_start:
                            gaps[-1] = (gaps[-1][0], part_end)
                        else:
                            gaps.append((part_start, part_end))
                        continue
                    previous = parts[-1] if parts else None
                    if (
                        previous
                        and previous["date_to"] == part_start
                        and previous["rate"] == rate
                        and currency.compare_amounts(previous["base_amount"], base) == 0
                    ):
                        previous["date_to"] = part_end
                    else:
                        parts.append(
                            {
                                "kind": "interest",
                                "date_from": part_start,
                                "date_to": part_end,
                                "rate": rate,
                                "base_amount": base,
                            }
                        )
        for part in parts:
            part["amount"] = currency.round(
                part["base_amount"]
                * part["rate"]
                / 100
                * (part["date_to"] - part["date_from"]).days
                / DAYS_IN_YEAR
            )
        return parts, gaps

    def _interest_periods(self, rate_table, date_from, date_to):
        """[(start, end, annual rate % or None when no reference rate is recorded)]."""
        if self.interest_type == "fixed":
            return [(date_from, date_to, self.interest_rate)]
        periods = self.env["collection.reference.rate"]._split_period(
            rate_table, date_from, date_to
        )
        # A negative reference rate plus the margin could fall below zero: no negative interest.
        return [
            (start, end, None if rate is None else max(rate + self.interest_rate, 0.0))
            for start, end, rate in periods
        ]
