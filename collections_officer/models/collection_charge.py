from odoo import fields, models


class CollectionCharge(models.Model):
    _name = "collection.charge"
    _description = "Late-Payment Charge Invoiced"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    rule_id = fields.Many2one("collection.charge.rule", required=True, check_company=True)
    date = fields.Date(required=True)
