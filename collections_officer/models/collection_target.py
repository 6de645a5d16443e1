from odoo import api, fields, models
from odoo.tools import format_date, formatLang

from .collection_kpi import first_of_month, previous_month


class CollectionTarget(models.Model):
    """What an officer or a team is asked to achieve in a month, and how far they are.

    The actual figures are the KPIs of the month (``collection.kpi``), never
    stored: they move as money comes in. A target card shows the month against
    the month before and the target.
    """

    _name = "collection.target"
    _description = "Collection Target"
    _order = "month desc, company_id, team_id, user_id, id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(
        required=True,
        index=True,
        default=lambda self: first_of_month(self.env.company._collection_today()),
        help="The first day of the month; any day given is moved to the first.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Officer",
        index="btree_not_null",
        check_company=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("collection.team", index="btree_not_null", check_company=True)
    month_label = fields.Char(
        string="Month of", compute="_compute_month_label", help="The month, written out."
    )
    target_amount_collected = fields.Monetary(string="Collected Target")
    target_cases_resolved = fields.Integer(string="Cases Resolved Target")
    target_promise_kept_rate = fields.Float(string="Promise-Kept Rate Target (%)")

    amount_collected = fields.Monetary(string="Collected", compute="_compute_actuals")
    cases_resolved = fields.Integer(compute="_compute_actuals")
    promise_kept_rate = fields.Float(string="Promise-Kept Rate (%)", compute="_compute_actuals")
    last_amount_collected = fields.Monetary(
        string="Collected Last Month", compute="_compute_actuals"
    )
    last_cases_resolved = fields.Integer(
        string="Cases Resolved Last Month", compute="_compute_actuals"
    )
    last_promise_kept_rate = fields.Float(
        string="Promise-Kept Rate Last Month (%)", compute="_compute_actuals"
    )
    progress_amount_collected = fields.Float(
        string="Collected Progress (%)", compute="_compute_actuals"
    )
    progress_cases_resolved = fields.Float(
        string="Cases Resolved Progress (%)", compute="_compute_actuals"
    )
    progress_promise_kept_rate = fields.Float(
        string="Promise-Kept Rate Progress (%)", compute="_compute_actuals"
    )
    progress_label = fields.Char(
        compute="_compute_actuals",
        help="Who, which month, and how far the amount collected is towards its target.",
    )

    _one_owner = models.Constraint(
        "CHECK((user_id IS NULL) != (team_id IS NULL))",
        "A collection target is set for an officer or for a team, not both.",
    )
    _targets_positive = models.Constraint(
        "CHECK(target_amount_collected >= 0 AND target_cases_resolved >= 0 "
        "AND target_promise_kept_rate BETWEEN 0 AND 100)",
        "Targets are positive, and a promise-kept rate is between 0 and 100%.",
    )
    _owner_month_uniq = models.UniqueIndex(
        "(company_id, month, COALESCE(user_id, 0), COALESCE(team_id, 0))",
        "This officer or team already has a target for this month.",
    )

    @api.depends("month")
    @api.depends_context("lang")
    def _compute_month_label(self):
        for target in self:
            target.month_label = (
                format_date(self.env, target.month, date_format="MMMM y") if target.month else ""
            )

    @api.depends("month", "user_id", "team_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for target in self:
            owner = target.user_id.name or target.team_id.name or ""
            month = target.month_label
            target.display_name = f"{owner} — {month}" if owner else month

    @api.depends_context("uid", "lang")
    @api.depends(
        "company_id",
        "month",
        "user_id",
        "team_id",
        "target_amount_collected",
        "target_cases_resolved",
        "target_promise_kept_rate",
    )
    def _compute_actuals(self):
        kpi = self.env["collection.kpi"]
        targets = self.filtered(lambda t: t.month and (t.user_id or t.team_id))
        scopes = [
            kpi._scope(target.company_id, day, target.user_id, target.team_id)
            for target in targets
            for day in (target.month, previous_month(target.month))
        ]
        results = iter(kpi._kpis(scopes))
        for target in self:
            if target not in targets:
                target.update(dict.fromkeys(self._actual_fields(), 0))
                target.progress_label = False
                continue
            now, last = next(results), next(results)
            target.amount_collected = now["collected"]
            target.cases_resolved = now["cases_closed"]
            target.promise_kept_rate = now["promise_kept_rate"] or 0.0
            target.last_amount_collected = last["collected"]
            target.last_cases_resolved = last["cases_closed"]
            target.last_promise_kept_rate = last["promise_kept_rate"] or 0.0
            target.progress_amount_collected = self._progress(
                target.amount_collected, target.target_amount_collected
            )
            target.progress_cases_resolved = self._progress(
                target.cases_resolved, target.target_cases_resolved
            )
            target.progress_promise_kept_rate = self._progress(
                target.promise_kept_rate, target.target_promise_kept_rate
            )
            target.progress_label = target._progress_label()

    @api.model
    def _actual_fields(self):
        return [
            name
            for name, field in self._fields.items()
            if field.compute == "_compute_actuals" and name != "progress_label"
        ]

    def _progress_label(self):
        """ "Sofia Reyes — December 2026: $ 2,985.00 of $ 3,700.00 collected (81 %)"."""
        self.ensure_one()
        currency = self.currency_id
        if not self.target_amount_collected:
            progress = self.env._(
                "%(amount)s collected, no target set",
                amount=currency.format(self.amount_collected),
            )
        else:
            progress = self.env._(
                "%(amount)s of %(target)s collected (%(percent)s %%)",
                amount=currency.format(self.amount_collected),
                target=currency.format(self.target_amount_collected),
                percent=formatLang(self.env, self.progress_amount_collected, digits=0),
            )
        return f"{self.display_name}: {progress}"

    @staticmethod
    def _progress(actual, target):
        """Progress towards a target, in percent (no target: nothing to progress to)."""
        return actual / target * 100.0 if target else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("month"):
                vals["month"] = first_of_month(vals["month"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("month"):
            vals = {**vals, "month": first_of_month(vals["month"])}
        return super().write(vals)
