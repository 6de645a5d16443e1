from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import format_date

from .collection_plan_installment import SCHEDULED
from .customer_dates import customer_date

FREQUENCIES = [("weekly", "Weekly"), ("biweekly", "Every Two Weeks"), ("monthly", "Monthly")]
# The terms a manager approves: changing them takes the approval back.
TERMS_FIELDS = {"amount_total", "down_payment", "frequency", "installment_ids"}
# The terms the schedule is computed from: changing one reschedules the installments.
SCHEDULE_TERMS = {"amount_total", "down_payment", "frequency"}


class CollectionPlan(models.Model):
    """A payment plan: the customer pays what is overdue in installments.

    This file holds the plan, its terms and its states: created (the plan wizard
    computes the schedule), proposed to the customer, activated on their agreement,
    cancelled, and judged each day, completed or broken. Its schedule and the
    allocation of the money received to the installments are in
    ``collection_plan_schedule.py``, its approval beyond the company's limits in
    ``collection_plan_approval.py``, what it shares with a promise to pay in
    ``collection_commitment.py``.
    """

    _name = "collection.plan"
    _description = "Payment Plan"
    # The fields declared read-only are written only through the plan's actions (a
    # manager's approval, the engine), as superuser, or computed: an officer who cleared
    # "needs approval" would activate a plan above the limits without a manager, one who
    # set the scope or the end date would choose the money that pays the plan, and the
    # plan-completion KPI reads the state and the end date. Stored related fields keep
    # what is written on them: the money of another customer would pay the plan.
    _inherit = ["collection.commitment", "mail.thread", "mail.activity.mixin"]
    # The schedule the plan wizard computed; afterwards the plan reschedules itself.
    _user_create_fields = frozenset({"installment_ids"})
    _order = "date_start desc, id desc"
    _commitment_date_field = "date_start"
    _commitment_amount_field = "amount_total"
    _judged_state = "active"

    currency_id = fields.Many2one(
        help="The invoices' currency when they all share one, else the company's: "
        "installments are paid in it.",
    )
    line_ids = fields.Many2many(
        help="What was overdue when the plan was made (and the debt falling due, for a "
        "plan of more): money applied to it, or left unapplied, pays the installments; "
        "payments of other invoices and credit notes do not.",
    )
    contact_id = fields.Many2one(
        help="Who receives the proposal; the customer itself when empty.",
    )
    user_id = fields.Many2one(tracking=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("proposed", "Proposed"),
            ("active", "Active"),
            ("completed", "Completed"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    amount_total = fields.Monetary(
        string="Planned Amount", required=True, help="Down payment included; plan currency."
    )
    down_payment = fields.Monetary()
    frequency = fields.Selection(FREQUENCIES, required=True, default="monthly")
    date_start = fields.Date(
        string="Start",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env.company._collection_today(),
        help="Money received from this day on pays the installments.",
    )
    date_end = fields.Date(
        string="End",
        readonly=True,
        copy=False,
        help="When the plan was completed, broken or cancelled: money received later "
        "no longer counts.",
    )
    judged_date = fields.Date(
        help="When the daily judging last looked at the plan while active.",
    )
    installment_ids = fields.One2many("collection.plan.installment", "plan_id", readonly=True)
    activation_date = fields.Date(
        readonly=True, copy=False, help="When the customer's agreement made the plan active."
    )

    _amount_total_positive = models.Constraint(
        "CHECK(amount_total > 0)", "The planned amount must be positive."
    )
    _down_payment_positive = models.Constraint(
        "CHECK(down_payment >= 0 AND down_payment < amount_total)",
        "The down payment must be positive and less than the planned amount.",
    )
    _one_active_per_case = models.UniqueIndex(
        "(case_id) WHERE state = 'active'", "A case can only have one active payment plan."
    )

    @api.depends("case_id", "date_start")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "Payment plan of %(date)s (%(case)s)",
                case=plan.case_id.name or "",
                # Printed on the customer's statement: the month written out.
                date=customer_date(self.env, plan.date_start) if plan.date_start else "",
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        # A computed field given at creation is stored as given, even empty: a plan
        # created with "needs approval" off would never need one.
        self._check_engine_fields(vals_list, creating=True)
        # The installments come with the plan, as its schedule: see the installments.
        plans = super(CollectionPlan, self.with_context(collection_plan_schedule=SCHEDULED)).create(
            vals_list
        )
        return plans.with_env(self.env)

    def write(self, vals):
        terms = TERMS_FIELDS & set(vals)
        if not self.env.su:
            self._check_engine_fields([vals])
            if "case_id" in vals and any(plan.case_id.id != vals["case_id"] for plan in self):
                raise UserError(
                    self.env._(
                        "A payment plan stays on the case it was made for: build a new plan "
                        "on the other case."
                    )
                )
            if terms:
                self._check_terms_editable()
            if SCHEDULE_TERMS & terms:
                # The plan reschedules its installments, which people never write: checked
                # as the user, written as the plan's own action.
                self.check_access("write")
                for plan in self:
                    super(CollectionPlan, plan.sudo()).write(
                        vals | {"installment_ids": plan._rescheduled(vals)}
                    )
                self._reset_approval()
                return True
        result = super().write(vals)
        if terms:
            self._reset_approval()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(plan.state != "draft" for plan in self):
            raise UserError(
                self.env._("Only draft payment plans can be deleted: cancel the plan instead.")
            )

    def _engine_fields_error(self, fields):
        # Like a posted entry's, a plan's state and approval change only through its actions.
        return self.env._(
            "%(fields)s of a payment plan change only through its buttons (request "
            "approval, approve, propose, activate, cancel) or follow from its terms and "
            "payments: they cannot be set by hand.",
            fields=fields,
        )

    def _check_terms_editable(self):
        if self.filtered(lambda plan: plan.state not in ("draft", "proposed")):
            raise UserError(
                self.env._(
                    "The amount and schedule of a payment plan cannot change once it is active "
                    "or ended: cancel it and build a new one."
                )
            )

    def _terms_changed(self):
        """The amount or schedule changed: what a manager approved no longer holds."""
        if not self.env.su:
            self._check_terms_editable()
        self._reset_approval()

    # --------------------------------------------------------------- actions

    def action_propose(self):
        """Send the schedule to the customer (email with the PDF, queued)."""
        if any(plan.state != "draft" for plan in self):
            raise UserError(self.env._("Only draft plans can be proposed."))
        self._check_approval()
        for plan in self:
            recipient = plan.contact_id or plan.partner_id
            if not recipient.email:
                raise UserError(
                    self.env._(
                        "%(partner)s has no email address: the proposal cannot be sent.",
                        partner=recipient.display_name,
                    )
                )
        verdicts = self.env["collection.compliance"]._check_contacts(self.case_id, "email")
        for plan in self:
            verdict = verdicts[plan.case_id.id]
            if verdict["verdict"] == "blocked":
                raise UserError(
                    self.env._(
                        "The proposal to %(partner)s cannot be sent: %(reason)s",
                        partner=plan.partner_id.display_name,
                        reason=verdict["reason"],
                    )
                )
        template = self.env.ref("collections_officer.mail_template_collection_plan")
        self.check_access("write")
        self.sudo().write({"state": "proposed"})
        self.case_id._portal_grant_link()
        # Queued: the mail queue sends it, the user does not wait for the mail server.
        messages = self.with_context(mail_notify_force_send=False).message_post_with_source(
            template, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        message_of = {message.res_id: message for message in messages}
        # What was sent, under who sent it: the customer has promised nothing yet.
        self.env["collection.contact"]._log_sent(
            [
                {
                    "case_id": plan.case_id.id,
                    "partner_id": (plan.contact_id or plan.partner_id).id,
                    "channel": "email",
                    "outcome": "plan_proposed",
                    "note": self.env._(
                        "Payment plan proposed: %(count)s installments, %(amount)s in total.",
                        count=plan.installment_count,
                        amount=plan.currency_id.format(plan.amount_total),
                    ),
                    "message_id": message_of[plan.id].id if plan.id in message_of else False,
                }
                for plan in self
            ],
            post_on_case=True,
        )
        return True

    def action_activate(self):
        """The customer accepted: installments are now followed against payments."""
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(self.env._("Only draft or proposed plans can be activated."))
        if any(not plan.installment_ids for plan in self):
            raise UserError(self.env._("A payment plan needs installments."))
        self._check_approval()
        active = self.search([("case_id", "in", self.case_id.ids), ("state", "=", "active")])
        if active or len(self.case_id) < len(self):
            raise UserError(
                self.env._(
                    "Case %(case)s already has an active payment plan: cancel it first.",
                    case=(active.case_id or self.case_id)[0].name,
                )
            )
        self.check_access("write")
        self.sudo().write({"state": "active"})
        self.case_id.sudo().filtered(lambda c: c.state in ("open", "promised", "escalated")).write(
            {"state": "plan"}
        )
        self._log_on_cases(
            lambda plan: self.env._(
                "Payment plan activated: %(count)s installments, %(amount)s in total, "
                "last one on %(date)s.",
                count=plan.installment_count,
                amount=plan.currency_id.format(plan.amount_total),
                date=format_date(self.env, plan.last_date),
            )
        )
        self._record_agreement()
        return True

    def _record_agreement(self):
        """The customer agreed these plans today: they supersede the open promises of their
        cases, cancelled with a note, so that the same money is never counted twice."""
        for company, plans in self.sudo().grouped("company_id").items():
            plans.write({"activation_date": company._collection_today()})
        promises = (
            self.env["collection.promise"]
            .sudo()
            .search([("case_id", "in", self.case_id.ids), ("state", "=", "open")])
        )
        if not promises:
            return
        for company, company_promises in promises.grouped("company_id").items():
            company_promises.write(
                {"state": "cancelled", "judged_date": company._collection_today()}
            )
        plan_of = {plan.case_id: plan for plan in self}
        promises.case_id._message_log_batch(
            bodies={
                case.id: Markup("<br/>").join(
                    self.env._(
                        "Promise %(promise)s cancelled: superseded by %(plan)s.",
                        promise=promise.display_name,
                        plan=plan_of[case].display_name,
                    )
                    for promise in case_promises
                )
                for case, case_promises in promises.grouped("case_id").items()
            }
        )

    def action_cancel(self):
        if any(plan.state not in ("draft", "proposed", "active") for plan in self):
            raise UserError(self.env._("Only draft, proposed or active plans can be cancelled."))
        was_active = self.filtered(lambda p: p.state == "active")
        self.check_access("write")
        for company, plans in self.sudo().grouped("company_id").items():
            plans.write({"state": "cancelled", "date_end": company._collection_today()})
        if was_active:
            was_active._log_on_cases(lambda plan: self.env._("Payment plan cancelled."))
            self._release_cases(was_active.case_id, broken=False)
        return True

    def action_print(self):
        return self.env.ref("collections_officer.action_report_collection_plan").report_action(self)

    # ------------------------------------------------------------ scheduled

    @api.model
    def _to_judge_domain(self, today=None):
        """Active plans not judged on ``today`` (default: their company's day)."""
        judged_before = (
            Domain("judged_date", "<", today)
            if today
            else self.env["collection.ledger"]._company_day_domain("judged_date", "<")
        )
        return Domain("state", "=", "active") & (Domain("judged_date", "=", False) | judged_before)

    @api.model
    def _judge_active_plans(self, batch_size=200):
        """Complete the paid plans and break those with too many missed installments.

        Each plan is judged once a day (``judged_date``): a call out of time leaves
        the rest to the next call. Returns the number of plans left then, else None.
        """
        plans = self.sudo().search(self._to_judge_domain(), order="id")
        return self.env["collection.run"]._process_in_batches(
            plans, batch_size, True, lambda batch: batch._judge_isolated()
        )

    def _judge_isolated(self, today=None):
        """Judge these plans on ``today`` (default: their company's day), each failure alone."""
        result = super()._judge_isolated(today)
        # Failed ones too: they are tried again tomorrow, not in a loop today.
        for company, plans in self.grouped("company_id").items():
            plans.write({"judged_date": today or company._collection_today()})
        return result

    def _judge_day(self, today):
        """Complete the paid plans and break those with too many missed installments."""
        self._invalidate_allocation()
        completed = self.filtered(
            lambda p: p.currency_id.compare_amounts(p.amount_received, p.amount_total) >= 0
        )
        broken = (self - completed).filtered(
            lambda p: p.missed_count >= max(p.company_id.collection_plan_missed_limit, 1)
        )
        if completed:
            completed.write({"state": "completed", "date_end": today})
            completed._log_on_cases(
                lambda plan: self.env._("Payment plan completed: every installment is paid.")
            )
            self._release_cases(completed.case_id, broken=False)
        if broken:
            broken.write({"state": "broken", "date_end": today})
            broken._log_on_cases(
                lambda plan: self.env._(
                    "Payment plan broken: %(count)s installments missed.", count=plan.missed_count
                )
            )
            self._release_cases(broken.case_id, broken=True)
