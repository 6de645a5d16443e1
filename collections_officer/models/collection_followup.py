from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class CollectionFollowup(models.Model):
    """One execution of a follow-up level on a case.

    The record is what makes the engine idempotent: a case gets a level once
    per follow-up cycle (a unique index says so), and each action of the level
    is recorded in ``done_actions`` as it succeeds, so a retry or a second
    worker never repeats it.
    """

    _name = "collection.followup"
    _description = "Collection Follow-up"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    user_id = fields.Many2one(related="case_id.user_id", string="Officer")
    currency_id = fields.Many2one(related="case_id.currency_id")
    # The case's figures as this follow-up went out (when it was prepared, then
    # when it was executed): what the customer was told, whatever happens later.
    overdue_amount = fields.Monetary(readonly=True)
    total_due = fields.Monetary(readonly=True)
    days_overdue = fields.Integer(readonly=True)
    oldest_due_date = fields.Date(readonly=True)
    level_id = fields.Many2one(
        "collection.level", required=True, index=True, ondelete="restrict", check_company=True
    )
    policy_id = fields.Many2one(related="level_id.policy_id")
    date = fields.Date(
        required=True, default=lambda self: self.env.company._collection_today(), index=True
    )
    cycle = fields.Integer(
        required=True, default=0, help="The case's follow-up cycle (it grows each time it closes)."
    )
    resend = fields.Boolean(
        readonly=True, help="A level sent again by an officer, outside the automatic sequence."
    )
    state = fields.Selection(
        [
            ("preview", "Preview"),
            ("to_review", "To Review"),
            ("pending", "Partly Deferred"),
            ("done", "Done"),
            ("blocked", "Blocked"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="to_review",
        index=True,
    )
    done_actions = fields.Char(readonly=True, help="Actions already executed, comma-separated.")
    done_actions_label = fields.Char(
        string="Done", compute="_compute_done_actions_label", help="What was already done."
    )
    defer_until = fields.Datetime(
        readonly=True, help="When the deferred actions may run (next contact window)."
    )
    blocked_reason = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    retry_count = fields.Integer(
        readonly=True, help="Times the daily run tried this follow-up again after it failed."
    )
    bank_warning = fields.Char(
        readonly=True, help="Bank statements not reconciled when the follow-up was prepared."
    )
    letter_to_print = fields.Boolean(readonly=True, index=True)
    letter_printed = fields.Boolean(readonly=True)
    run_id = fields.Many2one("collection.run", index="btree_not_null", ondelete="set null")
    sent_by_id = fields.Many2one("res.users", readonly=True)
    sent_date = fields.Datetime(
        readonly=True, index="btree_not_null", help="When an officer last sent it by hand."
    )
    contact_ids = fields.One2many("collection.contact", "followup_id", string="Contacts")
    charge_move_ids = fields.Many2many(
        "account.move", string="Charge Invoices", readonly=True, copy=False
    )
    message_id = fields.Many2one("mail.message", string="E-mail", readonly=True)

    # A preview (dry run) only shows what the run would do: it never holds a level's place.
    _level_once_per_cycle = models.UniqueIndex(
        "(case_id, level_id, cycle) WHERE resend IS NOT TRUE AND state != 'preview'",
        "A follow-up level is executed once per case and cycle.",
    )

    def write(self, vals):
        # Sent by hand now: what keeps a second click from sending again.
        if vals.get("sent_by_id"):
            vals = vals | {"sent_date": fields.Datetime.now()}
        return super().write(vals)

    @api.depends("done_actions")
    def _compute_done_actions_label(self):
        labels = {
            "email": self.env._("E-mail"),
            "letter": self.env._("Letter"),
            "sms": self.env._("SMS"),
            "call": self.env._("Call planned"),
            "manager": self.env._("Manager alerted"),
            "charge": self.env._("Charge"),
            "legal": self.env._("Legal action proposed"),
            "credit_hold": self.env._("Credit hold"),
        }
        for followup in self:
            done = filter(None, (followup.done_actions or "").split(","))
            followup.done_actions_label = ", ".join(labels.get(action, action) for action in done)

    @api.depends("case_id", "level_id")
    def _compute_display_name(self):
        for followup in self:
            followup.display_name = f"{followup.case_id.name} - {followup.level_id.name}"

    @api.model_create_multi
    def create(self, vals_list):
        cases = self.env["collection.case"].browse(
            [vals["case_id"] for vals in vals_list if vals.get("case_id")]
        )
        figures = {case.id: self._case_figures(case) for case in cases}
        for vals in vals_list:
            if vals.get("case_id"):
                vals.update(
                    {
                        name: value
                        for name, value in figures[vals["case_id"]].items()
                        if name not in vals
                    }
                )
        return super().create(vals_list)

    @api.model
    def _case_figures(self, case):
        """The case's figures a follow-up keeps: at preparation, then at execution."""
        return {
            "overdue_amount": case.overdue_amount,
            "total_due": case.total_due,
            "days_overdue": case.days_overdue,
            "oldest_due_date": case.oldest_due_date,
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        # The record of what was sent, and what keeps a level from being sent twice.
        # Only a dry run's previews, which sent nothing, give way to the next dry run.
        if self.filtered(lambda followup: followup.state != "preview"):
            raise UserError(self.env._("Follow-ups are history: they cannot be deleted."))

    # ---------------------------------------------------------------- actions

    def action_send(self):
        """Send prepared follow-ups (the "To Review" list), through the compliance guard."""
        to_send = self.filtered(lambda f: f.state in ("to_review", "blocked", "failed"))
        if not to_send:
            raise UserError(self.env._("Only follow-ups to review, blocked or failed can be sent."))
        # Follow-ups are the engine's records: officers read them and act through
        # here, on the cases they work; the engine writes them.
        to_send.case_id.check_access("write")
        # No override here: a manager's override goes through Send Follow-up Now, which
        # asks for the reason and logs it on the case.
        to_send = to_send.sudo().with_context(collection_override_reason=False)
        to_send.write({"sent_by_id": self.env.uid, "error": False})
        to_send._execute()
        return True

    def action_cancel(self):
        """Skip the level: nothing is sent, and the case moves on to the next one."""
        if self.filtered(lambda f: f.state not in ("to_review", "blocked", "failed")):
            raise UserError(self.env._("Only follow-ups not sent yet can be cancelled."))
        self.case_id.check_access("write")
        self.sudo().write({"state": "cancelled"})
        self._advance_cases()
        self._log_on_cases(
            lambda followup: self.env._(
                "Follow-up level %(level)s cancelled by %(user)s.",
                level=followup.level_id.name,
                user=self.env.user.name,
            )
        )
        return True

    def _log_on_cases(self, body_of):
        """A note per follow-up on its case's chatter, all in one insert."""
        bodies = {}
        for followup in self:
            body = body_of(followup)
            if body:
                case_id = followup.case_id.id
                bodies[case_id] = (
                    bodies[case_id] + Markup("<br/>") + body if case_id in bodies else body
                )
        if bodies:
            self.case_id.browse(list(bodies))._log_notes(bodies)

    def action_print_letters(self):
        """One PDF with the letter of every selected follow-up, each with its own level."""
        letters = self.filtered("letter_to_print")
        if not letters:
            raise UserError(self.env._("None of these follow-ups has a letter to print."))
        letters.sudo().letter_printed = True
        return self.env.ref("collections_officer.action_report_collection_letter").report_action(
            letters
        )
