from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date, formatLang

from .collection_reference_rate import RATE_TYPES

# Simple daily interest on a 365-day year, as the UK Act and most EU transpositions count it.
DAYS_IN_YEAR = 365


class CollectionChargeRule(models.Model):
    _name = "collection.charge.rule"
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
        help="Charged once per overdue invoice (e.g. an administration fee), in company currency.",
    )
    compensation = fields.Boolean(
        string="Fixed Compensation",
        help="Charge a fixed compensation once per overdue invoice, by the size of the debt "
        "still owed (UK Late Payment Act: 40 under 1,000, 70 under 10,000, 100 above, in "
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
        "a period across two half-years is charged at each half-year's rate.",
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

    def _charge_cases(self, cases, date):
        """Invoice this rule's charges to the cases' customers; returns the invoices.

        One posted customer invoice per case, with a line per overdue invoice and kind of
        charge. Every charge is recorded as a `collection.charge`, which is what keeps it
        from being billed twice: fees once per overdue invoice and rule, interest from the
        end of the last period charged (or the due date) to `date`. Skipped: cases of other
        companies or in a breathing space, items marked 'No Follow-Up', credit notes and
        the charge invoices themselves (no charge on charges).
        """
        self.ensure_one()
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        cases.check_access("read")
        cases = cases.filtered(
            lambda case: (
                case.company_id == self.company_id
                and not (case.breathing_space_until and case.breathing_space_until >= date)
            )
        )
        if not cases:
            return self.env["account.move"]
        # Officers execute follow-up levels but do not keep the books: the invoices are
        # created with elevated rights, for the cases they may read.
        rule = self.sudo().with_company(self.company_id)
        items = rule._overdue_items(cases, date)
        if not items:
            return self.env["account.move"]
        charges_by_case = rule._prepare_charges(cases, items, date)
        if not charges_by_case:
            return self.env["account.move"]
        return rule._invoice_charges(charges_by_case, date)

    def _overdue_items(self, cases, date):
        """{overdue invoice: [(residual, due date)] per overdue installment}, in company
        currency, for the cases: each installment bears interest from its own due date."""
        lines = self.env["account.move.line"]
        domain = self.env["collection.ledger"]._open_items_domain(
            cases.partner_id, self.company_id
        ) & Domain(
            [
                ("date_maturity", "<", date),
                ("amount_residual", ">", 0),
                ("no_followup", "=", False),
                ("move_id.move_type", "=", "out_invoice"),
            ]
        )
        items = defaultdict(list)
        for move, due, residual in lines._read_group(
            domain, ["move_id", "date_maturity:day"], ["amount_residual:sum"]
        ):
            items[move].append((residual, due))
        charge_invoices = (
            self.env["collection.charge"]
            .search([("invoice_id", "in", [move.id for move in items])])
            .invoice_id
        )
        return {move: values for move, values in items.items() if move not in charge_invoices}

    def _prepare_charges(self, cases, items, date):
        """{case: [charge values]} of what is due and not yet charged."""
        charge_model = self.env["collection.charge"]
        moves = self.env["account.move"].union(*items)
        fees_done = {
            (move, kind)
            for move, kind in charge_model._read_group(
                [
                    ("source_move_id", "in", moves.ids),
                    ("rule_id", "=", self.id),
                    ("kind", "in", ("fee", "compensation")),
                ],
                ["source_move_id", "kind"],
            )
        }
        # Interest of any rule counts: a day of lateness is charged interest only once.
        interest_until = dict(
            charge_model._read_group(
                [("source_move_id", "in", moves.ids), ("kind", "=", "interest")],
                ["source_move_id"],
                ["date_to:max"],
            )
        )
        rate_table = (
            self.env["collection.reference.rate"]._rate_table(self.reference_rate_type)
            if self.interest_type == "reference"
            else None
        )
        case_by_partner = {case.partner_id: case for case in cases}
        currency = self.company_id.currency_id
        charges_by_case = defaultdict(list)
        for move in moves.sorted(lambda m: (min(due for _r, due in items[m]), m.id)):
            installments = items[move]
            residual = sum(amount for amount, _due in installments)
            due = min(due for _amount, due in installments)
            case = case_by_partner.get(move.commercial_partner_id)
            if not case:
                continue
            common = {
                "case_id": case.id,
                "rule_id": self.id,
                "source_move_id": move.id,
                "base_amount": residual,
                "date": date,
            }
            charges = charges_by_case[case]
            if self.fee_amount > 0 and (move, "fee") not in fees_done:
                charges.append(common | {"kind": "fee", "amount": self.fee_amount})
            if self.compensation and (move, "compensation") not in fees_done:
                amount = self._compensation_for(residual)
                if amount > 0:
                    charges.append(common | {"kind": "compensation", "amount": amount})
            if self.interest_type != "none":
                start = interest_until.get(move) or due
                # Interest is frozen during a breathing space: it restarts after its end.
                if case.breathing_space_until and case.breathing_space_until > start:
                    start = case.breathing_space_until
                if start >= date:
                    continue
                periods = self._interest_periods(rate_table, start, date)
                parts = [
                    common
                    | {
                        "kind": "interest",
                        "date_from": part_start,
                        "date_to": part_end,
                        "rate": rate,
                        "amount": currency.round(
                            sum(
                                amount
                                * rate
                                / 100
                                * max((part_end - max(part_start, due_on)).days, 0)
                                / DAYS_IN_YEAR
                                for amount, due_on in installments
                            )
                        ),
                    }
                    for part_start, part_end, rate in periods
                ]
                # Too little to bill yet: it accrues until the next run.
                if not currency.is_zero(sum(part["amount"] for part in parts)):
                    charges.extend(parts)
        return {case: charges for case, charges in charges_by_case.items() if charges}

    def _interest_periods(self, rate_table, date_from, date_to):
        """[(start, end, annual rate %)] of the interest from date_from to date_to."""
        if self.interest_type == "fixed":
            return [(date_from, date_to, self.interest_rate)]
        periods = self.env["collection.reference.rate"]._split_period(
            rate_table, self.reference_rate_type, date_from, date_to
        )
        # A negative reference rate plus the margin could fall below zero: no negative interest.
        return [(start, end, max(rate + self.interest_rate, 0.0)) for start, end, rate in periods]

    def _invoice_charges(self, charges_by_case, date):
        journal = self.journal_id or self._default_journal()
        if not journal:
            raise UserError(
                self.env._(
                    "%(company)s has no sales journal to invoice late-payment charges.",
                    company=self.company_id.name,
                )
            )
        cases = list(charges_by_case)
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": case.partner_id.id,
                    "company_id": self.company_id.id,
                    "journal_id": journal.id,
                    "currency_id": self.company_id.currency_id.id,
                    "invoice_date": date,
                    "invoice_origin": case.name,
                    "invoice_line_ids": [
                        Command.create(values) for values in self._invoice_lines(charges)
                    ],
                }
                for case, charges in charges_by_case.items()
            ]
        )
        invoices.action_post()
        self.env["collection.charge"].create(
            [
                charge | {"invoice_id": invoice.id}
                for case, invoice in zip(cases, invoices, strict=True)
                for charge in charges_by_case[case]
            ]
        )
        self.env["collection.case"].union(*cases)._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Late-payment charges invoiced (%(rule)s): %(invoice)s.",
                    rule=self.name,
                    invoice=invoice.name,
                )
                for case, invoice in zip(cases, invoices, strict=True)
            }
        )
        return invoices

    def _invoice_lines(self, charges):
        """Invoice line values: one per overdue invoice and kind, interest periods summed."""
        moves = self.env["account.move"].browse([charge["source_move_id"] for charge in charges])
        names = {move.id: move.name for move in moves}
        currency = self.company_id.currency_id
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
                    "Interest on %(amount)s overdue on %(invoice)s: %(periods)s",
                    amount=formatLang(self.env, parts[0]["base_amount"], currency_obj=currency),
                    invoice=names[move_id],
                    periods="; ".join(
                        self.env._(
                            "%(start)s to %(end)s, %(days)s days at %(rate)s%%",
                            start=format_date(self.env, part["date_from"]),
                            end=format_date(self.env, part["date_to"]),
                            days=(part["date_to"] - part["date_from"]).days,
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
                    # Interest and compensation for late payment are outside the scope of VAT.
                    "tax_ids": [Command.clear()],
                }
            )
        return lines
