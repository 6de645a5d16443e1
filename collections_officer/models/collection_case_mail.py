import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, format_datetime
from odoo.tools.mail import decode_message_header

from .collection_case_chatter import GUARD_PASSED

# Written by the mail gateway (a reply, a bounce) and Mark Reply Read only: an officer who
# cleared them by hand would let the next level go out over an unread reply.
MAIL_FIELDS = frozenset({"reply_activity_id", "reply_pending", "reply_date", "email_bounced"})
# "Precedence" values that mark mail sent by a machine (RFC 3834 and the mailing lists).
AUTOMATIC_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
# Headers whose mere presence marks an automatic reply (Exchange, older vacation programs).
AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
# Subjects of the out-of-office replies that set none of the headers above.
AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd|tr|wg)\s*:\s*)*"
    r"(?:out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto[-\s]?reply|autoreply"
    r"|abwesenheitsnotiz|absence|r[ée]ponse\s+automatique)",
    re.IGNORECASE,
)


class InboundMail(str):
    """What the mail gateway read in the headers of an e-mail replying on a case: empty for
    a person's reply, else why it is an automatic one. Given in the
    ``collection_inbound_mail`` context key: a type of its own, so that a client's context
    (JSON) cannot pass a message off as a customer's reply."""


def automatic_reply_reason(message, subject):
    """Why the e-mail ``message`` (an ``EmailMessage``) is a machine's answer, or ``""``.

    Read from the headers auto-responders set (RFC 3834 ``Auto-Submitted``, the de facto
    ``X-Autoreply``, ``X-Autorespond``, ``Precedence`` and Exchange's
    ``X-Auto-Response-Suppress``), then from the subject of the out-of-office replies
    that set none.
    """
    submitted = (decode_message_header(message, "Auto-Submitted") or "").split(";")[0]
    if submitted.strip() and submitted.strip().lower() != "no":
        return f"Auto-Submitted: {submitted.strip()}"
    for header in AUTOMATIC_HEADERS:
        if message.get(header) is not None:
            return f"{header}: {decode_message_header(message, header).strip()}".strip(": ")
    precedence = (decode_message_header(message, "Precedence") or "").strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if subject and AUTOMATIC_SUBJECT.match(subject):
        return subject.strip()
    return ""


class MailThread(models.AbstractModel):
    """The headers of an incoming e-mail are read here, before its thread is known: Odoo
    parses them on ``mail.thread`` and gives the thread only what ``message_parse``
    kept, which leaves the auto-responders' headers out. Only the e-mails routed to a
    collection case are looked at."""

    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        if any(route[0] == "collection.case" and route[1] for route in routes or ()):
            verdict = InboundMail(automatic_reply_reason(message, message_dict.get("subject")))
            return super(
                MailThread, self.with_context(collection_inbound_mail=verdict)
            )._message_route_process(message, message_dict, routes)
        return super()._message_route_process(message, message_dict, routes)


