from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    collection_cost_email = fields.Monetary(
        related="company_id.collection_cost_email", readonly=False
    )
    collection_cost_letter = fields.Monetary(
        related="company_id.collection_cost_letter", readonly=False
    )
    collection_cost_sms = fields.Monetary(related="company_id.collection_cost_sms", readonly=False)
    collection_cost_call = fields.Monetary(
        related="company_id.collection_cost_call", readonly=False
    )
