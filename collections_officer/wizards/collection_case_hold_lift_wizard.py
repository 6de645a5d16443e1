from odoo import fields, models


class CollectionCaseHoldLiftWizard(models.TransientModel):
    """A collections manager lifts a case's hold before its end, saying why."""

    _name = "collection.case.hold.lift.wizard"
    _description = "Lift the Hold of a Collection Case"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    hold_reason = fields.Char(related="case_id.hold_reason", string="Held Because")
    hold_until = fields.Date(related="case_id.hold_until")
    reason = fields.Text(required=True, help="Why the hold ends now: logged on the case.")

    def action_lift(self):
        self.ensure_one()
        self.case_id._lift_hold(self.reason)
        return {"type": "ir.actions.act_window_close"}
