from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

# Periods of a month, to turn a monthly disposable income into what one installment
# of each frequency can take.
PERIODS_PER_MONTH = {"weekly": 52 / 12, "biweekly": 26 / 12, "monthly": 1}
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


def affordable_installment(disposable_income, frequency):
    """The installment a monthly disposable income affords at a frequency."""
    return max(disposable_income, 0) / PERIODS_PER_MONTH[frequency or "monthly"]


def months_between(start, end):
    """Whole months from start to end, a started month counting as one."""
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months + (1 if delta.days > 0 else 0)


class CollectionPlan(models.Model):
    """The schedule of a payment plan and the money that pays it.

    The installments' figures (how many, the last date, the duration), what a
    person's income affords, the rescheduling when the terms change, and the
    allocation of the money received from accounting to the installments, oldest
    first, which says how much is paid, overpaid or missed.
    """

    _inherit = "collection.plan"  # pylint: disable=consider-merging-classes-inherited

    installment_count = fields.Integer(compute="_compute_schedule_figures")
    last_date = fields.Date(string="Last Installment", compute="_compute_schedule_figures")
    duration_months = fields.Integer(
        compute="_compute_duration_months",
        store=True,
        help="Months from the start to the last installment.",
    )

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
        (see ``collection.commitment._money_received``) from the start of the plan
        to its end (or today), applied to the plan's own debt or left unapplied,
        pays the installments oldest first; a payment dated before the plan or of
        another invoice does not count, nor does a credit note (it lowers the debt,
        it pays no installment); an overpayment stays on the plan as overpaid.
        """
        received = {
            plan: plan.currency_id.round(cash) for plan, cash in self._money_received().items()
        }
        paid = {}
        for plan, left in received.items():
            for installment in plan.installment_ids.sorted(lambda i: (i.date, i.sequence, i.id)):
                paid[installment] = max(min(installment.amount, left), 0.0)
                left = plan.currency_id.round(left - paid[installment])
        return received, paid

    def _received_until(self):
        return self._reference_date()

    def _filtered_on_track(self):
        """The plans on track, read afresh from accounting."""
        self.invalidate_recordset(ALLOCATION_FIELDS)
        return self.filtered("on_track")

    def _reference_date(self):
        """The day the plan is looked at: today (the company's), or the day it ended."""
        self.ensure_one()
        today = self.company_id._collection_today()
        return min(self.date_end, today) if self.date_end else today

    def _invalidate_allocation(self):
        """Forget the allocation read earlier: it is read afresh from accounting."""
        self.invalidate_recordset(ALLOCATION_FIELDS)
        self.installment_ids.invalidate_recordset(["amount_paid", "amount_remaining", "state"])

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
