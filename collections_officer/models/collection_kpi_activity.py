from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class CollectionKpi(models.AbstractModel):
    """What happened on the scopes' cases in the period: money collected and
    recovered, cases opened, closed and escalated, contacts, promises, plans and
    disputes."""

    _inherit = "collection.kpi"  # pylint: disable=consider-merging-classes-inherited

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
        cash, credited = [0.0] * len(scopes), [0.0] * len(scopes)
        windows = self._case_windows_sql(scopes, cases)
        ledger = self.env["collection.ledger"]
        scope = ledger._company_scope(
            self.env["res.company"].union(*(scope["company"] for scope in scopes))
        )
        if windows is None or not scope:
            return cash, credited
        self.env["account.move.line"].flush_model(
            ["account_id", "partner_id", "company_id", "date", "parent_state", "balance", "move_id"]
        )
        self.env["account.move"].flush_model(
            [
                "origin_payment_id",
                "statement_line_id",
                "move_type",
                "reversed_entry_id",
                "date",
                "state",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        # The lines of ``_fetch_money_received`` (its windows without debt lines),
        # those of the period read once and summed by customer and day, then
        # matched to the windows: a row per window and line of its customer would
        # grow with the scopes times the book.
        rows = self.env.execute_query(
            SQL(
                """
                WITH windows AS (%(windows)s),
                -- The entries of the period that may bring money in (a payment, a
                -- bank statement line, a credit note, a reversal), found first: the
                -- period's receivable lines looked up to their entries one by one
                -- cost more.
                moves AS MATERIALIZED (
                    SELECT id, origin_payment_id, statement_line_id, move_type, reversed_entry_id
                      FROM account_move
                     WHERE date BETWEEN %(first_day)s AND %(last_day)s
                       AND state = 'posted'
                       AND (
                           origin_payment_id IS NOT NULL
                           OR statement_line_id IS NOT NULL
                           OR move_type = 'out_refund'
                           OR reversed_entry_id IS NOT NULL
                       )
                ),
                -- Summed once: matched to the windows, PostgreSQL may guess few
                -- windows and sum it again for each.
                daily AS MATERIALIZED (
                    SELECT p.commercial_partner_id AS partner_id,
                           aml.company_id,
                           aml.date,
                           kind.cash,
                           SUM(-aml.balance) AS amount
                      FROM account_move_line aml
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN moves m ON m.id = aml.move_id
                      JOIN res_partner p ON p.id = aml.partner_id
                 %(kind)s
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND aml.company_id = ANY(%(line_companies)s)
                       AND aml.date BETWEEN %(first_day)s AND %(last_day)s
                       AND %(received)s
                  GROUP BY 1, 2, 3, 4
                )
                SELECT w.idx, d.cash, SUM(d.amount)
                  FROM windows w
                  JOIN (VALUES %(companies)s) AS cm(company_id, case_company_id)
                    ON cm.case_company_id = w.company_id
                  JOIN daily d
                    ON d.partner_id = w.partner_id
                   AND d.company_id = cm.company_id
                   AND d.date BETWEEN w.date_from AND w.date_to
              GROUP BY 1, 2
                """,
                windows=windows,
                companies=self.env["collection.ledger"]._company_scope_sql(scope),
                line_companies=list(scope),
                first_day=min(s["start"] for s in scopes),
                last_day=max(s["end"] for s in scopes),
                kind=self.env["collection.ledger"]._money_kind_sql(),
                received=self.env["collection.ledger"]._money_received_sql(),
            )
        )
        for index, is_cash, amount in rows:
            (cash if is_cash else credited)[index] += float(amount or 0)
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
        counts = [{"cases_opened": 0, "cases_closed": 0, "cases_escalated": 0} for _scope in scopes]
        scope_cases = self._scope_cases_sql(scopes, cases)
        if scope_cases is None:
            return counts
        self.env["mail.message"].flush_model(["model", "res_id", "date"])
        self.env["mail.tracking.value"].flush_model(
            ["field_id", "new_value_char", "mail_message_id"]
        )
        # Counted in PostgreSQL, the moves to Escalated as ``_escalation_dates``
        # finds them: read through the records, a thousand cases cost a query.
        rows = self.env.execute_query(
            SQL(
                """
                WITH scope_cases AS (%(scope_cases)s),
                escalated AS (
                    SELECT sc.idx, COUNT(*) AS count
                      FROM scope_cases sc
                      JOIN mail_message mm
                        ON mm.model = 'collection.case'
                       AND mm.res_id = sc.case_id
                      JOIN mail_tracking_value tv ON tv.mail_message_id = mm.id
                     WHERE tv.field_id = %(field)s
                       AND tv.new_value_char = ANY(%(labels)s)
                       -- The day the case's company saw it happen.
                       AND (mm.date AT TIME ZONE 'UTC' AT TIME ZONE sc.tz)::date
                           BETWEEN sc.date_from AND sc.date_to
                  GROUP BY sc.idx
                )
                SELECT sc.idx,
                       COUNT(*) FILTER (WHERE sc.opened_date BETWEEN sc.date_from AND sc.date_to),
                       COUNT(*) FILTER (WHERE sc.closed_date BETWEEN sc.date_from AND sc.date_to),
                       MAX(e.count)
                  FROM scope_cases sc
             LEFT JOIN escalated e ON e.idx = sc.idx
              GROUP BY sc.idx
                """,
                scope_cases=scope_cases,
                field=self.env["ir.model.fields"]._get("collection.case", "state").id,
                labels=list(self._escalated_labels()),
            )
        )
        for index, opened, closed, escalated in rows:
            counts[index] = {
                "cases_opened": opened,
                "cases_closed": closed,
                "cases_escalated": escalated or 0,
            }
        return counts

    @api.model
    def _escalated_labels(self):
        """The label of the Escalated state in every installed language: what the
        tracked state holds."""
        state = self.env["collection.case"]._fields["state"]
        return {
            dict(state._description_selection(self.with_context(lang=lang).env))["escalated"]
            for lang, _name in self.env["res.lang"].get_installed()
        }

    @api.model
    def _escalation_dates(self, cases):
        """``{case id: [days the case became escalated]}``, from the tracked state."""
        if not cases:
            return {}
        field = self.env["ir.model.fields"]._get("collection.case", "state")
        labels = self._escalated_labels()
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
        companies = self.env["res.company"].union(*(s["company"] for s in scopes))
        self.env["collection.contact"].flush_model(
            ["case_id", "company_id", "date", "channel", "outcome"]
        )
        self.env["collection.case"].flush_model(["user_id", "team_id"])
        # Counted in PostgreSQL by officer, team, kind and company day: a few rows
        # to share out, not a record per contact read for each scope.
        rows = self.env.execute_query(
            SQL(
                """
                SELECT cc.company_id, c.user_id, c.team_id, cc.channel, cc.outcome,
                       (cc.date AT TIME ZONE 'UTC' AT TIME ZONE tz.tz)::date, COUNT(*)
                  FROM collection_contact cc
                  JOIN (VALUES %(tz)s) AS tz(company_id, tz) ON tz.company_id = cc.company_id
             LEFT JOIN collection_case c ON c.id = cc.case_id
                 WHERE cc.company_id = ANY(%(companies)s)
                   -- A day wide on either side: every company's day lies within it in UTC.
                   AND cc.date >= %(date_from)s
                   AND cc.date < %(date_to)s
                   AND cc.outcome IS DISTINCT FROM 'blocked'
              GROUP BY 1, 2, 3, 4, 5, 6
                """,
                tz=SQL(", ").join(
                    SQL("(%s, %s)", company.id, company._collection_tz()) for company in companies
                ),
                companies=companies.ids,
                date_from=min(s["start"] for s in scopes) - timedelta(days=1),
                date_to=max(s["end"] for s in scopes) + timedelta(days=2),
            )
        )
        results = []
        for scope in scopes:
            by_kind = {}
            company, user, team = scope["company"].id, scope["user"].id, scope["team"].id
            for company_id, user_id, team_id, channel, outcome, day, count in rows:
                if (
                    company_id == company
                    and (not user or user_id == user)
                    and (not team or team_id == team)
                    and scope["start"] <= day <= scope["end"]
                ):
                    key = (channel, outcome or False)
                    by_kind[key] = by_kind.get(key, 0) + count
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
