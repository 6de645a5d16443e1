from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..models.collection_plan import FREQUENCIES
from ..models.collection_plan_schedule import months_between

# Beyond this a schedule is a typing mistake (an amount per installment far too small).
MAX_INSTALLMENTS = 120


class CollectionPlanWizard(models.TransientModel):
    _name = "collection.plan.wizard"
    _description = "Build a Payment Plan"
    _check_company_auto = True

    case_id = fields.Many2one("collection.case", required=True, readonly=True, check_company=True)
    company_id = fields.Many2one(related="case_id.company_id")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who receives the proposal; the customer itself when empty.",
    )
    include_not_due = fields.Boolean(
        string="Plan All That Is Due",
        help="Plan the whole balance, amounts not yet due included, not only what is overdue.",
    )
    amount_total = fields.Monetary(
        string="Amount to Plan",
        compute="_compute_amount_total",
        store=True,
        readonly=False,
        help="Down payment included.",
    )
    case_currency_id = fields.Many2one(related="case_id.currency_id", string="Company Currency")
    amount_due = fields.Monetary(
        related="case_id.total_due", string="Total Due", currency_field="case_currency_id"
    )
    down_payment = fields.Monetary()
    down_payment_date = fields.Date(default=lambda self: self.env.company._collection_today())
    split_by = fields.Selection(
        [("count", "Number of Installments"), ("amount", "Amount per Installment")],
        required=True,
        default="count",
    )
    installment_count = fields.Integer(string="Installments", default=3)
    installment_amount = fields.Monetary(string="Amount per Installment")
    frequency = fields.Selection(FREQUENCIES, required=True, default="monthly")
    first_date = fields.Date(
        string="First Installment",
        required=True,
        default=lambda self: self.env.company._collection_today() + relativedelta(months=1),
    )
    note = fields.Html()

    # Affordability, for people.
    is_company = fields.Boolean(related="partner_id.is_company")
    monthly_income = fields.Monetary()
    monthly_expenses = fields.Monetary()
    disposable_income = fields.Monetary(compute="_compute_affordability")
    affordable_amount = fields.Monetary(
        string="Affordable Installment", compute="_compute_affordability"
    )
    affordability_warning = fields.Char(compute="_compute_affordability")

    schedule_preview = fields.Html(compute="_compute_schedule_preview", sanitize=False)
    schedule_error = fields.Char(compute="_compute_schedule_preview")

    # Said before the plan is created: the company's limits and what they mean for it.
    approval_limits = fields.Char(compute="_compute_approval")
    needs_approval = fields.Boolean(compute="_compute_approval")
    approval_note = fields.Char(compute="_compute_approval")
    can_approve = fields.Boolean(
        compute="_compute_approval", help="The current user approves the plans of this case."
    )

    @api.depends("case_id")
    def _compute_currency_id(self):
        # A plan is made in the currency of the debt it covers.
        scope = self.env["collection.ledger"]._commitment_scope(self.case_id)
        for wizard in self:
            debt = scope.get(wizard.case_id.id)
            wizard.currency_id = debt["currency"] if debt else wizard.case_id.currency_id

    @api.depends("case_id", "include_not_due", "currency_id")
    def _compute_amount_total(self):
        for wizard in self:
            case = wizard.case_id
            if wizard.currency_id in (case.currency_id, self.env["res.currency"]):
                wizard.amount_total = (
                    case.total_due if wizard.include_not_due else case.overdue_amount
                )
                continue
            debt = self.env["collection.ledger"]._commitment_scope(case)[case.id]
            wizard.amount_total = debt["total"] if wizard.include_not_due else debt["overdue"]

    @api.depends(
        "monthly_income",
        "monthly_expenses",
        "frequency",
        "amount_total",
        "down_payment",
        "split_by",
        "installment_count",
        "installment_amount",
        "first_date",
        "down_payment_date",
    )
    def _compute_affordability(self):
        Plan = self.env["collection.plan"]
        for wizard in self:
            try:
                schedule = wizard._schedule()
            except UserError:
                schedule = []
            largest = max(
                (line["amount"] for line in schedule if not line["is_down_payment"]), default=0
            )
            wizard.disposable_income, wizard.affordable_amount, wizard.affordability_warning = (
                Plan._affordability(
                    wizard.monthly_income,
                    wizard.monthly_expenses,
                    wizard.frequency,
                    largest,
                    wizard.currency_id,
                    wizard.is_company,
                )
            )

    @api.depends(
        "amount_total",
        "down_payment",
        "down_payment_date",
        "split_by",
        "installment_count",
        "installment_amount",
        "frequency",
        "first_date",
    )
    def _compute_schedule_preview(self):
        for wizard in self:
            try:
                schedule = wizard._schedule()
            except UserError as error:
                wizard.schedule_preview = False
                wizard.schedule_error = error.args[0]
                continue
            wizard.schedule_error = False
            wizard.schedule_preview = self.env["ir.qweb"]._render(
                "collections_officer.collection_plan_wizard_schedule",
                {"lines": schedule, "currency": wizard.currency_id},
            )

    @api.depends(
        "case_id",
        "currency_id",
        "amount_total",
        "down_payment",
        "down_payment_date",
        "split_by",
        "installment_count",
        "installment_amount",
        "frequency",
        "first_date",
    )
    @api.depends_context("uid")
    def _compute_approval(self):
        Plan = self.env["collection.plan"]
        manager = self.env.user.has_group("collections_officer.group_collections_manager")
        for wizard in self:
            company = wizard.case_id.company_id
            wizard.approval_limits = Plan._approval_limits(company) if company else False
            # As the plan's approvers: collections managers, and the manager of the case's team.
            wizard.can_approve = manager or (
                bool(wizard.case_id) and wizard.case_id.sudo().team_id.manager_id == self.env.user
            )
            try:
                schedule = wizard._schedule()
            except UserError:
                schedule = []
            # As the plan counts them: from its start (today) to the last installment.
            months = (
                months_between(company._collection_today(), max(line["date"] for line in schedule))
                if schedule
                else 0
            )
            reasons = Plan._approval_reasons(
                company, wizard.amount_total, wizard.currency_id, months
            )
            wizard.needs_approval = bool(reasons)
            if not schedule:
                wizard.approval_note = False
            elif not reasons:
                wizard.approval_note = self.env._("This plan is within the limits: no approval.")
            elif wizard.can_approve:
                wizard.approval_note = self.env._(
                    "This plan is above the limits (%(reasons)s): sending or activating it "
                    "approves it.",
                    reasons=", ".join(reasons),
                )
            else:
                wizard.approval_note = self.env._(
                    "This plan will need a manager's approval (%(reasons)s): create it, then "
                    "request the approval; it can be sent or activated once approved.",
                    reasons=", ".join(reasons),
                )

    def _schedule(self):
        """The installments as ``[{date, amount, is_down_payment, sequence}]``.

        Amounts are split in the currency's smallest unit: equal installments and
        the rounding remainder on the last one. Monthly dates are counted from the
        first date (31 January, 28 or 29 February, 31 March, ...), so a short month
        does not pull the following ones earlier. Refuses bad input with a clear error.
        """
        self.ensure_one()
        today = self.case_id.company_id._collection_today()
        currency = self.currency_id
        if currency.compare_amounts(self.amount_total, 0) <= 0:
            raise UserError(self.env._("The amount to plan must be positive."))
        if currency.compare_amounts(self.amount_total, self.case_id.total_due) > 0:
            raise UserError(
                self.env._(
                    "The amount to plan (%(amount)s) is above what the customer owes (%(due)s).",
                    amount=currency.format(self.amount_total),
                    due=currency.format(self.case_id.total_due),
                )
            )
        if currency.compare_amounts(self.down_payment, 0) < 0:
            raise UserError(self.env._("The down payment cannot be negative."))
        if currency.compare_amounts(self.down_payment, self.amount_total) >= 0:
            raise UserError(self.env._("The down payment must be less than the amount to plan."))
        if not self.first_date or self.first_date < today:
            raise UserError(self.env._("The first installment date is in the past."))
        has_down_payment = not currency.is_zero(self.down_payment)
        if has_down_payment and not (today <= (self.down_payment_date or today) <= self.first_date):
            raise UserError(
                self.env._("The down payment is due between today and the first installment date.")
            )

        unit = currency.rounding
        rest = round((self.amount_total - self.down_payment) / unit)
        if self.split_by == "count":
            if self.installment_count <= 0:
                raise UserError(self.env._("A plan needs at least one installment."))
            count = self.installment_count
            each = rest // count
            if each <= 0:
                raise UserError(
                    self.env._(
                        "Too many installments: each would be less than %(unit)s.",
                        unit=currency.format(unit),
                    )
                )
        else:
            if currency.compare_amounts(self.installment_amount, 0) <= 0:
                raise UserError(self.env._("The amount per installment must be positive."))
            each = round(self.installment_amount / unit)
            if each > rest:
                raise UserError(
                    self.env._(
                        "The amount per installment (%(installment)s) is more than the amount "
                        "to plan after the down payment (%(rest)s).",
                        installment=currency.format(self.installment_amount),
                        rest=currency.format(rest * unit),
                    )
                )
            count = -(-rest // each)
        if count > MAX_INSTALLMENTS:
            raise UserError(
                self.env._(
                    "%(count)s installments are too many: a plan has at most %(max)s.",
                    count=count,
                    max=MAX_INSTALLMENTS,
                )
            )
        amounts = [each] * (count - 1) + [rest - each * (count - 1)]

        lines = []
        if has_down_payment:
            lines.append(
                {
                    "sequence": 0,
                    "date": self.down_payment_date or today,
                    "amount": currency.round(self.down_payment),
                    "is_down_payment": True,
                }
            )
        for index, units in enumerate(amounts):
            lines.append(
                {
                    "sequence": index + 1,
                    "date": self._installment_date(index),
                    "amount": currency.round(units * unit),
                    "is_down_payment": False,
                }
            )
        return lines

    def _installment_date(self, index):
        if self.frequency == "weekly":
            return self.first_date + timedelta(weeks=index)
        if self.frequency == "biweekly":
            return self.first_date + timedelta(weeks=2 * index)
        return self.first_date + relativedelta(months=index)

    def action_create_plan(self):
        """Create the plan in draft and open it."""
        plan = self._create_plan()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.plan",
            "res_id": plan.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_create_and_propose(self):
        plan = self._create_plan()
        plan.action_propose()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.plan",
            "res_id": plan.id,
            "view_mode": "form",
            "target": "current",
        }

    def _create_plan(self):
        self.ensure_one()
        if self.case_id.state == "closed":
            raise UserError(
                self.env._("Case %(case)s is closed: nothing to plan.", case=self.case_id.name)
            )
        schedule = self._schedule()
        return self.env["collection.plan"].create(
            {
                "case_id": self.case_id.id,
                "contact_id": self.contact_id.id,
                "amount_total": self.amount_total,
                "down_payment": self.down_payment,
                "frequency": self.frequency,
                "monthly_income": self.monthly_income,
                "monthly_expenses": self.monthly_expenses,
                "note": self.note,
                "installment_ids": [Command.create(line) for line in schedule],
            }
        )
