from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _create_payment(self, **extra_create_values):
        # Promises and plans count the money received from their first day, a day of
        # the case's company: dated on the server's day (or the paying user's), the
        # down payment of a plan agreed just after midnight would fall the day before it.
        if "date" not in extra_create_values and (day := self._collection_case_day()):
            extra_create_values["date"] = day
        return super()._create_payment(**extra_create_values)

    def _collection_case_day(self):
        """Today in the company of the collection case following the invoices paid, or
        None when none of them has a case."""
        self.ensure_one()
        invoices = self.invoice_ids
        if not invoices:
            return None
        found = (
            self.env["collection.ledger"]
            .sudo()
            ._find_cases(invoices.partner_id, invoices.company_id)
        )
        case = next(iter(found.values()), None)
        return case.company_id._collection_today() if case else None

    def _post_process(self):
        # Post-processing runs once per transaction: the flag tells which ones are new.
        new = self.filtered(
            lambda tx: (
                not tx.is_post_processed
                and tx.state == "done"
                and tx.operation != "validation"
                and tx.invoice_ids
            )
        )
        res = super()._post_process()
        paid = new.filtered("payment_id")
        if paid:
            paid.sudo()._collection_follow_payment()
        return res

    def _collection_follow_payment(self):
        """The customer paid invoices of their collection cases online (the payment is
        posted and matched with them): the promises and plans now paid in full end at
        once, the cases are brought in line with accounting (one with nothing overdue
        closes in this same transaction) and each payment is logged on its case as an
        inbound contact, with a to-do for the officer."""
        ledger = self.env["collection.ledger"]
        found = ledger._find_cases(self.invoice_ids.partner_id, self.invoice_ids.company_id)
        paid_on = {}  # {(transaction, case): invoices}
        for tx in self:
            for invoice in tx.invoice_ids:
                case = found.get(ledger._case_key(invoice.partner_id, invoice.company_id))
                if case:
                    paid_on.setdefault((tx, case), invoice.browse())
                    paid_on[tx, case] |= invoice
        if not paid_on:
            return
        cases = self.env["collection.case"].union(*(case for _tx, case in paid_on))
        self._collection_end_paid_commitments(cases)
        cases._refresh_from_accounting(companies=cases.company_id, partners=cases.partner_id)
        for (tx, case), invoices in paid_on.items():
            case._portal_log(
                self.env._(
                    "The customer paid %(amount)s online (%(reference)s) on %(invoices)s.",
                    amount=tx.currency_id.format(tx.amount),
                    reference=tx.reference,
                    invoices=", ".join(invoices.mapped("name")),
                ),
                "paid",
            )

    def _collection_end_paid_commitments(self, cases):
        """Judge now the open promises and active plans of ``cases`` that are paid in
        full: kept and completed today rather than at the next morning's judging."""
        promises = self.env["collection.promise"].search(
            [("case_id", "in", cases.ids), ("state", "=", "open")]
        )
        promises.invalidate_recordset(["amount_received"])
        kept = promises.filtered(
            lambda p: p.currency_id.compare_amounts(p.amount_received, p.amount) >= 0
        )
        plans = self.env["collection.plan"].search(
            [("case_id", "in", cases.ids), ("state", "=", "active")]
        )
        plans._invalidate_allocation()
        completed = plans.filtered(
            lambda p: p.currency_id.compare_amounts(p.amount_received, p.amount_total) >= 0
        )
        for company, company_kept in kept.grouped("company_id").items():
            company_kept._judge_day(company._collection_today())
        for company, company_completed in completed.grouped("company_id").items():
            company_completed._judge_day(company._collection_today())
