from odoo import api, models


class CollectionLetterReport(models.AbstractModel):
    _name = "report.collections_officer.report_collection_letter"
    _description = "Follow-up Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        return self.env[
            "report.collections_officer.report_collection_statement"
        ]._get_report_values(docids, data)
