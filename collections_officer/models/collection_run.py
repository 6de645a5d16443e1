from odoo import fields, models


class CollectionRun(models.Model):
    _name = "collection.run"
    _description = "Collection Follow-up Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
