from odoo import api, fields, models
from odoo.exceptions import UserError

ESCALATION_REASONS = [
    ("unwilling", "Unwilling to Pay"),
    ("unable", "Unable to Pay"),
    ("unreachable", "Unreachable (Skip-Trace)"),
    ("insolvent", "Insolvent"),
    ("deceased", "Deceased"),
    ("fraud", "Fraud Suspected"),
    ("other", "Other"),
]
# Escalations the follow-up itself makes (a manager alert level, a broken promise or
# plan): recorded so that the manager decides on them like on any other.
AUTOMATIC_REASONS = [("followup", "Follow-Up Rules")]
ESCALATION_DECISIONS = [
    ("officer", "Back to the Officer"),
    ("hardship", "Hardship Plan"),
    ("hold", "Hold"),
    ("legal", "Legal Action"),
    ("agency", "Collection Agency"),
    ("writeoff", "Write-Off"),
]
# The reasons that stop every contact with the customer at once.
INSOLVENCY_REASONS = ("insolvent", "deceased")
ESCALATION_ACTIVITY = "collections_officer.mail_activity_type_collection_escalation"


class CollectionEscalation(models.Model):
    """An officer's request for a manager's decision on a case, and that decision.

    History: written once by the escalation and once by the decision, never
    edited by hand nor deleted.
    """

    _name = "collection.escalation"
    _description = "Collection Escalation"
    _order = "request_date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    reason = fields.Selection(ESCALATION_REASONS + AUTOMATIC_REASONS, required=True)
    note = fields.Text(required=True, help="Why the officer escalates: what was tried.")
    requested_by_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user
    )
    request_date = fields.Datetime(
        string="Requested On", required=True, default=fields.Datetime.now
    )
    manager_ids = fields.Many2many(
        "res.users", string="Asked", help="The managers asked to decide."
    )
    state = fields.Selection(
        [("pending", "Awaiting Decision"), ("decided", "Decided"), ("withdrawn", "Withdrawn")],
        help="Withdrawn: nothing was overdue any more before a manager decided.",
        required=True,
        default="pending",
        index=True,
    )
    decision = fields.Selection(ESCALATION_DECISIONS)
    decision_note = fields.Text(help="The manager's reason, and instructions for the officer.")
    decided_by_id = fields.Many2one("res.users")
    decision_date = fields.Datetime(string="Decided On")

    _case_pending_uniq = models.UniqueIndex(
        "(case_id) WHERE state = 'pending'",
        "This case already awaits a manager's decision.",
    )

    @api.depends("case_id", "reason")
    def _compute_display_name(self):
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        for escalation in self:
            escalation.display_name = self.env._(
                "%(case)s: %(reason)s",
                case=escalation.case_id.name or "",
                reason=reasons.get(escalation.reason, ""),
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if vals.get("state", "pending") != "pending" or any(
                    vals.get(name)
                    for name in ("decision", "decision_note", "decided_by_id", "decision_date")
                ):
                    raise UserError(
                        self.env._("An escalation starts undecided: a manager decides it.")
                    )
                if not (vals.get("note") or "").strip():
                    raise UserError(self.env._("Say why the case is escalated."))
                vals["requested_by_id"] = self.env.uid
        return super().create(vals_list)

    def write(self, vals):
        # The story of a case: the escalation and the decision write it, nobody edits it.
        if not self.env.su:
            raise UserError(
                self.env._(
                    "An escalation is history: it cannot be changed, only decided by a manager."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Escalations are history: they cannot be deleted."))

    def _withdraw(self):
        """Nothing is overdue any more on these pending escalations' cases: there is
        nothing left to decide, and the managers' activities go."""
        pending = self.filtered(lambda escalation: escalation.state == "pending")
        if not pending:
            return
        note = self.env._("Nothing is overdue any more: withdrawn before a decision.")
        pending.sudo().write(
            {"state": "withdrawn", "decision_note": note, "decision_date": fields.Datetime.now()}
        )
        pending.case_id.sudo().activity_feedback(
            [ESCALATION_ACTIVITY], feedback=note, only_automated=False
        )

    # ------------------------------------------------------------ actions

    def action_open_decision(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decide on the Escalation"),
            "res_model": "collection.escalation.decide.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_escalation_id": self.id},
        }

    # ----------------------------------------------------------- business

    def _decide(self, decision, note, hold_reason=None):
        """A manager's decision on a pending escalation, carried out on its case.

        Returns an action to open next (the write-off wizard) or True.
        """
        self.ensure_one()
        guard = self.env["collection.compliance"]
        guard._check_collections_manager(
            self.env._("Only a collections manager can decide on an escalation.")
        )
        self.check_access("read")
        if self.state != "pending":
            raise UserError(
                self.env._("%(name)s no longer awaits a decision.", name=self.display_name)
            )
        if decision not in dict(ESCALATION_DECISIONS):
            raise UserError(self.env._("Choose a decision."))
        if not (note or "").strip():
            raise UserError(self.env._("Give the reason for the decision."))
        case = self.case_id
        self.sudo().write(
            {
                "state": "decided",
                "decision": decision,
                "decision_note": note,
                "decided_by_id": self.env.uid,
                "decision_date": fields.Datetime.now(),
            }
        )
        decisions = dict(self._fields["decision"]._description_selection(self.env))
        # Every manager's "Decide" to-do of the case is done, also those scheduled by
        # hand (or by the demo data), not only the ones the escalation scheduled.
        case.sudo().activity_feedback(
            [ESCALATION_ACTIVITY],
            feedback=self.env._("Decided: %(decision)s", decision=decisions[decision]),
            only_automated=False,
        )
        case.sudo().message_post(
            body=self.env._(
                "Escalation decided by %(user)s: %(decision)s. %(note)s",
                user=self.env.user.name,
                decision=decisions[decision],
                note=note,
            ),
            subtype_xmlid="mail.mt_note",
        )
        officer = case.user_id or self.requested_by_id
        if decision == "officer":
            case.sudo().write({"state": "open"})
            case.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=self.env._("Back from escalation: %(case)s", case=case.display_name),
                note=note,
                user_id=officer.id,
            )
        elif decision == "hardship":
            case.sudo().write({"state": "open", "hardship": True})
            case.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=self.env._("Propose a hardship payment plan: %(case)s", case=case.name),
                note=note,
                user_id=officer.id,
            )
        elif decision == "hold":
            # The day the hold ends, asked by the decision wizard: that morning the
            # company's daily job puts the case back in follow-up.
            until = fields.Date.to_date(self.env.context.get("collection_hold_until"))
            if not until or until <= case.company_id._collection_today():
                raise UserError(
                    self.env._("Say until when the case is on hold: a day after today.")
                )
            case.sudo().write(
                {"state": "hold", "hold_reason": hold_reason or note, "hold_until": until}
            )
        elif decision in ("legal", "agency"):
            # Legal action starts with the letter before action, which needs no one outside
            # the company; the manager lands on it, its next step at hand.
            legal = case._start_legal_action("agency" if decision == "agency" else "notice", note)
            return legal._get_records_action(name=legal.display_name, context={})
        elif decision == "writeoff":
            return case.action_writeoff()
        return True
