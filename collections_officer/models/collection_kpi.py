import calendar
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

# How far back countback DSO looks for the sales that explain the receivables.
COUNTBACK_MONTHS = 24


def month_bounds(day):
    """The first and last day of the month of ``day``."""
    start = day.replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def first_of_month(day):
    """``day`` moved to the first of its month (a date or a date string)."""
    day = fields.Date.to_date(day)
    return date(day.year, day.month, 1) if day else day


def previous_month(day):
    """The first day of the month before the month of ``day``."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


class CollectionKpi(models.AbstractModel):
    """The collection KPIs, per company and month, for the whole company, an officer or a team.

    A scope is a dict ``{"company", "start", "end", "user", "team"}`` (user and
    team are empty recordsets for the whole company). Every KPI of many scopes is
    computed in a fixed number of queries: a dashboard of twenty officers costs
    what one officer costs.

    What a scope covers:
    - the cases of the company (and of its officer or team: the case's current
      officer and team) that were open during the period: opened on or before
      its end, not closed before its start;
    - its receivables: those of the commercial partners of these cases, or
      every receivable line of the company (and its branches booking for it) for
      the whole company, so that the company figures tie out to the receivable
      accounts' balance.

    Money is in company currency. The formulas are written on each method, with
    their source.

    The model is split by job: the scopes and the assembly of the KPIs here, the
    formulas (``collection_kpi_formulas.py``), what the scopes owed and sold
    (``collection_kpi_receivables.py``), what happened on their cases
    (``collection_kpi_activity.py``) and what the customer page brought
    (``collection_kpi_portal.py``).
    """

    _name = "collection.kpi"
    _description = "Collections: KPIs"

    # ------------------------------------------------------------ scope

    @api.model
    def _scope(self, company, day, user=None, team=None):
        """The scope of the month of ``day``; a month not over yet ends today (the company's)."""
        start, end = month_bounds(day)
        today = company._collection_today()
        if start <= today < end:
            end = today
        return {
            "company": company,
            "start": start,
            "end": end,
            "user": user or self.env["res.users"],
            "team": team or self.env["collection.team"],
        }

    @api.model
    def _check_scope_access(self, scopes):
        """Officers see their own numbers and their teams'; managers every number."""
        user = self.env.user
        if self.env.su or user.has_group("collections_officer.group_collections_manager"):
            return
        for scope in scopes:
            team = scope["team"]
            allowed = (
                (scope["user"] == user and not team)
                or (team and not scope["user"] and user in team.member_ids | team.manager_id)
            ) and scope["company"] in self.env.companies
            if not allowed:
                raise AccessError(
                    self.env._("You can only see your own collection figures and your teams'.")
                )

    @staticmethod
    def _in_scope(scope, company, user, team):
        return (
            company == scope["company"]
            and (not scope["user"] or user == scope["user"])
            and (not scope["team"] or team == scope["team"])
        )

    # ------------------------------------------------------------ cases

    @api.model
    def _scope_cases(self, scopes):
        """The cases of each scope: those open during its period, as
        ``_scope_cases_sql`` matches them.

        Read as ids in one query and browsed with a shared prefetch: the fields of
        tens of thousands of records read one by one cost seconds, and every figure
        after this reads what it needs of the cases in PostgreSQL.
        """
        if not scopes:
            return []
        ids = [[] for _scope in scopes]
        rows = self.env.execute_query(
            SQL(
                "SELECT sc.idx, sc.case_id FROM (%s) AS sc ORDER BY sc.case_id",
                self._scope_cases_sql(scopes),
            )
        )
        for index, case_id in rows:
            ids[index].append(case_id)
        all_ids = tuple(sorted({case_id for _index, case_id in rows}))
        Case = self.env["collection.case"].with_context(active_test=False)
        return [Case.browse(case_ids).with_prefetch(all_ids) for case_ids in ids]

    @api.model
    def _case_partner_ids(self, scopes, cases):
        """The customers (commercial partner ids) of each scope's ``cases``, in one
        query: read through the records, a thousand cases cost a query."""
        partner_ids = [[] for _cases in cases]
        scope_cases = self._scope_cases_sql(scopes, cases)
        if scope_cases is None:
            return partner_ids
        rows = self.env.execute_query(
            SQL(
                "SELECT sc.idx, array_agg(DISTINCT sc.partner_id) FROM (%s) AS sc GROUP BY sc.idx",
                scope_cases,
            )
        )
        for index, ids in rows:
            partner_ids[index] = ids
        return partner_ids

    @api.model
    def _scope_cases_sql(self, scopes, cases=None):
        """The cases of each scope, as a query of rows ``(idx, tz, date_from,
        date_to, case_id, partner_id, company_id, opened_date, closed_date,
        portal_last_visit)``: the scope's index, its company's timezone and its
        period, then the case. The one home of which cases a scope holds: those
        of its company, officer and team open during its period (opened by its
        end, not closed before its start).

        ``cases``, the scopes' cases found before (``_scope_cases``), leaves out
        the scopes that have none; None when no scope has cases. Matched again
        rather than sent: tens of thousands of ids sent per scope and looked up
        one by one cost more than reading the cases' table.
        """
        # The companies read together: one by one, each costs a query.
        companies = self.env["res.company"].union(*(scope["company"] for scope in scopes))
        tz_of = {company: company._collection_tz() for company in companies}
        values = [
            SQL(
                "(%s, %s, %s::int, %s::int, %s, %s::date, %s::date)",
                index,
                scope["company"].id,
                scope["user"].id or None,
                scope["team"].id or None,
                tz_of[scope["company"]],
                scope["start"],
                scope["end"],
            )
            for index, scope in enumerate(scopes)
            if cases is None or cases[index]
        ]
        if not values:
            return None
        self.env["collection.case"].flush_model(
            [
                "partner_id",
                "company_id",
                "user_id",
                "team_id",
                "opened_date",
                "closed_date",
                "portal_last_visit",
            ]
        )
        return SQL(
            """
            SELECT s.idx, s.tz, s.date_from, s.date_to,
                   c.id AS case_id, c.partner_id, c.company_id, c.opened_date, c.closed_date,
                   c.portal_last_visit
              FROM (VALUES %s) AS s(idx, company_id, user_id, team_id, tz, date_from, date_to)
              JOIN collection_case c
                ON c.company_id = s.company_id
               AND c.opened_date <= s.date_to
               AND (c.closed_date IS NULL OR c.closed_date >= s.date_from)
             WHERE (s.user_id IS NULL OR c.user_id = s.user_id)
               AND (s.team_id IS NULL OR c.team_id = s.team_id)
            """,
            SQL(", ").join(values),
        )

    @api.model
    def _case_windows_sql(self, scopes, cases):
        """Each case of each scope with the part of the period it was open in
        (from the later of its opening and the start, to the earlier of its closing
        and the end), as a query of rows ``(idx, case_id, partner_id, company_id,
        tz, date_from, date_to)``: the scope's index, the case, its customer and
        company, the company's timezone and the window. None without cases.

        Built in PostgreSQL from the scopes: a row per case and scope written out
        in Python would grow with the book.
        """
        scope_cases = self._scope_cases_sql(scopes, cases)
        if scope_cases is None:
            return None
        return SQL(
            """
            SELECT sc.idx, sc.case_id, sc.partner_id, sc.company_id, sc.tz,
                   GREATEST(sc.date_from, sc.opened_date) AS date_from,
                   LEAST(sc.date_to, COALESCE(sc.closed_date, sc.date_to)) AS date_to
              FROM (%s) AS sc
             WHERE GREATEST(sc.date_from, sc.opened_date)
                   <= LEAST(sc.date_to, COALESCE(sc.closed_date, sc.date_to))
            """,
            scope_cases,
        )

    # ------------------------------------------------------------- KPIs

    @api.model
    def _kpis(self, scopes):
        """Every KPI of each scope, in the same order: a list of dicts.

        Keys: ``collected``, ``credited``, ``recovered_after_write_off``, ``receivable_begin``,
        ``receivable_end``, ``aging`` (the company's aging buckets at the end of
        the period with their amounts: see ``_receivables_as_of``), ``credit_sales``,
        ``days``, ``dso``, ``countback_dso``, ``best_possible_dso``,
        ``average_days_delinquent``, ``cei``,
        ``over_90_share``, ``cases_opened``, ``cases_closed``, ``cases_escalated``,
        ``contacts`` (``{(channel, outcome): count}``), ``contact_count``,
        ``promises_judged``, ``promise_kept_rate``, ``promise_partial_rate``,
        ``promise_kept_amount_rate``, ``promise_partial_amount_rate``,
        ``plan_completion_rate``, ``dispute_resolution_days``, and the customer
        page's (see ``_portal_kpis``). A ratio whose denominator is zero is
        ``None``: there is nothing to measure.
        """
        self._check_scope_access(scopes)
        if not scopes:
            return []
        self.env["collection.ledger"]._analytic_transaction()
        kpi = self.sudo()
        cases = kpi._scope_cases(scopes)
        results = [{"days": (s["end"] - s["start"]).days + 1} for s in scopes]
        customers = kpi._case_partner_ids(scopes, cases)
        partner_ids = [
            None if not scope["user"] and not scope["team"] else scope_customers
            for scope, scope_customers in zip(scopes, customers, strict=True)
        ]
        collected, credited = kpi._collected(scopes, cases)
        aging = kpi._receivables_as_of(
            [(s["company"], s["end"], p) for s, p in zip(scopes, partner_ids, strict=True)]
            + [
                (s["company"], s["start"] - timedelta(days=1), p)
                for s, p in zip(scopes, partner_ids, strict=True)
            ]
        )
        sales = kpi._monthly_credit_sales(scopes, partner_ids)
        counts = kpi._case_counts(scopes, cases)
        contacts = kpi._contact_counts(scopes)
        promises = kpi._promise_rates(scopes)
        plans = kpi._plan_completion(scopes)
        disputes = kpi._dispute_resolution(scopes)
        recovered = kpi._recovered_after_write_off(scopes)
        portal = kpi._portal_kpis(scopes, cases, collected)
        for index, (scope, result) in enumerate(zip(scopes, results, strict=True)):
            currency = scope["company"].currency_id
            end_aging = aging[index]
            receivable_end = end_aging["total"]
            receivable_begin = aging[len(scopes) + index]["total"]
            month_sales = sales[index]
            period_sales = currency.round(month_sales.get(scope["start"], 0.0))
            result.update(
                collected=collected[index],
                credited=credited[index],
                recovered_after_write_off=recovered[index],
                aging=end_aging["aging"],
                receivable_end=receivable_end,
                receivable_begin=receivable_begin,
                credit_sales=period_sales,
                dso=self._dso(receivable_end, period_sales, result["days"]),
                countback_dso=self._countback_dso(receivable_end, scope, month_sales),
                best_possible_dso=self._dso(end_aging["not_due"], period_sales, result["days"]),
                cei=self._cei(receivable_begin, period_sales, receivable_end, end_aging["not_due"]),
                over_90_share=self._ratio(end_aging["over_90"], receivable_end),
                **counts[index],
                **contacts[index],
                **promises[index],
                plan_completion_rate=plans[index],
                dispute_resolution_days=disputes[index],
                **portal[index],
            )
            result["average_days_delinquent"] = (
                None if result["dso"] is None else result["dso"] - result["best_possible_dso"]
            )
        return results
