from odoo import fields, models


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
        help="Days past the oldest overdue item's due date; negative for a reminder before it.",
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
    attach_invoices = fields.Boolean(
        default=True, help="Attach the overdue invoices (PDF) to the e-mail."
    )
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
