from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..models.collection_aging_report import AGING_BY

# What the action of an aging run carries to its pivot, graph and list.
CONTEXT_PREFIX = "collection_aging_"

# The most customers the pivot opens with a row each. A pivot of 2,000 customers is
# read and drawn in under a second; one of 20,000 took 2.65 s on the server alone
# (formatting 83,000 customer and bucket groups) and is no list to read. Past this,
# the pivot opens with a row per officer, whose customers a click on the row shows.
PIVOT_CUSTOMER_ROWS = 2000


class CollectionAgingLine(models.Model):
    """One open receivable item as of the date of an aging run, for pivot, graph and list.

    Not a table: the rows are the ledger's as-of aging (``collection.aging.report``)
    of the run carried by the context (``_context_params``), so that the pivot and
    the graph group them in PostgreSQL, whatever the size of the book.
    """

    _name = "collection.aging.line"
    _description = "Aged Receivable Item"
    _auto = False
    _order = "partner_id, date_maturity, id"
    _rec_name = "move_name"

    as_of = fields.Date(readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    move_name = fields.Char(string="Entry Number", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    case_id = fields.Many2one("collection.case", readonly=True)
    user_id = fields.Many2one("res.users", string="Officer", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    bucket_id = fields.Many2one("collection.aging.bucket", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    invoice_date = fields.Date(readonly=True)
    days = fields.Integer(aggregator="max", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", related="company_id.currency_id", string="Company Currency"
    )
    amount_residual = fields.Monetary(
        string="Open Amount",
        currency_field="currency_id",
        aggregator="sum",
        readonly=True,
        help="As of the date of the run, in company currency.",
    )
    item_currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    amount_residual_currency = fields.Monetary(
        string="Open Amount in Currency",
        currency_field="item_currency_id",
        aggregator=None,
        readonly=True,
    )

    @property
    def _table_query(self):
        rows = self._rows_sql(self._context_params())
        return SQL(
            """
            SELECT rows.line_id AS id,
                   rows.as_of,
                   rows.line_id AS move_line_id,
                   rows.move_id,
                   rows.move_name,
                   rows.partner_id,
                   rows.company_id,
                   rows.case_id,
                   rows.user_id,
                   rows.team_id,
                   rows.bucket + 1 AS bucket_id,
                   rows.date,
                   rows.date_maturity,
                   rows.invoice_date,
                   rows.days,
                   rows.residual AS amount_residual,
                   rows.currency_id AS item_currency_id,
                   rows.residual_currency AS amount_residual_currency
              FROM (%s) AS rows
            """,
            rows,
        )

    # The pivot and the graph group the whole run's items.

    @api.model
    def _read_group(self, *args, **kwargs):
        self.env["collection.ledger"]._analytic_transaction()
        return super()._read_group(*args, **kwargs)

    @api.model
    def _read_grouping_sets(self, *args, **kwargs):
        self.env["collection.ledger"]._analytic_transaction()
        return super()._read_grouping_sets(*args, **kwargs)

    # ----------------------------------------------------------------- actions

    def action_open_entry(self):
        self.ensure_one()
        return self.move_id._get_records_action()

    # --------------------------------------------------------------- business

    @api.model
    def _context_params(self):
        """The run asked for by the context, checked: nothing of it reaches SQL unparsed.

        ``{"as_of", "by", "buckets" (limits in days), "companies", "partners",
        "users", "teams"}`` (the last three None for all), from the keys
        ``collection_aging_as_of``, ``_by``, ``_buckets``, ``_company_ids``,
        ``_partner_ids``, ``_user_ids`` and ``_team_ids``. The companies are
        those asked for among the user's, the current ones by default.
        """
        context = self.env.context

        def ids(key):
            value = context.get(CONTEXT_PREFIX + key)
            if value in (None, False):
                return None
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(item, int) and not isinstance(item, bool) for item in value
            ):
                raise UserError(self.env._("These aged receivables options are not valid."))
            return list(value)

        try:
            as_of = fields.Date.to_date(context.get(CONTEXT_PREFIX + "as_of"))
        except (TypeError, ValueError):
            raise UserError(self.env._("These aged receivables options are not valid.")) from None
        by = context.get(CONTEXT_PREFIX + "by") or "due_date"
        if by not in AGING_BY:
            raise UserError(self.env._("These aged receivables options are not valid."))
        buckets = context.get(CONTEXT_PREFIX + "buckets")
        if buckets is not None and not isinstance(buckets, str):
            raise UserError(self.env._("These aged receivables options are not valid."))
        company_ids = ids("company_ids")
        companies = (
            self.env.companies
            if company_ids is None
            else self.env["res.company"].browse(company_ids)
        ) & self.env.user.company_ids
        if not companies:
            raise UserError(self.env._("Choose at least one of your companies."))
        partner_ids, user_ids, team_ids = ids("partner_ids"), ids("user_ids"), ids("team_ids")
        return {
            "as_of": as_of or self.env.company._collection_today(),
            "by": by,
            "buckets": self.env["collection.aging.report"]._parse_buckets(
                buckets or self.env.company.collection_aging_buckets or "30,60,90,120"
            ),
            "companies": companies,
            "partners": None
            if partner_ids is None
            else self.env["res.partner"].browse(partner_ids),
            "users": None if user_ids is None else self.env["res.users"].browse(user_ids),
            "teams": None if team_ids is None else self.env["collection.team"].browse(team_ids),
        }

    @api.model
    def _pivot_row_groupby(self):
        """The rows the pivot of the run in the context opens with: a row per customer,
        or per officer when the run has more than ``PIVOT_CUSTOMER_ROWS`` customers
        (``_customers_estimate``)."""
        customers = self._customers_estimate(self._context_params())
        return ["partner_id"] if customers <= PIVOT_CUSTOMER_ROWS else ["user_id"]

    @api.model
    def _customers_estimate(self, params):
        """About how many customers the user sees in the run ``params``: the customers
        asked for, else the open cases the user may read in the run's companies, officers
        and teams, or, for those who also see customers without a case, the customers
        with open items if they are more. Counting the run's rows exactly would compute
        the whole aging once more before the pivot does (0.35 s on 200,000 items)."""
        if params["partners"] is not None:
            return len(params["partners"])
        companies = params["companies"]
        domain = Domain("company_id", "in", companies.ids) & Domain("state", "!=", "closed")
        if params["users"] is not None:
            domain &= Domain("user_id", "in", params["users"].ids)
        if params["teams"] is not None:
            domain &= Domain("team_id", "in", params["teams"].ids)
        cases = self.env["collection.case"].search_count(domain)
        if params["users"] is not None or params["teams"] is not None:
            return cases
        if not self._reads_all_cases():
            return cases
        line_companies = list(self.env["collection.ledger"]._company_scope(companies))
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "company_id",
                "partner_id",
                "reconciled",
                "parent_state",
                "amount_residual",
            ]
        )
        # On the conditions of the open items' index, which PostgreSQL then reads alone.
        [(customers,)] = self.env.execute_query(
            SQL(
                """
                SELECT count(*) FROM (
                    SELECT DISTINCT aml.partner_id
                      FROM account_move_line aml
                      JOIN account_account a ON a.id = aml.account_id
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.company_id = ANY(%s)
                       AND aml.reconciled IS NOT TRUE
                       AND aml.parent_state = 'posted'
                       AND aml.amount_residual != 0
                ) AS customers
                """,
                line_companies,
            )
        )
        return max(cases, customers)

    @api.model
    def _reads_all_cases(self):
        user = self.env.user
        return user.has_group("collections_officer.group_collections_manager") or user.has_group(
            "account.group_account_invoice"
        )

    @api.model
    def _rows_sql(self, params, ordered=False):
        """The items of the run ``params`` (see ``_context_params``) the user may see.

        The columns of ``collection.aging.report._fetch_items``, without the lines
        the desk leaves out, and only those of the customers whose case the user
        may read: officers see the items of the cases they work (theirs, their
        teams', the unassigned ones); customers without a case only appear to
        those who read every case (managers, accountants). ``ordered``: by
        company (in the order of their names), customer name and due date, as
        the export writes them.
        """
        report = self.env["collection.aging.report"]
        companies = params["companies"]
        items = report._items_sql(
            companies,
            params["as_of"],
            params["by"],
            params["buckets"],
            params["partners"],
            params["users"],
            params["teams"],
        )
        if items is None:
            return SQL("SELECT * FROM (%s) AS rows WHERE FALSE", self._empty_items_sql())
        cases = self.env["collection.case"].with_context(active_test=False)
        read_all = self._reads_all_cases()
        # The conditions written out only when they filter: an expression PostgreSQL
        # cannot see through is guessed to keep few rows, and it then plans the
        # joins above for few.
        if self.env.su:
            readable = SQL()
        elif cases.has_access("read"):
            # The case rules, applied by the ORM: a subquery, not a check per item.
            readable = SQL("rows.case_id IN %s", cases._search([]).subselect())
        else:
            readable = SQL("FALSE")
        if readable and read_all:
            readable = SQL("AND (rows.case_id IS NULL OR %s)", readable)
        elif readable:
            readable = SQL("AND %s", readable)
        elif not read_all:
            readable = SQL("AND rows.case_id IS NOT NULL")
        order = SQL()
        if ordered:
            order = SQL(
                """
                ORDER BY array_position(%s::int[], rows.company_id), rows.partner_name,
                         rows.partner_id, COALESCE(rows.date_maturity, rows.date), rows.line_id
                """,
                companies.sorted("name").ids,
            )
        return SQL(
            """
            SELECT *
              FROM (%(items)s) AS rows
             WHERE rows.partner_id IS NOT NULL  -- the lines the desk does not leave out
                   %(readable)s
            %(order)s
            """,
            items=items,
            readable=readable,
            order=order,
        )

    @api.model
    def _empty_items_sql(self):
        """The columns of ``_fetch_items``, typed, for a run of companies without cases."""
        return SQL(
            """
            SELECT NULL::int AS line_id, NULL::int AS move_id, NULL::varchar AS move_name,
                   NULL::date AS as_of, NULL::date AS date, NULL::date AS date_maturity,
                   NULL::date AS invoice_date, NULL::int AS line_company_id,
                   NULL::int AS company_id, NULL::int AS currency_id, NULL::int AS partner_id,
                   NULL::varchar AS partner_name, NULL::int AS case_id, NULL::int AS user_id,
                   NULL::int AS team_id, NULL::int AS days, NULL::int AS bucket,
                   NULL::numeric AS residual, NULL::numeric AS residual_currency,
                   NULL::text AS excluded
            """
        )

    @api.model
    def _stream_rows(self, params, chunk=2000):
        """The rows of ``_rows_sql(params, ordered=True)`` as dicts, ``chunk`` at a time.

        Through a cursor declared in PostgreSQL: the whole aging is computed once,
        and no more than a chunk of it is ever held here.
        """
        query = self._rows_sql(params, ordered=True)
        name = SQL.identifier("collection_aging_rows")
        self.env.execute_query(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", name, query))
        try:
            while True:
                rows = self.env.execute_query_dict(SQL("FETCH FORWARD %s FROM %s", chunk, name))
                if not rows:
                    break
                yield from rows
        finally:
            self.env.execute_query(SQL("CLOSE %s", name))
