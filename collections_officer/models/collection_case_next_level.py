from datetime import timedelta

from odoo import api, fields, models


class CollectionCase(models.Model):
    """Where a case stands in its policy: the one computation of its next level.

    The run, the case form, the next action and the worklist all ask
    ``_level_schedule``: the level that comes next and the day it is due.
    """

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    followup_blocked_reason = fields.Char(
        string="No Follow-up Now",
        compute="_compute_followup_blocked_reason",
        help="Why the daily run sends the case no follow-up level now.",
    )

    def _compute_followup_blocked_reason(self):
        # The reasons read the customer's flags and the managers' decisions: an officer
        # sees them on the cases they work.
        open_cases = self.filtered(lambda case: case.id and case.state != "closed")
        blockers = open_cases.sudo()._get_followup_blockers()
        for case in self:
            case.followup_blocked_reason = blockers.get(case.id, False)

    @api.model
    def _cases_awaiting_decision(self, case_ids):
        """The ids of the cases among ``case_ids`` whose escalation awaits a manager."""
        return {
            case.id
            for [case] in self.env["collection.escalation"]
            .sudo()
            ._read_group(
                [("case_id", "in", list(case_ids)), ("state", "=", "pending")], ["case_id"]
            )
        }

    def _get_escalation_blockers(self):
        """Cases whose escalation awaits a manager's decision: ``{case_id: reason}``.

        The officer asked a manager to decide what happens to the customer: the
        levels of the policy (a friendly reminder to a customer who refused to
        pay) wait for that decision. A collections manager may still send one by
        hand, with a reason.
        """
        pending = (
            self.env["collection.escalation"]
            .sudo()
            .search([("case_id", "in", self.ids), ("state", "=", "pending")])
        )
        reasons = dict(pending._fields["reason"]._description_selection(self.env))
        return {
            escalation.case_id.id: self.env._(
                "Escalated (%(reason)s), awaiting a manager's decision: no follow-up level is "
                "sent until it is decided; only a collections manager may send one meanwhile, "
                "with a reason.",
                reason=reasons.get(escalation.reason, ""),
            )
            for escalation in pending
        }

    @api.model
    def _case_policies(self, cases):
        """``{case id: policy id}``: the policy each case follows, the one resolver.

        The first active one of the case's own, the customer's in the case's
        company and the company's default; ``cases`` are dictionaries with
        ``id``, ``policy_id``, ``partner_id`` and ``company_id`` (as read for the
        priority, or built from records); read once per company.
        """
        companies = self.env["res.company"].sudo().browse({case["company_id"] for case in cases})
        own = {}
        for company in companies:
            partners = (
                self.env["res.partner"]
                .sudo()
                .with_company(company)
                .browse({case["partner_id"] for case in cases if case["company_id"] == company.id})
            )
            partners.fetch(["collection_policy_id"])
            own |= {
                (partner.id, company.id): partner.collection_policy_id.id for partner in partners
            }
        defaults = {company.id: company.collection_policy_id.id for company in companies}
        candidate_ids = {
            policy_id
            for case in cases
            for policy_id in (case["policy_id"], own[(case["partner_id"], case["company_id"])])
        } | set(defaults.values())
        active = set(
            self.env["collection.policy"]
            .sudo()
            .search([("id", "in", list(candidate_ids - {None, False}))])
            .ids
        )
        policies = {}
        for case in cases:
            for policy_id in (
                case["policy_id"],
                own[(case["partner_id"], case["company_id"])],
                defaults[case["company_id"]],
            ):
                if policy_id in active:
                    policies[case["id"]] = policy_id
                    break
        return policies

    @api.model
    def _level_schedule(
        self,
        policy,
        oldest_due_date,
        next_due_date,
        current,
        level_date,
        today,
        awaiting_decision=False,
    ):
        """``(level, due_day, not_before)`` of a case, or None when no level is ahead.

        The next level of ``policy`` after ``current`` falls due when the oldest
        overdue item (before any, the earliest due date: levels with a negative
        delay remind before it) reaches its delay; ``not_before`` is the day the
        spacing between the two levels allows it (False: no spacing applies), and
        ``due_day`` the later of both. A case moves one level at a time and never
        back, except its first contact when the policy starts old debt at the
        level its age reaches: it then stops at the first level reached that must
        be sent before the next ones. A case ``awaiting_decision`` of a manager on
        its escalation has no level ahead until the decision: what the customer
        gets next is the manager's to decide.
        """
        reference = oldest_due_date or next_due_date
        if awaiting_decision or not policy or not reference:
            return None
        levels = policy._get_levels()
        if oldest_due_date:
            # Something is overdue: the reminders before the due date are past.
            levels = levels.filtered(lambda level: level.delay_days >= 0)
        if current and current not in levels:
            # The policy changed: carry on after the levels with a shorter delay.
            previous = levels.filtered(lambda level: level.delay_days <= current.delay_days)
            current = previous[-1:] if previous else current.browse()
        position = list(levels).index(current) + 1 if current else 0
        if position >= len(levels):
            return None
        level = levels[position]
        age = (today - reference).days
        if not current and policy.first_level_by_age and age >= level.delay_days:
            reached = levels.filtered(lambda lvl: lvl.delay_days <= age)
            required = reached[:-1].filtered("required_before_next")
            level = required[:1] or reached[-1:]
        not_before = False
        if current and level_date:
            not_before = level_date + timedelta(days=level.delay_days - current.delay_days)
        due_day = reference + timedelta(days=level.delay_days)
        if not_before:
            due_day = max(due_day, not_before)
        return level, due_day, not_before

    def _get_level_schedules(self, today=None, with_awaiting=False):
        """``{case_id: (level, due_day, not_before)}`` of these cases (see
        ``_level_schedule``); closed cases and cases with no level ahead omitted.

        ``with_awaiting``: also the level of the cases awaiting a manager's decision,
        as if none were awaited (what a manager sends by hand, with a reason).
        """
        policies = self._get_followup_policies()
        awaiting = set() if with_awaiting else self._cases_awaiting_decision(self.ids)
        schedules = {}
        for case in self:
            if case.state == "closed":
                continue
            schedule = self._level_schedule(
                policies.get(case.id),
                case.oldest_due_date,
                case.next_due_date,
                case.level_id,
                case.level_date,
                today or case.company_id._collection_today(),
                awaiting_decision=case.id in awaiting,
            )
            if schedule:
                schedules[case.id] = schedule
        return schedules
