from odoo import fields, models


# res.company is extended by job: the legal actions' settings live with them.
class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    collection_legal_reply_days = fields.Integer(
        string="Reply Period of a Letter Before Action",
        default=30,
        help="Days the customer has to reply to a letter before action (30 in the UK "
        "pre-action protocol for debt claims, and the US validation period): no claim is "
        "filed before they have passed.",
    )
    collection_legal_agency_rate = fields.Float(
        string="Default Agency Commission (%)",
        help="The commission rate a new hand-over to a collection agency starts with.",
    )
    collection_legal_cost_invoicing = fields.Selection(
        [
            ("none", "Not Re-invoiced"),
            ("draft", "Draft Invoice"),
            ("posted", "Posted Invoice"),
        ],
        string="Re-invoice Legal Costs",
        default="none",
        required=True,
        help="Whether the costs incurred by a legal action are invoiced to the customer, "
        "and whether the invoice is left in draft for an accountant or posted at once.",
    )
    collection_legal_cost_product_id = fields.Many2one(
        "product.product",
        string="Legal Costs Product",
        help="The product (and so the income account) of the re-invoiced legal costs.",
    )
