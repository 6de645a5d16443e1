from odoo import fields, models


class CollectionPlanRefuseWizard(models.TransientModel):
    """The reason an approver gives for refusing a payment plan."""

    _name = "collection.plan.refuse.wizard"
    _description = "Refuse a Payment Plan"

    plan_ids = fields.Many2many("collection.plan", required=True, readonly=True)
    reason = fields.Char(required=True, help="Logged on the plan and sent to its officer.")

    def action_refuse(self):
        self.ensure_one()
        self.plan_ids._refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
