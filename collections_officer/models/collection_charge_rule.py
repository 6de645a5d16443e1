from collections import defaultdict
from datetime import timedelta
from itertools import pairwise

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date, formatLang

from .collection_reference_rate import RATE_TYPES

# Simple daily interest on a 365-day year, as the UK Act and most EU transpositions count it.
DAYS_IN_YEAR = 365


class CollectionChargeRule(models.Model):
    _name = "collection.charge.rule"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Late-Payment Charge Rule"
    _order = "name, id"
    _check_company_auto = True

    def _default_product(self):
        return self.env.ref(
            "collections_officer.product_late_payment_charge", raise_if_not_found=False
        )

    def _default_journal(self):
        return self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(self.env.company),
                ("type", "=", "sale"),
            ],
            limit=1,
        )

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    fee_amount = fields.Monetary(
        string="Fixed Fee",
        help="Charged once per overdue invoice (e.g. an administration fee), in company "
        "currency, converted to the invoice's currency.",
    )
    fee_tax_ids = fields.Many2many(
        "account.tax",
        "collection_charge_rule_fee_tax_rel",
        "rule_id",
        "tax_id",
        string="Fee Taxes",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes on the fixed fee (e.g. VAT on an administration fee), mapped by the "
        "customer's fiscal position. Empty: no tax.",
    )
    compensation = fields.Boolean(
        string="Fixed Compensation",
        help="Charge a fixed compensation once per overdue invoice, by the size of the debt "
        "when it fell due (UK Late Payment Act: 40 under 1,000, 70 under 10,000, 100 above, in "
        "pounds; EU Late Payment Directive: 40 euros). Amounts are in company currency.",
    )
    band_1_limit = fields.Monetary(
        string="Band 1: Debts Under", help="Leave empty for a single compensation amount."
    )
    band_1_amount = fields.Monetary(string="Band 1 Compensation")
    band_2_limit = fields.Monetary(
        string="Band 2: Debts Under", help="Leave empty when there are not three bands."
    )
    band_2_amount = fields.Monetary(string="Band 2 Compensation")
    compensation_amount = fields.Monetary(
        string="Compensation",
        help="The compensation for debts above the bands, or for every debt without bands.",
    )
    compensation_tax_ids = fields.Many2many(
        "account.tax",
        "collection_charge_rule_compensation_tax_rel",
        "rule_id",
        "tax_id",
        string="Compensation Taxes",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes on the compensation, mapped by the customer's fiscal position. Empty: "
        "no tax (statutory compensation is outside the scope of VAT in the UK and the EU).",
    )
    interest_type = fields.Selection(
        [
            ("none", "No Interest"),
            ("fixed", "Fixed Rate"),
            ("reference", "Reference Rate + Margin"),
        ],
        required=True,
        default="none",
    )
    interest_rate = fields.Float(
        string="Annual Rate (%)",
        digits=(16, 4),
        help="Fixed rate: the annual rate. Reference rate: the margin added to it "
        "(8 points under the UK Act and the EU Directive).",
    )
    reference_rate_type = fields.Selection(
        RATE_TYPES,
        help="The reference rate in force on each day is the one fixed for its half-year; "
        "a period across two half-years is charged at each half-year's rate. A period "
        "without a recorded rate is not charged until the rate is recorded.",
    )
    interest_tax_ids = fields.Many2many(
        "account.tax",
        "collection_charge_rule_interest_tax_rel",
        "rule_id",
        "tax_id",
        string="Interest Taxes",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes on the interest, mapped by the customer's fiscal position. Empty: no tax "
        "(late-payment interest is outside the scope of VAT in the UK and the EU).",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Invoice Product",
        required=True,
        check_company=True,
        default=lambda self: self._default_product(),
        help="The product of the lines on the charge invoices.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Invoice Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        default=lambda self: self._default_journal(),
        help="The sales journal of the charge invoices; the company's first one if empty.",
    )
    charge_ids = fields.One2many("collection.charge", "rule_id", string="Charges")
    charge_count = fields.Integer(compute="_compute_charge_count")

    def _compute_charge_count(self):
        counts = dict(
            self.env["collection.charge"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.charge_count = counts.get(rule, 0)

    @api.constrains(
        "fee_amount",
        "compensation",
        "band_1_limit",
        "band_1_amount",
        "band_2_limit",
        "band_2_amount",
        "compensation_amount",
        "interest_type",
        "interest_rate",
        "reference_rate_type",
    )
    def _check_charges(self):
        for rule in self:
            amounts = {
                self.env._("fixed fee"): rule.fee_amount,
                self.env._("band 1 limit"): rule.band_1_limit,
                self.env._("band 1 compensation"): rule.band_1_amount,
                self.env._("band 2 limit"): rule.band_2_limit,
                self.env._("band 2 compensation"): rule.band_2_amount,
                self.env._("compensation"): rule.compensation_amount,
                self.env._("interest rate"): rule.interest_rate,
            }
            for label, value in amounts.items():
                if value < 0:
                    raise ValidationError(
                        self.env._(
                            "Charge rule %(rule)s: the %(what)s is below zero.",
                            rule=rule.name,
                            what=label,
                        )
                    )
            if rule.band_1_limit and rule.band_2_limit and rule.band_2_limit <= rule.band_1_limit:
                raise ValidationError(
                    self.env._(
                        "Charge rule %(rule)s: band 2 must cover larger debts than band 1.",
                        rule=rule.name,
                    )
                )
            if rule.interest_type == "reference" and not rule.reference_rate_type:
                raise ValidationError(
                    self.env._(
                        "Charge rule %(rule)s: choose the reference rate the interest follows.",
                        rule=rule.name,
                    )
                )
            charges_compensation = rule.compensation and any(
                (rule.band_1_amount, rule.band_2_amount, rule.compensation_amount)
            )
            charges_interest = rule.interest_type == "reference" or (
                rule.interest_type == "fixed" and rule.interest_rate > 0
            )
            if not (rule.fee_amount > 0 or charges_compensation or charges_interest):
                raise ValidationError(
                    self.env._(
                        "Charge rule %(rule)s charges nothing: set a fixed fee, a "
                        "compensation or an interest rate.",
                        rule=rule.name,
                    )
                )

    def action_view_charges(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Charges of %(rule)s", rule=self.name),
            "res_model": "collection.charge",
            "view_mode": "list,form",
            "domain": [("rule_id", "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------ charging

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

    def _charge_cases(self, cases, date):
        """Invoice this rule's charges to the cases' customers; returns the invoices.

        One posted customer invoice per case, currency and company that issued the overdue
        invoices (a branch bills the charges on its own), with a line per overdue invoice
        and kind of charge. Every charge is recorded as a `collection.charge`, which is what
        keeps it from being billed twice: fees once per overdue invoice and rule, interest
        for each day from the due date to `date` or to the day each part was paid, whichever
        comes first, that no earlier charge covers. Skipped: cases of other companies or in
        a breathing space, items marked 'No Follow-Up', blocked, in-payment or reversed
        invoices, residuals below the company's tolerance, credit notes and the charge
        invoices themselves (no charge on charges).
        """
        self.ensure_one()
        date = fields.Date.to_date(date) or self.company_id._collection_today()
        cases.check_access("read")

        def in_breathing_space(case):
            frozen = self._frozen_period(case, date)
            return frozen and frozen[0] <= date < frozen[1]

        cases = cases.filtered(
            lambda case: case.company_id == self.company_id and not in_breathing_space(case)
        )
        if not cases:
            return self.env["account.move"]
        # Officers execute follow-up levels but do not keep the books: the invoices are
        # created with elevated rights, for the cases they may read.
        rule = self.sudo().with_company(self.company_id)
        rule._report_undecided_cancellations(cases)
        items = rule._overdue_items(cases, date)
        if not items:
            return self.env["account.move"]
        charges_by_key, missing = rule._prepare_charges(cases, items, date)
        if missing:
            rule._report_missing_rates(missing)
        if not charges_by_key:
            return self.env["account.move"]
        return rule._invoice_charges(charges_by_key, date)

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

    def _report_missing_rates(self, missing):
        """Say on each case which interest was not charged for want of a reference rate,
        and ask the collections managers, once, to record the rate."""
        Rate = self.env["collection.reference.rate"]
        rate_label = Rate._rate_label(self.reference_rate_type)
        cases = self.env["collection.case"].union(*missing)
        cases._message_log_batch(
            bodies={
                case.id: Markup("<br/>").join(
                    self.env._(
                        "Interest on %(invoice)s from %(start)s to %(end)s not charged "
                        "(%(rule)s): no %(rate)s is recorded for that period.",
                        invoice=move.name,
                        start=format_date(self.env, start),
                        end=format_date(self.env, end),
                        rule=self.name,
                        rate=rate_label,
                    )
                    for move, start, end in gaps
                )
                for case, gaps in missing.items()
            }
        )
        first_missing = min(start for gaps in missing.values() for _move, start, _end in gaps)
        summary = self.env._(
            "Record the %(rate)s from %(date)s",
            rate=rate_label,
            date=format_date(self.env, first_missing),
        )
        already = self.env["mail.activity"].search_count(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("summary", "=", summary),
            ]
        )
        if already:
            return
        for manager in self._collection_managers():
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=self.env._(
                    "Late-payment interest is not charged for the days no %(rate)s covers: "
                    "record the rate under Collections > Configuration > Reference Rates. "
                    "The next charge bills the days left out.",
                    rate=rate_label,
                ),
                user_id=manager.id,
            )

    def _collection_managers(self):
        managers = self.env.ref("collections_officer.group_collections_manager").all_user_ids
        return managers.filtered(
            lambda user: (
                user.active
                and not user.share
                and not user._is_superuser()
                and self.company_id in user.company_ids
            )
        )

    def _report_undecided_cancellations(self, cases):
        """Ask the managers, once per invoice, to decide on charge invoices cancelled in
        accounting without their decision. Until they do, the charges still count: nothing
        is billed twice by surprise."""
        undecided = self.env["collection.charge"]._read_group(
            [
                ("case_id", "in", cases.ids),
                ("state", "=", "invoiced"),
                ("invoice_id.state", "=", "cancel"),
            ],
            ["case_id", "invoice_id"],
        )
        if not undecided:
            return
        summaries = {
            (case, invoice): self.env._(
                "Waive or charge again: %(invoice)s was cancelled", invoice=invoice.name
            )
            for case, invoice in undecided
        }
        asked = {
            (activity.res_id, activity.summary)
            for activity in self.env["mail.activity"].search(
                [
                    ("res_model", "=", "collection.case"),
                    ("res_id", "in", cases.ids),
                    ("summary", "in", list(summaries.values())),
                ]
            )
        }
        managers = self._collection_managers()
        for (case, _invoice), summary in summaries.items():
            if (case.id, summary) in asked:
                continue
            for manager in managers:
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=summary,
                    note=self.env._(
                        "The charge invoice was cancelled in accounting. Open its charges "
                        "and choose Waive (with a reason) or Cancel to Charge Again; until "
                        "then they count as charged."
                    ),
                    user_id=manager.id,
                )

    def _invoice_charges(self, charges_by_key, date):
        """Post one charge invoice per case, currency and issuer.

        The issuer is the company of the late invoices: a branch bills the charges on its
        own invoices, in its name and books, as Odoo's branches invoice (the rule's journal
        is the head office's, which its branches share), even when the head office's case
        chases them. The customer owes the charge to whoever they owe the debt.
        """
        keys = list(charges_by_key)
        journals = {}
        for issuer in {issuer for _case, _currency, issuer in keys}:
            journals[issuer] = self.journal_id or self.with_company(issuer)._default_journal()
            if not journals[issuer]:
                raise UserError(
                    self.env._(
                        "%(company)s has no sales journal to invoice late-payment charges.",
                        company=issuer.name,
                    )
                )
        FiscalPosition = self.env["account.fiscal.position"]
        invoice_values = []
        for case, currency, issuer in keys:
            partner = case.partner_id
            fiscal_position = FiscalPosition.with_company(issuer)._get_fiscal_position(partner)
            # The customer reads the lines: labels and dates in their language.
            in_customer_lang = self.with_context(lang=partner.lang or self.env.lang)
            invoice_values.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": issuer.id,
                    "journal_id": journals[issuer].id,
                    "currency_id": currency.id,
                    "fiscal_position_id": fiscal_position.id,
                    "invoice_date": date,
                    "invoice_origin": case.name,
                    "invoice_line_ids": [
                        Command.create(values)
                        for values in in_customer_lang._invoice_lines(
                            charges_by_key[case, currency, issuer], fiscal_position
                        )
                    ],
                }
            )
        # Each issuer's invoices are created in its company, for its defaults (accounts).
        by_issuer = defaultdict(list)
        for key, values in zip(keys, invoice_values, strict=True):
            by_issuer[key[2]].append((key, values))
        invoice_by_key = {}
        for issuer, pairs in by_issuer.items():
            created = (
                self.env["account.move"]
                .with_company(issuer)
                .create([values for _key, values in pairs])
            )
            invoice_by_key.update(zip((key for key, _values in pairs), created, strict=True))
        invoices = self.env["account.move"].union(*(invoice_by_key[key] for key in keys))
        invoices.action_post()
        self.env["collection.charge"].create(
            [
                charge | {"invoice_id": invoice.id}
                for key, invoice in zip(keys, invoices, strict=True)
                for charge in charges_by_key[key]
            ]
        )
        names_by_case = defaultdict(list)
        for (case, _currency, _issuer), invoice in zip(keys, invoices, strict=True):
            names_by_case[case].append(invoice.name)
        self.env["collection.case"].union(*names_by_case)._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Late-payment charges invoiced (%(rule)s): %(invoice)s.",
                    rule=self.name,
                    invoice=", ".join(names),
                )
                for case, names in names_by_case.items()
            }
        )
        return invoices

    def _invoice_lines(self, charges, fiscal_position):
        """Invoice line values: one per overdue invoice and kind, interest periods summed,
        taxed by the rule's taxes for the kind as the customer's fiscal position maps them."""
        moves = self.env["account.move"].browse([charge["source_move_id"] for charge in charges])
        names = {move.id: move.name for move in moves}
        currency = self.env["res.currency"].browse(charges[0]["currency_id"])
        taxes = {
            "fee": self.fee_tax_ids,
            "compensation": self.compensation_tax_ids,
            "interest": self.interest_tax_ids,
        }
        grouped = defaultdict(list)
        for charge in charges:
            grouped[(charge["source_move_id"], charge["kind"])].append(charge)
        lines = []
        for (move_id, kind), parts in grouped.items():
            if kind == "fee":
                label = self.env._("Late-payment fee on %(invoice)s", invoice=names[move_id])
            elif kind == "compensation":
                label = self.env._(
                    "Compensation for late payment of %(invoice)s", invoice=names[move_id]
                )
            else:
                label = self.env._(
                    "Interest on late payment of %(invoice)s: %(periods)s",
                    invoice=names[move_id],
                    periods="; ".join(
                        self.env._(
                            "%(start)s to %(end)s, %(days)s days on %(amount)s at %(rate)s%%",
                            start=format_date(self.env, part["date_from"]),
                            end=format_date(self.env, part["date_to"]),
                            days=(part["date_to"] - part["date_from"]).days,
                            amount=formatLang(self.env, part["base_amount"], currency_obj=currency),
                            rate=f"{part['rate']:g}",
                        )
                        for part in parts
                    ),
                )
            lines.append(
                {
                    "product_id": self.product_id.id,
                    "name": label,
                    "quantity": 1,
                    "price_unit": sum(part["amount"] for part in parts),
                    "tax_ids": [Command.set(fiscal_position.map_tax(taxes[kind]).ids)],
                }
            )
        return lines
