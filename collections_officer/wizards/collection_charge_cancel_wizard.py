from odoo import api, fields, models


class CollectionChargeCancelWizard(models.TransientModel):
    _name = "collection.charge.cancel.wizard"
    _description = "Cancel Late-Payment Charges"

    charge_ids = fields.Many2many("collection.charge", string="Charges", required=True)
    invoice_ids = fields.Many2many(
        "account.move", string="Charge Invoices", compute="_compute_invoice_ids"
    )
    decision = fields.Selection(
        [
            ("waived", "Waive"),
            ("released", "Cancel to Charge Again"),
        ],
        required=True,
        help="Waive: the charges are forgiven; they stay counted and are never billed again. "
        "Cancel to Charge Again: the invoice was wrong; the next charge bills the fees and "
        "interest periods again.",
    )
    reason = fields.Char(help="Why the charges are waived: kept on each charge and the case.")

    @api.depends("charge_ids")
    def _compute_invoice_ids(self):
        for wizard in self:
            wizard.invoice_ids = wizard.charge_ids.invoice_id

    def action_confirm(self):
        self.ensure_one()
        self.charge_ids._cancel_invoices(self.decision, self.reason)
        return {"type": "ir.actions.act_window_close"}
