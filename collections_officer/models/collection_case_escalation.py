from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from .collection_escalation import ESCALATION_ACTIVITY, INSOLVENCY_REASONS
from .collection_writeoff import WRITEOFF_ACTIVITY

# Set by a manager (or by an escalation, as superuser): an officer who cleared them
# would contact an insolvent or deceased customer, or drop a hardship agreement.
MANAGER_FIELDS = frozenset(
    {
        "insolvency_type",
        "insolvency_date",
        "insolvency_contact_id",
        "claim_date",
        "claim_reference",
        "hardship",
    }
)
# Written by write-offs only.
WRITEOFF_FIELDS = frozenset({"close_reason"})


# collection.case is split by job on purpose: the case, its refresh, its follow-up
# decisions, and the hard end of collection (escalation, insolvency, write-off).
class CollectionCase(models.Model):
    """Escalations to a manager, insolvency and death, write-offs of a case."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    escalation_ids = fields.One2many("collection.escalation", "case_id", string="Escalations")
    pending_escalation_id = fields.Many2one(
        "collection.escalation",
        compute="_compute_pending_escalation_id",
        help="The escalation awaiting a manager's decision.",
    )
    writeoff_ids = fields.One2many("collection.writeoff", "case_id", string="Write-Offs")
    hardship = fields.Boolean(
        tracking=True,
        help="A manager judged the customer unable to pay: a hardship plan is proposed.",
    )
    insolvency_type = fields.Selection(
        [("insolvent", "Insolvent"), ("deceased", "Deceased")],
        string="Insolvency / Death",
        tracking=True,
        help="Set: the customer is never contacted again (compliance guard); the debt is "
        "claimed from the insolvency practitioner or the estate.",
    )
    insolvency_date = fields.Date(
        string="Insolvency / Death Date",
        tracking=True,
        help="The proof of debt states what was owed on this day.",
    )
    insolvency_contact_id = fields.Many2one(
        "res.partner",
        string="Practitioner / Estate Contact",
        tracking=True,
        help="The insolvency practitioner, or the executor or solicitor of the estate.",
    )
    claim_date = fields.Date(tracking=True, help="When the claim was lodged.")
    claim_reference = fields.Char(
        tracking=True, help="The reference of the insolvency or the estate."
    )
    close_reason = fields.Selection(
        [("written_off", "Written Off")],
        string="Closed As",
        readonly=True,
        help="Written Off: the case closed because its debt was written off. "
        "Empty: it closed because nothing was overdue any more.",
    )
    writeoff_date = fields.Date(
        string="Written Off On",
        compute="_compute_writeoff_figures",
        help="The date of the case's first write-off entry.",
    )
    written_off_amount = fields.Monetary(compute="_compute_writeoff_figures")
    recovered_after_writeoff = fields.Monetary(
        string="Recovered after Write-Off",
        compute="_compute_writeoff_figures",
        help="Money received from the customer after the write-off, not applied to the "
        "debts still chased: a recovery of written-off debt.",
    )

    @api.depends("escalation_ids.state")
    def _compute_pending_escalation_id(self):
        pending = self.env["collection.escalation"].search(
            [("case_id", "in", self.ids), ("state", "=", "pending")]
        )
        by_case = {escalation.case_id: escalation for escalation in pending}
        for case in self:
            case.pending_escalation_id = by_case.get(case, False)

    @api.depends_context("date")
    def _compute_writeoff_figures(self):
        posted = (
            self.env["collection.writeoff"]
            .sudo()
            .search([("case_id", "in", self.ids), ("state", "=", "posted")])
        )
        by_case = posted.grouped("case_id")
        cases = self.filtered(lambda case: case in by_case)
        windows = [
            (
                case.partner_id.id,
                case.company_id.id,
                min(by_case[case].mapped("date")) + timedelta(days=1),
                case.company_id._collection_today(),
                # Only money applied to the written-off invoices or to nothing: the
                # payments of invoices still chased are no recovery.
                self.env["collection.writeoff"]._receivable_lines(by_case[case].invoice_ids).ids,
            )
            for case in cases
        ]
        received = dict(
            zip(cases, self.env["collection.ledger"]._fetch_received(windows), strict=True)
        )
        for case in self:
            writeoffs = by_case.get(case)
            case.writeoff_date = writeoffs and min(writeoffs.mapped("date"))
            case.written_off_amount = writeoffs and sum(writeoffs.mapped("amount"))
            case.recovered_after_writeoff = received.get(case, 0.0)

    def write(self, vals):
        if not self.env.su:
            if WRITEOFF_FIELDS & set(vals):
                raise UserError(self.env._("Only a write-off closes a case as written off."))
            if MANAGER_FIELDS & set(vals) and not self.env[
                "collection.compliance"
            ]._is_collections_manager(self.env.user):
                raise UserError(
                    self.env._(
                        "Only a collections manager can change the insolvency, death or "
                        "hardship of a case; officers record them by escalating it."
                    )
                )
        entering = leaving = self.browse()
        if vals.get("state") == "escalated" and not self.env.context.get(
            "collection_escalation_recorded"
        ):
            entering = self.filtered(lambda case: case.state != "escalated")
        elif vals.get("state") in ("closed", "upcoming"):
            # Paid while a manager was still to decide.
            leaving = self.filtered(lambda case: case.state == "escalated")
        res = super().write(vals)
        if entering:
            entering._record_automatic_escalation()
        if leaving:
            leaving.sudo().escalation_ids._withdraw()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_without_escalation_history(self):
        for model in ("collection.escalation", "collection.writeoff"):
            if self.env[model].sudo().search_count([("case_id", "in", self.ids)], limit=1):
                raise UserError(
                    self.env._(
                        "A collection case with escalations or write-offs is history: "
                        "archive it instead of deleting it."
                    )
                )

    # ------------------------------------------------------------ actions

    def action_escalate(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Escalate to a Manager"),
            "res_model": "collection.escalate.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_decide_escalation(self):
        self.ensure_one()
        if not self.pending_escalation_id:
            raise UserError(self.env._("No escalation of this case awaits a decision."))
        return self.pending_escalation_id.action_open_decision()

    def action_writeoff(self):
        self.ensure_one()
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can write debts off.")
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Write Off"),
            "res_model": "collection.writeoff.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_print_proof_of_debt(self):
        self.ensure_one()
        if not self.insolvency_type:
            raise UserError(
                self.env._("A proof of debt is for an insolvent or deceased customer's case.")
            )
        return self.env.ref(
            "collections_officer.action_report_collection_proof_of_debt"
        ).report_action(self)

    # ----------------------------------------------------------- business

    def _insolvency_blocker(self):
        if self.insolvency_type == "deceased":
            return self.env._("The customer is deceased: the debt is claimed from the estate.")
        return self.env._(
            "The customer is insolvent: the debt is claimed from the insolvency practitioner."
        )

    def _escalate(self, reason, note, insolvency=None):
        """An officer asks a manager to decide on this case: ``collection.escalation``.

        The case is escalated and the team manager (else the company's collections
        managers) gets an activity. Insolvency and death (``insolvency``: the
        practitioner or estate contact, the date, the claim date and reference)
        stop every contact at once, before any decision.
        """
        self.ensure_one()
        self.check_access("write")
        if self.state == "closed":
            raise UserError(self.env._("A closed case has nothing to escalate."))
        if self.pending_escalation_id:
            raise UserError(
                self.env._("%(case)s already awaits a manager's decision.", case=self.display_name)
            )
        managers = self.team_id.manager_id or self._collections_managers()
        escalation = self.env["collection.escalation"].create(
            {"case_id": self.id, "reason": reason, "note": note, "manager_ids": managers.ids}
        )
        case = self.sudo().with_context(collection_escalation_recorded=True)
        values = {"state": "escalated"}
        if reason in INSOLVENCY_REASONS:
            values |= {"insolvency_type": reason} | (insolvency or {})
        case.write(values)
        reasons = dict(escalation._fields["reason"]._description_selection(self.env))
        case.message_post(
            body=self.env._(
                "Escalated to a manager by %(user)s: %(reason)s. %(note)s",
                user=self.env.user.name,
                reason=reasons[reason],
                note=note,
            ),
            subtype_xmlid="mail.mt_note",
        )
        for manager in managers:
            case.activity_schedule(
                ESCALATION_ACTIVITY,
                date_deadline=case.company_id._collection_today(),
                summary=self.env._(
                    "Decide: %(case)s (%(reason)s)", case=self.display_name, reason=reasons[reason]
                ),
                note=note,
                user_id=manager.id,
            )
        return escalation

    def _record_automatic_escalation(self):
        """Record the escalations the follow-up makes, for a manager to decide on."""
        pending = (
            self.env["collection.escalation"]
            .sudo()
            .search([("case_id", "in", self.ids), ("state", "=", "pending")])
        )
        cases = self - pending.case_id
        if not cases:
            return
        self.env["collection.escalation"].sudo().create(
            [
                {
                    "case_id": case.id,
                    "reason": "followup",
                    "note": self.env._(
                        "Escalated by the follow-up: a level alerting the manager, or a broken "
                        "promise or payment plan."
                    ),
                    "manager_ids": case.team_id.manager_id.ids,
                }
                for case in cases
            ]
        )

    def _collections_managers(self):
        """The company's collections managers, for a case without a team manager."""
        # Other users' companies are not the officer's to read.
        group = self.env.ref("collections_officer.group_collections_manager").sudo()
        managers = group.all_user_ids.filtered(
            lambda user: (
                user.active
                and not user.share
                and not user._is_superuser()
                and self.company_id in user.company_ids
            )
        )
        return self.env["res.users"].browse(managers.ids)

    def _request_writeoff(self, invoices, reason):
        """A manager writes off the residual of ``invoices`` of this case.

        Posted at once up to the company's limit; above it, a request another
        manager approves. Returns the ``collection.writeoff``.
        """
        self.ensure_one()
        Writeoff = self.env["collection.writeoff"]
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can write debts off.")
        )
        self.check_access("write")
        Writeoff._writeoff_settings(self.company_id)
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason for the write-off."))
        open_lines = self.sudo().open_line_ids
        lines = Writeoff._open_receivable_lines(invoices.sudo()) & open_lines
        if not lines or lines.move_id != invoices:
            raise UserError(
                self.env._(
                    "Only the open invoices of %(case)s can be written off.",
                    case=self.display_name,
                )
            )
        pending = Writeoff.sudo().search([("case_id", "=", self.id), ("state", "=", "to_approve")])
        if pending.invoice_ids & invoices:
            raise UserError(self.env._("A write-off of these invoices already awaits approval."))
        company = self.company_id
        today = company._collection_today()
        amount = sum(
            line.amount_residual
            if line.currency_id == company.currency_id
            else line.currency_id._convert(
                line.amount_residual_currency, company.currency_id, company, today
            )
            for line in lines
        )
        writeoff = Writeoff.create(
            {"case_id": self.id, "invoice_ids": invoices.ids, "amount": amount, "reason": reason}
        )
        limit = company.collection_writeoff_limit
        if limit and company.currency_id.compare_amounts(amount, limit) > 0:
            self.sudo().message_post(
                body=self.env._(
                    "Write-off of %(amount)s requested by %(user)s, above the limit of "
                    "%(limit)s: a second manager approves it. Reason: %(reason)s",
                    amount=writeoff._amount_label(),
                    user=self.env.user.name,
                    limit=format_amount(self.env, limit, company.currency_id),
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
            for manager in self._collections_managers() - self.env.user:
                self.sudo().activity_schedule(
                    WRITEOFF_ACTIVITY,
                    date_deadline=self.company_id._collection_today(),
                    summary=self.env._("Approve a write-off: %(case)s", case=self.name),
                    note=reason,
                    user_id=manager.id,
                )
        else:
            writeoff._post()
        return writeoff

    def _after_writeoff(self, writeoff):
        """Log a posted write-off; close the case as written off when nothing is left."""
        self.ensure_one()
        case = self.sudo()
        case._refresh_from_accounting(companies=case.company_id, partners=case.partner_id)
        invoices = ", ".join(writeoff.invoice_ids.mapped("name"))
        if case.state == "closed":
            case.write({"close_reason": "written_off"})
            body = self.env._(
                "%(invoices)s written off (%(amount)s) by %(user)s: %(reason)s. Nothing is "
                "left to collect: the case is closed as written off.",
                invoices=invoices,
                amount=writeoff._amount_label(),
                user=self.env.user.name,
                reason=writeoff.reason,
            )
        else:
            if case.state == "escalated" and not case.pending_escalation_id:
                case.write({"state": "open"})
            body = self.env._(
                "%(invoices)s written off (%(amount)s) by %(user)s: %(reason)s. The rest "
                "stays in collection.",
                invoices=invoices,
                amount=writeoff._amount_label(),
                user=self.env.user.name,
                reason=writeoff.reason,
            )
        case.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _proof_of_debt_lines(self):
        """What the customer owed on the insolvency or death date, per invoice.

        ``{case id: [(line, amount in company currency, amount in its currency)]}``.
        """
        by_day = {}
        for case in self:
            day = case.insolvency_date or case.company_id._collection_today()
            by_day[day] = by_day.get(day, self.browse()) | case
        owed = self.env["collection.ledger"]._owed_on(by_day)
        day_of = {case: day for day, cases in by_day.items() for case in cases}
        return {
            case.id: [item for item in owed.get((case.id, day_of[case]), []) if item[1] or item[2]]
            for case in self
        }
