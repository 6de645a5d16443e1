from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

# How far ahead the expected cash looks.
EXPECTED_CASH_DAYS = 28
# What a line reads of its case.
CASE_FIELDS = [
    "predicted_pay_date",
    "overdue_amount",
    "currency_id",
    "company_id",
    "partner_id",
    "user_id",
    "team_id",
]
# The columns of a line, as ``_expected_lines`` gives them.
LINE_COLUMNS = ("date", "source", "case_id", "partner_id", "user_id", "team_id", "company_id")


class CollectionExpectedCash(models.TransientModel):
    """The cash the desk expects in the next four weeks, for the user who asks.

    Built on demand from what the user may see: the remaining amounts of open
    promises (at their promised date), the unpaid part of the installments of
    active payment plans (at their date), and, where the case has a predicted
    pay date and no promise or plan, its overdue amount at that date. What is
    already late is expected today. Amounts in company currency.
    """

    _name = "collection.expected.cash"
    _description = "Collections: Expected Cash"
    _order = "date, id"

    date = fields.Date(required=True)
    source = fields.Selection(
        [("promise", "Promise"), ("installment", "Plan Installment"), ("predicted", "Predicted")],
        required=True,
    )
    case_id = fields.Many2one("collection.case")
    partner_id = fields.Many2one("res.partner", string="Customer")
    user_id = fields.Many2one("res.users", string="Officer")
    team_id = fields.Many2one("collection.team")
    company_id = fields.Many2one("res.company")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary()

    @api.model
    def _expected_lines(self):
        """The expected cash lines visible to the current user, as values."""
        # Each case's four weeks run from its company's day.
        on_day = self.env["collection.ledger"]._company_day_domain
        ahead = EXPECTED_CASH_DAYS - 1
        lines = []

        def add(source, day, case, amount, currency):
            company = case.company_id
            today = company._collection_today()
            amount = currency._convert(amount, company.currency_id, company, today)
            if company.currency_id.compare_amounts(amount, 0) > 0:
                lines.append(
                    {
                        "date": max(day, today),
                        "source": source,
                        "case_id": case.id,
                        "partner_id": case.partner_id.id,
                        "user_id": case.user_id.id,
                        "team_id": case.team_id.id,
                        "company_id": company.id,
                        "amount": amount,
                    }
                )

        promises = self.env["collection.promise"].search(
            Domain("state", "=", "open") & on_day("deadline", ">=") & on_day("date", "<=", ahead)
        )
        for promise in promises:
            add(
                "promise",
                promise.date,
                promise.case_id,
                promise.amount - promise.amount_received,
                promise.currency_id,
            )
        installments = self.env["collection.plan.installment"].search(
            Domain("plan_id.state", "=", "active") & on_day("date", "<=", ahead)
        )
        for installment in installments:
            add(
                "installment",
                installment.date,
                installment.plan_id.case_id,
                installment.amount_remaining,
                installment.currency_id,
            )
        committed = promises.case_id | installments.plan_id.case_id
        # The predicted cases are most of the lines: their fields fetched with the
        # search, in one query, rather than a read per thousand cases.
        cases = self.env["collection.case"].search_fetch(
            on_day("predicted_pay_date", "<=", ahead)
            & Domain("state", "not in", ("closed", "upcoming"))
            & Domain("id", "not in", committed.ids),
            CASE_FIELDS,
        )
        for case in cases:
            add(
                "predicted",
                case.predicted_pay_date,
                case,
                case.overdue_amount,
                case.currency_id,
            )
        return lines

    @api.model
    def _insert_lines(self, lines):
        """The user's lines in one statement: the ORM would insert them a hundred at a
        time, a query more for every hundred cases of the book. They have nothing to
        compute: the statement writes what ``create`` would."""
        self.check_access("create")
        if not lines:
            return
        uid, now = self.env.uid, self.env.cr.now()
        self.env.execute_query(
            SQL(
                "INSERT INTO %s (%s, amount, create_uid, create_date, write_uid, write_date) "
                "VALUES %s",
                SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(column) for column in LINE_COLUMNS),
                SQL(", ").join(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s)",
                        SQL(", ").join(line[column] or None for column in LINE_COLUMNS),
                        line["amount"],
                        uid,
                        now,
                        uid,
                        now,
                    )
                    for line in lines
                ),
            )
        )

    @api.model
    def action_open_expected_cash(self):
        """Rebuild the user's expected cash and show it week by week."""
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        self._insert_lines(self._expected_lines())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_expected_cash_action"
        )
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action
