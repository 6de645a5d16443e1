from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Promises and payment plans.
    collection_promise_tolerance_days = fields.Integer(
        related="company_id.collection_promise_tolerance_days", readonly=False
    )
    collection_installment_grace_days = fields.Integer(
        related="company_id.collection_installment_grace_days", readonly=False
    )
    collection_plan_missed_limit = fields.Integer(
        related="company_id.collection_plan_missed_limit", readonly=False
    )
    collection_plan_max_amount = fields.Monetary(
        related="company_id.collection_plan_max_amount",
        currency_field="currency_id",
        readonly=False,
    )
    collection_plan_max_months = fields.Integer(
        related="company_id.collection_plan_max_months", readonly=False
    )
    collection_broken_action = fields.Selection(
        related="company_id.collection_broken_action", readonly=False
    )
