from odoo import api, fields, models


class CollectionWriteoffWizard(models.TransientModel):
    """A manager writes off the residual of chosen invoices of a case (by default, all)."""

    _name = "collection.writeoff.wizard"
    _description = "Write Off Debt"

    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    company_id = fields.Many2one(related="case_id.company_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    available_invoice_ids = fields.Many2many(
        "account.move", compute="_compute_available_invoice_ids"
    )
    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        compute="_compute_invoice_ids",
        store=True,
        readonly=False,
        domain="[('id', 'in', available_invoice_ids)]",
        help="Their whole residual is written off; the case's other invoices stay in collection.",
    )
    amount = fields.Monetary(
        string="To Write Off",
        compute="_compute_amount",
        help="What is open on the chosen invoices today, in company currency.",
    )
    reason = fields.Text(required=True, help="Logged on the case and kept with the write-off.")
    writeoff_limit = fields.Monetary(
        related="company_id.collection_writeoff_limit", string="Second Manager Above"
    )
    # Where the entry is booked, shown before Write Off: never an account nobody chose
    # unseen (a company not set up gets its set-up announced here).
    writeoff_account_id = fields.Many2one(
        related="company_id.collection_writeoff_account_id", string="Booked On"
    )
    writeoff_journal_id = fields.Many2one(
        related="company_id.collection_writeoff_journal_id", string="In Journal"
    )
    setup_note = fields.Char(compute="_compute_setup_note")

    @api.depends("case_id")
    def _compute_available_invoice_ids(self):
        # What the write-off itself accepts: the case's open debts (see collection.writeoff).
        Writeoff = self.env["collection.writeoff"]
        for wizard in self:
            case = wizard.case_id.sudo()
            wizard.available_invoice_ids = Writeoff._case_lines(
                case, case.open_line_ids.move_id
            ).move_id

    @api.depends("invoice_ids")
    def _compute_amount(self):
        Writeoff = self.env["collection.writeoff"]
        for wizard in self:
            case = wizard.case_id.sudo()
            lines = Writeoff._case_lines(case, wizard.invoice_ids._origin.sudo())
            wizard.amount = sum(
                Writeoff._residuals(
                    lines, case.company_id, case.company_id._collection_today()
                ).values()
            )

    @api.depends("company_id")
    def _compute_setup_note(self):
        for wizard in self:
            wizard.setup_note = wizard.company_id._collection_writeoff_setup_note()

    @api.depends("available_invoice_ids")
    def _compute_invoice_ids(self):
        for wizard in self:
            wizard.invoice_ids = wizard.available_invoice_ids

    def action_writeoff(self):
        self.ensure_one()
        writeoff = self.case_id._request_writeoff(self.invoice_ids, self.reason)
        if writeoff.state == "posted":
            return {"type": "ir.actions.act_window_close"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Awaiting a second manager"),
                "message": self.env._(
                    "The write-off is above the company's limit: another collections "
                    "manager approves it."
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
