from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


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

    @api.model_create_multi
    def create(self, vals_list):
        contacts = super().create(vals_list)
        if not self.env.context.get("collection_contact_skip_chatter"):
            contacts._post_on_cases()
        return contacts

    def write(self, vals):
        # The log is history: what happened, when and how does not change afterwards.
        if {"case_id", "channel", "date", "direction"} & set(vals) and not self.env.user.has_group(
            "collections_officer.group_collections_manager"
        ):
            raise UserError(
                self.env._("A logged contact's case, channel, direction and date cannot change.")
            )
        return super().write(vals)

    def _post_on_cases(self):
        bodies = {}
        for contact in self:
            line = Markup("<b>%s</b>") % contact.display_name
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
