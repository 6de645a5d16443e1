from datetime import timedelta

from odoo import api, fields, models

# What the customer agreed to pay and when: part of the terms a manager approves.
TERMS_FIELDS = {"plan_id", "date", "amount", "is_down_payment"}
# What the plan states of each installment of its schedule.
SCHEDULE_FIELDS = TERMS_FIELDS | {"sequence"}
# Put in the context by the plan creating its schedule. An object, not a flag: a
# client's context (JSON) cannot carry it.
SCHEDULED = object()


class CollectionPlanInstallment(models.Model):
    """One payment of a plan's schedule.

    The schedule is the plan's: created with it (the plan wizard computes it) and
    computed again by the plan when its terms change. What is paid, hence the state,
    is read from accounting. People never write an installment.
    """

    _name = "collection.plan.installment"
    _description = "Payment Plan Installment"
    _inherit = ["collection.engine.fields"]
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one(
        "collection.plan", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(default=10, readonly=True)
    is_down_payment = fields.Boolean(readonly=True)
    date = fields.Date(required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    amount_paid = fields.Monetary(string="Paid", compute="_compute_payment")
    amount_remaining = fields.Monetary(string="Remaining", compute="_compute_payment")
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("partial", "Partly Paid"),
            ("paid", "Paid"),
            ("late", "Late"),
            ("missed", "Missed"),
        ],
        compute="_compute_payment",
        help="Late: past its date but within the grace days. Missed: not paid by its date "
        "plus the grace days.",
    )

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "An installment amount must be positive."
    )

    @api.depends(
        "amount",
        "date",
        "plan_id.date_start",
        "plan_id.date_end",
        "plan_id.partner_id",
        "plan_id.installment_ids.amount",
    )
    @api.depends_context("date")
    def _compute_payment(self):
        _received, paid = self.plan_id._allocate()
        for installment in self:
            installment.amount_paid = paid.get(installment, 0.0)
            installment.amount_remaining = installment.amount - installment.amount_paid
            installment.state = installment._state_with(
                installment.amount_paid, installment.plan_id._reference_date()
            )

    def _state_with(self, paid, reference):
        """The state of the installment with `paid` received, looked at on `reference`."""
        self.ensure_one()
        if self.currency_id.compare_amounts(paid, self.amount) >= 0:
            return "paid"
        if reference <= self.date:
            return "partial" if paid else "pending"
        grace = self.company_id.collection_installment_grace_days
        if reference <= self.date + timedelta(days=grace):
            return "late"
        return "missed"

    @api.model_create_multi
    def create(self, vals_list):
        # The schedule a plan is created with states its terms, nothing read from accounting.
        scheduled = self.env.context.get("collection_plan_schedule") is SCHEDULED
        self._check_engine_fields(
            [
                {
                    name: value
                    for name, value in vals.items()
                    if not (scheduled and name in SCHEDULE_FIELDS)
                }
                for vals in vals_list
            ],
            creating=True,
        )
        installments = super().create(vals_list)
        installments.plan_id._terms_changed()
        return installments

    def write(self, vals):
        self._check_engine_fields([vals])
        if not TERMS_FIELDS & set(vals):
            return super().write(vals)
        plans = self.plan_id
        result = super().write(vals)
        (plans | self.plan_id)._terms_changed()
        return result

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of an installment follow the plan's schedule and the customer's "
            "payments: they cannot be set by hand. Change the plan's amount, down payment "
            "or frequency to reschedule it, or cancel it and build a new one.",
            fields=fields,
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_changes_terms(self):
        self.plan_id._terms_changed()

    @api.depends("is_down_payment", "sequence", "plan_id")
    def _compute_display_name(self):
        for installment in self:
            if installment.is_down_payment:
                installment.display_name = self.env._("Down payment")
            else:
                regular = installment.plan_id.installment_ids.filtered(
                    lambda i: not i.is_down_payment
                )
                position = (
                    regular.ids.index(installment.id) + 1 if installment.id in regular.ids else 0
                )
                installment.display_name = self.env._(
                    "Installment %(position)s of %(count)s",
                    position=position,
                    count=len(regular),
                )
