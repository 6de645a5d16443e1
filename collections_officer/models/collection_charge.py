from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

CHARGE_KINDS = [
    ("fee", "Fixed Fee"),
    ("compensation", "Fixed Compensation"),
    ("interest", "Interest"),
]


class CollectionCharge(models.Model):
    _name = "collection.charge"
    _description = "Late-Payment Charge Invoiced"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "source_move_id"

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="The currency of the overdue invoice, in which the charge is computed and billed.",
    )
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    rule_id = fields.Many2one(
        "collection.charge.rule", required=True, index=True, ondelete="restrict", check_company=True
    )
    source_move_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        help="The late invoice the charge is for.",
    )
    kind = fields.Selection(CHARGE_KINDS, required=True)
    date_from = fields.Date(string="Interest From", help="Interest periods only.")
    date_to = fields.Date(string="Interest To", help="Interest periods only.")
    days = fields.Integer(compute="_compute_days")
    base_amount = fields.Monetary(
        help="The overdue amount the charge is computed on, in the invoice's currency."
    )
    rate = fields.Float(string="Annual Rate (%)", digits=(16, 4))
    amount = fields.Monetary(required=True)
    invoice_id = fields.Many2one(
        "account.move",
        string="Charge Invoice",
        index=True,
        ondelete="set null",
        help="The customer invoice the charge was billed on.",
    )
    date = fields.Date(required=True, default=lambda self: self.env.company._collection_today())
    state = fields.Selection(
        [
            ("invoiced", "Invoiced"),
            ("waived", "Waived"),
            ("released", "Cancelled, Chargeable Again"),
        ],
        required=True,
        default="invoiced",
        index=True,
        help="Waived: the charge invoice was cancelled and the charge is waived; it still "
        "counts as charged. Cancelled, Chargeable Again: the charge invoice was cancelled by "
        "mistake; the fee or the interest period is billed again by the next charge.",
    )
    cancel_reason = fields.Char(readonly=True)
    cancel_user_id = fields.Many2one("res.users", string="Cancelled By", readonly=True)
    cancel_date = fields.Date(readonly=True)

    # Fees are charged once per invoice and rule; interest once per invoice, rule
    # and period start. The index keeps a concurrent or repeated run from billing twice;
    # a charge released for billing again no longer counts.
    _charged_once = models.UniqueIndex(
        "(source_move_id, rule_id, kind, COALESCE(date_from, '0001-01-01'::date))"
        " WHERE state != 'released'",
        "This late-payment charge has already been invoiced.",
    )
    _period_order = models.Constraint(
        "CHECK(date_from IS NULL OR date_to IS NULL OR date_from <= date_to)",
        "An interest period cannot end before it starts.",
    )
    _interest_has_period = models.Constraint(
        "CHECK(kind != 'interest' OR (date_from IS NOT NULL AND date_to IS NOT NULL))",
        "An interest charge needs its period.",
    )

    @api.depends("date_from", "date_to")
    def _compute_days(self):
        for charge in self:
            charge.days = (
                (charge.date_to - charge.date_from).days
                if charge.date_from and charge.date_to
                else 0
            )

    @api.constrains("case_id", "source_move_id", "invoice_id")
    def _check_invoices_company(self):
        # Not check_company: a branch's invoices are charged on the head office's case.
        ledger = self.env["collection.ledger"]
        for charge in self:
            for move in (charge.source_move_id | charge.invoice_id).sudo():
                if ledger._case_company(move.company_id) != charge.case_id.company_id:
                    raise ValidationError(
                        self.env._(
                            "%(invoice)s is booked in %(company)s, whose debts case %(case)s "
                            "does not follow up.",
                            invoice=move.display_name,
                            company=move.company_id.name,
                            case=charge.case_id.display_name,
                        )
                    )

    @api.constrains("state", "invoice_id")
    def _check_state(self):
        for charge in self:
            if charge.state != "invoiced" and charge.invoice_id.state != "cancel":
                raise ValidationError(
                    self.env._(
                        "A charge is waived or released only with its invoice cancelled: "
                        "use Waive or Cancel to Charge Again."
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_if_not_invoiced(self):
        # The record is the evidence of what was billed, waived or released, and what
        # keeps a charge from being billed twice: once on an invoice, it stays.
        if self.filtered("invoice_id"):
            raise UserError(
                self.env._(
                    "A charge billed on an invoice cannot be deleted: waive it, or cancel it "
                    "to charge again."
                )
            )

    def action_waive(self):
        return self._open_cancel_wizard("waived")

    def action_charge_again(self):
        return self._open_cancel_wizard("released")

    def _open_cancel_wizard(self, decision):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive Charges")
            if decision == "waived"
            else self.env._("Cancel to Charge Again"),
            "res_model": "collection.charge.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_charge_ids": self.ids, "default_decision": decision},
        }

    def _cancel_invoices(self, decision, reason=False):
        """Cancel the charge invoices of these charges, and every charge they bill, with
        the manager's decision: 'waived' (recorded with its reason, still counted as
        charged) or 'released' (billed again by the next charge)."""
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(
                self.env._("Only a collections manager may cancel late-payment charges.")
            )
        if decision not in ("waived", "released"):
            raise UserError(self.env._("Choose to waive the charges or to charge them again."))
        if decision == "waived" and not (reason or "").strip():
            raise UserError(self.env._("Give the reason the charges are waived."))
        invoices = self.invoice_id
        if not invoices:
            raise UserError(self.env._("These charges are on no invoice."))
        charges = self.search([("invoice_id", "in", invoices.ids)])
        if decided := charges.filtered(lambda c: c.state != "invoiced"):
            raise UserError(
                self.env._(
                    "The charges of %(invoices)s were already waived or released.",
                    invoices=", ".join(decided.invoice_id.mapped("name")),
                )
            )
        # Managers decide on charges without keeping the books: the cancellation is
        # made with elevated rights, once the decision is theirs.
        invoices = invoices.sudo()
        if paid := invoices.filtered(
            lambda m: m.state == "posted" and m.payment_state != "not_paid"
        ):
            raise UserError(
                self.env._(
                    "%(invoices)s already received payments: issue a credit note instead.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        posted = invoices.filtered(lambda m: m.state == "posted")
        posted.button_draft()
        invoices.filtered(lambda m: m.state == "draft").button_cancel()
        # Charges are evidence nobody edits by hand; this decision is the one change made.
        for company, company_charges in charges.grouped("company_id").items():
            company_charges.sudo().write(
                {
                    "state": decision,
                    "cancel_reason": reason or False,
                    "cancel_user_id": self.env.uid,
                    "cancel_date": company._collection_today(),
                }
            )
        for case, case_charges in charges.grouped("case_id").items():
            names = ", ".join(case_charges.invoice_id.mapped("name"))
            case.message_post(
                body=self.env._(
                    "Late-payment charges of %(invoices)s waived by %(user)s: %(reason)s",
                    invoices=names,
                    user=self.env.user.name,
                    reason=reason,
                )
                if decision == "waived"
                else self.env._(
                    "%(invoices)s cancelled by %(user)s; its charges will be billed again.",
                    invoices=names,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True
