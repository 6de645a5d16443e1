from odoo import fields, models


# res.config.settings is extended by job: the legal actions' settings live with them.
class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    collection_legal_reply_days = fields.Integer(
        related="company_id.collection_legal_reply_days", readonly=False
    )
    collection_legal_agency_rate = fields.Float(
        related="company_id.collection_legal_agency_rate", readonly=False
    )
    collection_legal_cost_invoicing = fields.Selection(
        related="company_id.collection_legal_cost_invoicing", readonly=False
    )
    collection_legal_cost_product_id = fields.Many2one(
        related="company_id.collection_legal_cost_product_id", readonly=False
    )
