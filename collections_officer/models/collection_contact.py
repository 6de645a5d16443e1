from odoo import fields, models


class CollectionContact(models.Model):
    _name = "collection.contact"
    _description = "Collection Contact"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="cascade", check_company=True
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
            ("paid", "Paid"),
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
