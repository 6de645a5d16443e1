from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .collection_case_chatter import GUARD_PASSED

# Channels the compliance guard watches for contacts a person makes.
GUARDED_CHANNELS = ("phone", "sms", "visit", "email")
# The only part of a logged contact that can be completed afterwards.
EDITABLE_FIELDS = ("note",)


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
            parts = [channels.get(contact.channel), outcomes.get(contact.outcome)]
            contact.display_name = " - ".join(part for part in parts if part)

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
        vals_list = [self._with_compliance_verdict(vals) for vals in vals_list]
        contacts = super().create(vals_list)
        if not self.env.context.get("collection_contact_skip_chatter"):
            contacts._post_on_cases()
        return contacts

    @api.model
    def _with_compliance_verdict(self, vals):
        """A contact a person logs is recorded whatever the guard says; what it says is kept.

        An outbound contact on a guarded channel that the compliance guard would have
        blocked is a compliance breach, with the guard's reason: decided here, not by the
        caller. The follow-up run's contacts carry their own verdict (``followup_id``), and
        code that judged the contact itself says so with ``GUARD_PASSED``.
        """
        if (
            vals.get("followup_id")
            or self.env.context.get("collection_guard_passed") is GUARD_PASSED
        ):
            return vals
        vals = {**vals, "compliance_breach": False}
        if vals.get("compliance_override") and not self.env[
            "collection.compliance"
        ]._is_collections_manager(self.env.user):
            raise UserError(self.env._("Only a collections manager can override the guard."))
        if (
            vals.get("direction", "outbound") != "outbound"
            or vals.get("channel") not in GUARDED_CHANNELS
            or vals.get("outcome") == "blocked"
            or vals.get("compliance_override")
            or not vals.get("case_id")
        ):
            return vals
        case = self.env["collection.case"].sudo().browse(vals["case_id"])
        at = fields.Datetime.to_datetime(vals.get("date")) or fields.Datetime.now()
        verdict = (
            self.env["collection.compliance"]
            .sudo()
            ._check_contacts(case, vals["channel"], at=at)[case.id]
        )
        breach = verdict["verdict"] != "allowed" and verdict["reason"]
        return {**vals, "compliance_breach": bool(breach), "blocked_reason": breach or False}

    def write(self, vals):
        # The log is evidence: what happened, when, how and with whom never changes, for
        # nobody; a correction is a new entry. Only the note can be completed.
        frozen = [
            name
            for name in vals
            if name not in EDITABLE_FIELDS
            and any(
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
                    date=contact.correction_of_id.date,
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
