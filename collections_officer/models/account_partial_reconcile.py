from odoo import models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def unlink(self):
        lines = self.debit_move_id | self.credit_move_id
        res = super().unlink()
        # A payment unmatched (or cancelled) puts the debt back on the case at once.
        lines.exists()._refresh_collection_cases()
        return res
