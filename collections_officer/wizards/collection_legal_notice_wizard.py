from odoo import api, fields, models


class CollectionLegalNoticeWizard(models.TransientModel):
    """Send the letter before action: what it does, and what the compliance guard says.

    When the guard stops the e-mail (outside the e-mail hours, a case on hold, ...), the
    dialog says why and a collections manager gives the reason to override it, here.
    """

    _name = "collection.legal.notice.wizard"
    _description = "Send the Letter Before Action"

    legal_id = fields.Many2one("collection.legal", required=True, readonly=True)
    guard_note = fields.Char(compute="_compute_guard_note")
    override_reason = fields.Char(
        help="E-mail the letter although the compliance guard stops it. The reason is "
        "logged on the case and with the contact."
    )

    @api.depends("legal_id")
    def _compute_guard_note(self):
        compliance = self.env["collection.compliance"]
        for wizard in self:
            wizard.guard_note = False
            case = wizard.legal_id._origin.case_id
            if not case:
                continue
            verdict = compliance.sudo()._check_contacts(case.sudo(), "email")[case.id]
            if verdict["verdict"] != "allowed":
                wizard.guard_note = compliance._email_refusal(case, verdict)

    def action_send(self):
        self.ensure_one()
        self.legal_id.action_send_notice(override_reason=self.override_reason)
        return {"type": "ir.actions.act_window_close"}
