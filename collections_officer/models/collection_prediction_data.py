import math
from bisect import bisect_right
from datetime import date, timedelta
from statistics import median, pstdev

from odoo import api, models
from odoo.tools import SQL

# The features of an invoice line at an observation date, in the order of the model's
# columns. Each is computed from facts dated on or before that date only.
FEATURES = (
    "history_count",
    "history_median_late",
    "history_std_late",
    "history_share_late",
    "history_trend",
    "history_pay_day",
    "amount_ratio",
    "terms_days",
    "age",
    "installment",
    "open_disputes",
    "broken_recent",
    "contacts_recent",
    "followup_level",
    "day_of_month",
)
# Snapshots of an unpaid line are taken every this many days from its due date.
SNAPSHOT_DAYS = 30
# The probability target: paid within this many days of the observation date.
WITHIN_DAYS = 30
# Windows of the history features, in days before the observation date.
TREND_DAYS = 90
BROKEN_DAYS = 180
CONTACT_DAYS = 30


class CollectionPredictionData(models.AbstractModel):
    """The examples the payment predictions learn from, read from the company's ledger.

    Every feature of an invoice line at a date ``d`` is computed from what was known
    on ``d``: the customer's invoices paid on or before ``d``, disputes, broken
    commitments, contacts and follow-ups dated on or before ``d``. A payment made
    after a training cut-off never reaches the examples of that cut-off.
    """

    _name = "collection.prediction.data"
    _description = "Collections: payment prediction examples"

    # ---------------------------------------------------------------- raw rows

    @api.model
    def _dataset_rows(self, company, partners=None):
        """The company's receivable debit lines of customer invoices and the case facts
        of its customers, indexed for ``_features``; ``partners`` (commercial) narrows
        them to these customers. Read once: callers pass the result on."""
        ledger = self.env["collection.ledger"]
        scope = ledger._company_scope(company)
        rows = {"company_id": company.id, "lines": [], "by_id": {}, "partners": {}, "disputes": {}}
        if not scope:
            return rows
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "parent_state",
                "reconciled",
                "balance",
                "amount_residual",
                "date_maturity",
                "date",
                "move_id",
            ]
        )
        self.env["account.move"].flush_model(["move_type", "invoice_date"])
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "max_date"])
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        for model in ("collection.dispute", "collection.promise", "collection.plan"):
            self.env[model].flush_model()
        self.env["collection.contact"].flush_model(["case_id", "date", "outcome"])
        self.env["collection.followup"].flush_model(["case_id", "date", "state", "level_id"])
        self.env["collection.level"].flush_model(["policy_id", "delay_days", "sequence"])
        self.env["collection.case"].flush_model(["partner_id", "company_id"])
        company_values = self.env["collection.ledger"]._company_scope_sql(scope)
        line_partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", partners.ids)
            if partners is not None
            else SQL()
        )
        lines = self.env.execute_query_dict(
            SQL(
                """
                SELECT aml.id,
                       aml.move_id,
                       p.commercial_partner_id AS partner_id,
                       COALESCE(m.invoice_date, aml.date) AS invoice_date,
                       COALESCE(aml.date_maturity, aml.date) AS due_date,
                       aml.balance AS amount,
                       aml.amount_residual AS residual,
                       COUNT(*) OVER (PARTITION BY aml.move_id) > 1 AS installment,
                       CASE WHEN aml.reconciled THEN (
                           SELECT MAX(pr.max_date)
                             FROM account_partial_reconcile pr
                            WHERE pr.debit_move_id = aml.id
                       ) END AS pay_date
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN (VALUES %(company_values)s) AS cm(company_id, case_company_id)
                    ON cm.company_id = aml.company_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.balance > 0
                   AND m.move_type = 'out_invoice'
                   AND aml.company_id = ANY(%(companies)s)
                   AND cm.case_company_id = %(company)s
                   %(partner_filter)s
              ORDER BY aml.id
                """,
                company_values=company_values,
                companies=list(scope),
                company=company.id,
                partner_filter=line_partner_filter,
            )
        )
        case_partner_filter = (
            SQL("AND cs.partner_id = ANY(%s)", partners.ids) if partners is not None else SQL()
        )
        facts = self.env.execute_query(
            SQL(
                """
                SELECT 'dispute', cs.partner_id, d.move_id, d.create_date::date,
                       COALESCE(d.resolved_date,
                                CASE WHEN d.state != 'open' THEN d.write_date::date END),
                       0
                  FROM collection_dispute d
                  JOIN collection_case cs ON cs.id = d.case_id
                 WHERE cs.company_id = %(company)s %(partner_filter)s
             UNION ALL
                SELECT 'broken', cs.partner_id, NULL,
                       COALESCE(pr.judged_date, pr.deadline, pr.date), NULL, 0
                  FROM collection_promise pr
                  JOIN collection_case cs ON cs.id = pr.case_id
                 WHERE pr.state = 'broken' AND cs.company_id = %(company)s %(partner_filter)s
             UNION ALL
                SELECT 'broken', cs.partner_id, NULL,
                       COALESCE(pl.date_end, pl.judged_date, pl.write_date::date), NULL, 0
                  FROM collection_plan pl
                  JOIN collection_case cs ON cs.id = pl.case_id
                 WHERE pl.state = 'broken' AND cs.company_id = %(company)s %(partner_filter)s
             UNION ALL
                SELECT 'contact', cs.partner_id, NULL, c.date::date, NULL, 0
                  FROM collection_contact c
                  JOIN collection_case cs ON cs.id = c.case_id
                 WHERE c.outcome IS DISTINCT FROM 'blocked'
                   AND cs.company_id = %(company)s %(partner_filter)s
             UNION ALL
                SELECT 'followup', cs.partner_id, NULL, f.date, NULL, lv.position
                  FROM collection_followup f
                  JOIN collection_case cs ON cs.id = f.case_id
                  JOIN (SELECT id, RANK() OVER (
                                   PARTITION BY policy_id ORDER BY delay_days, sequence, id
                               ) AS position
                          FROM collection_level) lv ON lv.id = f.level_id
                 WHERE f.state IN ('done', 'pending')
                   AND cs.company_id = %(company)s %(partner_filter)s
                """,
                company=company.id,
                partner_filter=case_partner_filter,
            )
        )
        return self._index_rows(rows, lines, facts)

    @api.model
    def _index_rows(self, rows, lines, facts):
        """Sort the raw rows per customer, by date, so that a feature at any date is a
        binary search away (dates as ordinals)."""

        def customer(partner_id):
            return rows["partners"].setdefault(
                partner_id,
                {
                    "paid": [],
                    "invoiced": [],
                    "broken": [],
                    "contacts": [],
                    "followups": [],
                },
            )

        for line in lines:
            line["amount"] = float(line["amount"] or 0.0)
            line["residual"] = float(line["residual"] or 0.0)
            if line["pay_date"] and line["pay_date"] < line["invoice_date"]:
                # Paid by a credit note or an advance dated before the invoice.
                line["pay_date"] = line["invoice_date"]
            rows["lines"].append(line)
            rows["by_id"][line["id"]] = line
            values = customer(line["partner_id"])
            values["invoiced"].append((line["invoice_date"].toordinal(), line["amount"]))
            if line["pay_date"]:
                values["paid"].append(
                    (
                        line["pay_date"].toordinal(),
                        (line["pay_date"] - line["due_date"]).days,
                        line["pay_date"].day,
                    )
                )
        for kind, partner_id, move_id, day, end, value in facts:
            if day is None:
                continue
            if kind == "dispute":
                rows["disputes"].setdefault(move_id, []).append(
                    (day.toordinal(), end.toordinal() if end else math.inf)
                )
            elif kind == "broken":
                customer(partner_id)["broken"].append(day.toordinal())
            elif kind == "contact":
                customer(partner_id)["contacts"].append(day.toordinal())
            else:
                customer(partner_id)["followups"].append((day.toordinal(), value))
        for values in rows["partners"].values():
            for key in ("paid", "invoiced", "broken", "contacts", "followups"):
                values[key].sort()
            values["paid_days"] = [paid[0] for paid in values["paid"]]
            values["invoiced_days"] = [invoiced[0] for invoiced in values["invoiced"]]
            cumulative, total = [], 0.0
            for _day, amount in values["invoiced"]:
                total += amount
                cumulative.append(total)
            values["invoiced_sums"] = cumulative
            values["followup_days"] = [followup[0] for followup in values["followups"]]
            highest, running = [], 0
            for _day, position in values["followups"]:
                running = max(running, position)
                highest.append(running)
            values["followup_highest"] = highest
            values["history_cache"] = {}
        return rows

    # ---------------------------------------------------------------- features

    @api.model
    def _history(self, values, day):
        """The customer's payment history known at the ordinal ``day`` (cached)."""
        cache = values["history_cache"]
        if day in cache:
            return cache[day]
        count = bisect_right(values["paid_days"], day)
        nan = math.nan
        if not count:
            result = (0, nan, nan, nan, nan, nan)
        else:
            paid = values["paid"][:count]
            late = [row[1] for row in paid]
            recent_from = bisect_right(values["paid_days"], day - TREND_DAYS, hi=count)
            recent, before = late[recent_from:], late[:recent_from]
            trend = (
                sum(recent) / len(recent) - sum(before) / len(before) if recent and before else nan
            )
            result = (
                count,
                float(median(late)),
                float(pstdev(late)) if count > 1 else nan,
                sum(1 for days in late if days > 0) / count,
                trend,
                float(median(row[2] for row in paid)),
            )
        cache[day] = result
        return result

    @api.model
    def _features(self, rows, line, d):
        """The feature vector (``FEATURES`` order) of ``line`` (a row of
        ``_dataset_rows``) at the date ``d``, from facts dated on or before ``d``."""
        day = d.toordinal()
        # The features of a line at a date never change with the cut-off: the backtest's
        # origins share them.
        cache = rows.setdefault("features_cache", {})
        key = (line["id"], day)
        if key not in cache:
            cache[key] = self._compute_features(rows, line, d, day)
        return list(cache[key])

    @api.model
    def _compute_features(self, rows, line, d, day):
        values = rows["partners"][line["partner_id"]]
        count, median_late, std_late, share_late, trend, pay_day = self._history(values, day)
        invoiced = bisect_right(values["invoiced_days"], day)
        mean_amount = values["invoiced_sums"][invoiced - 1] / invoiced if invoiced else 0.0
        disputes = sum(
            1 for start, end in rows["disputes"].get(line["move_id"], ()) if start <= day < end
        )
        broken = bisect_right(values["broken"], day) - bisect_right(
            values["broken"], day - BROKEN_DAYS
        )
        contacts = bisect_right(values["contacts"], day) - bisect_right(
            values["contacts"], day - CONTACT_DAYS
        )
        followed = bisect_right(values["followup_days"], day)
        return [
            float(count),
            median_late,
            std_late,
            share_late,
            trend,
            pay_day,
            line["amount"] / mean_amount if mean_amount > 0 else 1.0,
            float((line["due_date"] - line["invoice_date"]).days),
            float((d - line["due_date"]).days),
            1.0 if line["installment"] else 0.0,
            float(disputes),
            float(broken),
            float(contacts),
            float(values["followup_highest"][followed - 1]) if followed else 0.0,
            float(d.day),
        ]

    @api.model
    def _snapshot_dates(self, line, until):
        """The observation dates of ``line`` up to ``until``: its invoice date when it
        was issued before its due date (what a line not due yet looks like), its due
        date, then every ``SNAPSHOT_DAYS`` days."""
        due = line["due_date"]
        if line["invoice_date"] < due and line["invoice_date"] <= until:
            yield line["invoice_date"]
        d = due
        while d <= until:
            yield d
            d += timedelta(days=SNAPSHOT_DAYS)

    @api.model
    def _training_set(self, company, cutoff, rows=None):
        """The examples known at ``cutoff``: ``{"features", "X", "days_late",
        "within", "line_ids", "dates"}``.

        Every line paid on or before ``cutoff`` gives a snapshot at each observation
        date while still unpaid, with its days late (pay date less due date) and
        whether it was paid within 30 days of the snapshot, when that is known at the
        cut-off. A line still unpaid at the cut-off (whatever happened later) only
        tells that it was not paid within 30 days of its snapshots 30 days or more
        before the cut-off: its ``days_late`` is ``nan``.
        """
        rows = rows if rows is not None else self._dataset_rows(company)
        X, days_late, within, line_ids, dates = [], [], [], [], []
        known = cutoff - timedelta(days=WITHIN_DAYS)
        for line in rows["lines"]:
            if line["invoice_date"] > cutoff:
                continue
            pay = line["pay_date"]
            paid = pay is not None and pay <= cutoff
            for d in self._snapshot_dates(line, cutoff if paid else known):
                if paid and d >= pay:
                    break
                if paid:
                    late = float((pay - line["due_date"]).days)
                    label = float((pay - d).days <= WITHIN_DAYS) if d <= known else math.nan
                else:
                    late, label = math.nan, 0.0
                X.append(self._features(rows, line, d))
                days_late.append(late)
                within.append(label)
                line_ids.append(line["id"])
                dates.append(d)
        return {
            "features": FEATURES,
            "X": X,
            "days_late": days_late,
            "within": within,
            "line_ids": line_ids,
            "dates": dates,
        }

    @api.model
    def _scoring_set(self, company, d, rows=None):
        """The lines open at ``d`` (issued on or before it, not paid by then) and their
        features at ``d``: ``{"features", "X", "line_ids", "lines"}``."""
        rows = rows if rows is not None else self._dataset_rows(company)
        X, line_ids, lines = [], [], []
        for line in rows["lines"]:
            if line["invoice_date"] > d or (line["pay_date"] and line["pay_date"] <= d):
                continue
            X.append(self._features(rows, line, d))
            line_ids.append(line["id"])
            lines.append(line)
        return {"features": FEATURES, "X": X, "line_ids": line_ids, "lines": lines}

    @api.model
    def _paid_count(self, rows, d=None):
        """How many lines of ``rows`` were paid on or before ``d`` (ever, without)."""
        d = d or date.max
        return sum(1 for line in rows["lines"] if line["pay_date"] and line["pay_date"] <= d)

    @api.model
    def _median_late(self, rows, partner_id, d):
        """The customer's median delay (days late, 0 when on time) of the invoices paid on
        or before ``d``, as the median rule counts it, and how many: ``(days, count)``."""
        values = rows["partners"].get(partner_id)
        if not values:
            return None, 0
        count = bisect_right(values["paid_days"], d.toordinal())
        if not count:
            return None, 0
        cache = values.setdefault("median_cache", {})
        if count not in cache:
            cache[count] = median(max(row[1], 0) for row in values["paid"][:count])
        return cache[count], count
