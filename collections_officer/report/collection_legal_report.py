from odoo import api, models


class CollectionLegalNoticeReport(models.AbstractModel):
    """The letter before action (or, for a US consumer, the validation notice)."""

    _name = "report.collections_officer.report_collection_legal_notice"
    _description = "Letter Before Action"

    @api.model
    def _get_report_values(self, docids, data=None):
        legals = self.env["collection.legal"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.legal",
            "docs": legals,
            "today": (legals.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in legals.company_id
            },
            "bank_accounts": self.env[
                "report.collections_officer.report_collection_statement"
            ]._payment_bank_accounts(legals.company_id),
        }


class CollectionLegalReplyFormReport(models.AbstractModel):
    """The reply form sent with the letter before action."""

    _name = "report.collections_officer.report_collection_legal_reply_form"
    _description = "Letter Before Action Reply Form"

    @api.model
    def _get_report_values(self, docids, data=None):
        legals = self.env["collection.legal"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.legal",
            "docs": legals,
            "today": (legals.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in legals.company_id
            },
        }


class CollectionLegalInfoSheetReport(models.AbstractModel):
    """The information sheet sent with the letter before action."""

    _name = "report.collections_officer.report_collection_legal_info_sheet"
    _description = "Letter Before Action Information Sheet"

    @api.model
    def _get_report_values(self, docids, data=None):
        legals = self.env["collection.legal"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "collection.legal",
            "docs": legals,
            "today": (legals.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in legals.company_id
            },
        }
