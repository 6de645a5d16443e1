from odoo import fields, models


# collection.case is split by job on purpose: the case, its refresh, its follow-up, its disputes.
class CollectionCase(models.Model):
    """The disputes of a case: the part of its invoices the customer contests."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    dispute_ids = fields.One2many("collection.dispute", "case_id", string="Disputes")
    dispute_count = fields.Integer(compute="_compute_dispute_count")
    disputed_amount = fields.Monetary(
        string="Disputed",
        readonly=True,
        help="What open disputes contest (and accepted disputes whose credit note is still "
        "a draft), in company currency: shown, never chased. Read from accounting by the "
        "refresh.",
    )

    def _compute_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.dispute_count = counts.get(case, 0)

    def action_view_disputes(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Disputes"),
            "res_model": "collection.dispute",
            "view_mode": "list,form",
            "domain": [("case_id", "=", self.id)],
            "context": {"default_case_id": self.id},
        }

    def action_record_dispute(self, invoices=None):
        """The dispute form, for one of the case's open invoices."""
        self.ensure_one()
        context = {"default_case_id": self.id}
        if invoices and len(invoices) == 1:
            context |= {"default_move_id": invoices.id, "default_amount": invoices.amount_residual}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record a Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }
