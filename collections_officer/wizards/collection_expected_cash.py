from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

# How far ahead the expected cash looks.
EXPECTED_CASH_DAYS = 28
# What a line reads of its case, when the line is built in Python.
CASE_FIELDS = [
    "predicted_pay_date",
    "overdue_amount",
    "currency_id",
    "company_id",
    "partner_id",
    "user_id",
    "team_id",
]
# The columns of a line, as ``_expected_lines`` gives them, the amount last.
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
        lines, predicted = self._expected_parts()
        rows = self.env.execute_query_dict(predicted)
        for row in rows:
            # Read back as Decimal: a float, as the lines built in Python give it.
            row["amount"] = float(row["amount"])
        return lines + rows

    @api.model
    def _expected_parts(self):
        """The user's lines in two parts: the lines built in Python, as values (the
        promises and installments, whose remaining amounts come from accounting, and
        the rare predicted case in another currency than its company's), and the
        SQL selecting the other predicted lines, most of the lines, in
        ``LINE_COLUMNS`` then the amount: a line of Python per case, on a book of
        tens of thousands of cases, took seconds."""
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])  # pylint: disable=no-search-all
        today_of = {company: company._collection_today() for company in companies}
        # Each case's four weeks run from its company's day.
        on_day = self.env["collection.ledger"]._company_day_domain
        ahead = EXPECTED_CASH_DAYS - 1
        lines = []

        def add(source, day, case, amount, currency):
            company = case.company_id
            today = today_of[company]
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
        predicted = (
            on_day("predicted_pay_date", "<=", ahead)
            & Domain("state", "not in", ("closed", "upcoming"))
            & Domain("id", "not in", committed.ids)
        )
        # A case's currency is its company's (see ``_compute_currency_id``): one kept
        # in another is converted here, as the promises are.
        foreign = Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain("currency_id", "not in", (False, company.currency_id.id))
            for company in companies
        )
        Case = self.env["collection.case"]
        for case in Case.search_fetch(predicted & foreign, CASE_FIELDS):
            add("predicted", case.predicted_pay_date, case, case.overdue_amount, case.currency_id)
        return lines, self._predicted_select(Case._search(predicted), today_of)

    @api.model
    def _predicted_select(self, query, today_of):
        """The lines of the cases of ``query`` kept in their company's currency, in
        one pass over them: their overdue amount rounded as the company's currency
        rounds it, at their predicted pay date or the company's day if later."""
        Case = self.env["collection.case"]
        Case.flush_model([*CASE_FIELDS, "state", "active"])
        query.add_join(
            "JOIN",
            "cd",
            SQL(
                "(SELECT * FROM (VALUES %s) AS v(company_id, today, currency_id, rounding))",
                SQL(", ").join(
                    SQL(
                        "(%s, %s::date, %s, %s::numeric)",
                        company.id,
                        today,
                        company.currency_id.id,
                        company.currency_id.rounding,
                    )
                    for company, today in today_of.items()
                ),
            ),
            SQL("cd.company_id = %s", SQL.identifier(query.table, "company_id")),
        )

        def column(name):
            return SQL.identifier(query.table, name)

        amount = SQL("ROUND(%s / cd.rounding) * cd.rounding", column("overdue_amount"))
        query.add_where(
            SQL(
                "COALESCE(%s, cd.currency_id) = cd.currency_id AND %s > 0",
                column("currency_id"),
                amount,
            )
        )
        return query.select(
            SQL("GREATEST(%s, cd.today) AS date", column("predicted_pay_date")),
            SQL("'predicted' AS source"),
            SQL("%s AS case_id", column("id")),
            *(SQL("%s AS %s", column(name), SQL.identifier(name)) for name in LINE_COLUMNS[3:]),
            SQL("%s AS amount", amount),
        )

    def _audit_columns(self):
        """The columns ``create`` fills on each row, and their values."""
        uid, now = self.env.uid, self.env.cr.now()
        return {"create_uid": uid, "create_date": now, "write_uid": uid, "write_date": now}

    @api.model
    def _insert_lines(self, lines, predicted=None):
        """The user's lines in one statement each: the ones given as values, and those
        ``predicted`` selects. The ORM would insert them a hundred at a time, a query
        more for every hundred cases of the book. They have nothing to compute: the
        statements write what ``create`` would."""
        self.check_access("create")
        audit = self._audit_columns()
        columns = SQL(", ").join(
            SQL.identifier(column) for column in (*LINE_COLUMNS, "amount", *audit)
        )
        if lines:
            self.env.execute_query(
                SQL(
                    "INSERT INTO %s (%s) VALUES %s",
                    SQL.identifier(self._table),
                    columns,
                    SQL(", ").join(
                        SQL(
                            "(%s, %s, %s)",
                            SQL(", ").join(line[column] or None for column in LINE_COLUMNS),
                            line["amount"],
                            SQL(", ").join(audit.values()),
                        )
                        for line in lines
                    ),
                )
            )
        if predicted is not None:
            self.env.execute_query(
                SQL(
                    "INSERT INTO %s (%s) SELECT predicted.*, %s FROM (%s) AS predicted",
                    SQL.identifier(self._table),
                    columns,
                    SQL(", ").join(audit.values()),
                    predicted,
                )
            )

    @api.model
    def _delete_lines(self):
        """The user's lines of a previous opening, in one statement: ``unlink`` deletes
        them a thousand at a time, and they are as many as the cases predicted.
        Nothing refers to a line."""
        self.check_access("unlink")
        self.env.execute_query(
            SQL(
                "DELETE FROM %s WHERE create_uid = %s",
                SQL.identifier(self._table),
                self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def action_open_expected_cash(self):
        """Rebuild the user's expected cash and show it week by week."""
        self._delete_lines()
        self._insert_lines(*self._expected_parts())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_expected_cash_action"
        )
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action
