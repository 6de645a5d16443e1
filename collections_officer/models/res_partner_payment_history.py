from odoo import api, fields, models

OFFICERS = "collections_officer.group_collections_officer"


# res.partner's collection fields are split by job: its settings, its payment history.
class ResPartner(models.Model):
    """How the customer paid their invoices, read from accounting (the priority's input)."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    collection_paid_invoice_count = fields.Integer(
        string="Invoices Paid",
        compute="_compute_collection_payment_history",
        groups=OFFICERS,
        help="Invoices of the customer fully paid, in the current company.",
    )
    collection_late_share = fields.Float(
        string="Paid Late (%)",
        compute="_compute_collection_payment_history",
        groups=OFFICERS,
        help="Share of the paid invoices paid after their due date.",
    )
    collection_avg_days_late = fields.Float(
        string="Average Days Late",
        compute="_compute_collection_payment_history",
        groups=OFFICERS,
        help="Average delay of the paid invoices (0 for those paid on time).",
    )
    collection_median_days_late = fields.Integer(
        string="Usual Days Late",
        compute="_compute_collection_payment_history",
        groups=OFFICERS,
        help="Median delay of the paid invoices: what the predicted pay date of a case adds "
        "to its oldest due date.",
    )

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_collection_payment_history(self):
        ledger = self.env["collection.ledger"]
        company = ledger._case_company(self.env.company)
        history = ledger._fetch_payment_history(company, self.commercial_partner_id)
        for partner in self:
            values = history.get((partner.commercial_partner_id.id, company.id))
            paid = values["paid_count"] if values else 0
            partner.collection_paid_invoice_count = paid
            partner.collection_late_share = 100.0 * values["late_count"] / paid if paid else 0.0
            partner.collection_avg_days_late = values["avg_days_late"] if paid else 0.0
            partner.collection_median_days_late = values["median_days_late"] if paid else 0
