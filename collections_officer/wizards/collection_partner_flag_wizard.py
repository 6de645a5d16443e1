from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.res_partner import PROTECTIVE_FLAGS


class CollectionPartnerFlagWizard(models.TransientModel):
    """Officers protect a customer from the case: do not contact, cease communication,
    credit hold. Only managers lift a flag. The reason is logged on the case and the customer."""

    _name = "collection.partner.flag.wizard"
    _description = "Protect a Collections Customer"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    collection_do_not_contact = fields.Boolean(
        string="Do Not Contact",
        compute="_compute_collection_do_not_contact",
        store=True,
        readonly=False,
        help="No outbound collection contact of any kind.",
    )
    collection_cease_communication = fields.Boolean(
        string="Cease Communication",
        compute="_compute_collection_cease_communication",
        store=True,
        readonly=False,
        help="The customer asked in writing that collection communications stop.",
    )
    collection_credit_hold = fields.Boolean(
        string="Credit Hold",
        compute="_compute_collection_credit_hold",
        store=True,
        readonly=False,
        help="No new credit for this customer.",
    )
    reason = fields.Char(required=True, help="Why: logged on the case and on the customer.")
    is_manager = fields.Boolean(compute="_compute_is_manager")

    # One compute per flag: a flag given on create must not keep the others from the customer's.
    @api.depends("case_id")
    def _compute_collection_do_not_contact(self):
        self._copy_customer_flag("collection_do_not_contact")

    @api.depends("case_id")
    def _compute_collection_cease_communication(self):
        self._copy_customer_flag("collection_cease_communication")

    @api.depends("case_id")
    def _compute_collection_credit_hold(self):
        self._copy_customer_flag("collection_credit_hold")

    def _copy_customer_flag(self, flag):
        for wizard in self:
            case = wizard.case_id
            wizard[flag] = case.partner_id.sudo().with_company(case.company_id)[flag]

    def _compute_is_manager(self):
        # Tells the form who may lift a flag; action_apply checks again.
        self.is_manager = self.env["collection.compliance"]._is_collections_manager()

    def action_apply(self):
        self.ensure_one()
        case = self.case_id
        # The write below is done as superuser: the officer must be allowed to work this case.
        case.check_access("write")
        customer = case.partner_id.sudo().with_company(case.company_id)
        changes = {flag: self[flag] for flag in PROTECTIVE_FLAGS if self[flag] != customer[flag]}
        if not changes:
            raise UserError(self.env._("Nothing changes: the customer's flags are already so."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for the change."))
        if not all(changes.values()):
            self.env["collection.compliance"]._check_collections_manager(
                self.env._("Only a collections manager can lift a customer's protective flag.")
            )
        if changes.get("collection_credit_hold"):
            customer.write(changes | {"collection_credit_hold_reason": reason})
        else:
            customer.write(changes)
        labels = Markup("<br/>").join(
            (
                self.env._("%(flag)s set", flag=customer._fields[flag].string)
                if value
                else self.env._("%(flag)s lifted", flag=customer._fields[flag].string)
            )
            for flag, value in changes.items()
        )
        body = labels + Markup("<br/>") + self.env._("Reason: %(reason)s", reason=reason)
        case._message_log(body=body)
        customer._message_log(body=body)
        return {"type": "ir.actions.act_window_close"}
