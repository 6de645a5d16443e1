from odoo import api, models


class CollectionPlanReport(models.AbstractModel):
    _name = "report.collections_officer.report_collection_plan"
    _description = "Payment Plan"

    @api.model
    def _get_report_values(self, docids, data=None):
        plans = self.env["collection.plan"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.plan",
            "docs": plans,
            "bank_accounts": self.env[
                "report.collections_officer.report_collection_statement"
            ]._payment_bank_accounts(plans.company_id),
        }
