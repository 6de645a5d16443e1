from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

WRITEOFF_ACTIVITY = "collections_officer.mail_activity_type_collection_writeoff"


class CollectionWriteoff(models.Model):
    """A write-off of invoices of a case: the request, its approval, its journal entry.

    The money side is Odoo's own: a posted entry on the company's bad-debt
    expense account, reconciled with the invoices' receivable lines. This
    record keeps who asked, who approved, why and when; it is never deleted.
    """

    _name = "collection.writeoff"
    _description = "Collection Write-Off"
    _order = "request_date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    currency_id = fields.Many2one(related="company_id.currency_id")
    invoice_ids = fields.Many2many(
        "account.move",
        "collection_writeoff_account_move_rel",
        "writeoff_id",
        "move_id",
        string="Invoices",
        required=True,
    )
    amount = fields.Monetary(
        required=True,
        help="The residual written off, in company currency at the rate of the request.",
    )
    reason = fields.Text(required=True)
    state = fields.Selection(
        [("to_approve", "Awaiting Approval"), ("posted", "Posted"), ("refused", "Refused")],
        required=True,
        default="to_approve",
        index=True,
    )
    requested_by_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user
    )
    request_date = fields.Datetime(
        string="Requested On", required=True, default=fields.Datetime.now
    )
    approved_by_id = fields.Many2one("res.users")
    date = fields.Date(string="Written Off On", help="The date of the write-off entry.")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)

    @api.depends("case_id", "amount")
    def _compute_display_name(self):
        for writeoff in self:
            writeoff.display_name = self.env._(
                "Write-off %(case)s", case=writeoff.case_id.name or ""
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can write debts off.")
        )
        if not self.env.su:
            for vals in vals_list:
                if vals.get("state", "to_approve") != "to_approve" or any(
                    vals.get(name) for name in ("approved_by_id", "move_id", "date")
                ):
                    raise UserError(
                        self.env._("A write-off is posted through its approval, not by hand.")
                    )
                vals["requested_by_id"] = self.env.uid
        for vals in vals_list:
            if not (vals.get("reason") or "").strip():
                raise UserError(self.env._("Give the reason for the write-off."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(
                self.env._("A write-off is history: it is approved or refused, never edited.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Write-offs are history: they cannot be deleted."))

    # ------------------------------------------------------------ actions

    def action_approve(self):
        """A second manager approves a write-off above the company's limit: it is posted."""
        self._check_decider()
        for writeoff in self:
            if writeoff.requested_by_id == self.env.user:
                raise AccessError(
                    self.env._(
                        "A write-off above the limit needs a second manager: %(user)s asked "
                        "for it and cannot approve it.",
                        user=writeoff.requested_by_id.name,
                    )
                )
        self._post()
        return True

    def action_refuse(self):
        self._check_decider()
        self.sudo().write({"state": "refused", "approved_by_id": self.env.uid})
        for writeoff in self:
            writeoff.case_id.sudo().activity_feedback(
                [WRITEOFF_ACTIVITY], feedback=self.env._("Refused")
            )
            writeoff.case_id.sudo().message_post(
                body=self.env._(
                    "Write-off of %(amount)s refused by %(user)s.",
                    amount=writeoff._amount_label(),
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_view_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    # ----------------------------------------------------------- business

    def _check_decider(self):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can approve or refuse a write-off.")
        )
        self.check_access("read")
        if self.filtered(lambda writeoff: writeoff.state != "to_approve"):
            raise UserError(self.env._("Only a write-off awaiting approval can be decided."))

    def _amount_label(self):
        return format_amount(self.env, self.amount, self.currency_id)

    @api.model
    def _writeoff_settings(self, company):
        """The company's write-off account and journal, or a clear refusal."""
        account = company.collection_writeoff_account_id
        journal = company.collection_writeoff_journal_id
        if not account or not journal:
            raise UserError(
                self.env._(
                    "Set the bad-debt expense account and the write-off journal of %(company)s "
                    "in the Collections settings before writing debts off.",
                    company=company.name,
                )
            )
        return account, journal

    @api.model
    def _receivable_lines(self, invoices):
        return invoices.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    @api.model
    def _open_receivable_lines(self, invoices):
        """The receivable lines of the invoices that still carry debt."""
        return invoices.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual > 0
            )
        )

    def _post(self):
        """Post each write-off's entry and reconcile it with its invoices."""
        today = fields.Date.context_today(self)
        for writeoff in self:
            case = writeoff.case_id
            company = case.company_id
            account, journal = self._writeoff_settings(company)
            lines = self._open_receivable_lines(writeoff.invoice_ids.sudo())
            if not lines:
                raise UserError(
                    self.env._(
                        "Nothing is left to write off on %(invoices)s.",
                        invoices=", ".join(writeoff.invoice_ids.mapped("name")),
                    )
                )
            line_vals = []
            for line in lines:
                invoice = line.move_id
                label = self.env._(
                    "Bad debt written off: %(invoice)s%(ref)s",
                    invoice=invoice.name,
                    ref=f" ({invoice.ref})" if invoice.ref else "",
                )
                foreign = line.currency_id != company.currency_id
                # Today's rate: reconciling in the invoice's currency books the
                # exchange difference the natural way.
                balance = (
                    line.currency_id._convert(
                        line.amount_residual_currency, company.currency_id, company, today
                    )
                    if foreign
                    else line.amount_residual
                )
                common = {
                    "name": label,
                    "partner_id": line.partner_id.id,
                    "currency_id": line.currency_id.id,
                }
                line_vals += [
                    Command.create(
                        common
                        | {
                            "account_id": line.account_id.id,
                            "amount_currency": -line.amount_residual_currency,
                            "balance": -balance,
                        }
                    ),
                    Command.create(
                        common
                        | {
                            "account_id": account.id,
                            "amount_currency": line.amount_residual_currency,
                            "balance": balance,
                        }
                    ),
                ]
            references = ", ".join(
                invoice.name + (f" ({invoice.ref})" if invoice.ref else "")
                for invoice in lines.move_id
            )
            move = (
                self.env["account.move"]
                .sudo()
                .with_company(company)
                .create(
                    {
                        "move_type": "entry",
                        "journal_id": journal.id,
                        "date": today,
                        "ref": self.env._("Write-off: %(refs)s", refs=references),
                        "line_ids": line_vals,
                    }
                )
            )
            move.action_post()
            counterparts = move.line_ids.filtered(
                lambda line, account=account: line.account_id != account
            ).sorted("id")
            for line, credit in zip(lines, counterparts, strict=True):
                (line | credit).reconcile()
            writeoff.sudo().write(
                {
                    "state": "posted",
                    "approved_by_id": self.env.uid,
                    "date": today,
                    "move_id": move.id,
                }
            )
            case.sudo().activity_feedback([WRITEOFF_ACTIVITY], feedback=self.env._("Approved"))
            case._after_writeoff(writeoff)
