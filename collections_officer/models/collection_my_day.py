from odoo import fields, models
from odoo.tools import SQL

# A dispute is "near its deadline" this many days before it.
DISPUTE_NEAR_DAYS = 3


class CollectionMyDay(models.Model):
    """The officer's day: one row per thing to do today on a case, by reason.

    Read-only, computed by the database on each read for the reader's today
    (``_table_query``), so that it needs no job to keep it up to date and the
    grouped list counts each reason.
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
        # Each case's company's day: a VALUES table joined on the case's company.
        days = SQL(
            "(VALUES %s) AS cd(company_id, today)",
            SQL(", ").join(
                SQL("(%s, %s::date)", company.id, company._collection_today())
                for company in self.env["res.company"]
                .sudo()
                .with_context(active_test=False)
                .search([])  # pylint: disable=no-search-all
            ),
        )
        call_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        queries = [
            # Action due: the case's next action date has come.
            SQL(
                """
                SELECT c.id AS case_id, '1_action' AS reason, c.user_id AS user_id,
                       c.next_action_date AS due_date, NULL::varchar AS summary
                  FROM collection_case c
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE c.active AND c.state != 'closed' AND c.next_action_date <= cd.today
                """,
                days=days,
            ),
            # Callbacks: call activities on the case due today or late, for whom they are.
            SQL(
                """
                SELECT a.res_id, '2_callback', a.user_id, a.date_deadline, a.summary
                  FROM mail_activity a
                  JOIN collection_case c ON c.id = a.res_id
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE a.res_model = 'collection.case' AND a.active
                   AND a.date_deadline <= cd.today
                   AND (a.activity_type_id = %(call)s OR a.activity_type_id IN (
                        SELECT id FROM mail_activity_type WHERE category = 'phonecall'))
                """,
                days=days,
                call=call_type.id if call_type else None,
            ),
            # Promises whose date is today: check the money came, or call.
            SQL(
                """
                SELECT p.case_id, '3_promise', c.user_id, p.date, NULL
                  FROM collection_promise p
                  JOIN collection_case c ON c.id = p.case_id
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE p.state = 'open' AND p.date = cd.today
                """,
                days=days,
            ),
            # Installments of running plans falling due today.
            SQL(
                """
                SELECT pl.case_id, '4_installment', c.user_id, i.date, NULL
                  FROM collection_plan_installment i
                  JOIN collection_plan pl ON pl.id = i.plan_id
                  JOIN collection_case c ON c.id = pl.case_id
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE pl.state = 'active' AND i.date = cd.today
                """,
                days=days,
            ),
            # Open disputes of the officer's cases whose deadline is near or past.
            SQL(
                """
                SELECT d.case_id, '5_dispute', c.user_id, d.deadline, m.name
                  FROM collection_dispute d
                  JOIN collection_case c ON c.id = d.case_id
                  JOIN account_move m ON m.id = d.move_id
                  JOIN %(days)s ON cd.company_id = c.company_id
                 WHERE d.state = 'open' AND d.deadline <= cd.today + %(near)s
                """,
                days=days,
                near=DISPUTE_NEAR_DAYS,
            ),
        ]
        # A case listed for a precise reason (a callback, a promise...) is not listed
        # again as "Action Due": each thing to do is counted once.
        return SQL(
            """
            WITH todo AS (%s)
            SELECT row_number() OVER (ORDER BY todo.reason, todo.case_id) AS id,
                   todo.case_id, todo.reason, todo.user_id, todo.due_date, todo.summary,
                   c.partner_id, c.team_id, c.company_id, c.currency_id, c.overdue_amount
              FROM todo
              JOIN collection_case c ON c.id = todo.case_id
             WHERE c.active AND c.state != 'closed'
               AND (todo.reason != '1_action' OR NOT EXISTS (
                    SELECT 1 FROM todo other
                     WHERE other.case_id = todo.case_id AND other.reason != '1_action'))
            """,
            SQL(" UNION ALL ").join(queries),
        )

    def action_open_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.case_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
