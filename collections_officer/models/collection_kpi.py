import calendar
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

# The standard aging buckets of receivables at a date, by days past the due date: the
# upper limits in days of the overdue buckets, and a key per bucket, not due first.
STANDARD_LIMITS = (30, 60, 90, 120)
AGING_BUCKETS = ("not_due", "1_30", "31_60", "61_90", "91_120", "over_120")
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

    # ------------------------------------------------------------- KPIs

    @api.model
    def _kpis(self, scopes):
        """Every KPI of each scope, in the same order: a list of dicts.

        Keys: ``collected``, ``credited``, ``recovered_after_write_off``, ``receivable_begin``,
        ``receivable_end``, ``aging`` (``{bucket: amount}`` at the end of the
        period), ``credit_sales``, ``days``, ``dso``, ``countback_dso``,
        ``best_possible_dso``, ``average_days_delinquent``, ``cei``,
        ``over_90_share``, ``cases_opened``, ``cases_closed``, ``cases_escalated``,
        ``contacts`` (``{(channel, outcome): count}``), ``contact_count``,
        ``promises_judged``, ``promise_kept_rate``, ``promise_partial_rate``,
        ``promise_kept_amount_rate``, ``promise_partial_amount_rate``,
        ``plan_completion_rate``, ``dispute_resolution_days``. A ratio whose
        denominator is zero is ``None``: there is nothing to measure.
        """
        self._check_scope_access(scopes)
        if not scopes:
            return []
        kpi = self.sudo()
        cases = kpi._scope_cases(scopes)
        results = [{"days": (s["end"] - s["start"]).days + 1} for s in scopes]
        partner_ids = [
            None if not scope["user"] and not scope["team"] else scope_cases.partner_id.ids
            for scope, scope_cases in zip(scopes, cases, strict=True)
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
        for index, (scope, result) in enumerate(zip(scopes, results, strict=True)):
            currency = scope["company"].currency_id
            end_aging = aging[index]
            receivable_end = currency.round(sum(end_aging.values()))
            receivable_begin = currency.round(sum(aging[len(scopes) + index].values()))
            month_sales = sales[index]
            period_sales = currency.round(month_sales.get(scope["start"], 0.0))
            result.update(
                collected=collected[index],
                credited=credited[index],
                recovered_after_write_off=recovered[index],
                aging=end_aging,
                receivable_end=receivable_end,
                receivable_begin=receivable_begin,
                credit_sales=period_sales,
                dso=self._dso(receivable_end, period_sales, result["days"]),
                countback_dso=self._countback_dso(receivable_end, scope, month_sales),
                best_possible_dso=self._dso(end_aging["not_due"], period_sales, result["days"]),
                cei=self._cei(receivable_begin, period_sales, receivable_end, end_aging["not_due"]),
                over_90_share=self._ratio(
                    end_aging["91_120"] + end_aging["over_120"], receivable_end
                ),
                **counts[index],
                **contacts[index],
                **promises[index],
                plan_completion_rate=plans[index],
                dispute_resolution_days=disputes[index],
            )
            result["average_days_delinquent"] = (
                None if result["dso"] is None else result["dso"] - result["best_possible_dso"]
            )
        return results

    @staticmethod
    def _ratio(part, whole, scale=100.0):
        return part / whole * scale if whole else None

    @api.model
    def _dso(self, receivables, credit_sales, days):
        """Days sales outstanding, standard method.

        DSO = receivables at the end of the period / credit sales of the period *
        days in the period (Credit Research Foundation; Investopedia, "Days Sales
        Outstanding"). With the not-yet-due receivables instead of all of them it
        is the best possible DSO (CRF, "Best Possible DSO"); the difference is
        the average days delinquent (ADD = DSO - best possible DSO).
        """
        return receivables / credit_sales * days if credit_sales > 0 else None

    @api.model
    def _countback_dso(self, receivables, scope, month_sales):
        """Days sales outstanding by the countback method.

        The receivables at the end of the period are explained by the most recent
        sales: walking back month by month from the period, each month whose
        credit sales the remaining receivables exceed adds all its days, and the
        month that covers the rest adds its share of days (remaining / that
        month's sales * its days) (CRF; "Countback DSO", Credit Today). Sales
        already collected do not matter, so it is not swayed by seasonality as
        standard DSO is. ``None`` when there is nothing owed; the months walked are
        limited to two years.
        """
        if receivables <= 0:
            return None if receivables < 0 else 0.0
        remaining, days = receivables, 0.0
        month, end = scope["start"], scope["end"]
        for _index in range(COUNTBACK_MONTHS):
            month_days = (end - month).days + 1
            sales = month_sales.get(month, 0.0)
            if sales > 0 and remaining <= sales:
                return days + remaining / sales * month_days
            remaining -= max(sales, 0.0)
            days += month_days
            month = previous_month(month)
            end = month_bounds(month)[1]
        return days

    @api.model
    def _cei(self, begin, sales, end, end_current):
        """Collection effectiveness index, monthly (Credit Research Foundation).

        CEI = (beginning receivables + credit sales of the month - ending total
        receivables) / (beginning receivables + credit sales of the month -
        ending current receivables) * 100: what was collected of what could be
        collected, current (not yet due) receivables set aside. 100 is a perfect
        month.
        """
        return self._ratio(begin + sales - end, begin + sales - end_current)

    # ------------------------------------------------------ receivables

    @api.model
    def _line_companies(self, companies):
        """``{company: ids of the companies whose receivables its cases follow}``."""
        ledger = self.env["collection.ledger"]
        return {company: list(ledger._company_scope(company)) for company in set(companies)}

    @api.model
    def _receivables_as_of(self, requests):
        """Receivables as of a date by standard aging bucket, in one query.

        ``requests`` is a list of ``(company, day, commercial partner ids or None)``;
        returns, in the same order, ``{bucket: amount}`` in company currency.

        What is open at a day is the ledger's (``collection.ledger._aging_as_of``,
        as for the aged receivables report): a receivable line dated on or before
        it, partner or not, less what partial reconciliations dated on or before
        it settled. Summed over every line it is the receivable accounts' balance
        at that day. The buckets are the standard ones (``STANDARD_LIMITS``: not
        due, 1-30, 31-60, 61-90, 91-120, over 120 days past the due date), not the
        company's setting: the monthly snapshots keep them, and a month kept must
        read the same whatever the setting becomes. No KPI depends on the setting:
        not due and over 90 days are the same in any buckets.
        """
        if not requests:
            return []
        rows = self.env["collection.ledger"]._aging_as_of(
            requests, buckets=STANDARD_LIMITS, group_by=("idx", "bucket")
        )
        results = [dict.fromkeys(AGING_BUCKETS, 0.0) for _request in requests]
        for row in rows:
            currency = requests[row["idx"]][0].currency_id
            results[row["idx"]][AGING_BUCKETS[row["bucket"]]] = currency.round(
                float(row["residual"] or 0)
            )
        return results

    @api.model
    def _monthly_credit_sales(self, scopes, partner_ids):
        """Credit sales per month, from the period back over the countback window.

        Credit sales are the receivable amounts of posted customer invoices less
        those of credit notes, by accounting date: what the customers were
        invoiced on credit in the month (company currency). Returns, per scope,
        ``{first day of month: amount}``; the period's month counts up to the end
        of the period.
        """
        self.env["account.move.line"].flush_model(
            ["account_id", "partner_id", "company_id", "date", "parent_state", "balance", "move_id"]
        )
        self.env["account.move"].flush_model(["move_type"])
        line_companies = self._line_companies([scope["company"] for scope in scopes])
        values = []
        for index, (scope, partners) in enumerate(zip(scopes, partner_ids, strict=True)):
            start = scope["start"]
            for _month in range(COUNTBACK_MONTHS - 1):
                start = previous_month(start)
            values.append(
                SQL(
                    "(%s, %s::date, %s::date, %s::int[], %s, %s::int[])",
                    index,
                    start,
                    scope["end"],
                    line_companies[scope["company"]],
                    partners is None,
                    partners or [],
                )
            )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.idx, date_trunc('month', aml.date)::date, SUM(aml.balance)
                  FROM (VALUES %s) AS r(idx, date_from, date_to, company_ids, all_partners,
                                       partner_ids)
                  JOIN account_move_line aml
                    ON aml.company_id = ANY(r.company_ids)
                   AND aml.date BETWEEN r.date_from AND r.date_to
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
             LEFT JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND (r.all_partners OR p.commercial_partner_id = ANY(r.partner_ids))
              GROUP BY 1, 2
                """,
                SQL(", ").join(values),
            )
        )
        results = [{} for _scope in scopes]
        for index, month, amount in rows:
            results[index][month] = float(amount or 0)
        return results

    # ------------------------------------------------------------ cases

    @api.model
    def _scope_cases(self, scopes):
        """The cases of each scope: those open during its period."""
        starts = min(s["start"] for s in scopes)
        ends = max(s["end"] for s in scopes)
        companies = self.env["res.company"].union(*(s["company"] for s in scopes))
        cases = (
            self.env["collection.case"]
            .with_context(active_test=False)
            .search(
                Domain("company_id", "in", companies.ids)
                & Domain("opened_date", "<=", ends)
                & (Domain("closed_date", "=", False) | Domain("closed_date", ">=", starts))
            )
        )
        return [
            cases.filtered(
                lambda case, scope=scope: (
                    self._in_scope(scope, case.company_id, case.user_id, case.team_id)
                    and case.opened_date <= scope["end"]
                    and (not case.closed_date or case.closed_date >= scope["start"])
                )
            )
            for scope in scopes
        ]

    @api.model
    def _collected(self, scopes, cases):
        """Amount collected and amount credited on the scope's cases in the period:
        ``([collected], [credited])``, one of each per scope.

        For each case, what its customer paid while the case was open within the
        period (from the later of its opening and the start, to the earlier of its
        closing and the end), read from accounting as
        ``collection.ledger._fetch_money_received`` defines it. Collected is cash:
        payments and bank statement lines on the receivable accounts, net of
        refunds paid out and of bounced payments. Credit notes bring no money in:
        they are credited, apart. Company currency.
        """
        windows, owners = [], []
        for index, (scope, scope_cases) in enumerate(zip(scopes, cases, strict=True)):
            for case in scope_cases:
                start = max(scope["start"], case.opened_date)
                end = min(scope["end"], case.closed_date or scope["end"])
                if start <= end:
                    windows.append((case.partner_id.id, case.company_id.id, start, end))
                    owners.append(index)
        received = self.env["collection.ledger"]._fetch_money_received(windows)
        cash, credited = [0.0] * len(scopes), [0.0] * len(scopes)
        for index, (cash_amount, credited_amount) in zip(owners, received, strict=True):
            cash[index] += cash_amount
            credited[index] += credited_amount
        return tuple(
            [
                scope["company"].currency_id.round(total)
                for scope, total in zip(scopes, totals, strict=True)
            ]
            for totals in (cash, credited)
        )

    @api.model
    def _recovered_after_write_off(self, scopes):
        """Money received in the period from customers after a write-off of their debt.

        For each posted write-off (``collection.writeoff``) of a case of the scope
        dated before the end of the period, the money the customer paid from the
        day after the write-off (or the start of the period) to the end of the
        period, as ``collection.ledger._fetch_received`` reads money received.
        """
        write_offs = self.env["collection.writeoff"].search(
            [
                ("company_id", "in", [s["company"].id for s in scopes]),
                ("state", "=", "posted"),
                ("date", "<", max(s["end"] for s in scopes)),
            ],
            order="date, id",
        )
        windows, owners = [], []
        for index, scope in enumerate(scopes):
            partners = set()
            for write_off in write_offs:
                case = write_off.case_id
                if (
                    self._in_scope(scope, case.company_id, case.user_id, case.team_id)
                    and write_off.date < scope["end"]
                    and case.partner_id not in partners
                ):
                    # Money received once counts once, after the first write-off.
                    partners.add(case.partner_id)
                    start = max(scope["start"], write_off.date + timedelta(days=1))
                    windows.append((case.partner_id.id, case.company_id.id, start, scope["end"]))
                    owners.append(index)
        totals = [0.0] * len(scopes)
        for index, amount in zip(
            owners, self.env["collection.ledger"]._fetch_received(windows), strict=True
        ):
            totals[index] += amount
        return [
            scope["company"].currency_id.round(total)
            for scope, total in zip(scopes, totals, strict=True)
        ]

    @api.model
    def _case_counts(self, scopes, cases):
        """Cases opened and closed in the period (their opening and closing dates),
        and cases escalated in it (each move to Escalated in the case's tracked
        history counts once)."""
        all_cases = self.env["collection.case"].union(*cases)
        escalations = self._escalation_dates(all_cases)
        counts = []
        for scope, scope_cases in zip(scopes, cases, strict=True):
            start, end = scope["start"], scope["end"]
            counts.append(
                {
                    "cases_opened": len(
                        scope_cases.filtered(lambda c, s=start, e=end: s <= c.opened_date <= e)
                    ),
                    "cases_closed": len(
                        scope_cases.filtered(
                            lambda c, s=start, e=end: c.closed_date and s <= c.closed_date <= e
                        )
                    ),
                    "cases_escalated": sum(
                        1
                        for case in scope_cases
                        for day in escalations.get(case.id, ())
                        if start <= day <= end
                    ),
                }
            )
        return counts

    @api.model
    def _escalation_dates(self, cases):
        """``{case id: [days the case became escalated]}``, from the tracked state."""
        if not cases:
            return {}
        field = self.env["ir.model.fields"]._get("collection.case", "state")
        state = self.env["collection.case"]._fields["state"]
        labels = {
            dict(state._description_selection(self.with_context(lang=lang).env))["escalated"]
            for lang, _name in self.env["res.lang"].get_installed()
        }
        trackings = self.env["mail.tracking.value"].search(
            [
                ("field_id", "=", field.id),
                ("new_value_char", "in", list(labels)),
                ("mail_message_id.model", "=", "collection.case"),
                ("mail_message_id.res_id", "in", cases.ids),
            ]
        )
        dates = {}
        company_of = {case.id: case.company_id for case in cases}
        for tracking in trackings:
            message = tracking.mail_message_id
            # The day the case's company saw it happen.
            day = company_of[message.res_id]._collection_today(message.date)
            dates.setdefault(message.res_id, []).append(day)
        return dates

    @api.model
    def _contact_counts(self, scopes):
        """Contacts made in the period on the scope's cases (current officer and
        team of the case), by channel and outcome; blocked attempts are not
        contacts made. A contact counts on the company's day it was made."""
        # A day wide on either side: every company's day lies within it in UTC.
        contacts = self.env["collection.contact"].search(
            [
                ("company_id", "in", [s["company"].id for s in scopes]),
                ("date", ">=", min(s["start"] for s in scopes) - timedelta(days=1)),
                ("date", "<", max(s["end"] for s in scopes) + timedelta(days=2)),
                ("outcome", "!=", "blocked"),
            ]
        )
        day_of = {
            contact: contact.company_id._collection_today(contact.date) for contact in contacts
        }
        results = []
        for scope in scopes:
            by_kind = {}
            for contact in contacts:
                case = contact.case_id
                if (
                    self._in_scope(scope, contact.company_id, case.user_id, case.team_id)
                    and scope["start"] <= day_of[contact] <= scope["end"]
                ):
                    key = (contact.channel, contact.outcome or False)
                    by_kind[key] = by_kind.get(key, 0) + 1
            results.append({"contacts": by_kind, "contact_count": sum(by_kind.values())})
        return results

    @api.model
    def _promise_rates(self, scopes):
        """Promise-kept rates of the promises judged in the period.

        Of the promises judged (kept, partly kept or broken; cancelled ones are
        not judged): by count, kept / judged and partly kept / judged; by amount,
        the amount promised of the kept ones / the amount promised of all, and the
        same for the partly kept ones (promised amounts converted to company
        currency at the judging date). Percentages.
        """
        promises = self.env["collection.promise"].search(
            [
                ("company_id", "in", [s["company"].id for s in scopes]),
                ("judged_date", ">=", min(s["start"] for s in scopes)),
                ("judged_date", "<=", max(s["end"] for s in scopes)),
                ("state", "in", ("kept", "partial", "broken")),
            ]
        )
        amounts = {}
        for promise in promises:
            company = promise.company_id
            amounts[promise.id] = promise.currency_id._convert(
                promise.amount, company.currency_id, company, promise.judged_date, round=False
            )
        results = []
        for scope in scopes:
            judged = promises.filtered(
                lambda p, scope=scope: (
                    self._in_scope(scope, p.company_id, p.case_id.user_id, p.case_id.team_id)
                    and scope["start"] <= p.judged_date <= scope["end"]
                )
            )
            kept = judged.filtered(lambda p: p.state == "kept")
            partial = judged.filtered(lambda p: p.state == "partial")
            total = sum(amounts[p.id] for p in judged)
            results.append(
                {
                    "promises_judged": len(judged),
                    "promise_kept_rate": self._ratio(len(kept), len(judged)),
                    "promise_partial_rate": self._ratio(len(partial), len(judged)),
                    "promise_kept_amount_rate": self._ratio(
                        sum(amounts[p.id] for p in kept), total
                    ),
                    "promise_partial_amount_rate": self._ratio(
                        sum(amounts[p.id] for p in partial), total
                    ),
                }
            )
        return results

    @api.model
    def _plan_completion(self, scopes):
        """Plan completion rate: of the payment plans that ended in the period
        (completed or broken, by their end date; cancelled ones did not run their
        course), the share completed, in percent."""
        plans = self.env["collection.plan"].search(
            [
                ("company_id", "in", [s["company"].id for s in scopes]),
                ("date_end", ">=", min(s["start"] for s in scopes)),
                ("date_end", "<=", max(s["end"] for s in scopes)),
                ("state", "in", ("completed", "broken")),
            ]
        )
        results = []
        for scope in scopes:
            ended = plans.filtered(
                lambda p, scope=scope: (
                    self._in_scope(scope, p.company_id, p.case_id.user_id, p.case_id.team_id)
                    and scope["start"] <= p.date_end <= scope["end"]
                )
            )
            completed = ended.filtered(lambda p: p.state == "completed")
            results.append(self._ratio(len(completed), len(ended)))
        return results

    @api.model
    def _dispute_resolution(self, scopes):
        """Average dispute resolution time, in days: for the disputes resolved in
        the period, from their opening (creation) to their resolution date."""
        disputes = self.env["collection.dispute"].search(
            [
                ("case_id.company_id", "in", [s["company"].id for s in scopes]),
                ("resolved_date", ">=", min(s["start"] for s in scopes)),
                ("resolved_date", "<=", max(s["end"] for s in scopes)),
            ]
        )
        results = []
        for scope in scopes:
            days = [
                (
                    fields.Date.to_date(d.resolved_date)
                    - d.case_id.company_id._collection_today(d.create_date)
                ).days
                for d in disputes
                if self._in_scope(scope, d.case_id.company_id, d.case_id.user_id, d.case_id.team_id)
                and scope["start"] <= fields.Date.to_date(d.resolved_date) <= scope["end"]
            ]
            results.append(sum(days) / len(days) if days else None)
        return results
