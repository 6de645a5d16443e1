import itertools

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

AGING_BY = ("due_date", "invoice_date")


class CollectionAgingReport(models.AbstractModel):
    """Aged receivables as of any date, read from accounting.

    An item's residual as of a date is its balance less the partial
    reconciliations dated (``max_date``) on or before that date, on either side:
    an invoice paid the day after is still wholly open as of the day before, a
    payment matched later is still an unallocated credit. The sum of the items
    of a company as of a date is therefore the balance of its receivable
    accounts at that date; the lines the desk leaves out (no customer) are
    returned apart so that the total ties out.

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

        One query. Each row: the line (``line_id``, ``move_id``, ``move_name``,
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
        if by not in AGING_BY:
            raise ValidationError(self.env._("Age items by due date or by invoice date."))
        ledger = self.env["collection.ledger"]
        scope = ledger._company_scope(companies)
        if not scope:
            return []
        case_companies = self.env["res.company"].browse(set(scope.values()))
        limits = self._company_limits(case_companies, buckets)
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "currency_id",
                "move_id",
                "parent_state",
                "date",
                "date_maturity",
                "balance",
                "amount_currency",
            ]
        )
        self.env["account.move"].flush_model(["name", "invoice_date"])
        self.env["account.partial.reconcile"].flush_model(
            [
                "debit_move_id",
                "credit_move_id",
                "amount",
                "debit_amount_currency",
                "credit_amount_currency",
                "max_date",
                "company_id",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id", "name"])
        self.env["collection.case"].flush_model(
            ["partner_id", "company_id", "state", "user_id", "team_id"]
        )
        company_values = SQL(", ").join(
            # width_bucket counts the thresholds <= age: 0 (not due), 1 (1 to first limit)...
            SQL(
                "(%s, %s, %s::int[])",
                line_company_id,
                case_company_id,
                [1] + [limit + 1 for limit in limits[case_company_id]],
            )
            for line_company_id, case_company_id in scope.items()
        )
        age_from = (
            SQL("COALESCE(aml.date_maturity, aml.date)")
            if by == "due_date"
            else SQL("COALESCE(m.invoice_date, aml.date)")
        )
        filters = []
        if partners is not None:
            filters.append(SQL("AND p.commercial_partner_id = ANY(%s)", partners.ids))
        if users is not None:
            filters.append(SQL("AND c.user_id = ANY(%s)", users.ids))
        if teams is not None:
            filters.append(SQL("AND c.team_id = ANY(%s)", teams.ids))
        return self.env.execute_query_dict(
            SQL(
                """
                WITH cases AS (
                    SELECT DISTINCT ON (partner_id, company_id)
                           partner_id, company_id, id, user_id, team_id
                      FROM collection_case
                  ORDER BY partner_id, company_id, state = 'closed', id DESC
                ),
                -- What the reconciliations dated by then settled of each line, either side.
                settled AS (
                    SELECT line_id, SUM(amount) AS amount, SUM(amount_currency) AS amount_currency
                      FROM (
                            SELECT pr.debit_move_id AS line_id,
                                   -pr.amount AS amount,
                                   -pr.debit_amount_currency AS amount_currency
                              FROM account_partial_reconcile pr
                             WHERE pr.max_date <= %(as_of)s
                               AND pr.company_id = ANY(%(line_companies)s)
                         UNION ALL
                            SELECT pr.credit_move_id,
                                   pr.amount,
                                   pr.credit_amount_currency
                              FROM account_partial_reconcile pr
                             WHERE pr.max_date <= %(as_of)s
                               AND pr.company_id = ANY(%(line_companies)s)
                           ) AS sides
                  GROUP BY line_id
                ),
                items AS (
                    SELECT aml.id AS line_id,
                           aml.move_id,
                           m.name AS move_name,
                           aml.date,
                           aml.date_maturity,
                           m.invoice_date,
                           aml.company_id AS line_company_id,
                           cm.case_company_id AS company_id,
                           aml.currency_id,
                           p.commercial_partner_id AS partner_id,
                           cp.name AS partner_name,
                           c.id AS case_id,
                           c.user_id,
                           c.team_id,
                           %(as_of)s::date - %(age_from)s AS days,
                           width_bucket(%(as_of)s::date - %(age_from)s, cm.thresholds) AS bucket,
                           aml.balance + COALESCE(settled.amount, 0) AS residual,
                           aml.amount_currency + COALESCE(settled.amount_currency, 0)
                               AS residual_currency,
                           CASE WHEN aml.partner_id IS NULL THEN 'no_customer' END AS excluded
                      FROM account_move_line aml
                      JOIN (VALUES %(company_values)s)
                           AS cm(company_id, case_company_id, thresholds)
                        ON cm.company_id = aml.company_id
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN account_move m ON m.id = aml.move_id
                 LEFT JOIN res_partner p ON p.id = aml.partner_id
                 LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 LEFT JOIN cases c
                        ON c.partner_id = p.commercial_partner_id
                       AND c.company_id = cm.case_company_id
                 LEFT JOIN settled ON settled.line_id = aml.id
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND aml.date <= %(as_of)s
                       %(filters)s
                )
                SELECT *
                  FROM items
                 WHERE residual != 0 OR residual_currency != 0
              ORDER BY company_id, partner_name, partner_id, COALESCE(date_maturity, date), line_id
                """,
                as_of=as_of,
                line_companies=list(scope),
                age_from=age_from,
                company_values=company_values,
                filters=SQL(" ").join(filters),
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
        the caller already has it.
        """
        scope = self.env["collection.ledger"]._company_scope(companies)
        result = {
            company_id: {"balance": 0.0, "aged": 0.0, "excluded": 0.0, "excluded_lines": []}
            for company_id in set(scope.values())
        }
        if not scope:
            return result
        if items is None:
            items = self._fetch_items(companies, as_of)
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
    def _excluded_reasons(self):
        return {"no_customer": self.env._("No customer on the line")}
