from collections import defaultdict

from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Put in the context by code that ran the compliance guard itself before posting (the
# follow-up run). An object, not a flag: a client's context (JSON) cannot carry it.
GUARD_PASSED = object()


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions.
class CollectionCase(models.Model):
    """The chatter of a case is a way to contact the customer: it passes the compliance guard."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def message_post(self, **kwargs):
        self._check_customer_message(kwargs)
        return super().message_post(**kwargs)

    def _check_customer_message(self, post_values):
        """Refuse a message to the customer that the compliance guard would block.

        A comment (e-mail) reaching someone outside the company's users, or an SMS,
        is a contact; internal notes to colleagues always pass. A collections manager
        may send it anyway with a reason in the ``collection_override_reason``
        context key: the override is logged on the case.
        """
        if self.env.context.get("collection_guard_passed") is GUARD_PASSED:
            return
        message_type = post_values.get("message_type", "notification")
        if message_type == "sms":
            channel = "sms"
        elif message_type == "comment" and self._external_recipients(post_values):
            channel = "email"
        else:
            return
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
                raise UserError(
                    self.env._(
                        "This message would contact %(customer)s, which the compliance guard "
                        "does not allow: %(reason)s Write an internal note instead, or ask a "
                        "collections manager.",
                        customer=case.partner_id.display_name,
                        reason=verdict["reason"],
                    )
                )
            if override:
                case._message_log(
                    body=Markup("%s")
                    % self.env._(
                        "Message to the customer: %(reason)s", reason=verdict["reason"] or ""
                    )
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
        it, every column but the case, to the other cases in one INSERT: the same
        notes (author, subtype, date, ...). Notes only: no recipients, no
        attachments, no notification.
        """
        messages = self.env["mail.message"]
        columns = SQL(", ").join(
            SQL.identifier(name)
            for name, field in messages._fields.items()
            if field.store and field.column_type and name not in ("id", "res_id")
        )
        case_ids_by_body = defaultdict(list)
        for case_id, body in bodies.items():
            case_ids_by_body[body].append(case_id)
        for body, case_ids in case_ids_by_body.items():
            first, others = case_ids[0], case_ids[1:]
            note = self.browse(first)._message_log_batch(bodies={first: body})
            if not others:
                continue
            messages.flush_model()
            self.env.execute_query(
                SQL(
                    """INSERT INTO mail_message (res_id, %(columns)s)
                       SELECT case_id, %(columns)s
                         FROM mail_message, unnest(%(case_ids)s::int[]) AS case_id
                        WHERE mail_message.id = %(note_id)s""",
                    columns=columns,
                    case_ids=others,
                    note_id=note.id,
                )
            )
            self.browse(others).invalidate_recordset(["message_ids"])
