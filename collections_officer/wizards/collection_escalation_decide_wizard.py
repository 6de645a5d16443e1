from odoo import fields, models

from ..models.collection_escalation import ESCALATION_DECISIONS


class CollectionEscalationDecideWizard(models.TransientModel):
    """A manager decides on an escalation, with a logged reason."""

    _name = "collection.escalation.decide.wizard"
    _description = "Decide on an Escalation"

    escalation_id = fields.Many2one("collection.escalation", required=True, readonly=True)
    case_id = fields.Many2one(related="escalation_id.case_id")
    reason = fields.Selection(related="escalation_id.reason", string="Escalation Reason")
    note = fields.Text(related="escalation_id.note", string="Officer's Note")
    requested_by_id = fields.Many2one(related="escalation_id.requested_by_id")
    decision = fields.Selection(ESCALATION_DECISIONS, required=True)
    decision_note = fields.Text(
        string="Reason",
        required=True,
        help="Logged on the case; for the officer, the instructions to follow.",
    )
    hold_reason = fields.Char(help="Shown on the case while it is on hold.")
    hold_until = fields.Date(
        string="On Hold Until",
        help="The day the hold ends: that morning the case is back in follow-up. "
        "A collections manager may lift it sooner.",
    )

    def action_decide(self):
        self.ensure_one()
        # The hold's end goes with the decision (its branch of ``_decide`` checks it).
        escalation = self.escalation_id.with_context(collection_hold_until=self.hold_until)
        result = escalation._decide(self.decision, self.decision_note, self.hold_reason)
        return result if isinstance(result, dict) else {"type": "ir.actions.act_window_close"}
