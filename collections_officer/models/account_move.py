from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_case_id = fields.Many2one(
        "collection.case",
        compute="_compute_collection_case_id",
        groups="collections_officer.group_collections_officer",
        help="The customer's collection case in the invoice's company.",
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

    def button_draft(self):
        res = super().button_draft()
        # A payment or credit note reset to draft puts the debt back on the case at once.
        self.line_ids._refresh_collection_cases()
        return res

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
