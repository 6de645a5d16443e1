from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_amount

from .collection_escalation import ESCALATION_ACTIVITY
from .collection_promise import APPROVAL_ACTIVITY as PROMISE_APPROVAL_ACTIVITY
from .collection_writeoff import WRITEOFF_ACTIVITY


class CollectionCase(models.Model):
    """The next action of a case: the earliest thing that needs its officer, and the
    callback agreed with the customer."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    next_action_label = fields.Char(string="Next Action", readonly=True)
    callback_date = fields.Date(
        string="Call Back On",
        tracking=True,
        help="The day agreed with the customer, or set by the officer, to contact them again.",
    )

    @api.model
    def _next_actions(self, cases, today):
        """``{case id: (date, label)}``: the earliest thing that needs the officer.

        From an open promise's deadline, the next installment of the active plan
        not paid yet plus the grace days (today when the plan is off track), the
        next follow-up level's date (cases in follow-up), an open dispute's
        deadline, the earliest open activity and the agreed callback. The
        managers' decisions (an escalation, a write-off or a promise to approve)
        are theirs, not the officer's: a case awaiting one has no date of its own
        until it is decided. A case in follow-up with none of these is for the
        officer to decide on today.
        """
        ids = [case["id"] for case in cases]
        candidates = {case_id: [] for case_id in ids}

        def offer(case_id, day, label):
            if day:
                candidates[case_id].append((day, label))

        promises = (
            self.env["collection.promise"]
            .sudo()
            .search([("case_id", "in", ids), ("state", "=", "open")], order="deadline, id")
        )
        for promise in promises:
            offer(
                promise.case_id.id,
                promise.deadline,
                self.env._(
                    "Promise of %(amount)s due",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                ),
            )
        plans = (
            self.env["collection.plan"]
            .sudo()
            .search([("case_id", "in", ids), ("state", "=", "active")])
        )
        for plan in plans:
            if not plan.on_track:
                offer(plan.case_id.id, today, self.env._("Payment plan off track"))
                continue
            grace = timedelta(days=plan.company_id.collection_installment_grace_days)
            upcoming = [
                installment
                for installment in plan.installment_ids
                if installment.state != "paid" and installment.date + grace >= today
            ]
            if upcoming:
                installment = min(upcoming, key=lambda item: item.date)
                offer(
                    plan.case_id.id,
                    installment.date + grace,
                    self.env._("%(installment)s due", installment=installment.display_name),
                )
        awaiting = self._cases_awaiting_decision(ids)
        in_followup = [case for case in cases if case["state"] in ("upcoming", "open", "escalated")]
        level_labels = {}
        for case_id, (level, day) in self._get_next_level_dates(in_followup, awaiting).items():
            if level not in level_labels:
                level_labels[level] = self.env._("Follow-up: %(level)s", level=level.name)
            offer(case_id, day, level_labels[level])
        for case, deadline in (
            self.env["collection.dispute"]
            .sudo()
            ._read_group(
                [("case_id", "in", ids), ("state", "=", "open")],
                ["case_id"],
                ["deadline:min"],
            )
        ):
            offer(case.id, deadline, self.env._("Dispute deadline"))
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", ids),
                    ("activity_type_id", "not in", self._manager_activity_types().ids),
                ],
                order="date_deadline, id",
            )
        )
        for activity in activities:
            offer(
                activity.res_id,
                activity.date_deadline,
                activity.summary or activity.activity_type_id.name or self.env._("Activity"),
            )
        call_back = self.env._("Call back")
        undecided = self.env._("Decide the next step")
        waiting = self.env._("Awaiting a manager's decision")
        actions = {}
        for case in cases:
            offer(case["id"], case["callback_date"], call_back)
            if candidates[case["id"]]:
                actions[case["id"]] = min(candidates[case["id"]], key=lambda item: item[0])
            elif case["id"] in awaiting:
                actions[case["id"]] = (None, waiting)
            elif case["state"] in ("open", "escalated"):
                actions[case["id"]] = (today, undecided)
        return actions

    @api.model
    def _manager_activity_types(self):
        """The activities asking a manager to decide on a case: not the officer's to do."""
        return (
            self.env["mail.activity.type"]
            .browse(
                self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
                for xmlid in (ESCALATION_ACTIVITY, WRITEOFF_ACTIVITY, PROMISE_APPROVAL_ACTIVITY)
            )
            .exists()
        )

    @api.model
    def _get_next_level_dates(self, cases, awaiting=None):
        """``{case id: (level, date)}``: the next level of each case and the day it is due
        (see ``_level_schedule``), for the cases read as dictionaries; ``awaiting``:
        the ids of those awaiting a manager's decision, read when not given."""
        if awaiting is None:
            awaiting = self._cases_awaiting_decision([case["id"] for case in cases])
        Policy = self.env["collection.policy"].sudo()
        Level = self.env["collection.level"].sudo()
        by_id = {case["id"]: case for case in cases}
        companies = self.env["res.company"].sudo().browse({case["company_id"] for case in cases})
        today = {company.id: company._collection_today() for company in companies}
        dates = {}
        for case_id, policy_id in self._case_policies(cases).items():
            case = by_id[case_id]
            schedule = self._level_schedule(
                Policy.browse(policy_id),
                case["oldest_due_date"],
                case["next_due_date"],
                Level.browse(case["level_id"]),
                case["level_date"],
                today[case["company_id"]],
                awaiting_decision=case_id in awaiting,
            )
            if schedule:
                dates[case_id] = schedule[:2]
        return dates
