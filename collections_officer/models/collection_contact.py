from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_datetime
from odoo.tools.misc import clean_context

from .collection_case_chatter import GUARD_PASSED

# Channels the compliance guard watches for contacts a person makes.
GUARDED_CHANNELS = ("phone", "sms", "visit", "email")
# What the engine records with a contact, never a person: the follow-up that made it, the
# message it sent and the guard's verdict on it.
ENGINE_FIELDS = ("followup_id", "message_id", "compliance_breach", "compliance_override")
# What the desk sends a customer, each logged when sent (see ``_log_sent``).
SENT_OUTCOMES = (
    "sent",
    "statement_sent",
    "letter_before_action",
    "plan_proposed",
    "dispute_rejected",
    "remittance_requested",
    "message_sent",
)
# Outcomes only the engine records: what the desk sent, what the guard stopped.
ENGINE_OUTCOMES = (*SENT_OUTCOMES, "blocked")


class CollectionContact(models.Model):
    _name = "collection.contact"
    _description = "Collection Contact"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Contact Person", help="Who was contacted at the customer."
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel = fields.Selection(
        [
            ("phone", "Phone"),
            ("email", "Email"),
            ("letter", "Letter"),
            ("sms", "SMS"),
            ("visit", "Visit"),
            ("portal", "Portal"),
        ],
        required=True,
    )
    direction = fields.Selection(
        [("outbound", "Outbound"), ("inbound", "Inbound")], required=True, default="outbound"
    )
    outcome = fields.Selection(
        [
            ("no_answer", "No Answer"),
            ("left_message", "Left Message"),
            ("spoke", "Spoke"),
            ("promised", "Promised to Pay"),
            ("refused", "Refused"),
            ("disputed", "Disputed"),
            ("wrong_number", "Wrong Number"),
            ("paid", "Says Paid"),
            ("sent", "Sent"),
            ("blocked", "Blocked by Compliance"),
            ("statement_sent", "Statement Sent"),
            ("letter_before_action", "Letter Before Action Sent"),
            ("plan_proposed", "Payment Plan Proposed"),
            ("dispute_rejected", "Dispute Rejection Sent"),
            ("remittance_requested", "Remittance Advice Requested"),
            ("message_sent", "Message Sent"),
            ("preferences_updated", "Contact Details Updated"),
            ("replied", "Replied by E-mail"),
        ]
    )
    note = fields.Html()
    callback_date = fields.Date(
        string="Call Back On",
        help="The day agreed with the customer (or set by the officer) to contact them "
        "again: the case's next action.",
    )
    user_id = fields.Many2one("res.users", string="Officer", default=lambda self: self.env.user)
    level_id = fields.Many2one("collection.level", string="Follow-up Level", index=True)
    blocked_reason = fields.Char(help="Why the compliance guard stopped this contact.")
    compliance_override = fields.Char(
        help="Why a manager let this contact through although the compliance guard blocked it."
    )
    followup_id = fields.Many2one(
        "collection.followup",
        string="Follow-up",
        index="btree_not_null",
        ondelete="set null",
        help="The follow-up level execution that made this contact.",
    )
    message_id = fields.Many2one(
        "mail.message",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="What was sent to the customer, with its attachments.",
    )
    compliance_breach = fields.Boolean(
        readonly=True,
        help="The contact took place although the compliance guard would have blocked it.",
    )
    correction_of_id = fields.Many2one(
        "collection.contact",
        string="Corrects",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The entry this one corrects: the log is never rewritten, a correction is added.",
    )
    correction_ids = fields.One2many("collection.contact", "correction_of_id", string="Corrections")

    @api.depends("channel", "outcome")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        for contact in self:
            channel, outcome = channels.get(contact.channel), outcomes.get(contact.outcome)
            contact.display_name = (
                self.env._("%(channel)s: %(outcome)s", channel=channel, outcome=outcome)
                if channel and outcome
                else channel or outcome or ""
            )

    @api.constrains("partner_id", "case_id")
    def _check_partner(self):
        for contact in self.filtered("partner_id"):
            if contact.partner_id.commercial_partner_id != contact.case_id.partner_id:
                raise ValidationError(
                    self.env._(
                        "%(person)s is not a contact of %(customer)s.",
                        person=contact.partner_id.display_name,
                        customer=contact.case_id.partner_id.display_name,
                    )
                )

    @api.constrains("correction_of_id", "case_id")
    def _check_correction(self):
        for contact in self.filtered("correction_of_id"):
            if contact.correction_of_id.case_id != contact.case_id:
                raise ValidationError(
                    self.env._("A correction belongs to the case of the contact it corrects.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self._from_engine():
            if any(
                vals.get("correction_of_id") or self.env.context.get("default_correction_of_id")
                for vals in vals_list
            ):
                raise UserError(
                    self.env._(
                        "A contact is corrected with its Correct button, which logs the correction."
                    )
                )
            vals_list = [self._with_compliance_verdict(vals) for vals in vals_list]
        contacts = super().create([self._with_sender(vals) for vals in vals_list])
        if not self.env.context.get("collection_contact_skip_chatter"):
            contacts._post_on_cases()
        return contacts

    def _from_engine(self):
        """Whether the code creating or changing contacts is the engine's: the follow-up
        run, the desk's sends (``_log_sent``) and the guard's own verdicts
        (``_log_reported``), which judged the contact themselves and say so with
        ``GUARD_PASSED`` (an object a client's context, JSON, cannot carry)."""
        return self.env.context.get("collection_guard_passed") is GUARD_PASSED

    @api.model
    def _with_sender(self, vals):
        """The contact under the person who made it: the officer of the case for what
        the engine does on its own (a scheduled run), never the superuser (OdooBot)."""
        user_id = vals.get("user_id", self.env.context.get("default_user_id", self.env.uid))
        if user_id != SUPERUSER_ID or not vals.get("case_id"):
            return vals
        case = self.env["collection.case"].sudo().browse(vals["case_id"])
        return {**vals, "user_id": case.user_id.id}

    @api.model
    def _log_sent(self, vals_list, post_on_case=False):
        """Log what the desk sent a customer, when it is sent: one entry per message.

        Each ``vals`` gives the case, the channel, the outcome saying what was sent
        (one of ``SENT_OUTCOMES``), and may give the recipient at the customer, a
        note, the message posted, the level, and a manager's override with what the
        guard said. The sender judged the contact before sending it; the entry is
        outbound, dated now, under the user who sent it (the case's officer for the
        engine's own sends). ``post_on_case``: note it on the case too, for a message
        that is not posted there. Not callable over RPC.
        """
        for vals in vals_list:
            if vals.get("outcome") not in SENT_OUTCOMES or not vals.get("case_id"):
                raise ValueError(f"Not a message sent to a customer: {vals}")
        now = fields.Datetime.now()
        vals_list = [
            {
                "date": now,
                "user_id": self.env.uid,
                **vals,
                "direction": "outbound",
            }
            for vals in vals_list
        ]
        # The entry is what the sender states, not what the caller's context defaults.
        context = clean_context(self.env.context) | {"collection_guard_passed": GUARD_PASSED}
        if not post_on_case:
            context["collection_contact_skip_chatter"] = True
        contacts = self.with_env(self.env(context=context)).create(vals_list)
        return contacts.with_env(self.env)

    @api.model
    def _log_reported(self, vals_list, override_reason=None):
        """Log contacts a person reports, judged by the compliance guard.

        With ``override_reason`` a collections manager records an outbound contact
        the guard would block as an override, with the reason, instead of a breach
        (the guard checks the user's group). Not callable over RPC: the contact
        wizard's way to the override.
        """
        vals_list = [
            self._with_compliance_verdict(vals, override_reason=override_reason)
            for vals in vals_list
        ]
        # The guard judged the values given: the caller's context defaults add nothing.
        context = clean_context(self.env.context) | {"collection_guard_passed": GUARD_PASSED}
        contacts = self.with_env(self.env(context=context)).create(vals_list)
        # The marker stays with this creation, not with what the caller does next.
        return contacts.with_env(self.env)

    @api.model
    def _with_compliance_verdict(self, vals, override_reason=None):
        """A contact a person logs is recorded whatever the guard says; what it says is kept.

        An outbound contact on a guarded channel that the compliance guard would have
        blocked is a compliance breach, with the guard's reason: decided here, not by the
        caller, whichever button logged it. The follow-up, the verdict and the override
        are the engine's (see ``_from_engine``), and so are the outcomes sent and blocked
        (superuser code, such as data files, may record those too): a person giving them
        is refused.
        """
        self._check_engine_values(vals)
        # Judged on what is recorded: a value the context defaults is recorded all the same.
        defaults = {
            name: self.env.context[f"default_{name}"]
            for name in ("case_id", "channel", "direction", "date")
            if name not in vals and f"default_{name}" in self.env.context
        }
        vals = {
            **defaults,
            **vals,
            "compliance_breach": False,
            "compliance_override": False,
            "blocked_reason": False,
        }
        if (
            vals.get("direction", "outbound") != "outbound"
            or vals.get("channel") not in GUARDED_CHANNELS
            or not vals.get("case_id")
        ):
            return vals
        case = self.env["collection.case"].sudo().browse(vals["case_id"])
        at = fields.Datetime.to_datetime(vals.get("date")) or fields.Datetime.now()
        # The guard checks that the user may override: their own group, not the sudo.
        kwargs = {"override_reason": override_reason} if override_reason else {}
        verdict = (
            self.env["collection.compliance"]
            .sudo()
            ._check_contacts(case, vals["channel"], at=at, **kwargs)[case.id]
        )
        if verdict["verdict"] == "allowed":
            # Overridden: the guard's reason says by whom, why and what it would have said.
            return {**vals, "compliance_override": verdict["reason"] or False}
        return {**vals, "compliance_breach": True, "blocked_reason": verdict["reason"]}

    @api.model
    def _check_engine_values(self, vals):
        # A value given as a default of the context is given all the same.
        vals = {
            name: vals[name] if name in vals else self.env.context.get(f"default_{name}")
            for name in (*ENGINE_FIELDS, "outcome")
        }
        given = [name for name in ENGINE_FIELDS if vals.get(name)]
        if given == ["compliance_override"] and not self.env[
            "collection.compliance"
        ]._is_collections_manager(self.env.user):
            raise UserError(self.env._("Only a collections manager can override the guard."))
        if given:
            raise UserError(
                self.env._(
                    "%(fields)s of a contact are recorded by the follow-up run and the "
                    "compliance guard, not given: log the contact with Log a Contact (a "
                    "collections manager may give an override reason there).",
                    fields=", ".join(self._fields[name].string for name in given),
                )
            )
        if vals.get("outcome") in ENGINE_OUTCOMES and not self.env.su:
            outcomes = dict(self._fields["outcome"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "%(outcome)s is recorded by the follow-up run: log what was said or done.",
                    outcome=outcomes[vals["outcome"]],
                )
            )

    def write(self, vals):
        # The log is evidence: what happened, when, how, with whom and what was noted
        # never changes, for nobody but the engine; a correction is a new entry.
        if self._from_engine():
            return super().write(vals)
        frozen = [
            name
            for name in vals
            if any(
                self._fields[name].convert_to_write(contact[name], contact) != vals[name]
                for contact in self
            )
        ]
        if frozen:
            raise UserError(
                self.env._(
                    "A logged contact cannot be rewritten (%(fields)s): log a correction instead.",
                    fields=", ".join(self._fields[name].string for name in frozen),
                )
            )
        return super().write(vals)

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "The contact log is evidence: a contact is never copied. Log the new contact, "
                "or a correction of this one."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The contact log is evidence: contacts are never deleted."))

    def action_correct(self):
        """Open Log a Contact on a new entry that corrects this one."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_contact_wizard_action"
        )
        action["name"] = self.env._("Correct a Contact")
        action["context"] = {
            "default_case_id": self.case_id.id,
            "default_correction_of_id": self.id,
            "default_partner_id": self.partner_id.id,
            "default_date": fields.Datetime.to_string(self.date),
            "default_channel": self.channel,
            "default_direction": self.direction,
            "default_outcome": self.outcome,
            "default_note": self.note,
        }
        return action

    def _post_on_cases(self):
        bodies = {}
        for contact in self:
            line = Markup("<b>%s</b>") % contact.display_name
            if contact.compliance_breach:
                line = Markup("<b>%s</b> ") % self.env._("Compliance breach:") + line
            if contact.correction_of_id:
                line += Markup(" %s") % self.env._(
                    "(corrects %(contact)s of %(date)s)",
                    contact=contact.correction_of_id.display_name,
                    date=format_datetime(self.env, contact.correction_of_id.date),
                )
            if contact.partner_id:
                line += Markup(" (%s)") % contact.partner_id.name
            if contact.blocked_reason:
                line += Markup(": %s") % contact.blocked_reason
            if contact.compliance_override:
                line += Markup("<br/>%s") % contact.compliance_override
            if contact.note:
                line += Markup("<br/>") + contact.note
            bodies.setdefault(contact.case_id.id, []).append(line)
        self.case_id._message_log_batch(
            bodies={case_id: Markup("<br/>").join(lines) for case_id, lines in bodies.items()}
        )
