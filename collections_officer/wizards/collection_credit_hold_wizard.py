from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime


class CollectionCreditHoldWizard(models.TransientModel):
    """A collections manager puts a customer on credit hold, or lifts it, from the case:
    in the case's company, with the reason, logged on the case and the customer."""

    _name = "collection.credit.hold.wizard"
    _description = "Put or Lift a Credit Hold"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    company_id = fields.Many2one(related="case_id.company_id")
    hold = fields.Boolean(
        string="Put on Credit Hold",
        help="Set: the customer is put on credit hold. Not set: the hold is lifted.",
    )
    current_reason = fields.Char(
        string="Held Because", compute="_compute_current_reason", readonly=True
    )
    reason = fields.Char(required=True, help="Why: logged on the case and on the customer.")

    @api.depends("case_id")
    def _compute_current_reason(self):
        for wizard in self:
            wizard.current_reason = wizard.case_id.sudo().partner_credit_hold_reason

    def action_apply(self):
        self.ensure_one()
        compliance = self.env["collection.compliance"]
        compliance._check_collections_manager(
            self.env._("Only a collections manager puts or lifts a customer's credit hold.")
        )
        case = self.case_id
        case.check_access("write")
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for the credit hold change."))
        customer, company = case.partner_id, case.company_id
        values = {
            "customer": customer.display_name,
            "company": company.name,
            "user": self.env.user.name,
            "date": format_datetime(self.env, fields.Datetime.now()),
            "reason": reason,
        }
        if self.hold:
            if not customer._put_credit_hold(company, reason):
                raise UserError(
                    self.env._("%(customer)s is already on credit hold in %(company)s.", **values)
                )
            body = self.env._(
                "Credit hold put on %(customer)s in %(company)s by %(user)s on %(date)s. "
                "Reason: %(reason)s",
                **values,
            )
        else:
            if not customer._lift_credit_hold(company):
                raise UserError(
                    self.env._("%(customer)s is not on credit hold in %(company)s.", **values)
                )
            body = self.env._(
                "Credit hold of %(customer)s in %(company)s lifted by %(user)s on %(date)s. "
                "Reason: %(reason)s",
                **values,
            )
        case._message_log(body=escape(body))
        customer.sudo()._message_log(body=escape(body))
        # The hold weighs in the case's priority.
        case.sudo()._update_priority()
        return {"type": "ir.actions.act_window_close"}
