from odoo import api, fields, models


class CollectionStatementReport(models.AbstractModel):
    _name = "report.collections_officer.report_collection_statement"
    _description = "Customer Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        return {
            "doc_ids": docids,
            "doc_model": "collection.case",
            "docs": self.env["collection.case"].browse(docids),
            # The user's today, the one the case's ages are counted from.
            "today": fields.Date.context_today(self),
        }
