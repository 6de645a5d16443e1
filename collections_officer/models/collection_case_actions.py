from odoo import models
from odoo.exceptions import UserError

# Beyond this many selected cases, Refresh queues the scheduled refresh instead of
# keeping the user waiting.
REFRESH_NOW_MAX = 100


class CollectionCase(models.Model):
    """The buttons of a case: refresh it from accounting, its open invoices, register a
    payment."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def action_refresh(self):
        """Re-read the selected cases' customers from accounting, at once for a few cases."""
        if not self or len(self) > REFRESH_NOW_MAX:
            return self.action_refresh_all()
        self._refresh_from_accounting(
            companies=self.company_id, partners=self.partner_id, wait=True
        )
        return True

    def action_refresh_all(self):
        """Queue the refresh of every case from accounting, whatever is selected.

        A whole book does not fit in a web request: the scheduled refresh is
        started at once instead, in a cron worker that commits as it goes. The
        Refresh button of a case (or a selection) stays immediate.
        """
        self.browse().check_access("write")
        # Now, not in the companies' next morning.
        self.env.companies._collection_ask_refresh()
        self.env.ref("collections_officer.ir_cron_collection_case_refresh").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Refresh queued"),
                "message": self.env._(
                    "The cases are read again from accounting in a moment: reload the list "
                    "to see them."
                ),
                "sticky": False,
            },
        }

    def action_view_open_items(self):
        """The customer's open invoices and credit notes, as accounting shows them."""
        self.ensure_one()
        moves = self.open_line_ids.move_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Invoices of %(partner)s", partner=self.partner_id.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [(self.env.ref("account.view_out_invoice_tree").id, "list"), (False, "form")],
            "domain": [("id", "in", moves.ids)],
            "context": {"create": False},
        }

    def action_register_payment(self):
        """Odoo's own payment wizard, for the case's open invoices."""
        self.ensure_one()
        invoices = self.open_line_ids.filtered(lambda line: line.amount_residual > 0).move_id
        invoices = invoices.filtered(lambda move: move.is_invoice(include_receipts=True))
        if not invoices:
            raise UserError(self.env._("The case has no open invoice to pay."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Payment"),
            "res_model": "account.payment.register",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            # Back on the case when the payment is registered: its figures follow at once.
            "context": {
                "active_model": "account.move",
                "active_ids": invoices.ids,
                "dont_redirect_to_payments": True,
            },
        }
