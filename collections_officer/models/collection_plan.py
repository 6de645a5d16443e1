from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date

from .collection_plan_installment import SCHEDULED

# Periods of a month, to turn a monthly disposable income into what one installment
# of each frequency can take.
PERIODS_PER_MONTH = {"weekly": 52 / 12, "biweekly": 26 / 12, "monthly": 1}
FREQUENCIES = [("weekly", "Weekly"), ("biweekly", "Every Two Weeks"), ("monthly", "Monthly")]
# Read from accounting, not from fields: a payment booked in the same transaction does
# not invalidate them, so they are invalidated before decisions are taken on them.
ALLOCATION_FIELDS = [
    "amount_received",
    "amount_paid",
    "amount_remaining",
    "amount_overpaid",
    "missed_count",
    "on_track",
]
# The terms a manager approves: changing them takes the approval back.
TERMS_FIELDS = {"amount_total", "down_payment", "frequency", "installment_ids"}
# The terms the schedule is computed from: changing one reschedules the installments.
SCHEDULE_TERMS = {"amount_total", "down_payment", "frequency"}
APPROVAL_ACTIVITY = "collections_officer.mail_activity_type_plan_approval"


def affordable_installment(disposable_income, frequency):
    """The installment a monthly disposable income affords at a frequency."""
    return max(disposable_income, 0) / PERIODS_PER_MONTH[frequency or "monthly"]


def months_between(start, end):
    """Whole months from start to end, a started month counting as one."""
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months + (1 if delta.days > 0 else 0)


