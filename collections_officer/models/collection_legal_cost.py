from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class CollectionLegal(models.Model):
    """What a legal action costs: the costs incurred and re-invoiced to the customer, the
    agency's commission on what it recovers after the hand-over."""

    _inherit = "collection.legal"  # pylint: disable=consider-merging-classes-inherited

    # Costs the company paid (court fees, lawyer's fees) and may re-invoice.
    costs_incurred = fields.Monetary(tracking=True)
    cost_move_ids = fields.Many2many(
        "account.move", string="Cost Invoices", readonly=True, copy=False
    )
    costs_invoiced = fields.Monetary(compute="_compute_costs_invoiced")
    # Agencies are paid a share of what they recover.
    commission_rate = fields.Float(string="Commission (%)", tracking=True)
    received_amount = fields.Monetary(
        string="Received Since Hand-over",
        compute="_compute_commission",
        help="Money received from the customer since the hand-over, read from accounting.",
    )
    commission_amount = fields.Monetary(compute="_compute_commission")

    _commission_rate_range = models.Constraint(
        "CHECK(commission_rate >= 0 AND commission_rate <= 100)",
        "The commission rate is a percentage between 0 and 100.",
    )

    @api.depends("cost_move_ids.amount_untaxed_signed", "cost_move_ids.state")
    def _compute_costs_invoiced(self):
        for legal in self:
            legal.costs_invoiced = sum(
                legal.cost_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                    "amount_untaxed_signed"
                )
            )

    @api.depends("handover_date", "commission_rate")
    @api.depends_context("date")
    def _compute_commission(self):
        counted = self.filtered(lambda legal: legal.handover_date and legal.id)
        received = self.env["collection.ledger"]._fetch_received(
            [
                (
                    legal.partner_id.id,
                    legal.company_id.id,
                    legal.handover_date,
                    legal.company_id._collection_today(),
                )
                for legal in counted
            ]
        )
        by_legal = dict(zip(counted, received, strict=True))
        for legal in self:
            legal.received_amount = by_legal.get(legal, 0.0)
            legal.commission_amount = legal.currency_id.round(
                legal.received_amount * legal.commission_rate / 100
            )

    # --------------------------------------------------------------- actions

    def action_invoice_costs(self):
        """Re-invoice the costs incurred not yet invoiced, as the company chooses."""
        self._check_manager()
        for legal in self:
            legal._invoice_costs()
        return True

    # ------------------------------------------------------- business methods

    def _invoice_costs(self):
        self.ensure_one()
        company = self.company_id
        mode = company.collection_legal_cost_invoicing
        if mode == "none":
            raise UserError(
                self.env._(
                    "%(company)s does not re-invoice legal costs to its customers (see the "
                    "Collections settings).",
                    company=company.name,
                )
            )
        product = company.collection_legal_cost_product_id
        if not product:
            raise UserError(
                self.env._(
                    "Choose the product of re-invoiced legal costs in the Collections settings."
                )
            )
        amount = self.currency_id.round(self.costs_incurred - self.costs_invoiced)
        if amount <= 0:
            raise UserError(
                self.env._("%(name)s: every cost incurred is invoiced already.", name=self.name)
            )
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self.env._(
                                    "Legal costs of %(name)s (%(case)s)",
                                    name=self.name,
                                    case=self.case_id.name,
                                ),
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if mode == "posted":
            invoice.action_post()
        self.sudo().cost_move_ids = [Command.link(invoice.id)]
        self.case_id._message_log(
            body=self.env._(
                "Legal costs of %(name)s re-invoiced: %(invoice)s.",
                name=self.name,
                invoice=invoice.display_name,
            )
        )
        return invoice
