from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.collection_case_chatter import GUARD_PASSED
from ..models.collection_contact import ENGINE_OUTCOMES


class CollectionContactWizard(models.TransientModel):
    """What an officer fills in after a call, a visit or any other contact."""

    _name = "collection.contact.wizard"
    _description = "Log a Collection Contact"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    customer_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    channel = fields.Selection(
        selection=lambda self: (
            self.env["collection.contact"]._fields["channel"]._description_selection(self.env)
        ),
        required=True,
        default="phone",
    )
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")], required=True, default="outbound"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('commercial_partner_id', '=', customer_id)]",
    )
    outcome = fields.Selection(selection="_selection_outcome", required=True)
    note = fields.Html()
    promise_amount = fields.Monetary(string="Promised Amount")
    promise_date = fields.Date(string="Promised Date")
    dispute_move_ids = fields.Many2many(
        "account.move",
        string="Disputed Invoices",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', customer_id), ('amount_residual', '>', 0)]",
        help="The invoices the customer contests: each gets a dispute for what is left of "
        "it to dispute, and only that is set apart; the others are still chased.",
    )
    dispute_reason = fields.Selection(
        selection=lambda self: (
            self.env["collection.dispute"]._fields["reason"]._description_selection(self.env)
        ),
        default="other",
    )
    callback_date = fields.Date(
        string="Call Back On",
        default=lambda self: self._default_callback_date(),
        help="The day agreed with the customer to contact them again: the case's next "
        "action. Empty: no callback.",
    )
    is_manager = fields.Boolean(compute="_compute_is_manager")
    correction_of_id = fields.Many2one(
        "collection.contact",
        string="Corrects",
        readonly=True,
        help="The logged contact this entry corrects; it stays in the log as it was.",
    )
    override_reason = fields.Char(
        help="Collections managers only: log an outbound contact the compliance guard "
        "would block, with the reason."
    )

    @api.depends("case_id")
    def _compute_currency_id(self):
        # A promise is made in the currency of the debt it covers.
        scope = self.env["collection.ledger"]._commitment_scope(self.case_id)
        for wizard in self:
            debt = scope.get(wizard.case_id.id)
            wizard.currency_id = debt["currency"] if debt else wizard.case_id.currency_id

    @api.model
    def _default_callback_date(self):
        # The callback already agreed stays until the officer changes it.
        case = self.env["collection.case"].browse(self.env.context.get("default_case_id"))
        if (
            case.exists()
            and case.callback_date
            and case.callback_date >= case.company_id._collection_today()
        ):
            return case.callback_date
        return False

    def _default_promise_amount(self):
        """What is overdue, in the currency of the promise."""
        case = self.case_id
        if self.currency_id in (case.currency_id, self.env["res.currency"]):
            return case.overdue_amount
        return self.env["collection.ledger"]._commitment_scope(case)[case.id]["overdue"]

    def _selection_outcome(self):
        # What a person reports; what the desk sent and the guard stopped is logged by
        # the code that sends.
        outcomes = (
            self.env["collection.contact"]._fields["outcome"]._description_selection(self.env)
        )
        return [(value, label) for value, label in outcomes if value not in ENGINE_OUTCOMES]

    def _compute_is_manager(self):
        # Shows the override to managers only; the guard checks the group again.
        self.is_manager = self.env["collection.compliance"]._is_collections_manager()

    @api.onchange("outcome")
    def _onchange_outcome(self):
        if self.outcome == "promised" and not self.promise_amount:
            self.promise_amount = self._default_promise_amount()

    def action_log(self):
        """Record the contact; a contact that already happened is always recorded.

        When the compliance guard would have blocked it (outside contact hours, over
        the cap, quiet days, hold, breathing space, do not contact, cease
        communication) it is recorded as a compliance breach with the reason, noted
        on the case and the officer is warned. A manager's override reason records it
        as an override instead.
        """
        self.ensure_one()
        case = self.case_id
        self._check_input()
        # The contact log judges the contact; a manager's reason makes a block an override.
        contact = self.env["collection.contact"]._log_reported(
            [
                {
                    "case_id": case.id,
                    "partner_id": self.partner_id.id,
                    "date": self.date,
                    "channel": self.channel,
                    "direction": self.direction,
                    "outcome": self.outcome,
                    "note": self.note,
                    "correction_of_id": self.correction_of_id.id,
                    "callback_date": self.callback_date,
                }
            ],
            override_reason=self.override_reason or None,
        )
        if case.callback_date != self.callback_date:
            case.write({"callback_date": self.callback_date})
        if self.outcome == "promised":
            self.env["collection.promise"].with_context(
                collection_contact_logged=GUARD_PASSED
            ).create(
                {
                    "case_id": case.id,
                    "amount": self.promise_amount,
                    "date": self.promise_date,
                    "contact_id": self.partner_id.id,
                    "channel": self.channel,
                    "note": self.note,
                    "contact_log_id": contact.id,
                }
            )
        elif self.outcome == "disputed":
            self._create_disputes()
        elif self.outcome == "paid":
            case.message_post(
                body=Markup("%s")
                % self.env._(
                    "The customer says they have paid: check the bank statements before "
                    "following up."
                )
            )
        # The next action follows what was just said or agreed.
        case._update_priority()
        if contact.compliance_breach:
            return self._breach_notification(case, contact.blocked_reason)
        return {"type": "ir.actions.act_window_close"}

    def _breach_notification(self, case, reason):
        customer = case.partner_id.sudo()
        # Contacting a customer who asked not to be is the serious breach: it stays on screen.
        serious = customer.collection_do_not_contact or customer.collection_cease_communication
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger" if serious else "warning",
                "title": self.env._("Contact logged as a compliance breach"),
                "message": self.env._(
                    "The compliance guard would not have allowed this contact: %(reason)s",
                    reason=reason,
                ),
                "sticky": bool(serious),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_input(self):
        if self.date > fields.Datetime.now():
            raise ValidationError(
                self.env._("A contact is logged after it happened: not in the future.")
            )
        if self.case_id.state == "closed":
            raise UserError(self.env._("The case is closed."))
        if self.outcome not in dict(self._selection_outcome()):
            raise ValidationError(
                self.env._(
                    "Only what was said or done can be logged, not %(outcome)s.",
                    outcome=self.outcome,
                )
            )
        if self.outcome == "disputed" and not self.dispute_move_ids:
            raise ValidationError(self.env._("Say which invoices the customer disputes."))
        today = self.case_id.company_id._collection_today()
        if self.outcome == "promised":
            if (self.promise_amount or 0) <= 0:
                raise ValidationError(self.env._("The promised amount must be positive."))
            if not self.promise_date or self.promise_date < today:
                raise ValidationError(self.env._("The promised date must be today or later."))
        if self.callback_date and self.callback_date < today:
            raise ValidationError(self.env._("A callback is agreed for today or later."))

    def _note_text(self):
        return (self.note and Markup(self.note).striptags()) or ""

    def _create_disputes(self):
        """One dispute per invoice named, for what is left of it to dispute."""
        Dispute = self.env["collection.dispute"]
        open_disputes = dict(
            Dispute.sudo()._read_group(
                [("move_id", "in", self.dispute_move_ids.ids), ("state", "=", "open")],
                ["move_id"],
                ["amount:sum"],
            )
        )
        vals_list = []
        for move in self.dispute_move_ids:
            left = move.amount_residual - open_disputes.get(move, 0.0)
            if move.currency_id.compare_amounts(left, 0) <= 0:
                raise ValidationError(
                    self.env._("%(invoice)s is already disputed in full.", invoice=move.name)
                )
            vals_list.append(
                {
                    "case_id": self.case_id.id,
                    "move_id": move.id,
                    "amount": left,
                    "reason": self.dispute_reason or "other",
                    "channel": self.channel,
                    "description": self._note_text() or False,
                }
            )
        # The contact that brought the disputes is the one just logged.
        return Dispute.with_context(collection_contact_logged=GUARD_PASSED).create(vals_list)
