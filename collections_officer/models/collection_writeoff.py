from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

WRITEOFF_ACTIVITY = "collections_officer.mail_activity_type_collection_writeoff"
# What carries a customer's debt a write-off may clear: invoices, receipts, and the
# journal entries that bring a debt in (opening balances). Credit notes owe nothing.
WRITABLE_MOVE_TYPES = ("out_invoice", "out_receipt", "entry")


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
        readonly=True,
        help="The open amount of the invoices, in company currency: as requested until the "
        "write-off is approved, then what the entry wrote off.",
    )
    requested_amount = fields.Monetary(
        readonly=True,
        help="The open amount of the invoices when the write-off was requested.",
    )
    residual_amount = fields.Monetary(
        string="Left to Write Off Now",
        compute="_compute_residual",
        help="What approving would write off now: the invoices' open amount today.",
    )
    residual_detail = fields.Text(
        string="Open Now",
        compute="_compute_residual",
        help="Each invoice with what is left to pay on it today.",
    )
    residual_note = fields.Char(
        compute="_compute_residual",
        help="What changed since the request, that the approver should know.",
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

    @api.depends("state", "amount", "invoice_ids")
    def _compute_residual(self):
        """What approving a pending write-off would really write off, as accounting has it now."""
        for writeoff in self:
            writeoff.residual_amount = writeoff.amount
            writeoff.residual_detail = False
            writeoff.residual_note = False
            if writeoff.state != "to_approve" or not writeoff.case_id:
                continue
            case = writeoff.case_id.sudo()
            lines = self._case_lines(case, writeoff.invoice_ids.sudo())
            residuals = self._residuals(lines, case.company_id, case.company_id._collection_today())
            total = sum(residuals.values())
            writeoff.residual_amount = total
            writeoff.residual_detail = "\n".join(
                f"{invoice.name}: "
                + format_amount(
                    self.env,
                    sum(residuals[line] for line in lines if line.move_id == invoice),
                    writeoff.currency_id,
                )
                for invoice in writeoff.invoice_ids.sudo()
            )
            writeoff.residual_note = writeoff._residual_change(total)

    @api.model_create_multi
    def create(self, vals_list):
        """A write-off of invoices of its case, for what is open on them.

        The invoices must be open items of the case: posted, of its customer, booked
        in a company the case follows up (a branch's, see ``_case_company``), with a
        receivable still to pay. The amount is read from accounting, never taken from
        the caller: the approver is shown, and the entry writes off, the real figure.
        """
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can write debts off.")
        )
        for vals in vals_list:
            if not self.env.su:
                if vals.get("state", "to_approve") != "to_approve" or any(
                    vals.get(name) for name in ("approved_by_id", "move_id", "date")
                ):
                    raise UserError(
                        self.env._("A write-off is posted through its approval, not by hand.")
                    )
                vals["requested_by_id"] = self.env.uid
            if not (vals.get("reason") or "").strip():
                raise UserError(self.env._("Give the reason for the write-off."))
            case = self.env["collection.case"].browse(vals.get("case_id")).exists()
            if not case:
                raise UserError(self.env._("Say which case the write-off is for."))
            if not self.env.su:
                case.check_access("write")
            invoices = self.env["account.move"].browse(
                self._invoice_ids_of(vals.get("invoice_ids"))
            )
            lines = self._writeoff_lines(case.sudo(), invoices.sudo())
            if self.sudo().search_count(
                [("invoice_ids", "in", invoices.ids), ("state", "=", "to_approve")], limit=1
            ):
                raise UserError(
                    self.env._("A write-off of these invoices already awaits approval.")
                )
            company = case.sudo().company_id
            amount = sum(self._residuals(lines, company, company._collection_today()).values())
            vals.update(
                {
                    "invoice_ids": [Command.set(invoices.ids)],
                    "amount": amount,
                    "requested_amount": amount,
                }
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise UserError(
                self.env._("A write-off is history: it is approved or refused, never edited.")
            )
        result = super().write(vals)
        if {"case_id", "invoice_ids"} & set(vals):
            # Even the engine's own changes keep a pending write-off true to its invoices.
            for writeoff in self.filtered(lambda w: w.state == "to_approve"):
                case = writeoff.case_id.sudo()
                lines = self._writeoff_lines(case, writeoff.invoice_ids.sudo())
                company = case.company_id
                amount = sum(self._residuals(lines, company, company._collection_today()).values())
                super(CollectionWriteoff, writeoff).write(
                    {"amount": amount, "requested_amount": amount}
                )
        return result

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

    def _residual_change(self, residual):
        """What the approver must know when the invoices' open amount moved since the
        request (``residual``: the amount now), else False."""
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(residual, self.amount) == 0:
            return False
        if currency.compare_amounts(residual, self.amount) > 0:
            return self.env._(
                "The invoices now carry %(now)s, more than the %(asked)s requested: it cannot "
                "be approved. Refuse it and request the write-off again.",
                now=format_amount(self.env, residual, currency),
                asked=self._amount_label(),
            )
        return self.env._(
            "Paid or credited since the request: approving writes off %(now)s, not the "
            "%(asked)s requested.",
            now=format_amount(self.env, residual, currency),
            asked=self._amount_label(),
        )

    @api.model
    def _writeoff_settings(self, company):
        """The company's write-off account and journal.

        A company not set up yet (a fresh install) gets them now, as the write-off
        dialog announced: its chart's bad-debt account and write-off journal, else
        new ones (see ``res.company._collection_writeoff_setup``).
        """
        if not (company.collection_writeoff_account_id and company.collection_writeoff_journal_id):
            company._collection_writeoff_setup()
        return company.collection_writeoff_account_id, company.collection_writeoff_journal_id

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

    @api.model
    def _case_lines(self, case, invoices):
        """The open receivable items of ``invoices`` that ``case`` follows up: its customer's,
        booked in a company whose cases ``case``'s company holds (branches included)."""
        ledger = self.env["collection.ledger"]
        return self._open_receivable_lines(invoices).filtered(
            lambda line: (
                line.parent_state == "posted"
                and line.move_id.move_type in WRITABLE_MOVE_TYPES
                and line.partner_id.commercial_partner_id == case.partner_id
                and ledger._case_company(line.company_id) == case.company_id
            )
        )

    @api.model
    def _writeoff_lines(self, case, invoices):
        """The items a write-off of ``invoices`` on ``case`` writes off, or a clear refusal.

        Each invoice must be an open item of the case (see ``_case_lines``): a debt of
        another customer or company is never written off through this case.
        """
        if not invoices:
            raise UserError(self.env._("Choose the invoices to write off."))
        lines = self._case_lines(case, invoices)
        if lines.move_id != invoices:
            raise UserError(
                self.env._(
                    "Only the open invoices of %(case)s can be written off.",
                    case=case.display_name,
                )
            )
        return lines

    @api.model
    def _residuals(self, lines, company, date):
        """``{line: what is left to pay on it, in company currency}``.

        A foreign-currency item at ``date``'s rate: reconciling it in its own currency
        books the exchange difference the natural way.
        """
        return {
            line: (
                line.currency_id._convert(
                    line.amount_residual_currency, company.currency_id, company, date
                )
                if line.currency_id != company.currency_id
                else line.amount_residual
            )
            for line in lines
        }

    @api.model
    def _invoice_ids_of(self, value):
        """The ids an ``invoice_ids`` value of a create names: existing invoices only."""
        ids = []
        for command in value or ():
            if isinstance(command, int):
                ids.append(command)
            elif isinstance(command, (list, tuple)) and command and command[0] == Command.SET:
                ids = list(command[2])
            elif isinstance(command, (list, tuple)) and command and command[0] == Command.LINK:
                ids.append(command[1])
            elif isinstance(command, (list, tuple)) and command and command[0] == Command.CLEAR:
                ids = []
            else:
                raise UserError(
                    self.env._("Name the invoices to write off: a write-off changes no invoice.")
                )
        if not all(isinstance(move_id, int) for move_id in ids):
            raise UserError(self.env._("Name the invoices to write off by their id."))
        return list(dict.fromkeys(ids))

    def _post(self):
        """Post each write-off's entry and reconcile it with its invoices.

        What is open on the invoices is read again right before posting, and that is
        what the entry writes off and the write-off records. Paid or credited
        meanwhile: less is written off than was requested, and the case says so. More
        than was requested (a payment undone, a rate moved): refused, since nobody
        asked for the difference; the request is refused and made again.
        """
        for writeoff in self:
            case = writeoff.case_id
            company = case.company_id
            today = company._collection_today()
            account, journal = self._writeoff_settings(company)
            lines = self._case_lines(case.sudo(), writeoff.invoice_ids.sudo())
            if not lines:
                raise UserError(
                    self.env._(
                        "Nothing is left to write off on %(invoices)s.",
                        invoices=", ".join(writeoff.invoice_ids.sudo().mapped("name")),
                    )
                )
            residuals = self._residuals(lines, company, today)
            total, asked = sum(residuals.values()), writeoff.amount
            change = writeoff._residual_change(total)
            if company.currency_id.compare_amounts(total, asked) > 0:
                raise UserError(change)
            line_vals = []
            for line in lines:
                invoice = line.move_id
                label = self.env._(
                    "Bad debt written off: %(invoice)s%(ref)s",
                    invoice=invoice.name,
                    ref=f" ({invoice.ref})" if invoice.ref else "",
                )
                balance = residuals[line]
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
                    "amount": total,
                }
            )
            if change:
                case.sudo()._message_log(
                    body=self.env._(
                        "Paid or credited since the write-off was requested: %(now)s written "
                        "off, not the %(asked)s requested.",
                        now=format_amount(self.env, total, company.currency_id),
                        asked=format_amount(self.env, asked, company.currency_id),
                    )
                )
            case.sudo().activity_feedback([WRITEOFF_ACTIVITY], feedback=self.env._("Approved"))
            case._after_writeoff(writeoff)
