from odoo import fields, models


class CollectionFollowup(models.Model):
    _name = "collection.followup"
    _description = "Collection Follow-up"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    level_id = fields.Many2one("collection.level", required=True, check_company=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
