from odoo import api, fields, models
from odoo.exceptions import UserError

CHARGE_KINDS = [
    ("fee", "Fixed Fee"),
    ("compensation", "Fixed Compensation"),
    ("interest", "Interest"),
]


class CollectionCharge(models.Model):
    _name = "collection.charge"
    _description = "Late-Payment Charge Invoiced"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "source_move_id"

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    rule_id = fields.Many2one(
        "collection.charge.rule", required=True, index=True, ondelete="restrict", check_company=True
    )
    source_move_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        help="The late invoice the charge is for.",
    )
    kind = fields.Selection(CHARGE_KINDS, required=True)
    date_from = fields.Date(string="Interest From", help="Interest periods only.")
    date_to = fields.Date(string="Interest To", help="Interest periods only.")
    days = fields.Integer(compute="_compute_days")
    base_amount = fields.Monetary(
        help="The overdue amount the charge is computed on, in company currency."
    )
    rate = fields.Float(string="Annual Rate (%)", digits=(16, 4))
    amount = fields.Monetary(required=True)
    invoice_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        index=True,
        ondelete="set null",
        check_company=True,
        help="The customer invoice the charge was billed on.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)

    # Fees are charged once per invoice and rule; interest once per invoice, rule
    # and period start. The index keeps a concurrent or repeated run from billing twice.
    _charged_once = models.UniqueIndex(
        "(source_move_id, rule_id, kind, COALESCE(date_from, '0001-01-01'::date))",
        "This late-payment charge has already been invoiced.",
    )
    _period_order = models.Constraint(
        "CHECK(date_from IS NULL OR date_to IS NULL OR date_from <= date_to)",
        "An interest period cannot end before it starts.",
    )
    _interest_has_period = models.Constraint(
        "CHECK(kind != 'interest' OR (date_from IS NOT NULL AND date_to IS NOT NULL))",
        "An interest charge needs its period.",
    )

    @api.depends("date_from", "date_to")
    def _compute_days(self):
        for charge in self:
            charge.days = (
                (charge.date_to - charge.date_from).days
                if charge.date_from and charge.date_to
                else 0
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_if_not_invoiced(self):
        # The record is what keeps a charge from being billed twice: it lives as
        # long as its invoice does.
        if self.filtered(lambda c: c.invoice_id and c.invoice_id.state != "cancel"):
            raise UserError(
                self.env._(
                    "A charge billed on an invoice cannot be deleted; cancel the invoice first."
                )
            )