# collection.case is split by job on purpose: what the customer's e-mail system tells the desk.
class CollectionCase(models.Model):
    """The customer's answers by e-mail: a reply holds the next level until the officer has
    read it; an address that bounces gets the next e-mail level as a letter."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    reply_activity_id = fields.Many2one(
        "mail.activity",
        string="Reply To-Do",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The officer's to-do for the customer's last reply by e-mail.",
    )
    reply_pending = fields.Boolean(
        string="Unread Reply",
        compute="_compute_reply_pending",
        store=True,
        copy=False,
        help="The customer replied by e-mail and the officer has not read it yet: the next "
        "follow-up level waits. Mark Reply Read (or the reply's to-do marked done) lets it go.",
    )
    reply_date = fields.Datetime(
        string="Replied On",
        readonly=True,
        copy=False,
        help="When the customer last replied to an e-mail of the case.",
    )
    email_bounced = fields.Char(
        string="Bounced Address",
        readonly=True,
        copy=False,
        help="The address an e-mail of the case last bounced from.",
    )
    email_failing = fields.Boolean(
        string="E-mail Address Failing",
        compute="_compute_email_failing",
        help="The collections address of the customer bounces or is blacklisted: the next "
        "e-mail level goes as a letter (or an SMS) until the address is corrected.",
    )
    email_failing_note = fields.Char(compute="_compute_email_failing")

    @api.depends("reply_activity_id.active")
    def _compute_reply_pending(self):
        for case in self:
            case.reply_pending = bool(case.reply_activity_id.active)

    @api.depends(
        "email_bounced",
        "partner_id.email",
        "partner_id.message_bounce",
        "partner_id.collection_contact_id.email",
        "partner_id.collection_contact_id.message_bounce",
    )
    def _compute_email_failing(self):
        saved = self.filtered("id")
        failing = saved.sudo()._get_failing_addresses()
        for case in self:
            partner = failing.get(case.id)
            case.email_failing = bool(partner)
            case.email_failing_note = partner and self.env._(
                "E-mails to %(email)s do not arrive (%(why)s): the next e-mail level goes as a "
                "letter, or an SMS when the level has one, until the address is corrected.",
                email=partner.email,
                why=self.env._("blacklisted")
                if partner.is_blacklisted
                else self.env._("bounced %(count)s times", count=partner.message_bounce),
            )

    # ------------------------------------------------------------------ CRUD

    def write(self, vals):
        if MAIL_FIELDS & set(vals) and not self.env.su:
            raise UserError(
                self.env._(
                    "The customer's replies and bounced e-mails are recorded by the mail "
                    "server: use Mark Reply Read once you have read the reply."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------ actions

    def action_mark_reply_read(self):
        """The officer read the customer's reply: its to-do is done and the levels go on."""
        self.check_access("write")
        for case in self.filtered("reply_pending"):
            activity = case.reply_activity_id.sudo()
            if activity.active:
                # Under the officer's name: the chatter says who read it.
                activity._action_done(feedback=self.env._("Reply read."))
        self.sudo().write({"reply_activity_id": False})
        return True

    # ------------------------------------------------------------------ business

    def _get_reply_blockers(self):
        """Cases whose customer's reply the officer has not read: ``{case_id: reason}``."""
        return {
            case.id: self.env._(
                "The customer replied on %(date)s: the next follow-up level waits until the "
                "officer has read the reply (Mark Reply Read).",
                date=format_datetime(self.env, case.reply_date),
            )
            for case in self
            if case.reply_pending
        }

    def _get_failing_addresses(self, recipients=None):
        """Cases whose e-mail recipient's address fails: ``{case_id: partner}``.

        Failing: blacklisted, or it bounced an e-mail of the case and Odoo still counts
        its bounces (the count is reset when an e-mail comes from the address). Once
        the address is changed, it is a new address: e-mails go again.
        """
        recipients = recipients or self._get_followup_recipients()
        failing = {}
        for case in self:
            partner = recipients[case.id]["email"]
            if not partner.email_normalized:
                continue
            if partner.is_blacklisted or (
                partner.message_bounce > 0 and partner.email_normalized == case.email_bounced
            ):
                failing[case.id] = partner
        return failing

    def _get_email_fallbacks(self, levels, recipients=None):
        """How the e-mail of each case's level goes when it cannot be e-mailed:
        ``{case_id: (action, note)}``, ``action`` being ``letter`` or ``sms``.

        ``levels`` is ``{case_id: level}``; a level without e-mail is left out. The
        customer who asked for paper gets a letter; an address that fails gets an SMS
        when the level has an SMS text and the customer a phone for it, else a letter.
        """
        levels = {case_id: level for case_id, level in levels.items() if level.send_email}
        if not levels:
            return {}
        cases = self.browse(list(levels)).sudo()
        recipients = recipients or cases._get_followup_recipients()
        failing = cases._get_failing_addresses(recipients)
        fallbacks = {}
        for case in cases:
            level = levels[case.id]
            if case.partner_id.collection_channel_preference == "letter":
                reason = self.env._("the customer asked for paper")
                action = "letter"
            elif case.id in failing:
                reason = self.env._("e-mail address failing")
                sms = level.sms_template_id and recipients[case.id]["sms"].phone
                action = "sms" if sms and not level.print_letter else "letter"
            else:
                continue
            note = (
                self.env._("%(reason)s: sent as a letter", reason=reason)
                if action == "letter"
                else self.env._("%(reason)s: sent by SMS", reason=reason)
            )
            fallbacks[case.id] = (action, note)
        return fallbacks

    def _message_receive_bounce(self, email, partner):
        """Remember the address that bounced: the case's e-mails go another way until the
        address is changed (see ``_get_failing_addresses``)."""
        res = super()._message_receive_bounce(email, partner)
        address = email_normalize(email or "") or email_normalize(partner[:1].email or "")
        if address:
            self.sudo().write({"email_bounced": address})
        return res

    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        verdict = self.env.context.get("collection_inbound_mail")
        if isinstance(verdict, InboundMail) and message.message_type == "email":
            self._receive_customer_mail(message, verdict)
        return res

    def _receive_customer_mail(self, message, automatic):
        """An e-mail the gateway routed to the case as a reply to one of its messages.

        A colleague's e-mail is a message like any other. A machine's answer (an
        out-of-office) stays in the chatter with a note saying so. The customer's reply
        is logged as an inbound contact, given to the officer as a to-do, and holds the
        next follow-up level until the officer has read it.
        """
        self.ensure_one()
        author = message.author_id
        if author.user_ids.filtered(lambda user: not user.share):
            return
        case = self.sudo()
        if automatic:
            case._message_log(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Automatic reply (%(why)s): not logged as a contact, the follow-up goes on.",
                    why=automatic,
                )
            )
            return
        subject = message.subject or self.env._("(no subject)")
        customer = case.partner_id.commercial_partner_id
        self.env["collection.contact"].sudo().with_context(
            collection_guard_passed=GUARD_PASSED, collection_contact_skip_chatter=True
        ).create(
            {
                "case_id": case.id,
                "partner_id": author.id if author.commercial_partner_id == customer else False,
                "channel": "email",
                "direction": "inbound",
                "outcome": "replied",
                "date": message.date,
                "note": Markup("<p>%s</p>") % subject,
                "message_id": message.id,
                "user_id": case.user_id.id,
            }
        )
        summary = self.env._("Customer replied: %(subject)s", subject=subject)
        activity = case.reply_activity_id
        if activity.active:
            # One to-do for the replies not read yet: the latest says what to read.
            activity.write(
                {"summary": summary, "date_deadline": case.company_id._collection_today()}
            )
        else:
            officer = case.user_id or case.team_id.manager_id
            activity = case.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=summary,
                note=self.env._(
                    "The next follow-up level waits until the reply is read: mark this "
                    "to-do done, or click Mark Reply Read on the case."
                ),
                **({"user_id": officer.id} if officer else {}),
            )
        case.write({"reply_activity_id": activity.id, "reply_date": message.date})
