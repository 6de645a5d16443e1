from odoo import fields, models

from ..models.collection_escalation import ESCALATION_REASONS


class CollectionEscalateWizard(models.TransientModel):
    """An officer escalates a case to a manager, saying why."""

    _name = "collection.escalate.wizard"
    _description = "Escalate a Case to a Manager"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    company_id = fields.Many2one(related="case_id.company_id")
    reason = fields.Selection(ESCALATION_REASONS, required=True)
    note = fields.Text(required=True, help="What was tried, and what the manager should know.")
    insolvency_date = fields.Date(
        string="Insolvency / Death Date",
        help="The proof of debt states what was owed on this day.",
    )
    insolvency_contact_id = fields.Many2one(
        "res.partner",
        string="Practitioner / Estate Contact",
        help="The insolvency practitioner, or the executor or solicitor of the estate.",
    )
    claim_date = fields.Date()
    claim_reference = fields.Char()

    def action_escalate(self):
        self.ensure_one()
        insolvency = {
            "insolvency_date": self.insolvency_date,
            "insolvency_contact_id": self.insolvency_contact_id.id,
            "claim_date": self.claim_date,
            "claim_reference": self.claim_reference,
        }
        self.case_id._escalate(self.reason, self.note, insolvency)
        return {"type": "ir.actions.act_window_close"}
