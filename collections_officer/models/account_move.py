from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_partial_reconcile import REVERSED_MOVES


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_case_id = fields.Many2one(
        "collection.case",
        compute="_compute_collection_case_id",
        groups="collections_officer.group_collections_officer",
        help="The customer's collection case in the invoice's company.",
    )

    collection_credit_hold_warning = fields.Char(
        compute="_compute_collection_credit_hold_warning",
        help="The customer is on credit hold in the invoice's company: posting warns.",
    )

    # The KPIs' credit sales sum the posted invoices and credit notes of a company by
    # day: read from this index alone, not from the moves' wide rows.
    _collection_credit_sales_idx = models.Index(
        "(company_id, date) INCLUDE (commercial_partner_id, amount_total_signed)"
        " WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')"
    )

    @api.depends("commercial_partner_id", "company_id")
    def _compute_collection_case_id(self):
        # A branch's invoice is chased on the head office's case, unless cases are per branch.
        ledger = self.env["collection.ledger"]
        cases = ledger._find_cases(self.commercial_partner_id, self.company_id)
        for move in self:
            move.collection_case_id = (
                cases.get(ledger._case_key(move.commercial_partner_id, move.company_id), False)
                if move.is_sale_document(include_receipts=True)
                else False
            )

    @api.depends(
        "state",
        "move_type",
        "company_id",
        "commercial_partner_id.collection_credit_hold",
        "commercial_partner_id.collection_credit_hold_reason",
    )
    def _compute_collection_credit_hold_warning(self):
        # A warning, not a block: the invoice may settle what was delivered before the hold.
        for move in self:
            warning = ""
            if move.state == "draft" and move.move_type == "out_invoice" and move.partner_id:
                warning = move.partner_id._credit_hold_message(move.company_id)
                if warning:
                    warning += " " + self.env._(
                        "Posting this invoice gives the customer new credit; a collections "
                        "manager lifts the hold from the collection case."
                    )
            move.collection_credit_hold_warning = warning

    @api.depends("collection_credit_hold_warning")
    def _compute_alerts(self):
        return super()._compute_alerts()

    def _get_alerts(self):
        alerts = super()._get_alerts()
        if self.collection_credit_hold_warning:
            alerts["collections_officer_credit_hold"] = {
                "level": "warning",
                "message": self.collection_credit_hold_warning,
            }
        return alerts

    def button_draft(self):
        res = super().button_draft()
        # A payment or credit note reset to draft puts the debt back on the case at once.
        self.line_ids._refresh_collection_cases()
        return res

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # A payment reversed to cancel it came back (it bounced): its matchings are undone
        # with that reason, which the cases' chatter tells.
        moves = self.with_context(**{REVERSED_MOVES: self.ids}) if cancel else self
        return super(AccountMove, moves)._reverse_moves(default_values_list, cancel=cancel)

    def action_open_collection_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.collection_case_id.id,
            "view_mode": "form",
        }

    def action_collection_dispute(self):
        """Record that the customer contests this invoice, on its collection case."""
        self.ensure_one()
        case = self.collection_case_id
        if not case or case.state == "closed":
            raise UserError(
                self.env._(
                    "%(invoice)s has no open collection case: nothing is chased, there is "
                    "nothing to set apart.",
                    invoice=self.name,
                )
            )
        return case.action_record_dispute(self)
