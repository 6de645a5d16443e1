from odoo import api, fields, models


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
            "today": fields.Date.context_today(self),
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
        return {
            "doc_ids": docids,
            "doc_model": "collection.legal",
            "docs": self.env["collection.legal"].browse(docids),
            "today": fields.Date.context_today(self),
        }


class CollectionLegalInfoSheetReport(models.AbstractModel):
    """The information sheet sent with the letter before action."""

    _name = "report.collections_officer.report_collection_legal_info_sheet"
    _description = "Letter Before Action Information Sheet"

    @api.model
    def _get_report_values(self, docids, data=None):
        return {
            "doc_ids": docids,
            "doc_model": "collection.legal",
            "docs": self.env["collection.legal"].browse(docids),
            "today": fields.Date.context_today(self),
        }
