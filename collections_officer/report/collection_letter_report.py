from odoo import api, models


class CollectionLetterReport(models.AbstractModel):
    _name = "report.collections_officer.report_collection_letter"
    _description = "Follow-up Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        followups = self.env["collection.followup"].browse(docids)
        statement = self.env["report.collections_officer.report_collection_statement"]
        return {
            "doc_ids": docids,
            "doc_model": "collection.followup",
            "docs": followups,
            "today": (followups.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in followups.company_id
            },
            "bank_accounts": statement._payment_bank_accounts(followups.company_id),
            "open_items": statement._open_items(followups.case_id),
        }
