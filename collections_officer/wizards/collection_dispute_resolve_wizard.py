from odoo import api, fields, models


class CollectionDisputeResolveWizard(models.TransientModel):
    """A manager's decision on a dispute: accept (all or part of it) or reject, with why.

    A rejection is e-mailed to the customer through the compliance guard: when the
    guard stops it (a case on hold, a customer not to contact, ...), the dialog says
    why and a collections manager may give the reason to override it, here.
    """

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
    guard_note = fields.Char(compute="_compute_guard_note")
    is_manager = fields.Boolean(compute="_compute_is_manager")
    override_reason = fields.Char(
        help="Collections managers only: e-mail the rejection although the compliance guard "
        "stops it. The reason is logged on the case and with the contact."
    )

    @api.depends("dispute_id")
    def _compute_accepted_amount(self):
        for wizard in self:
            wizard.accepted_amount = wizard.dispute_id.amount

    @api.depends("dispute_id", "decision")
    def _compute_guard_note(self):
        """Why the compliance guard would stop the rejection's e-mail, if it would."""
        for wizard in self:
            wizard.guard_note = False
            dispute = wizard.dispute_id._origin
            if wizard.decision != "reject" or not dispute:
                continue
            verdict = dispute._guard_verdict()
            if verdict["verdict"] != "allowed":
                wizard.guard_note = dispute._guard_refusal(verdict)

    def _compute_is_manager(self):
        # Shows the override to managers only; the guard checks the group again when sending.
        self.is_manager = self.env["collection.compliance"]._is_collections_manager(self.env.user)

    def action_resolve(self):
        self.ensure_one()
        if self.decision == "accept":
            self.dispute_id.action_accept(amount=self.accepted_amount, note=self.note)
        else:
            self.dispute_id.action_reject(note=self.note, override_reason=self.override_reason)
        return {"type": "ir.actions.act_window_close"}
