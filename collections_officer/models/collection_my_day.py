from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL, format_amount

from .collection_escalation import ESCALATION_ACTIVITY
from .collection_plan_approval import APPROVAL_ACTIVITY as PLAN_APPROVAL_ACTIVITY
from .collection_promise import APPROVAL_ACTIVITY as PROMISE_APPROVAL_ACTIVITY
from .collection_writeoff import WRITEOFF_ACTIVITY

# A dispute is "near its deadline" this many days before it.
DISPUTE_NEAR_DAYS = 3
# What the officer does on a case: a case listed for one of them is not "Action Due" too.
OFFICER_REASONS = ("2_callback", "3_promise", "4_installment", "5_dispute")


class CollectionMyDay(models.Model):
    """The officer's day: one row per thing to do today on a case, by reason, and
    what it is; a manager's day also lists the decisions asked of them.

    Read-only, computed on each read for each company's day (``_table_query``),
    so that it needs no job to keep it up to date and the grouped list counts each
    reason.
    """

    _name = "collection.my.day"
    _description = "My Day"
    _auto = False
    _order = "reason, due_date, overdue_amount desc, id"
    # What the query reads: flushed before each read.
    _depends = {
        "collection.case": [
            "active",
            "state",
            "next_action_date",
            "user_id",
            "partner_id",
            "team_id",
            "company_id",
            "currency_id",
            "overdue_amount",
            "next_action_label",
            "callback_date",
        ],
        "mail.activity": [
            "res_model",
            "res_id",
            "user_id",
            "date_deadline",
            "activity_type_id",
            "active",
            "summary",
        ],
        "collection.promise": ["case_id", "state", "date"],
        "collection.plan": ["case_id", "state"],
        "collection.plan.installment": ["plan_id", "date"],
        "collection.dispute": ["case_id", "state", "deadline", "move_id"],
        "account.move": ["name"],
    }

    case_id = fields.Many2one("collection.case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Officer", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    # The values sort in the order of the day: the grouped list shows them so.
    reason = fields.Selection(
        [
            ("1_action", "Action Due"),
            ("2_callback", "Callbacks"),
            ("3_promise", "Promises Due Today"),
            ("4_installment", "Installments Due"),
            ("5_dispute", "Disputes Near Their Deadline"),
            ("6_escalation", "Escalations to Decide"),
            ("7_approval", "Plans and Promises to Approve"),
            ("8_writeoff", "Write-Offs to Approve"),
        ],
        readonly=True,
    )
    due_date = fields.Date(string="Due", readonly=True)
    summary = fields.Char(string="What", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True, aggregator="sum")
    state = fields.Selection(related="case_id.state", string="Case Status")
    partner_phone = fields.Char(related="case_id.partner_phone", string="Phone")

    @property
    def _table_query(self):
        companies = (
            self.env["res.company"].sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        )
        today_of = {company.id: company._collection_today() for company in companies}
        # Each case's company's day: a VALUES table joined on the case's company.
        days = SQL(
            "(VALUES %s) AS cd(company_id, today)",
            SQL(", ").join(
                SQL("(%s, %s::date)", company_id, today) for company_id, today in today_of.items()
            ),
        )
        call_type = self._activity_type("mail.mail_activity_data_call")
        call_back = self.env._("Call back")
        # What is listed on a case from elsewhere than the case's row, a few rows: the
        # call activities due by the latest company's day (each checked against its
        # case's day below), and the promises, installments, disputes and decisions
        # built in Python.
        others = [
            SQL(
                """
                SELECT a.res_id AS case_id, '2_callback' AS reason, a.user_id,
                       a.date_deadline AS due_date,
                       COALESCE(NULLIF(a.summary, ''), %(call_back)s)::varchar AS summary,
                       TRUE AS is_call
                  FROM mail_activity a
                 WHERE a.res_model = 'collection.case' AND a.active
                   AND a.date_deadline <= %(last_day)s
                   AND (a.activity_type_id = %(call)s OR a.activity_type_id IN (
                        SELECT id FROM mail_activity_type WHERE category = 'phonecall'))
                """,
                call_back=call_back,
                last_day=max(today_of.values()),
                call=call_type.id if call_type else None,
            )
        ]
        rows = self._promise_rows(today_of) + self._installment_rows(today_of)
        rows += self._dispute_rows(today_of) + self._decision_rows(today_of)
        if rows:
            others.append(
                SQL(
                    "SELECT *, FALSE FROM (VALUES %s) "
                    "AS r(case_id, reason, user_id, due_date, summary)",
                    SQL(", ").join(
                        SQL(
                            "(%s, %s, %s::int, %s::date, %s::varchar)",
                            case_id,
                            reason,
                            user_id or None,
                            day,
                            summary,
                        )
                        for case_id, reason, user_id, day, summary in rows
                    ),
                )
            )
        # The cases are read in one pass: each gives its "Action Due" and its agreed
        # callback, what is listed from elsewhere joined to it by its id. A case with a
        # call activity due is called once: its agreed callback is not listed. A case
        # listed for a precise thing the officer does (a callback, a promise...) is not
        # listed again as "Action Due": each thing to do is counted once. A manager's
        # decision on the case is the manager's: it leaves the officer's line alone.
        return SQL(
            """
            WITH other AS (%(others)s),
            listed AS (
                SELECT case_id,
                       MIN(due_date) FILTER (WHERE is_call) AS first_call,
                       bool_or(reason IN %(officer)s AND NOT is_call) AS for_officer
                  FROM other
                 GROUP BY case_id
            ),
            todo AS (
                SELECT c.id AS case_id, own.reason, c.user_id, own.due_date, own.summary,
                       c.partner_id, c.team_id, c.company_id, c.currency_id, c.overdue_amount
                  FROM collection_case c
                  JOIN %(days)s ON cd.company_id = c.company_id
                  LEFT JOIN listed ON listed.case_id = c.id
                 CROSS JOIN LATERAL (VALUES
                       ('1_action', c.next_action_date, c.next_action_label),
                       ('2_callback', c.callback_date, %(call_back)s::varchar)
                       ) AS own(reason, due_date, summary)
                 WHERE c.active AND c.state != 'closed' AND own.due_date <= cd.today
                   AND (listed.first_call <= cd.today) IS NOT TRUE
                   AND (own.reason != '1_action' OR (
                        (c.callback_date <= cd.today) IS NOT TRUE
                        AND listed.for_officer IS NOT TRUE))
                UNION ALL
                SELECT c.id, other.reason, other.user_id, other.due_date, other.summary,
                       c.partner_id, c.team_id, c.company_id, c.currency_id, c.overdue_amount
                  FROM other
                  JOIN collection_case c ON c.id = other.case_id
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE c.active AND c.state != 'closed'
                   AND (NOT other.is_call OR other.due_date <= cd.today)
            )
            SELECT row_number() OVER (
                       ORDER BY todo.reason, todo.case_id, todo.user_id, todo.summary
                   ) AS id, todo.*
              FROM todo
            """,
            others=SQL(" UNION ALL ").join(others),
            officer=OFFICER_REASONS,
            days=days,
            call_back=call_back,
        )

    def _activity_type(self, xmlid):
        """The activity type of ``xmlid``, empty when there is none. The table's query is
        built again for each search, count and read of the screen: the id comes from the
        xml ids' cache, without the query ``env.ref`` makes each time to check the record
        still exists (a type gone matches no activity either way)."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        return self.env["mail.activity.type"].browse(type_id or ())

    def _promise_rows(self, today_of):
        """Open promises whose date is today: check the money came, or call."""
        promises = (
            self.env["collection.promise"]
            .sudo()
            .search([("state", "=", "open"), ("date", "in", list(set(today_of.values())))])
        )
        return [
            (
                promise.case_id.id,
                "3_promise",
                promise.case_id.user_id.id,
                promise.date,
                self.env._(
                    "Promise of %(amount)s due",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                ),
            )
            for promise in promises
            if promise.date == today_of.get(promise.case_id.company_id.id)
        ]

    def _installment_rows(self, today_of):
        """Installments of running plans falling due today and not paid yet."""
        installments = (
            self.env["collection.plan.installment"]
            .sudo()
            .search(
                [
                    ("plan_id.state", "=", "active"),
                    ("date", "in", list(set(today_of.values()))),
                ]
            )
        )
        return [
            (
                installment.plan_id.case_id.id,
                "4_installment",
                installment.plan_id.case_id.user_id.id,
                installment.date,
                self.env._("%(installment)s due", installment=installment.display_name),
            )
            for installment in installments
            if installment.date == today_of.get(installment.plan_id.case_id.company_id.id)
            and installment.state != "paid"
        ]

    def _dispute_rows(self, today_of):
        """Open disputes whose deadline is near or past."""
        disputes = (
            self.env["collection.dispute"]
            .sudo()
            .search(
                [
                    ("state", "=", "open"),
                    ("deadline", "<=", max(today_of.values()) + timedelta(days=DISPUTE_NEAR_DAYS)),
                ]
            )
        )
        return [
            (
                dispute.case_id.id,
                "5_dispute",
                dispute.case_id.user_id.id,
                dispute.deadline,
                self.env._("Dispute on %(invoice)s", invoice=dispute.move_id.name),
            )
            for dispute in disputes
            if dispute.deadline
            <= today_of.get(dispute.case_id.company_id.id) + timedelta(days=DISPUTE_NEAR_DAYS)
        ]

    def _decision_rows(self, today_of):
        """What the managers decide: escalations, plans and promises to approve, write-offs.

        One row per manager asked (the one the request's activity is for; else
        the escalation's managers, else the company's collections managers), from
        the day the request falls due (a manager may put an activity off).
        """
        Activity = self.env["mail.activity"].sudo()
        types = {
            xmlid: self._activity_type(xmlid)
            for xmlid in (
                ESCALATION_ACTIVITY,
                WRITEOFF_ACTIVITY,
                PROMISE_APPROVAL_ACTIVITY,
                PLAN_APPROVAL_ACTIVITY,
            )
        }
        activities = Activity.search(
            [
                ("res_model", "in", ("collection.case", "collection.plan")),
                ("activity_type_id", "in", [type_.id for type_ in types.values() if type_]),
            ]
        )
        by_type = activities.grouped("activity_type_id")
        # One line per thing a manager decides, however many activities ask it.
        rows = {}

        def add(case, user, day, reason, summary):
            if case.active and day <= today_of.get(case.company_id.id, day):
                key = (case.id, reason, user.id, summary)
                rows[key] = min(day, rows.get(key, day))

        # Escalations: every pending one, asked with an activity or not (the follow-up's own).
        escalations = self.env["collection.escalation"].sudo().search([("state", "=", "pending")])
        reasons = dict(escalations._fields["reason"]._description_selection(self.env))
        decide = by_type.get(types[ESCALATION_ACTIVITY], Activity)
        decide_by_case = decide.grouped("res_id")
        for escalation in escalations:
            case = escalation.case_id
            summary = self.env._(
                "Decide escalation: %(reason)s", reason=reasons.get(escalation.reason, "")
            )
            asked = decide_by_case.get(case.id)
            if asked:
                for activity in asked:
                    add(case, activity.user_id, activity.date_deadline, "6_escalation", summary)
                continue
            day = case.company_id._collection_today(escalation.request_date)
            for user in escalation.manager_ids or case._collections_managers():
                add(case, user, day, "6_escalation", summary)
        plan_activities = by_type.get(types[PLAN_APPROVAL_ACTIVITY], Activity)
        plans = self.env["collection.plan"].sudo().browse(plan_activities.mapped("res_id"))
        # Records taken from the batch, not browsed one by one: their cases and
        # companies are read once for all of them.
        plans = {
            plan.id: plan for plan in plans.filtered(lambda p: p.approval_state == "requested")
        }
        promise_activities = by_type.get(types[PROMISE_APPROVAL_ACTIVITY], Activity)
        writeoff_activities = by_type.get(types[WRITEOFF_ACTIVITY], Activity)
        cases = {
            case.id: case
            for case in self.env["collection.case"]
            .sudo()
            .browse((promise_activities | writeoff_activities).mapped("res_id"))
        }
        for activity in plan_activities.filtered(lambda a: a.res_id in plans):
            plan = plans[activity.res_id]
            add(
                plan.case_id,
                activity.user_id,
                activity.date_deadline,
                "7_approval",
                self.env._(
                    "Approve the payment plan of %(amount)s",
                    amount=format_amount(self.env, plan.amount_total, plan.currency_id),
                ),
            )
        for activity in promise_activities:
            case = cases[activity.res_id]
            add(
                case,
                activity.user_id,
                activity.date_deadline,
                "7_approval",
                activity.summary or self.env._("Approve the promise to pay"),
            )
        writeoffs = (
            self.env["collection.writeoff"]
            .sudo()
            .search(
                [
                    ("case_id", "in", writeoff_activities.mapped("res_id")),
                    ("state", "=", "to_approve"),
                ]
            )
            .grouped("case_id")
        )
        for activity in writeoff_activities:
            case = cases[activity.res_id]
            for writeoff in writeoffs.get(case, ()):
                add(
                    case,
                    activity.user_id,
                    activity.date_deadline,
                    "8_writeoff",
                    self.env._(
                        "Approve the write-off of %(amount)s", amount=writeoff._amount_label()
                    ),
                )
        return [
            (case_id, reason, user_id, day, summary)
            for (case_id, reason, user_id, summary), day in rows.items()
        ]

    def action_open_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.case_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
