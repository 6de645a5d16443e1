from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from .collection_case_chatter import GUARD_PASSED


# collection.case is split by job on purpose: the e-mails an officer writes from the case.
class CollectionCase(models.Model):
    """E-mails an officer reads, edits and sends from a case: a follow-up level, a statement."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def _check_overdue_as_composed(self, amounts):
        """Refuse to send what was written on figures accounting no longer has.

        ``amounts`` is ``{case_id: overdue amount the officer saw}``, checked
        against the cases' figures (read again from accounting by the caller).
        """
        for case in self:
            seen = amounts.get(case.id)
            if seen is None or not case.currency_id.compare_amounts(case.overdue_amount, seen):
                continue
            raise UserError(
                self.env._(
                    "The overdue amount of %(case)s changed since the e-mail was written "
                    "(%(before)s, now %(after)s): nothing was sent. Close this window and open "
                    "it again to send the e-mail and the statement with the new figures.",
                    case=case.display_name,
                    before=format_amount(self.env, seen, case.currency_id),
                    after=format_amount(self.env, case.overdue_amount, case.currency_id),
                )
            )

    def _adopt_attachments(self, attachments):
        """The files of an e-mail composed on this case, the new ones (the statement printed
        for it, files the officer added) now kept with the case, as evidence of what was sent."""
        self.ensure_one()
        attachments.filtered(lambda a: not a.res_id).sudo().write(
            {"res_model": self._name, "res_id": self.id}
        )
        return attachments

    def _send_statement(self, subject, body, attachments, overdue_amount, override_reason=None):
        """E-mail the customer its statement, as the officer wrote it.

        Read again from accounting first (the amount the officer saw must still
        be the overdue amount), through the compliance guard (a collections
        manager may override it with a reason), logged as a contact and in the
        chatter. Neither a follow-up nor a level: the follow-up goes on as before.
        """
        self.ensure_one()
        self.check_access("write")
        self.sudo().company_id._collection_check_manual_send()
        compliance = self.env["collection.compliance"]
        if override_reason:
            compliance._check_override(override_reason)
        if not (subject or "").strip():
            raise UserError(self.env._("Give the e-mail a subject."))
        self._refresh_from_accounting(companies=self.company_id, partners=self.partner_id)
        if self.state == "closed":
            raise UserError(
                self.env._("%(case)s is closed: nothing is overdue.", case=self.display_name)
            )
        self._check_overdue_as_composed({self.id: overdue_amount})
        recipients = self._get_followup_recipients()
        recipient = recipients[self.id]["email"]
        if not recipient.email:
            raise UserError(
                self.env._("%(partner)s has no e-mail address.", partner=recipient.display_name)
            )
        # The guard reads the customer's flags, whoever sends.
        verdict = compliance.sudo()._check_contacts(
            self.sudo(),
            "email",
            recipients=recipients,
            **({"override_reason": override_reason} if override_reason else {}),
        )[self.id]
        if verdict["verdict"] != "allowed":
            raise UserError(
                self.env._(
                    "The statement cannot be e-mailed to %(customer)s now: %(reason)s",
                    customer=self.partner_id.display_name,
                    reason=verdict["reason"] or "",
                )
            )
        # The composed text links to the customer's page: it works from now on.
        self._portal_grant_link()
        guarded = self.with_context(collection_guard_passed=GUARD_PASSED)
        message = guarded.message_post(
            subject=subject,
            body=body,
            partner_ids=recipient.ids,
            attachment_ids=self._adopt_attachments(attachments).ids,
            message_type="comment",
            subtype_id=self.env.ref("collections_officer.mt_collection_followup_sent").id,
            email_layout_xmlid="mail.mail_notification_light",
        )
        self.env["collection.contact"]._log_sent(
            [
                {
                    "case_id": self.id,
                    "partner_id": recipient.id,
                    "channel": "email",
                    "outcome": "statement_sent",
                    "note": Markup("<p>%s</p>")
                    % self.env._("Statement sent: %(subject)s", subject=subject),
                    "message_id": message.id,
                    # What the guard said, when a manager overrode it.
                    "blocked_reason": verdict["reason"] or False,
                    "compliance_override": override_reason or False,
                }
            ]
        )
        if override_reason:
            self._message_log(
                body=Markup("%s")
                % self.env._(
                    "Statement sent by %(user)s by a manager's decision: %(reason)s",
                    user=self.env.user.name,
                    reason=override_reason,
                )
            )
        return True
