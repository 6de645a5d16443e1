from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import clean_context

from .collection_case_chatter import GUARD_PASSED

# Written by the resolution actions only (accept, reject, withdraw, the refresh): a
# caller's value is dropped at creation, a dispute starts open.
RESOLUTION_FIELDS = ("state", "accepted_amount", "credit_note_id", "resolved_date")


class CollectionDispute(models.Model):
    """A customer contests part or all of one invoice.

    While open, the disputed amount is set apart in the ledger: it is shown on the
    case and never chased, charged or aged; the rest of the invoice and the other
    invoices are still followed up.
    """

    _name = "collection.dispute"
    _description = "Collection Dispute"
    _inherit = ["collection.engine.fields", "mail.thread", "mail.activity.mixin"]
    # What is disputed is stated when the dispute is recorded, then fixed: a dispute
    # too broad is withdrawn and a narrower one recorded, so the ledger, the KPIs and
    # the credit note read what the customer contested.
    _user_create_fields = frozenset({"case_id", "move_id", "amount", "installment_id", "channel"})
    _collection_history = True
    _order = "deadline, id desc"
    _check_company_auto = True
    _rec_names_search = ["move_id", "partner_id"]

    case_id = fields.Many2one(
        "collection.case",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", string="Customer", store=True, index=True
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    invoice_residual = fields.Monetary(related="move_id.amount_residual", string="Invoice Residual")
    installment_id = fields.Many2one(
        "collection.plan.installment",
        string="Plan Installment",
        readonly=True,
        domain="[('plan_id.case_id', '=', case_id)]",
        help="The installment of the case's payment plan the dispute is about, if any.",
    )
    amount = fields.Monetary(
        string="Disputed Amount",
        required=True,
        readonly=True,
        tracking=True,
        help="Part or all of the invoice's residual, in the invoice's currency.",
    )
    reason = fields.Selection(
        [
            ("price", "Price"),
            ("quantity", "Quantity"),
            ("quality", "Quality"),
            ("not_received", "Not Received"),
            ("duplicate", "Duplicate"),
            ("already_paid", "Already Paid"),
            ("other", "Other"),
        ],
        required=True,
        default="other",
        tracking=True,
    )
    channel = fields.Selection(
        selection=lambda self: (
            self.env["collection.contact"]._fields["channel"]._description_selection(self.env)
        ),
        string="Raised By",
        required=True,
        readonly=True,
        default="phone",
        help="How the customer said so: the contact logged with the dispute.",
    )
    description = fields.Text()
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
        help="Who investigates: the officer, sales or another colleague.",
    )
    deadline = fields.Date(
        required=True,
        index=True,
        tracking=True,
        default=lambda self: (
            self.env.company._collection_today()
            + timedelta(days=self.env.company.collection_dispute_days)
        ),
        help="When the investigation should be over; an overdue deadline alerts the team manager.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("accepted", "Accepted"),
            ("partly_accepted", "Partly Accepted"),
            ("rejected", "Rejected"),
            ("withdrawn", "Withdrawn"),
        ],
        required=True,
        default="open",
        readonly=True,
        index=True,
        tracking=True,
    )
    resolution_note = fields.Text(tracking=True)
    resolved_date = fields.Date(readonly=True)
    accepted_amount = fields.Monetary(readonly=True)
    credit_note_id = fields.Many2one(
        "account.move", readonly=True, copy=False, index="btree_not_null"
    )
    amount_set_apart = fields.Monetary(
        compute="_compute_amount_set_apart",
        store=True,
        help="What the ledger does not chase: the disputed amount while the dispute is "
        "open, the accepted amount until its credit note is posted.",
    )
    attachment_count = fields.Integer(string="Evidence", compute="_compute_attachment_count")

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "The disputed amount must be positive."
    )

    @api.depends("state", "amount", "accepted_amount", "credit_note_id.state")
    def _compute_amount_set_apart(self):
        for dispute in self:
            if dispute.state == "open":
                dispute.amount_set_apart = dispute.amount
            elif (
                dispute.state in ("accepted", "partly_accepted")
                and dispute.credit_note_id.state == "draft"
            ):
                # Granted, not yet credited: still not owed.
                dispute.amount_set_apart = dispute.accepted_amount
            else:
                dispute.amount_set_apart = 0.0

    def _compute_attachment_count(self):
        counts = dict(
            self.env["ir.attachment"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for dispute in self:
            dispute.attachment_count = counts.get(dispute.id, 0)

    @api.depends("move_id", "amount", "currency_id")
    def _compute_display_name(self):
        for dispute in self:
            dispute.display_name = self.env._(
                "%(invoice)s: %(amount)s disputed",
                invoice=dispute.move_id.name or "",
                amount=dispute.currency_id.format(dispute.amount) if dispute.currency_id else "",
            )

    @api.constrains("move_id", "amount", "case_id", "state")
    def _check_invoice(self):
        ledger = self.env["collection.ledger"]
        checked = self.filtered(lambda d: d.state == "open")
        # What open disputes of the same invoices set apart, read once for the batch.
        disputed = {
            move.id: total
            for move, total in self.sudo()._read_group(
                [("move_id", "in", checked.move_id.ids), ("state", "=", "open")],
                ["move_id"],
                ["amount:sum"],
            )
        }
        for dispute in checked:
            move = dispute.move_id.sudo()
            if (
                move.move_type != "out_invoice"
                or move.state != "posted"
                or ledger._case_key(move.commercial_partner_id, move.company_id)
                != (dispute.case_id.partner_id, dispute.case_id.company_id)
            ):
                raise ValidationError(
                    self.env._(
                        "%(invoice)s is not a posted customer invoice of %(customer)s.",
                        invoice=move.display_name,
                        customer=dispute.case_id.partner_id.display_name,
                    )
                )
            available = move.amount_residual - (disputed.get(move.id, 0.0) - dispute.amount)
            if move.currency_id.compare_amounts(dispute.amount, available) > 0:
                raise ValidationError(
                    self.env._(
                        "%(amount)s cannot be disputed on %(invoice)s: at most %(available)s "
                        "of its residual is left to dispute.",
                        amount=move.currency_id.format(dispute.amount),
                        invoice=move.name,
                        available=move.currency_id.format(max(available, 0.0)),
                    )
                )

    @api.constrains("installment_id", "case_id")
    def _check_installment(self):
        for dispute in self.filtered("installment_id"):
            if dispute.installment_id.sudo().plan_id.case_id != dispute.case_id:
                raise ValidationError(
                    self.env._(
                        "%(installment)s is not an installment of a payment plan of %(case)s.",
                        installment=dispute.installment_id.sudo().display_name,
                        case=dispute.case_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        if context.get("collection_contact_logged") is GUARD_PASSED and context != clean_context(
            context
        ):
            # Log a Contact's own call: the defaults of its context are the contact's.
            # Replaced, not updated: the default keys must go.
            return self.with_context(clean_context(context)).create(vals_list)  # pylint: disable=context-overridden
        if any((vals.get("amount") or 0) <= 0 for vals in vals_list):
            raise ValidationError(self.env._("The disputed amount must be positive."))
        vals_list = [
            {name: value for name, value in vals.items() if name not in RESOLUTION_FIELDS}
            for vals in vals_list
        ]
        self._check_engine_fields(vals_list, creating=True)
        if not self.env.su:
            self._check_case_open(vals_list)
        for vals in vals_list:
            case = self.env["collection.case"].browse(vals.get("case_id"))
            if case and "deadline" not in vals:
                vals["deadline"] = case.company_id._collection_today() + timedelta(
                    days=case.company_id.collection_dispute_days
                )
        disputes = super().create(vals_list)
        # A person recording disputes made a contact; Log a Contact logs its own. The
        # engine's disputes (data, migrations) are no contact.
        if not self.env.is_superuser() and (
            self.env.context.get("collection_contact_logged") is not GUARD_PASSED
        ):
            disputes._log_contacts()
        disputes._schedule_owner_activities()
        disputes.filtered(lambda d: d.reason == "already_paid")._ask_accountant()
        disputes.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute recorded: %(dispute)s (%(reason)s). It is not chased until it "
                    "is resolved.",
                    dispute=dispute.display_name,
                    reason=dict(self._fields["reason"]._description_selection(self.env))[
                        dispute.reason
                    ],
                )
                for dispute in disputes
            }
        )
        disputes._refresh_cases()
        return disputes

    def write(self, vals):
        self._check_engine_fields([vals])
        res = super().write(vals)
        if {"amount", "move_id"} & set(vals):
            self._refresh_cases()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_open(self):
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Resolved disputes are history: they cannot be deleted."))

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of a dispute are stated when it is recorded, or change only by "
            "accepting, rejecting or withdrawing it: withdraw it and record another one "
            "to dispute something else.",
            fields=fields,
        )

    def _check_case_open(self, vals_list):
        """As Log a Contact: nothing is chased on a closed case, nothing to dispute."""
        default = self.env.context.get("default_case_id")
        cases = self.env["collection.case"].browse(
            {vals.get("case_id") or default for vals in vals_list} - {None, False}
        )
        if closed := cases.filtered(lambda case: case.state == "closed"):
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: nothing is chased, nothing to dispute.",
                    case=closed[0].name,
                )
            )

    # --------------------------------------------------------------- actions

    def action_view_attachments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Evidence"),
            "res_model": "ir.attachment",
            "view_mode": "kanban,list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    # ------------------------------------------------------- business methods

    def _refresh_cases(self):
        cases = self.case_id.sudo()
        if cases:
            cases._refresh_from_accounting(companies=cases.company_id, partners=cases.partner_id)

    def _log_contacts(self):
        """The customer disputing is a contact: log it, judged by the compliance guard
        like every contact a person logs, one per case and channel."""
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        self.env["collection.contact"]._log_reported(
            [
                {
                    "case_id": case.id,
                    "channel": channel,
                    "direction": "outbound",
                    "date": fields.Datetime.now(),
                    "outcome": "disputed",
                    "note": self.env._(
                        "Disputed: %(disputes)s.",
                        disputes=", ".join(
                            f"{dispute.move_id.name} {dispute.currency_id.format(dispute.amount)}"
                            f" ({reasons[dispute.reason]})"
                            for dispute in disputes
                        ),
                    ),
                }
                for (case, channel), disputes in self.grouped(
                    lambda dispute: (dispute.case_id, dispute.channel)
                ).items()
            ]
        )
