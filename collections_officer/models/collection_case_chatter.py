from collections import defaultdict
from textwrap import shorten

from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

# Put in the context by code that ran the compliance guard itself before posting (the
# follow-up run). An object, not a flag: a client's context (JSON) cannot carry it.
GUARD_PASSED = object()


class SentAs(str):
    """What a message to the customer is (a contact outcome, such as the letter before
    action), said by the code that sends it, under the ``collection_sent_as`` context key:
    the message is logged in the contact log with it. A client's context (JSON) carries
    plain strings, never this type: what a person posts is logged as a message sent."""


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions.
class CollectionCase(models.Model):
    """The chatter of a case is a way to contact the customer: it passes the compliance guard."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def message_post(self, **kwargs):
        contact = self._check_customer_message(kwargs)
        message = super().message_post(**kwargs)
        if contact:
            self._log_customer_message(message, kwargs, **contact)
        return message

    def _message_receive_bounce(self, email, partner):
        """An e-mail of the case came back undelivered: the officer learns it on the case,
        where the follow-up it carried is recorded as sent."""
        res = super()._message_receive_bounce(email, partner)
        self._log_notes(
            {
                case.id: Markup("<p>%s</p>")
                % self.env._(
                    "The e-mail to %(email)s bounced: it did not reach %(customer)s. Check the "
                    "address before the next follow-up.",
                    email=email or (partner and partner.email) or self.env._("the customer"),
                    customer=case.partner_id.display_name,
                )
                for case in self
            }
        )
        return res

    def _check_customer_message(self, post_values):
        """Refuse a message to the customer that the compliance guard would block.

        A comment (e-mail) reaching someone outside the company's users, or an SMS,
        is a contact; internal notes to colleagues always pass. A collections manager
        may send it anyway with a reason in the ``collection_override_reason``
        context key: the override is logged on the case.

        Returns what to log of the contact once the message is posted (its channel
        and the override), or None for a message that contacts nobody, or whose
        sender logs the contact itself (the follow-up run, the statement).
        """
        if self.env.context.get("collection_guard_passed") is GUARD_PASSED:
            return None
        message_type = post_values.get("message_type", "notification")
        if message_type == "sms":
            channel = "sms"
        elif message_type == "comment" and self._external_recipients(post_values):
            channel = "email"
        else:
            return None
        override = self.env.context.get("collection_override_reason")
        compliance = self.env["collection.compliance"]
        if override:
            compliance._check_override(override)
        # Anyone who may post on the case is guarded, whether or not they may read the
        # customer's collection flags.
        verdicts = compliance.sudo()._check_contacts(
            self.sudo(), channel, **({"override_reason": override} if override else {})
        )
        for case in self:
            verdict = verdicts[case.id]
            if verdict["verdict"] != "allowed":
                if compliance._is_collections_manager(self.env.user):
                    advice = self.env._(
                        "Write an internal note instead, or send it with the reason for "
                        "overriding the guard."
                    )
                else:
                    advice = self.env._(
                        "Write an internal note instead, or ask a collections manager."
                    )
                raise UserError(
                    self.env._(
                        "This message would contact %(customer)s, which the compliance guard "
                        "does not allow: %(reason)s %(advice)s",
                        customer=case.partner_id.display_name,
                        reason=verdict["reason"],
                        advice=advice,
                    )
                )
            if override:
                case._message_log(
                    body=Markup("%s")
                    % self.env._(
                        "Message to the customer: %(reason)s", reason=verdict["reason"] or ""
                    )
                )
        # A message is posted on one case (``message_post`` ensures it).
        return {
            "channel": channel,
            "override": (override and verdicts[self[:1].id]["reason"]) or False,
        }

    def _log_customer_message(self, message, post_values, channel, override=False):
        """Log a message posted to the customer in the contact log, under its sender.

        What the message was comes from the code that sent it (``SentAs``), else it
        is a message sent from the chatter.
        """
        self.ensure_one()
        sent_as = self.env.context.get("collection_sent_as")
        customer = self.partner_id.commercial_partner_id
        reached = self._external_recipients(post_values).filtered(
            lambda partner: partner.commercial_partner_id == customer
        )
        subject = post_values.get("subject")
        note = subject or html2plaintext(post_values.get("body") or "")
        self.env["collection.contact"]._log_sent(
            [
                {
                    "case_id": self.id,
                    "partner_id": reached[:1].id,
                    "channel": channel,
                    "outcome": str(sent_as) if isinstance(sent_as, SentAs) else "message_sent",
                    "note": Markup("<p>%s</p>") % shorten(note, 300, placeholder="…"),
                    "message_id": message.id,
                    "compliance_override": override,
                }
            ]
        )

    def _external_recipients(self, post_values):
        """Partners outside the company's users whom the message would reach."""
        partners = self.env["res.partner"].sudo().browse(post_values.get("partner_ids") or [])
        subtype = (
            self.env.ref(post_values["subtype_xmlid"], raise_if_not_found=False)
            if post_values.get("subtype_xmlid")
            else self.env["mail.message.subtype"].browse(post_values.get("subtype_id"))
        )
        if subtype and not subtype.sudo().internal:
            # A public message also reaches the followers.
            partners |= self.sudo().message_partner_ids
        return partners.filtered(lambda p: not any(not user.share for user in p.user_ids))

    def _log_notes(self, bodies):
        """Log an internal note on many cases at once: ``bodies`` is ``{case_id: body}``.

        Odoo's ``_message_log_batch`` builds every message through the ORM: a third
        of the first refresh when 2,000 cases open at once. Here one note per
        distinct body goes through ``_message_log_batch`` and the database copies
        it, every column but the case, to the other cases with the same body in one
        INSERT: the same notes (author, subtype, date, ...). Notes only: no
        recipients, no attachments, no notification.
        """
        if not bodies:
            return
        case_ids_by_body = defaultdict(list)
        for case_id, body in bodies.items():
            case_ids_by_body[body].append(case_id)
        firsts = {case_ids[0]: body for body, case_ids in case_ids_by_body.items()}
        notes = self.browse(list(firsts))._message_log_batch(bodies=firsts)
        note_ids = {note.res_id: note.id for note in notes}
        copies = [
            (note_ids[case_ids[0]], case_id)
            for case_ids in case_ids_by_body.values()
            for case_id in case_ids[1:]
        ]
        if not copies:
            return
        messages = self.env["mail.message"]
        columns = SQL(", ").join(
            SQL.identifier(name)
            for name, field in messages._fields.items()
            if field.store and field.column_type and name not in ("id", "res_id")
        )
        messages.flush_model()
        self.env.execute_query(
            SQL(
                """INSERT INTO mail_message (res_id, %(columns)s)
                   SELECT copy.case_id, %(columns)s
                     FROM unnest(%(note_ids)s::int[], %(case_ids)s::int[]) AS copy(note_id, case_id)
                     JOIN mail_message ON mail_message.id = copy.note_id""",
                columns=columns,
                note_ids=[note_id for note_id, _case_id in copies],
                case_ids=[case_id for _note_id, case_id in copies],
            )
        )
        self.browse([case_id for _note_id, case_id in copies]).invalidate_recordset(["message_ids"])
