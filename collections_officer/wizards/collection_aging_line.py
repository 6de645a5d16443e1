from odoo import fields, models


class CollectionAgingLine(models.TransientModel):
    """One open receivable item as of the date of an aging run, for pivot, graph and list."""

    _name = "collection.aging.line"
    _description = "Aged Receivable Item"
    _order = "partner_id, date_maturity, id"
    _rec_name = "move_name"

    wizard_id = fields.Many2one(
        "collection.aging.wizard", required=True, index=True, ondelete="cascade"
    )
    as_of = fields.Date(related="wizard_id.as_of")
    move_line_id = fields.Many2one("account.move.line", string="Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    move_name = fields.Char(string="Entry Number", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    case_id = fields.Many2one("collection.case", readonly=True)
    user_id = fields.Many2one("res.users", string="Officer", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    bucket_id = fields.Many2one("collection.aging.bucket", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    invoice_date = fields.Date(readonly=True)
    days = fields.Integer(aggregator="max", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", related="company_id.currency_id", string="Company Currency"
    )
    amount_residual = fields.Monetary(
        string="Open Amount",
        currency_field="currency_id",
        aggregator="sum",
        readonly=True,
        help="As of the date of the run, in company currency.",
    )
    item_currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    amount_residual_currency = fields.Monetary(
        string="Open Amount in Currency",
        currency_field="item_currency_id",
        aggregator=None,
        readonly=True,
    )

    def action_open_entry(self):
        self.ensure_one()
        return self.move_id._get_records_action()
