from odoo import fields, models


# res.config.settings is extended by job: the customer page's settings live with it.
class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    collection_portal_link_days = fields.Integer(
        related="company_id.collection_portal_link_days", readonly=False
    )
    collection_portal_rate_limit = fields.Integer(
        related="company_id.collection_portal_rate_limit", readonly=False
    )
    collection_portal_plan_max_amount = fields.Monetary(
        related="company_id.collection_portal_plan_max_amount",
        currency_field="currency_id",
        readonly=False,
    )
    collection_portal_plan_max_months = fields.Integer(
        related="company_id.collection_portal_plan_max_months", readonly=False
    )
    collection_portal_plan_min_down_percent = fields.Float(
        related="company_id.collection_portal_plan_min_down_percent", readonly=False
    )
