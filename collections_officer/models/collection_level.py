from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionLevel(models.Model):
    _name = "collection.level"
    _description = "Collection Follow-up Level"
    _order = "policy_id, delay_days, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    policy_id = fields.Many2one(
        "collection.policy", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    delay_days = fields.Integer(
        string="Delay (days)",
        required=True,
        help="Days past the oldest overdue item's due date. Negative: a reminder that many "
        "days before the earliest item falls due, sent to customers with nothing overdue yet "
        "(their case shows as Due Soon).",
    )
    # Actions: any combination.
    send_email = fields.Boolean(string="E-mail")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'collection.case')]",
    )
    attach_statement = fields.Boolean(
        default=True, help="Attach the customer statement (PDF) to the e-mail."
    )
    attach_invoices = fields.Boolean(help="Attach the overdue invoices (PDF) to the e-mail.")
    print_letter = fields.Boolean(string="Letter")
    letter_title = fields.Char(translate=True, help="Title of the printed letter.")
    letter_body = fields.Html(translate=True, help="Text of the printed letter.")
    send_sms = fields.Boolean(string="SMS")
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain="[('model', '=', 'collection.case')]"
    )
    schedule_call = fields.Boolean(
        string="Phone Call", help="Schedule a phone-call activity for the officer."
    )
    alert_manager = fields.Boolean(
        string="Manager Alert",
        help="Alert the team manager with an activity and set the case to escalated.",
    )
    charge_rule_id = fields.Many2one(
        "collection.charge.rule",
        string="Late-Payment Charge",
        check_company=True,
        help="Invoice a fee and/or interest to the customer when this level is executed.",
    )
    propose_legal = fields.Boolean(
        string="Legal Proposal", help="Propose escalating the case to legal action."
    )
    credit_hold = fields.Boolean(help="Put the customer on credit hold.")
    required_before_next = fields.Boolean(
        string="Required Before Next Levels",
        help="A legal prerequisite (e.g. the letter before action): a first contact that "
        "starts old debt at the level its age reaches never skips this level.",
    )

    @api.constrains("policy_id", "delay_days")
    def _check_delay_unique(self):
        for policy, levels in self.grouped("policy_id").items():
            delays = policy.level_ids.mapped("delay_days")
            for level in levels:
                if delays.count(level.delay_days) > 1:
                    raise ValidationError(
                        self.env._(
                            "Policy %(policy)s already has a level at %(days)s days: "
                            "two levels cannot share a delay.",
                            policy=policy.name,
                            days=level.delay_days,
                        )
                    )

    @api.constrains(
        "name",
        "send_email",
        "mail_template_id",
        "print_letter",
        "send_sms",
        "sms_template_id",
        "schedule_call",
        "alert_manager",
        "charge_rule_id",
        "propose_legal",
        "credit_hold",
    )
    def _check_actions(self):
        for level in self:
            if not level._get_actions():
                raise ValidationError(
                    self.env._(
                        "Level %(level)s does nothing: choose at least one action "
                        "(e-mail, letter, SMS, call, manager alert, charge, legal proposal "
                        "or credit hold).",
                        level=level.name,
                    )
                )
            if level.send_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s sends an e-mail: choose its template.", level=level.name
                    )
                )
            if level.send_sms and not level.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s sends an SMS: choose its template.", level=level.name
                    )
                )

    def _get_actions(self):
        """The level's actions, in the order they are executed."""
        self.ensure_one()
        flags = [
            ("email", self.send_email),
            ("letter", self.print_letter),
            ("sms", self.send_sms),
            ("call", self.schedule_call),
            ("manager", self.alert_manager),
            ("charge", bool(self.charge_rule_id)),
            ("legal", self.propose_legal),
            ("credit_hold", self.credit_hold),
        ]
        return [action for action, wanted in flags if wanted]
