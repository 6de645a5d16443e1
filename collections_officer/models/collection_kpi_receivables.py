from odoo import api, models
from odoo.tools import SQL

from .collection_kpi import COUNTBACK_MONTHS, previous_month

# Receivables more than this many days past due: the share the KPIs watch.
OVER_90_DAYS = 90


class CollectionKpi(models.AbstractModel):
    """What the scopes owed and sold: receivables as of a date, credit sales by month."""

    _inherit = "collection.kpi"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------ receivables

    @api.model
    def _line_companies(self, companies):
        """``{company: ids of the companies whose receivables its cases follow}``."""
        ledger = self.env["collection.ledger"]
        return {company: list(ledger._company_scope(company)) for company in set(companies)}

    @api.model
    def _aging_buckets(self, companies):
        """``{company: [bucket]}``: each company's aging buckets as set now (see
        ``_buckets_of``)."""
        report = self.env["collection.aging.report"]
        return {
            company: self._buckets_of(report._company_limits(company)[company.id])
            for company in companies
        }

    @api.model
    def _buckets_of(self, limits):
        """The aging buckets of ``limits`` (upper limits in days), not due first: each
        a dict ``{"sequence", "label", "days_from", "days_to"}`` in days past the due
        date (not due: both 0; the last bucket has no upper limit: ``days_to`` 0),
        labelled as the aged receivables report labels them."""
        bounds = [(0, 0)]
        low = 1
        for limit in limits:
            bounds.append((low, limit))
            low = limit + 1
        bounds.append((low, 0))
        labels = self.env["collection.aging.report"]._bucket_labels(limits)
        return [
            {"sequence": sequence, "label": label, "days_from": days_from, "days_to": days_to}
            for sequence, (label, (days_from, days_to)) in enumerate(
                zip(labels, bounds, strict=True)
            )
        ]

    @api.model
    def _receivables_as_of(self, requests):
        """Receivables as of a date in the company's aging buckets, in one query.

        ``requests`` is a list of ``(company, day, commercial partner ids or None)``;
        returns, in the same order, a dict in company currency: ``aging`` (the
        buckets of ``_aging_buckets`` with their ``amount``), ``total``,
        ``not_due`` and ``over_90`` (more than 90 days past due, whatever the
        buckets: the share the KPIs watch).

        What is open at a day and its bucket are the ledger's
        (``collection.ledger._aging_as_of_sql``, as for the aged receivables
        report), summed by ``collection.ledger._aging_totals_as_of``, which reads
        each open line once whatever the days and scopes asked: a receivable line
        dated on or before it, partner or not, less what partial reconciliations
        dated on or before it settled. Summed over every line it is the
        receivable accounts' balance at that day. The buckets are the company's
        as set now: a monthly snapshot keeps them with their labels, so a month
        kept reads the same whatever the setting becomes.
        """
        if not requests:
            return []
        buckets = self._aging_buckets({company for company, _day, _partners in requests})
        results = [
            {
                "aging": [dict(bucket, amount=0.0) for bucket in buckets[company]],
                "over_90": 0.0,
            }
            for company, _day, _partners in requests
        ]
        rows = self.env["collection.ledger"]._aging_totals_as_of(requests, OVER_90_DAYS)
        for index, bucket, over_90, residual in rows:
            results[index]["aging"][bucket]["amount"] += float(residual or 0)
            if over_90:
                results[index]["over_90"] += float(residual or 0)
        for (company, _day, _partners), result in zip(requests, results, strict=True):
            currency = company.currency_id
            for bucket in result["aging"]:
                bucket["amount"] = currency.round(bucket["amount"])
            result["over_90"] = currency.round(result["over_90"])
            result["not_due"] = result["aging"][0]["amount"]
            result["total"] = currency.round(sum(bucket["amount"] for bucket in result["aging"]))
        return results

    @api.model
    def _monthly_credit_sales(self, scopes, partner_ids):
        """Credit sales per month, from the period back over the countback window.

        Credit sales are the receivable amounts of posted customer invoices less
        those of credit notes, by accounting date: what the customers were
        invoiced on credit in the month (company currency). Returns, per scope,
        ``{first day of month: amount}``; the period's month counts up to the end
        of the period.

        Read from the invoices, not their lines: an invoice's receivable lines
        are its payment terms, on its customer, and sum to its signed total
        (``amount_total_signed``). One row per invoice instead of a line joined
        to its invoice and customer: a third of the rows and no join.
        """
        self.env["account.move"].flush_model(
            [
                "state",
                "move_type",
                "company_id",
                "date",
                "commercial_partner_id",
                "amount_total_signed",
            ]
        )
        line_companies = self._line_companies([scope["company"] for scope in scopes])
        set_id, sets = self.env["collection.ledger"]._customer_sets_sql(
            partner_ids, SQL("mv.commercial_partner_id")
        )
        values = []
        first_day = None
        for index, (scope, partners) in enumerate(zip(scopes, partner_ids, strict=True)):
            start = scope["start"]
            for _month in range(COUNTBACK_MONTHS - 1):
                start = previous_month(start)
            first_day = min(first_day or start, start)
            values.append(
                SQL(
                    "(%s, %s::date, %s::date, %s::int[], %s)",
                    index,
                    start,
                    scope["end"],
                    line_companies[scope["company"]],
                    partners is None,
                )
            )
        # Each invoice read once: summed by day, company and the partner-restricted
        # scopes its customer counts in (a few distinct sets), then spread over the
        # scopes; a row per scope and invoice would grow with the scopes times the book.
        rows = self.env.execute_query(
            SQL(
                """
                WITH scopes AS (
                    SELECT *
                      FROM (VALUES %(values)s)
                           AS r(idx, date_from, date_to, company_ids, all_partners)
                ),
                sets AS (%(sets)s),
                daily AS (
                    SELECT mv.company_id,
                           %(set_id)s AS set_id,
                           mv.date,
                           SUM(mv.amount_total_signed) AS balance
                      FROM account_move mv
                     WHERE mv.state = 'posted'
                       AND mv.move_type IN ('out_invoice', 'out_refund')
                       AND mv.company_id = ANY(%(companies)s)
                       AND mv.date BETWEEN %(first_day)s AND %(last_day)s
                  GROUP BY 1, 2, 3
                )
                SELECT r.idx, date_trunc('month', d.date)::date, SUM(d.balance)
                  FROM scopes r
                  JOIN daily d
                    ON d.company_id = ANY(r.company_ids)
                   AND d.date BETWEEN r.date_from AND r.date_to
                 WHERE r.all_partners
                    OR EXISTS (SELECT FROM sets WHERE sets.set_id = d.set_id AND sets.idx = r.idx)
              GROUP BY 1, 2
                """,
                values=SQL(", ").join(values),
                set_id=set_id,
                sets=sets,
                companies=sorted({c for ids in line_companies.values() for c in ids}),
                first_day=first_day,
                last_day=max(scope["end"] for scope in scopes),
            )
        )
        results = [{} for _scope in scopes]
        for index, month, amount in rows:
            results[index][month] = float(amount or 0)
        return results
