from odoo import api, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # The receivables open at several days (the KPIs) start from the items open
    # today: read from this index alone, not from the lines' wide rows. Lines of
    # accounts never reconciled have no residual and stay out of it.
    _collection_open_items_idx = models.Index(
        "(account_id, company_id, date) INCLUDE (partner_id, date_maturity, amount_residual)"
        " WHERE reconciled IS NOT TRUE AND parent_state = 'posted' AND amount_residual != 0"
    )

    @api.model
    def _reconcile_plan(self, reconciliation_plan):
        res = super()._reconcile_plan(reconciliation_plan)
        # A payment matched in accounting shows on the customer's case at once.
        self._lines_of_plan(reconciliation_plan)._refresh_collection_cases()
        return res

    @api.model
    def _lines_of_plan(self, plan):
        lines = self.browse()
        for step in plan:
            lines |= step if isinstance(step, models.BaseModel) else self._lines_of_plan(step)
        return lines

    def _refresh_collection_cases(self):
        """Refresh the collection cases of these lines' customers, in one go.

        Only customers who already have a case (closed ones included, which a
        cancelled payment may reopen): the daily refresh opens the new ones.
        """
        receivable = self.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and line.partner_id
        )
        if not receivable:
            return
        # A branch's lines belong to the head office's case unless cases are per branch.
        found = (
            self.env["collection.ledger"]
            .sudo()
            ._find_cases(receivable.partner_id, receivable.company_id)
        )
        cases = self.env["collection.case"].sudo().union(*found.values())
        if cases:
            cases._refresh_from_accounting(companies=cases.company_id, partners=cases.partner_id)