class CollectionPlan(models.Model):
    _name = "collection.plan"
    _description = "Payment Plan"
    # The fields declared read-only are written only through the plan's actions (a
    # manager's approval, the engine), as superuser, or computed: an officer who cleared
    # "needs approval" would activate a plan above the limits without a manager, one who
    # set the scope or the end date would choose the money that pays the plan, and the
    # plan-completion KPI reads the state and the end date. Stored related fields keep
    # what is written on them: the money of another customer would pay the plan.
    _inherit = ["collection.engine.fields", "mail.thread", "mail.activity.mixin"]
    # The schedule the plan wizard computed; afterwards the plan reschedules itself.
    _user_create_fields = frozenset({"installment_ids"})
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["case_id", "partner_id"]

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", string="Customer", store=True, index=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_scope",
        store=True,
        precompute=True,
        readonly=True,
        help="The invoices' currency when they all share one, else the company's: "
        "installments are paid in it.",
    )
    line_ids = fields.Many2many(
        "account.move.line",
        string="Debt Covered",
        compute="_compute_scope",
        store=True,
        precompute=True,
        readonly=True,
        copy=False,
        help="What was overdue when the plan was made (and the debt falling due, for a "
        "plan of more): money applied to it, or left unapplied, pays the installments; "
        "payments of other invoices and credit notes do not.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who receives the proposal; the customer itself when empty.",
    )
    user_id = fields.Many2one(
        "res.users", string="Officer", default=lambda self: self.env.user, tracking=True
    )
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
        readonly=True,
        copy=False,
        help="When the daily judging last looked at the plan while active.",
    )
    installment_ids = fields.One2many("collection.plan.installment", "plan_id", readonly=True)
    installment_count = fields.Integer(compute="_compute_schedule_figures")
    last_date = fields.Date(string="Last Installment", compute="_compute_schedule_figures")
    duration_months = fields.Integer(
        compute="_compute_duration_months",
        store=True,
        help="Months from the start to the last installment.",
    )
    activation_date = fields.Date(
        readonly=True, copy=False, help="When the customer's agreement made the plan active."
    )
    note = fields.Html()

    # Affordability, for people: what they earn and spend in a month.
    is_company = fields.Boolean(related="partner_id.is_company")
    monthly_income = fields.Monetary()
    monthly_expenses = fields.Monetary()
    disposable_income = fields.Monetary(compute="_compute_affordability")
    affordable_amount = fields.Monetary(
        string="Affordable Installment",
        compute="_compute_affordability",
        help="The disposable income per period of the plan's frequency.",
    )
    affordability_warning = fields.Char(compute="_compute_affordability")

    # Approval above the company's limits.
    needs_approval = fields.Boolean(compute="_compute_needs_approval", store=True)
    approval_state = fields.Selection(
        [("requested", "Requested"), ("approved", "Approved"), ("refused", "Refused")],
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Plans above the company's limits: the officer requests the approval, the team "
        "manager (else a collections manager) approves or refuses it.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    approval_date = fields.Datetime(readonly=True, copy=False)
    refusal_reason = fields.Char(readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve", help="The current user may approve or refuse the plan."
    )

    # Read from accounting: money received since the start, oldest installment first.
    amount_received = fields.Monetary(compute="_compute_allocation")
    amount_paid = fields.Monetary(compute="_compute_allocation")
    amount_remaining = fields.Monetary(compute="_compute_allocation")
    amount_overpaid = fields.Monetary(
        compute="_compute_allocation", help="Received beyond the planned amount."
    )
    missed_count = fields.Integer(string="Missed Installments", compute="_compute_allocation")
    on_track = fields.Boolean(
        compute="_compute_allocation",
        help="Active and no installment missed: automated follow-up of the case waits.",
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

    @api.depends("case_id", "date_start", "amount_total")
    def _compute_scope(self):
        self.env["collection.ledger"]._set_commitment_scope(self, "date_start", "amount_total")

    @api.depends("installment_ids.date")
    def _compute_schedule_figures(self):
        for plan in self:
            dates = plan.installment_ids.mapped("date")
            plan.installment_count = len(plan.installment_ids)
            plan.last_date = max(dates) if dates else False

    @api.depends("installment_ids.date", "date_start")
    def _compute_duration_months(self):
        for plan in self:
            dates = plan.installment_ids.mapped("date")
            plan.duration_months = (
                months_between(plan.date_start, max(dates)) if dates and plan.date_start else 0
            )

    @api.depends("monthly_income", "monthly_expenses", "frequency", "installment_ids.amount")
    def _compute_affordability(self):
        for plan in self:
            regular = plan.installment_ids.filtered(lambda i: not i.is_down_payment)
            plan.disposable_income, plan.affordable_amount, plan.affordability_warning = (
                self._affordability(
                    plan.monthly_income,
                    plan.monthly_expenses,
                    plan.frequency,
                    max(regular.mapped("amount"), default=0),
                    plan.currency_id,
                    plan.is_company,
                )
            )

    @api.model
    def _affordability(self, income, expenses, frequency, installment, currency, is_company):
        """What a person's monthly income affords: ``(disposable, affordable, warning)``.

        ``affordable`` is the disposable income per period of ``frequency``; ``warning``
        says so when the largest ``installment`` exceeds it. Companies and people who
        gave no figures get no warning. Shared by the plan and the plan wizard.
        """
        disposable = (income or 0) - (expenses or 0)
        affordable = affordable_installment(disposable, frequency)
        if is_company or not (income or expenses):
            return disposable, affordable, False
        if currency.compare_amounts(installment, affordable) <= 0:
            return disposable, affordable, False
        return (
            disposable,
            affordable,
            self.env._(
                "The installment of %(installment)s exceeds the %(affordable)s the customer's "
                "disposable income affords.",
                installment=currency.format(installment),
                affordable=currency.format(affordable),
            ),
        )

    @api.depends("amount_total", "currency_id", "duration_months", "company_id")
    def _compute_needs_approval(self):
        for plan in self:
            company = plan.company_id
            # The limit is in company currency; a plan in another currency at today's rate.
            amount = (
                plan.currency_id._convert(
                    plan.amount_total,
                    company.currency_id,
                    company,
                    company._collection_today(),
                )
                if plan.currency_id and company
                else plan.amount_total
            )
            plan.needs_approval = bool(
                (
                    company.collection_plan_max_amount
                    and company.currency_id.compare_amounts(
                        amount, company.collection_plan_max_amount
                    )
                    > 0
                )
                or (
                    company.collection_plan_max_months
                    and plan.duration_months > company.collection_plan_max_months
                )
            )

    @api.depends("case_id.team_id.manager_id")
    @api.depends_context("uid")
    def _compute_can_approve(self):
        manager = self.env.user.has_group("collections_officer.group_collections_manager")
        for plan in self:
            plan.can_approve = manager or plan.sudo().case_id.team_id.manager_id == self.env.user

    @api.depends(
        "amount_total",
        "date_start",
        "date_end",
        "partner_id",
        "line_ids",
        "currency_id",
        "installment_ids.amount",
        "installment_ids.date",
    )
    @api.depends_context("date")
    def _compute_allocation(self):
        received, paid = self._allocate()
        for plan in self:
            amount = received.get(plan, 0.0)
            plan.amount_received = amount
            plan.amount_paid = min(amount, plan.amount_total)
            plan.amount_remaining = plan.amount_total - plan.amount_paid
            plan.amount_overpaid = max(amount - plan.amount_total, 0)
            reference = plan._reference_date()
            plan.missed_count = sum(
                1
                for installment in plan.installment_ids
                if installment._state_with(paid.get(installment, 0.0), reference) == "missed"
            )
            plan.on_track = plan.state == "active" and not plan.missed_count

    def _allocate(self):
        """Money received per plan and its allocation to the installments.

        Returns ``({plan: received}, {installment: paid})``. The cash received
        (see ``collection.ledger._fetch_money_received``) from the start of the plan
        to its end (or today), applied to the plan's own debt or left unapplied,
        pays the installments oldest first; a payment dated before the plan or of
        another invoice does not count, nor does a credit note (it lowers the debt,
        it pays no installment); an overpayment stays on the plan as overpaid.
        """
        plans = self.filtered(lambda p: p.partner_id and p.date_start)
        amounts = self.env["collection.ledger"]._fetch_money_received(
            [
                (
                    plan.partner_id.id,
                    plan.company_id.id,
                    plan.date_start,
                    plan._reference_date(),
                    plan.line_ids.ids,
                    plan.currency_id,
                )
                for plan in plans
            ]
        )
        received, paid = {}, {}
        for plan, (cash, _credited) in zip(plans, amounts, strict=True):
            received[plan] = plan.currency_id.round(cash)
            left = received[plan]
            for installment in plan.installment_ids.sorted(lambda i: (i.date, i.sequence, i.id)):
                paid[installment] = max(min(installment.amount, left), 0.0)
                left = plan.currency_id.round(left - paid[installment])
        return received, paid

    def _filtered_on_track(self):
        """The plans on track, read afresh from accounting."""
        self.invalidate_recordset(ALLOCATION_FIELDS)
        return self.filtered("on_track")

    def _reference_date(self):
        """The day the plan is looked at: today (the company's), or the day it ended."""
        self.ensure_one()
        today = self.company_id._collection_today()
        return min(self.date_end, today) if self.date_end else today

    @api.depends("case_id", "date_start")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "Payment plan of %(date)s (%(case)s)",
                case=plan.case_id.name or "",
                date=format_date(self.env, plan.date_start) if plan.date_start else "",
            )

    @api.constrains("amount_total", "installment_ids")
    def _check_installments_total(self):
        for plan in self:
            if plan.installment_ids and plan.currency_id.compare_amounts(
                sum(plan.installment_ids.mapped("amount")), plan.amount_total
            ):
                raise ValidationError(
                    self.env._(
                        "The installments of %(plan)s do not add up to its planned amount.",
                        plan=plan.display_name,
                    )
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

    def _rescheduled(self, vals):
        """The installment commands that follow the terms ``vals`` gives the plan.

        The schedule is computed as the plan wizard computes it, with its checks: the
        same number of installments from the same first date, the down payment on its
        day (today when there was none).
        """
        self.ensure_one()
        installments = self.installment_ids
        regular = installments.filtered(lambda i: not i.is_down_payment).sorted(
            lambda i: (i.date, i.sequence, i.id)
        )
        if not regular:
            return []
        down_payment = installments.filtered("is_down_payment")[:1]
        amount_total = vals.get("amount_total", self.amount_total)
        wizard = self.env["collection.plan.wizard"].new(
            {
                "case_id": self.case_id.id,
                "currency_id": self.currency_id.id,
                "amount_total": amount_total,
                "down_payment": vals.get("down_payment", self.down_payment) or 0.0,
                "down_payment_date": down_payment.date or self.company_id._collection_today(),
                "frequency": vals.get("frequency", self.frequency),
                "split_by": "count",
                "installment_count": len(regular),
                "first_date": regular[0].date,
            }
        )
        # Computed from the case by the wizard: the plan's own figures stand.
        wizard.update({"currency_id": self.currency_id, "amount_total": amount_total})
        return [Command.delete(installment.id) for installment in installments] + [
            Command.create(line) for line in wizard._schedule()
        ]

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

    def _reset_approval(self):
        reset = self.filtered(lambda plan: plan.approval_state in ("approved", "refused"))
        if not reset:
            return
        reset.sudo().write(
            {
                "approval_state": False,
                "approved_by_id": False,
                "approval_date": False,
                "refusal_reason": False,
            }
        )
        for plan in reset:
            plan._message_log(
                body=self.env._("The amount or schedule changed: the plan needs a new approval.")
            )

    # --------------------------------------------------------------- actions

    def action_request_approval(self):
        """Ask the team manager (else the collections managers) to approve the plan."""
        self.check_access("write")
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(
                self.env._("Only draft or proposed plans can be submitted for approval.")
            )
        if self.filtered(lambda plan: not plan.needs_approval):
            raise UserError(
                self.env._("Within the company's limits, a payment plan needs no approval.")
            )
        if self.filtered(lambda plan: plan.approval_state == "approved"):
            raise UserError(self.env._("This payment plan is approved already."))
        self.sudo().write({"approval_state": "requested", "refusal_reason": False})
        for plan in self:
            for approver in plan._approvers():
                plan.sudo().activity_schedule(
                    APPROVAL_ACTIVITY,
                    summary=self.env._("Approve the payment plan"),
                    note=self.env._(
                        "%(officer)s asks you to approve %(plan)s: %(amount)s over "
                        "%(months)s months.",
                        officer=self.env.user.name,
                        plan=plan.display_name,
                        amount=plan.currency_id.format(plan.amount_total),
                        months=plan.duration_months,
                    ),
                    user_id=approver.id,
                )
            plan.message_post(
                body=self.env._("Approval requested by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_approve(self):
        self._check_approver()
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(self.env._("Only draft or proposed plans can be approved."))
        self._approve()
        for plan in self:
            plan.message_post(
                body=self.env._("Plan approved by %(user)s.", user=self.env.user.name),
                partner_ids=(plan.user_id | plan.case_id.user_id).partner_id.ids,
            )
        return True

    def action_refuse(self):
        """Refuse the approval, with a reason the officer reads."""
        self._check_approver()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse the Payment Plan"),
            "res_model": "collection.plan.refuse.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_plan_ids": self.ids},
        }

    def _refuse(self, reason):
        self._check_approver()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the payment plan is refused."))
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(self.env._("Only draft or proposed plans can be refused."))
        self.sudo().write(
            {
                "approval_state": "refused",
                "approved_by_id": False,
                "approval_date": False,
                "refusal_reason": reason,
            }
        )
        self._close_approval_activities(self.env._("Refused: %(reason)s", reason=reason))
        for plan in self:
            plan.message_post(
                body=self.env._(
                    "Plan refused by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
                ),
                partner_ids=(plan.user_id | plan.case_id.user_id).partner_id.ids,
            )
        return True

    def _approve(self):
        self.sudo().write(
            {
                "approval_state": "approved",
                "approved_by_id": self.env.user.id,
                "approval_date": fields.Datetime.now(),
                "refusal_reason": False,
            }
        )
        self._close_approval_activities(self.env._("Approved."))

    def _close_approval_activities(self, feedback):
        plans = self.sudo()
        plans.activity_feedback([APPROVAL_ACTIVITY], user_id=self.env.uid, feedback=feedback)
        plans.activity_unlink([APPROVAL_ACTIVITY])

    def _is_approver(self, user=None):
        """Collections managers approve every plan; a team's manager, the plans of its cases."""
        user = user or self.env.user
        if user.has_group("collections_officer.group_collections_manager"):
            return True
        return bool(self) and all(plan.sudo().case_id.team_id.manager_id == user for plan in self)

    def _check_approver(self):
        if not self._is_approver():
            raise UserError(
                self.env._(
                    "Only a collections manager or the manager of the case's team can approve "
                    "or refuse a payment plan."
                )
            )

    def _approvers(self):
        self.ensure_one()
        return self.case_id._get_approvers()

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
        self.case_id._message_log_batch(
            bodies={
                plan.case_id.id: self.env._(
                    "Payment plan activated: %(count)s installments, %(amount)s in total, "
                    "last one on %(date)s.",
                    count=plan.installment_count,
                    amount=plan.currency_id.format(plan.amount_total),
                    date=format_date(self.env, plan.last_date),
                )
                for plan in self
            }
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
            was_active.case_id._message_log_batch(
                bodies=dict.fromkeys(was_active.case_id.ids, self.env._("Payment plan cancelled."))
            )
            self.env["collection.promise"]._release_cases(was_active.case_id, broken=False)
        return True

    def action_print(self):
        return self.env.ref("collections_officer.action_report_collection_plan").report_action(self)

    def _check_approval(self):
        """Plans above the company's limits need an approver; an approver approves by acting."""
        to_approve = self.filtered(lambda p: p.needs_approval and p.approval_state != "approved")
        if not to_approve:
            return
        if not to_approve._is_approver():
            company = to_approve[0].company_id
            raise UserError(
                self.env._(
                    "%(plan)s needs a manager's approval: it is above the limits of "
                    "%(amount)s or %(months)s months. Request the approval first.",
                    plan=to_approve[0].display_name,
                    amount=company.currency_id.format(company.collection_plan_max_amount),
                    months=company.collection_plan_max_months,
                )
            )
        to_approve._approve()

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
        active = self.filtered(lambda p: p.state == "active")
        failed = self.env["collection.run"]._process_isolated(
            active, lambda plans: plans._judge(today)
        )
        for plan, error in failed.items():
            plan.case_id.collection_error = error
        # Failed ones too: they are tried again tomorrow, not in a loop today.
        for company, plans in self.grouped("company_id").items():
            plans.write({"judged_date": today or company._collection_today()})

    def _judge(self, today=None):
        if not today:
            for company, plans in self.grouped("company_id").items():
                plans._judge(company._collection_today())
            return
        self.invalidate_recordset(ALLOCATION_FIELDS)
        self.installment_ids.invalidate_recordset(["amount_paid", "amount_remaining", "state"])
        completed = self.filtered(
            lambda p: p.currency_id.compare_amounts(p.amount_received, p.amount_total) >= 0
        )
        broken = (self - completed).filtered(
            lambda p: p.missed_count >= max(p.company_id.collection_plan_missed_limit, 1)
        )
        if completed:
            completed.write({"state": "completed", "date_end": today})
            completed.case_id._message_log_batch(
                bodies=dict.fromkeys(
                    completed.case_id.ids,
                    self.env._("Payment plan completed: every installment is paid."),
                )
            )
            self.env["collection.promise"]._release_cases(completed.case_id, broken=False)
        if broken:
            broken.write({"state": "broken", "date_end": today})
            broken.case_id._message_log_batch(
                bodies={
                    plan.case_id.id: self.env._(
                        "Payment plan broken: %(count)s installments missed.",
                        count=plan.missed_count,
                    )
                    for plan in broken
                }
            )
            self.env["collection.promise"]._release_cases(broken.case_id, broken=True)
