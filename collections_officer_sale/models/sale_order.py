from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    collection_credit_hold_warning = fields.Char(
        compute="_compute_collection_credit_hold_warning",
        help="The customer is on credit hold in the order's company: the order cannot be "
        "confirmed.",
    )

    @api.depends(
        "state",
        "company_id",
        "partner_id.commercial_partner_id.collection_credit_hold",
        "partner_id.commercial_partner_id.collection_credit_hold_reason",
    )
    def _compute_collection_credit_hold_warning(self):
        for order in self:
            order.collection_credit_hold_warning = (
                order._collection_credit_hold_refusal()
                if order.state in ("draft", "sent") and order.partner_id
                else ""
            )

    def _confirmation_error_message(self):
        return super()._confirmation_error_message() or self._collection_credit_hold_refusal()

    def _collection_credit_hold_refusal(self):
        """Why the order cannot be confirmed for a customer on credit hold in its company
        (empty when it can). Refused for everyone: lifting the hold is the way, and that is
        a collections manager's decision with its reason."""
        self.ensure_one()
        message = self.partner_id._credit_hold_message(self.company_id)
        if not message or self._collection_paid_in_full():
            return ""
        refusal = self.env._(
            "The order cannot be confirmed until a collections manager lifts the hold from "
            "the customer's collection case."
        )
        return f"{message} {refusal}"

    def _collection_paid_in_full(self):
        """A hold refuses credit, not cash: an order the customer paid in full online
        is confirmed (its payment confirms it, see sale's ``_check_amount_and_confirm_order``)."""
        return (
            self.currency_id.compare_amounts(self.amount_paid, self.amount_total) >= 0
            and self.amount_total > 0
        )
