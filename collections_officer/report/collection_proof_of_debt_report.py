from odoo import api, models
from odoo.exceptions import UserError


class CollectionProofOfDebtReport(models.AbstractModel):
    _name = "report.collections_officer.report_collection_proof_of_debt"
    _description = "Proof of Debt"

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["collection.case"].browse(docids)
        if cases.filtered(lambda case: not case.insolvency_type):
            raise UserError(
                self.env._("A proof of debt is for an insolvent or deceased customer's case.")
            )
        owed = cases._proof_of_debt_lines()
        return {
            "doc_ids": docids,
            "doc_model": "collection.case",
            "docs": cases,
            "owed": owed,
            "totals": {case_id: sum(item[1] for item in items) for case_id, items in owed.items()},
            "today": (cases.company_id[:1] or self.env.company)._collection_today(),
            "company_today": {
                company.id: company._collection_today() for company in cases.company_id
            },
        }
