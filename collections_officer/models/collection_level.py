from odoo import fields, models


class CollectionLevel(models.Model):
    _name = "collection.level"
    _description = "Collection Follow-up Level"
    _order = "policy_id, delay_days, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    policy_id = fields.Many2one(
        "collection.policy", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days past the oldest overdue item's due date; negative for a reminder before it.",
    )
    charge_rule_id = fields.Many2one(
        "collection.charge.rule",
        string="Late-Payment Charge",
        check_company=True,
        help="Invoice a fee and/or interest to the customer when this level is executed.",
    )
