from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_reference_rate import RATE_TYPES


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
