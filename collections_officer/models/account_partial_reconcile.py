from collections import defaultdict

from markupsafe import Markup

from odoo import api, models
from odoo.tools.misc import formatLang

# Put in the context by ``account.move._reverse_moves`` (cancelling reversal): the ids of
# the entries being reversed. Their matchings are undone because the money came back (a
# bounced payment), which the case's chatter says in those words.
REVERSED_MOVES = "collection_reversed_move_ids"


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # Created together by one reconciliation: one line per payment on each case.
        partials._log_on_collection_cases(undone=False)
        return partials

    def unlink(self):
        lines = self.debit_move_id | self.credit_move_id
        self._log_on_collection_cases(undone=True)
        res = super().unlink()
        # A payment unmatched (or cancelled) puts the debt back on the case at once.
        lines.exists()._refresh_collection_cases()
        return res

    def _log_on_collection_cases(self, undone):
        """Say on the customers' cases which payments and credit notes these matchings
        apply to their debts (or, ``undone``, no longer apply): one note per payment or
        credit note and case, however many invoices it settles, by the user who matched.

        Matchings of anything else (exchange differences, write-offs, an entry with its
        own reversal) change no case the way money does and are left out.
        """
        partials = self.sudo()
        groups = defaultdict(lambda: {"amount": 0.0, "items": partials.env["account.move"]})
        for partial in partials:
            owed, paid = partial.debit_move_id, partial.credit_move_id
            if (
                owed.account_id.account_type != "asset_receivable"
                or not owed.partner_id
                or not self._collection_settlement_kind(paid.move_id)
                # Money paid back to the customer (a refund) is no debt of theirs.
                or self._collection_settlement_kind(owed.move_id) == "payment"
                or owed.move_id.reversed_entry_id == paid.move_id
            ):
                continue
            group = groups[owed, paid.move_id, partial.credit_currency_id]
            group["amount"] += partial.credit_amount_currency
            group["items"] |= owed.move_id
        if not groups:
            return
        owed_lines = partials.env["account.move.line"].union(*(key[0] for key in groups))
        ledger = partials.env["collection.ledger"]
        found = ledger._find_cases(owed_lines.partner_id, owed_lines.company_id)
        # Per case and settling document: the invoices it touches are listed together.
        per_case = defaultdict(lambda: {"amount": 0.0, "items": partials.env["account.move"]})
        for (owed, paid_move, currency), group in groups.items():
            case = found.get(ledger._case_key(owed.partner_id, owed.company_id))
            # A payment is news on a case being worked; an undone one may reopen a closed case.
            if not case or (case.state == "closed" and not undone):
                continue
            entry = per_case[case, paid_move, currency]
            entry["amount"] += group["amount"]
            entry["items"] |= group["items"]
        reversed_ids = set(self.env.context.get(REVERSED_MOVES) or ())
        notes = defaultdict(list)
        for (case, paid_move, currency), entry in per_case.items():
            notes[case.id].append(
                self._collection_case_note(
                    paid_move,
                    entry["items"],
                    formatLang(self.env, entry["amount"], currency_obj=currency),
                    "reversed" if undone and paid_move.id in reversed_ids else undone,
                )
            )
        cases = partials.env["collection.case"]
        # One note per payment: a case settled by two payments at once gets two.
        while notes:
            cases._log_notes({case_id: bodies.pop(0) for case_id, bodies in notes.items()})
            notes = {case_id: bodies for case_id, bodies in notes.items() if bodies}

    @api.model
    def _collection_settlement_kind(self, move):
        """``"payment"`` or ``"credit_note"`` when ``move`` settles a customer's debt the
        way the case tells, else False."""
        if move.move_type == "out_refund":
            return "credit_note"
        if move.origin_payment_id or move.statement_line_id:
            return "payment"
        return False

    @api.model
    def _collection_case_note(self, paid_move, items, amount, undone):
        """The case's line for ``paid_move`` (a payment or credit note) settling ``items``
        (invoices) for ``amount``, or no longer settling them (``undone``: True, or
        ``"reversed"`` when the payment itself was reversed, as a bounced payment is)."""
        document = (paid_move.origin_payment_id or paid_move)._get_html_link(title=paid_move.name)
        invoices = Markup(", ").join(move._get_html_link(title=move.name) for move in items)
        if self._collection_settlement_kind(paid_move) == "credit_note":
            if undone:
                body = self.env._(
                    "Credit note %(document)s no longer applied to %(invoices)s: %(amount)s is "
                    "due again.",
                    document=document,
                    invoices=invoices,
                    amount=amount,
                )
            else:
                body = self.env._(
                    "Credit note %(document)s of %(amount)s applied to %(invoices)s.",
                    document=document,
                    invoices=invoices,
                    amount=amount,
                )
        elif undone == "reversed":
            body = self.env._(
                "Payment %(document)s reversed (bounced): the %(amount)s it paid on "
                "%(invoices)s is due again.",
                document=document,
                invoices=invoices,
                amount=amount,
            )
        elif undone:
            body = self.env._(
                "Payment %(document)s no longer paid against %(invoices)s: %(amount)s is due "
                "again.",
                document=document,
                invoices=invoices,
                amount=amount,
            )
        else:
            body = self.env._(
                "Payment of %(amount)s received on %(invoices)s (%(document)s).",
                document=document,
                invoices=invoices,
                amount=amount,
            )
        return Markup("<p>%s</p>") % body
