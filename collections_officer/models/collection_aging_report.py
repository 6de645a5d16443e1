import itertools

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

AGING_BY = ("due_date", "invoice_date")


class CollectionAgingReport(models.AbstractModel):
    """Aged receivables as of any date, read from accounting.

    What is open at a date and its bucket are the ledger's
    (``collection.ledger._aging_as_of``), as for the KPIs and the monthly
    snapshots: an invoice paid the day after is still wholly open as of the day
    before, a payment matched later is still an unallocated credit. The sum of
    the items of a company as of a date is therefore the balance of its
    receivable accounts at that date; the lines the desk leaves out (no
    customer) are returned apart so that the total ties out.

    Public entry point for other reports: ``_compute_aging``.
    """

    _name = "collection.aging.report"
    _description = "Collections: Aged Receivables as of a Date"

    # ---------------------------------------------------------------- buckets

    @api.model
    def _parse_buckets(self, text):
        """The upper limits in days of the overdue buckets: "30,60,90,120" -> [30, 60, 90, 120]."""
        parts = [part.strip() for part in (text or "").split(",") if part.strip()]
        try:
            limits = [int(part) for part in parts]
        except ValueError:
            limits = []
        if not limits or limits[0] <= 0 or any(a >= b for a, b in itertools.pairwise(limits)):
            raise ValidationError(
                self.env._(
                    "Aging buckets must be positive numbers of days, increasing and "
                    "comma-separated, such as 30,60,90,120 (got: %(text)s).",
                    text=text or "",
                )
            )
        return limits

    @api.model
    def _bucket_labels(self, limits):
        """["Not Due", "1-30", ..., "Over 120"] for the limits [30, ..., 120]."""
        labels = [self.env._("Not Due")]
        low = 1
        for limit in limits:
            labels.append(f"{low}-{limit}")
            low = limit + 1
        labels.append(self.env._("Over %(days)s", days=limits[-1]))
        return labels

    @api.model
    def _company_limits(self, companies, buckets=None):
        """``{company id: limits}``: the buckets asked for, else each company's own."""
        if buckets:
            limits = self._parse_buckets(buckets) if isinstance(buckets, str) else list(buckets)
            return {company.id: limits for company in companies}
        return {
            company.id: self._parse_buckets(company.collection_aging_buckets)
            for company in companies
        }

    # ------------------------------------------------------------------ items

    @api.model
    def _items_sql(
        self,
        companies,
        as_of,
        by="due_date",
        buckets=None,
        partners=None,
        users=None,
        teams=None,
    ):
        """The query of ``_fetch_items``, unordered: None when no company asked has cases.

        The aged receivables screen and its export read from it as a subquery,
        grouping or streaming its rows in PostgreSQL.
        """
        if by not in AGING_BY:
            raise ValidationError(self.env._("Age items by due date or by invoice date."))
        _case_companies, aged = self.env["collection.ledger"]._aging_as_of_sql(
            [(companies, as_of, None if partners is None else partners.ids)],
            by,
            buckets,
            open_only=True,
        )
        if not aged:
            return None
        self.env["account.move"].flush_model(["name"])
        self.env["res.partner"].flush_model(["name"])
        self.env["collection.case"].flush_model(
            ["partner_id", "company_id", "state", "user_id", "team_id"]
        )
        filters = []
        if users is not None:
            filters.append(SQL("AND c.user_id = ANY(%s)", users.ids))
        if teams is not None:
            filters.append(SQL("AND c.team_id = ANY(%s)", teams.ids))
        return SQL(
            """
            WITH %(aged)s,
            cases AS (
                SELECT DISTINCT ON (partner_id, company_id)
                       partner_id, company_id, id, user_id, team_id
                  FROM collection_case
              ORDER BY partner_id, company_id, state = 'closed', id DESC
            )
            SELECT aged.line_id,
                   aged.move_id,
                   m.name AS move_name,
                   aged.as_of,
                   aged.date,
                   aged.date_maturity,
                   aged.invoice_date,
                   aged.line_company_id,
                   aged.company_id,
                   aged.currency_id,
                   aged.partner_id,
                   cp.name AS partner_name,
                   c.id AS case_id,
                   c.user_id,
                   c.team_id,
                   aged.days,
                   aged.bucket,
                   aged.residual,
                   aged.residual_currency,
                   CASE WHEN aged.partner_id IS NULL THEN 'no_customer' END AS excluded
              FROM aged
              -- Every line has its entry: a left join, left out of the plan by
              -- PostgreSQL when nothing of the entry is read (a grouped read).
         LEFT JOIN account_move m ON m.id = aged.move_id
         LEFT JOIN res_partner cp ON cp.id = aged.partner_id
         LEFT JOIN cases c
                ON c.partner_id = aged.partner_id
               AND c.company_id = aged.company_id
             WHERE (aged.residual != 0 OR aged.residual_currency != 0)
                   %(filters)s
            """,
            aged=aged,
            filters=SQL(" ").join(filters),
        )

    @api.model
    def _fetch_items(
        self,
        companies,
        as_of,
        by="due_date",
        buckets=None,
        partners=None,
        users=None,
        teams=None,
    ):
        """Every posted receivable line dated on or before ``as_of`` still open as of then.

        One query: the items of ``collection.ledger._aging_as_of_sql`` (what is
        open at a date, and its bucket), with their entry, customer and case.
        Each row: the line (``line_id``, ``move_id``, ``move_name``,
        ``date``, ``date_maturity``, ``invoice_date``), its customer (commercial
        partner: ``partner_id``, ``partner_name``), the company of the line and
        the company of its case (``line_company_id``, ``company_id``), the
        customer's case there (``case_id``, ``user_id``, ``team_id``: the case
        not closed, else the latest), ``days`` (as of ``as_of``, from the due date
        or the invoice date, ``by``), ``bucket`` (index in the company's
        buckets, 0 = not due), the residual as of ``as_of`` in company currency
        (``residual``) and in the line's currency (``residual_currency``,
        ``currency_id``), and ``excluded``: why the desk leaves the line out
        (``"no_customer"``), else None.
        """
        items = self._items_sql(companies, as_of, by, buckets, partners, users, teams)
        if items is None:
            return []
        return self.env.execute_query_dict(
            SQL(
                """
                SELECT *
                  FROM (%s) AS items
              ORDER BY company_id, partner_name, partner_id,
                       COALESCE(date_maturity, date), line_id
                """,
                items,
            )
        )

    @api.model
    def _compute_aging(
        self,
        companies,
        as_of,
        by="due_date",
        buckets=None,
        partners=None,
        users=None,
        teams=None,
    ):
        """The open receivable items of the customers of ``companies`` as of ``as_of``.

        A list of dicts, one per item (see ``_fetch_items`` for the keys), with
        ``bucket_label``; ``buckets``: a comma list or a list of limits in days
        (default: each company's setting). ``partners``, ``users`` and ``teams``
        (recordsets, or None for all) narrow to the customers, the officers and
        the teams of their cases. Lines the desk leaves out are not returned:
        see ``_tie_out``. Residuals are in company currency (``residual``) and
        in the line's currency (``residual_currency``).
        """
        items = self._fetch_items(companies, as_of, by, buckets, partners, users, teams)
        return self._aged_rows(items, buckets)

    @api.model
    def _aged_rows(self, items, buckets=None):
        """The items of ``_fetch_items`` the desk reports, with their ``bucket_label``."""
        labels = {
            company_id: self._bucket_labels(limits)
            for company_id, limits in self._company_limits(
                self.env["res.company"].browse({item["company_id"] for item in items}), buckets
            ).items()
        }
        rows = []
        for item in items:
            if item["excluded"]:
                continue
            item["bucket_label"] = labels[item["company_id"]][item["bucket"]]
            rows.append(item)
        return rows

    @api.model
    def _tie_out(self, companies, as_of, items=None):
        """How the aging of each company as of ``as_of`` ties to its receivable accounts.

        ``{case company id: {"balance", "aged", "excluded", "excluded_lines"}}``:
        the balance of the posted receivable lines dated on or before the day,
        the total of the aging, the total of the lines left out and those lines
        (each with its ``excluded`` reason). ``balance == aged + excluded``.
        ``items``: the unfiltered result of ``_fetch_items`` for the same day, when
        the caller already has it; without it the totals are summed in PostgreSQL
        and only the lines left out (a handful) are read.
        """
        scope = self.env["collection.ledger"]._company_scope(companies)
        result = {
            company_id: {"balance": 0.0, "aged": 0.0, "excluded": 0.0, "excluded_lines": []}
            for company_id in set(scope.values())
        }
        if not scope:
            return result
        if items is None:
            items = self._tie_out_items(companies, as_of)
        for item in items:
            figures = result[item["company_id"]]
            if item["excluded"]:
                figures["excluded"] += float(item["residual"])
                figures["excluded_lines"].append(item)
            else:
                figures["aged"] += float(item["residual"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT aml.company_id, SUM(aml.balance)
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.date <= %s
                   AND aml.company_id = ANY(%s)
              GROUP BY aml.company_id
                """,
                as_of,
                list(scope),
            )
        )
        for line_company_id, balance in rows:
            result[scope[line_company_id]]["balance"] += float(balance)
        return result

    @api.model
    def _tie_out_items(self, companies, as_of):
        """The lines left out one by one, the others summed per company: what
        ``_tie_out`` needs, without reading every item."""
        items = self._items_sql(companies, as_of)
        if items is None:
            return []
        return self.env.execute_query_dict(
            SQL(
                """
                WITH items AS MATERIALIZED (SELECT * FROM (%s) AS i)
                SELECT company_id, excluded, line_id, move_id, move_name, date, residual
                  FROM items
                 WHERE excluded IS NOT NULL
                 UNION ALL
                SELECT company_id, NULL, NULL, NULL, NULL, NULL, SUM(residual)
                  FROM items
                 WHERE excluded IS NULL
              GROUP BY company_id
                """,
                items,
            )
        )

    @api.model
    def _excluded_reasons(self):
        return {"no_customer": self.env._("No customer on the line")}
