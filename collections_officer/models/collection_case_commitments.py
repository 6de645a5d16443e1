from odoo import fields, models


class CollectionCase(models.Model):
    """The promises to pay and payment plans of a case, and the schedule of its active
    plan."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    promise_ids = fields.One2many("collection.promise", "case_id", string="Promises")
    plan_ids = fields.One2many("collection.plan", "case_id", string="Payment Plans")
    promise_count = fields.Integer(compute="_compute_commitments")
    plan_count = fields.Integer(compute="_compute_commitments")
    active_plan_id = fields.Many2one(
        "collection.plan", string="Active Payment Plan", compute="_compute_commitments"
    )
    plan_installment_ids = fields.Many2many(
        "collection.plan.installment", string="Payment Schedule", compute="_compute_commitments"
    )

    def _compute_commitments(self):
        promises = dict(
            self.env["collection.promise"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        plans = dict(
            self.env["collection.plan"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        active_plans = self.env["collection.plan"].search(
            [("case_id", "in", self.ids), ("state", "=", "active")]
        )
        active_by_case = {plan.case_id: plan for plan in active_plans}
        for case in self:
            case.promise_count = promises.get(case, 0)
            case.plan_count = plans.get(case, 0)
            case.active_plan_id = active_by_case.get(case, False)
            case.plan_installment_ids = case.active_plan_id.installment_ids
