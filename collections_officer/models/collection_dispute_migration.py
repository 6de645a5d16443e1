from odoo import api, models
from odoo.fields import Domain


class CollectionDispute(models.Model):
    """The upgrade from whole-case dispute holds: each becomes one dispute per overdue
    invoice of the case."""

    _inherit = "collection.dispute"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _migrate_dispute_holds(self):
        """Turn the whole-case holds of the former "disputed" contact outcome into disputes.

        Those holds did not say which invoice was contested: each open overdue
        invoice of the case gets a dispute of its whole residual, reason
        'other', described by the old hold reason. The case is back in
        follow-up, where only what is not disputed is chased; the officer
        withdraws the disputes that were too broad and records narrower ones.

        The reason was ``"Disputed: %(note)s"`` in the officer's language, cut at
        200 characters, the note being the contact's note as text, else its name.
        It is recognised in any language: by the message as an installed language
        translates it, or by the note of one of the case's "disputed" contacts it
        quotes after (or before) a short translated label.
        """
        # Local: the code translations of a message the add-on no longer shows.
        from odoo.tools.translate import code_translations

        held = (
            self.env["collection.case"]
            .sudo()
            .with_context(active_test=False)
            .search([("state", "=", "hold"), ("hold_reason", "!=", False)])
        )
        source = "Disputed: %(note)s"
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        labels = {tuple(source.split("%(note)s"))}
        for lang in langs:
            translated = code_translations.get_python_translations("collections_officer", lang).get(
                source
            )
            if translated and translated.count("%(note)s") == 1:
                labels.add(tuple(translated.split("%(note)s")))
        quoted = {}
        contacts = (
            self.env["collection.contact"]
            .sudo()
            .with_context(active_test=False)
            .search([("case_id", "in", held.ids), ("outcome", "=", "disputed")])
        )
        for contact in contacts:
            texts = quoted.setdefault(contact.case_id.id, set())
            if contact.note and contact.note.striptags():
                texts.add(contact.note.striptags())
            else:
                texts.update(contact.with_context(lang=lang).display_name for lang in langs)

        def squeeze(text):
            return " ".join(text.split())

        def quotes(reason, text):
            text = squeeze(text)
            if not text:
                return False
            if text in reason:
                return len(reason) - len(text) <= 60
            # Cut at 200 characters: the reason ends with the start of the note.
            return len(reason) >= 199 and any(
                len(reason) - start >= 20 and text.startswith(reason[start:])
                for start in range(1, 61)
            )

        def is_dispute_hold(case):
            reason = squeeze(case.hold_reason)
            if any(
                (before.strip() or after.strip())
                and reason.startswith(squeeze(before))
                and reason.endswith(squeeze(after))
                for before, after in labels
            ):
                return True
            return any(quotes(reason, text) for text in quoted.get(case.id, ()))

        cases = held.filtered(is_dispute_hold)
        if not cases:
            return self.browse()
        ledger = self.env["collection.ledger"]
        today = {company: company._collection_today() for company in cases.company_id}
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                ledger._open_items_domain(cases.partner_id, cases.company_id)
                & Domain(
                    [
                        ("amount_residual", ">", 0),
                        ("date_maturity", "!=", False),
                        ("move_id.move_type", "=", "out_invoice"),
                    ]
                )
            )
            # Overdue on the day of the case's company.
            .filtered(
                lambda line: line.date_maturity < today[ledger._case_company(line.company_id)]
            )
        )
        moves_by_key = {}
        for move in lines.move_id:
            key = (move.commercial_partner_id.id, ledger._case_company(move.company_id).id)
            moves_by_key.setdefault(key, self.env["account.move"])
            moves_by_key[key] |= move
        vals_list = []
        for case in cases:
            for move in moves_by_key.get((case.partner_id.id, case.company_id.id), []):
                vals_list.append(
                    {
                        "case_id": case.id,
                        "move_id": move.id,
                        "amount": move.amount_residual,
                        "reason": "other",
                        "description": case.hold_reason,
                        "owner_id": (case.user_id or case.team_id.manager_id or self.env.user).id,
                    }
                )
        cases.write({"state": "open", "hold_reason": False})
        cases._message_log_batch(
            bodies=dict.fromkeys(
                cases.ids,
                self.env._(
                    "The dispute hold became one dispute per overdue invoice: the rest of "
                    "the debt is followed up again."
                ),
            )
        )
        return self.sudo().create(vals_list)
