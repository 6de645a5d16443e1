from odoo import api, fields, models


class CollectionDisputeResolveWizard(models.TransientModel):
    """A manager's decision on a dispute: accept (all or part of it) or reject, with why."""

    _name = "collection.dispute.resolve.wizard"
    _description = "Resolve a Dispute"

    dispute_id = fields.Many2one("collection.dispute", required=True, readonly=True)
    decision = fields.Selection(
        [("accept", "Accept"), ("reject", "Reject")], required=True, default="accept"
    )
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    disputed_amount = fields.Monetary(related="dispute_id.amount")
    accepted_amount = fields.Monetary(
        compute="_compute_accepted_amount",
        store=True,
        readonly=False,
        help="Less than the disputed amount accepts the dispute in part: the rest is chased again.",
    )
    note = fields.Text(
        string="Reason",
        help="Logged on the case; for a rejection, sent to the customer.",
    )

    @api.depends("dispute_id")
    def _compute_accepted_amount(self):
        for wizard in self:
            wizard.accepted_amount = wizard.dispute_id.amount

    def action_resolve(self):
        self.ensure_one()
        if self.decision == "accept":
            self.dispute_id.action_accept(amount=self.accepted_amount, note=self.note)
        else:
            self.dispute_id.action_reject(note=self.note)
        return {"type": "ir.actions.act_window_close"}
