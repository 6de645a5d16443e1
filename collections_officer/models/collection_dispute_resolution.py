from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

from .collection_case_chatter import SentAs


class CollectionDispute(models.Model):
    """The resolution of a dispute: accepted with a draft credit note, rejected with the
    customer told why, withdrawn, or closed because the invoice was paid."""

    _inherit = "collection.dispute"  # pylint: disable=consider-merging-classes-inherited

    # --------------------------------------------------------------- actions

    def action_accept(self, amount=None, note=None):
        """The customer is right: a draft credit note for the accepted amount.

        ``amount`` (default: the whole disputed amount) below the disputed amount
        accepts the dispute in part; the rest is chased again. The credit note is
        prepared through Odoo's own reversal and left in draft for an accountant.
        """
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can accept a dispute.")
        )
        for dispute in self:
            dispute._check_open()
            accepted = dispute.amount if amount is None else amount
            currency = dispute.currency_id
            if currency.compare_amounts(accepted, 0) <= 0 or (
                currency.compare_amounts(accepted, dispute.amount) > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The accepted amount must be positive and at most the disputed %(amount)s.",
                        amount=currency.format(dispute.amount),
                    )
                )
            credit_note = dispute._prepare_credit_note(accepted)
            partly = currency.compare_amounts(accepted, dispute.amount) < 0
            dispute.sudo().write(
                {
                    "state": "partly_accepted" if partly else "accepted",
                    "accepted_amount": accepted,
                    "credit_note_id": credit_note.id,
                    "resolved_date": dispute.company_id._collection_today(),
                    "resolution_note": note or dispute.resolution_note,
                }
            )
            dispute._close_activities()
            dispute.case_id._message_log(
                body=self.env._(
                    "Dispute %(dispute)s %(verdict)s by %(user)s: %(accepted)s accepted, "
                    "draft credit note %(credit_note)s for an accountant to post.%(note)s",
                    dispute=dispute.move_id.name,
                    verdict=self.env._("partly accepted") if partly else self.env._("accepted"),
                    user=self.env.user.name,
                    accepted=currency.format(accepted),
                    credit_note=credit_note.display_name,
                    note=f" {note}" if note else "",
                )
            )
        self._refresh_cases()
        return True

    def action_reject(self, note=None, override_reason=None):
        """The customer is wrong: chasing resumes and the customer is told why.

        The e-mail passes the compliance guard (a case on hold, a customer not to
        contact, ...); a collections manager may send it anyway with
        ``override_reason``, logged on the case and with the contact.
        """
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can reject a dispute.")
        )
        for dispute in self:
            dispute._check_open()
            note = note or dispute.resolution_note
            if not (note or "").strip():
                raise UserError(
                    self.env._("Say why the dispute is rejected: the customer is told.")
                )
            # The customer is told first: a message the guard refuses leaves it open.
            verdict = dispute._guard_verdict()
            override = False
            if verdict["verdict"] != "allowed":
                override = (override_reason or "").strip()
                if not override:
                    raise UserError(dispute._guard_refusal(verdict))
            dispute.sudo().resolution_note = note
            dispute._send_to_customer(
                "collections_officer.mail_template_collection_dispute_rejected",
                "dispute_rejected",
                override_reason=override,
            )
            dispute.sudo().write(
                {"state": "rejected", "resolved_date": dispute.company_id._collection_today()}
            )
            dispute._close_activities()
            dispute.case_id._message_log(
                body=self.env._(
                    "Dispute %(dispute)s rejected by %(user)s: %(note)s The invoice is "
                    "chased again.",
                    dispute=dispute.move_id.name,
                    user=self.env.user.name,
                    note=note,
                )
            )
        self._refresh_cases()
        return True

    def action_withdraw(self):
        """The customer drops the dispute: the invoice is chased again."""
        self.check_access("write")
        for dispute in self:
            dispute._check_open()
        for company, disputes in self.sudo().grouped("company_id").items():
            disputes.write({"state": "withdrawn", "resolved_date": company._collection_today()})
        self._close_activities()
        self.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute %(dispute)s withdrawn by the customer: the invoice is chased again.",
                    dispute=dispute.move_id.name,
                )
                for dispute in self
            }
        )
        self._refresh_cases()
        return True

    def action_request_remittance(self):
        """Ask the customer who says they paid for their remittance advice."""
        self.check_access("write")
        for dispute in self:
            dispute._check_open()
            dispute._send_to_customer(
                "collections_officer.mail_template_collection_dispute_remittance",
                "remittance_requested",
            )
        return True

    def action_view_credit_note(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.credit_note_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------- business methods

    def _check_open(self):
        if self.state != "open":
            raise UserError(
                self.env._("Dispute %(dispute)s is already resolved.", dispute=self.display_name)
            )

    def _prepare_credit_note(self, accepted):
        """A draft reversal of the invoice for ``accepted`` (in the invoice's currency).

        Odoo's own reversal copies the invoice; for less than its total, its
        lines are scaled down to the accepted amount.
        """
        self.ensure_one()
        move = self.move_id.sudo()
        credit_note = move._reverse_moves(
            [
                {
                    "ref": self.env._(
                        "Dispute of %(invoice)s: %(reason)s",
                        invoice=move.name,
                        reason=dict(self._fields["reason"]._description_selection(self.env))[
                            self.reason
                        ],
                    ),
                    "invoice_date": self.company_id._collection_today(),
                    "date": self.company_id._collection_today(),
                }
            ],
            cancel=False,
        )
        if move.currency_id.compare_amounts(accepted, credit_note.amount_total) != 0:
            ratio = accepted / credit_note.amount_total
            products = credit_note.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            )
            for line in products:
                line.price_unit = line.price_unit * ratio
        return credit_note

    def _send_to_customer(self, template_xmlid, sent_as, override_reason=None):
        """A message to the customer from a template, posted on the case through the
        compliance guard, like every other customer message, and logged in the contact
        log as ``sent_as`` (a contact outcome).

        What the guard stops, a collections manager sends with ``override_reason``:
        the chatter's own override (``collection_override_reason``) checks and logs it.
        """
        self.ensure_one()
        template = self.env.ref(template_xmlid).sudo()
        case = self.case_id
        recipient = case.followup_partner_id or case.partner_id
        if not recipient.email:
            raise UserError(
                self.env._(
                    "%(partner)s has no email address: the message cannot be sent.",
                    partner=recipient.display_name,
                )
            )
        subject = template._render_field("subject", self.ids)[self.id]
        body = template._render_field("body_html", self.ids)[self.id]
        case.with_context(
            mail_notify_force_send=False,
            collection_sent_as=SentAs(sent_as),
            collection_override_reason=override_reason or False,
        ).message_post(
            body=body,
            subject=subject,
            partner_ids=recipient.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _guard_verdict(self):
        """What the compliance guard says now of e-mailing this dispute's customer on its
        case: the verdict of ``collection.compliance._check_contacts``."""
        self.ensure_one()
        case = self.case_id.sudo()
        return self.env["collection.compliance"].sudo()._check_contacts(case, "email")[case.id]

    def _guard_refusal(self, verdict):
        """Why the guard stops the e-mail, and what the user can do about it."""
        self.ensure_one()
        return self.env["collection.compliance"]._email_refusal(self.case_id, verdict)

    @api.model
    def _close_settled(self, companies=None, partners=None):
        """Close the open disputes of invoices paid (reconciled) in the meantime.

        Nothing is left to dispute: they end as withdrawn, with a note saying the
        invoice was paid (for an 'already paid' dispute: the payment was found).
        """
        domain = Domain(
            [
                ("state", "=", "open"),
                ("move_id.payment_state", "in", ("paid", "reversed")),
            ]
        )
        if companies:
            domain &= Domain("company_id", "in", companies.ids)
        if partners:
            domain &= Domain("partner_id", "in", partners.commercial_partner_id.ids)
        settled = self.sudo().search(domain)
        if not settled:
            return settled
        for company, disputes in settled.grouped("company_id").items():
            disputes.write(
                {
                    "state": "withdrawn",
                    "resolved_date": company._collection_today(),
                    "resolution_note": self.env._("The invoice was paid: nothing left to dispute."),
                }
            )
        settled._close_activities()
        settled.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute %(dispute)s closed: the invoice is paid.",
                    dispute=dispute.move_id.name,
                )
                for dispute in settled
            }
        )
        return settled
