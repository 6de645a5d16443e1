from odoo import fields, models


class CollectionPolicy(models.Model):
    _name = "collection.policy"
    _description = "Collection Follow-up Policy"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    level_ids = fields.One2many("collection.level", "policy_id", string="Levels")
    cc_emails = fields.Char(
        string="CC Addresses",
        help="E-mail addresses copied on every follow-up e-mail of this policy, comma-separated.",
    )
