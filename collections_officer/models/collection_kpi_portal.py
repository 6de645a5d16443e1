from odoo import api, models
from odoo.tools import SQL

# The follow-up actions that reach the customer: a follow-up that did one of them
# reminded the customer (a call planned or a manager alerted did not).
REMINDER_ACTIONS = ["email", "letter", "sms"]


class CollectionKpi(models.AbstractModel):
    """What the customer page brings: who used it, what was paid online, and how fast
    reminded customers paid with and without it.

    Each KPI is one query for all the scopes. Money is in company currency; a day is
    the company's day (its collections timezone).
    """

    _inherit = "collection.kpi"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _portal_kpis(self, scopes, cases, collected):
        """The customer page's KPIs of each scope, in the same order: a list of dicts.

        ``cases`` are the scopes' cases (``_scope_cases``) and ``collected`` the money
        collected on them (``_collected``). Keys: ``portal_cases``, ``reminded_cases``,
        ``portal_case_share``, ``paid_online``, ``paid_online_share``,
        ``portal_payment_days``, ``portal_paid_invoices``, ``other_payment_days``,
        ``other_paid_invoices``. ``portal_case_share`` is the share of the cases
        reminded in the period whose customer used the page in it, in percent;
        ``paid_online_share`` what was paid online of what was collected. A ratio or
        an average with nothing to measure is ``None``.
        """
        windows = self._case_windows_sql(scopes, cases)
        companies = self._company_values(scopes)
        usage = self._portal_usage(scopes, cases)
        online = self._paid_online(scopes, windows, companies)
        days = self._reminder_to_payment_days(scopes, windows, companies)
        results = []
        for index, scope in enumerate(scopes):
            used, reminded, used_reminded = usage[index]
            paid_online = scope["company"].currency_id.round(online[index])
            result = {
                "portal_cases": used,
                "reminded_cases": reminded,
                "portal_case_share": self._ratio(used_reminded, reminded),
                "paid_online": paid_online,
                # Money out (refunds) can leave nothing collected: no share of that.
                "paid_online_share": (
                    self._ratio(paid_online, collected[index]) if collected[index] > 0 else None
                ),
            }
            result.update(days[index])
            results.append(result)
        return results

    @api.model
    def _portal_usage(self, scopes, cases):
        """Cases whose customer used the page in the period, and how many of the cases
        reminded in it did: ``[(used, reminded, used and reminded)]``, per scope.

        A case used the page when its customer visited it (the case's last visit,
        the company's day) or acted on it (an inbound portal contact: every portal
        action logs one) in the period. A case was reminded when a follow-up that
        reached the customer (e-mail, letter or SMS done) is dated in the period.
        """
        results = [(0, 0, 0)] * len(scopes)
        scope_cases = self._scope_cases_sql(scopes, cases)
        if scope_cases is None:
            return results
        self.env["collection.contact"].flush_model(["case_id", "channel", "direction", "date"])
        self.env["collection.followup"].flush_model(["case_id", "state", "done_actions", "date"])
        # The portal contacts and the reminders of the periods joined to the cases
        # once, not looked up for each case of each scope.
        rows = self.env.execute_query(
            SQL(
                """
                WITH scope_cases AS (%(scope_cases)s),
                acted AS (
                    SELECT DISTINCT sc.idx, sc.case_id
                      FROM scope_cases sc
                      JOIN collection_contact cc ON cc.case_id = sc.case_id
                     WHERE cc.channel = 'portal'
                       AND cc.direction = 'inbound'
                       -- a day wide on either side: every company's day lies
                       -- within it in UTC, and the index serves it
                       AND cc.date >= sc.date_from - 1
                       AND cc.date < sc.date_to + 2
                       AND (cc.date AT TIME ZONE 'UTC' AT TIME ZONE sc.tz)::date
                           BETWEEN sc.date_from AND sc.date_to
                ),
                reminded AS (
                    SELECT DISTINCT sc.idx, sc.case_id
                      FROM scope_cases sc
                      JOIN collection_followup f ON f.case_id = sc.case_id
                     WHERE f.state IN ('done', 'pending')
                       AND string_to_array(f.done_actions, ',') && %(actions)s
                       AND f.date BETWEEN sc.date_from AND sc.date_to
                ),
                flags AS (
                    SELECT sc.idx,
                           (sc.portal_last_visit AT TIME ZONE 'UTC' AT TIME ZONE sc.tz)::date
                               BETWEEN sc.date_from AND sc.date_to
                           OR a.case_id IS NOT NULL AS used,
                           r.case_id IS NOT NULL AS reminded
                      FROM scope_cases sc
                 LEFT JOIN acted a ON a.idx = sc.idx AND a.case_id = sc.case_id
                 LEFT JOIN reminded r ON r.idx = sc.idx AND r.case_id = sc.case_id
                )
                SELECT idx,
                       COUNT(*) FILTER (WHERE used),
                       COUNT(*) FILTER (WHERE reminded),
                       COUNT(*) FILTER (WHERE used AND reminded)
                  FROM flags
              GROUP BY idx
                """,
                scope_cases=scope_cases,
                actions=REMINDER_ACTIONS,
            )
        )
        for index, used, reminded, used_reminded in rows:
            results[index] = (used, reminded, used_reminded)
        return results

    @api.model
    def _company_values(self, scopes):
        """``(line company, case company)`` SQL ``VALUES`` rows of the scopes' companies:
        a company's cases follow the receivables of its branches too."""
        companies = self.env["res.company"].union(*(scope["company"] for scope in scopes))
        scope = self.env["collection.ledger"]._company_scope(companies)
        return self.env["collection.ledger"]._company_scope_sql(scope)

    @api.model
    def _paid_online(self, scopes, windows, companies):
        """Money paid online on the scope's cases in the period, per scope.

        The customer payments created from a payment transaction (the page's
        online payment, or any other online payment of the customer) that are
        posted, of the case's customer and company (or its branches), dated while
        the case was open in the period: the windows ``_collected`` counts money
        in, so that it is a share of what was collected. Refunds paid out online
        count against it. Company currency. ``companies``: the scopes' companies
        as ``_company_values`` gives them.
        """
        totals = [0.0] * len(scopes)
        if windows is None:
            return totals
        self.env["account.payment"].flush_model(
            [
                "payment_transaction_id",
                "state",
                "partner_id",
                "partner_type",
                "company_id",
                "date",
                "amount_company_currency_signed",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT w.idx, SUM(pay.amount_company_currency_signed)
                  FROM (%(windows)s) AS w
                  JOIN (VALUES %(companies)s) AS cm(company_id, case_company_id)
                    ON cm.case_company_id = w.company_id
                  JOIN account_payment pay
                    ON pay.company_id = cm.company_id
                   AND pay.date BETWEEN w.date_from AND w.date_to
                  JOIN res_partner p ON p.id = pay.partner_id
                 WHERE p.commercial_partner_id = w.partner_id
                   AND pay.payment_transaction_id IS NOT NULL
                   AND pay.partner_type = 'customer'
                   AND pay.state IN ('in_process', 'paid')
              GROUP BY w.idx
                """,
                windows=windows,
                companies=companies,
            )
        )
        for index, amount in rows:
            totals[index] = float(amount or 0)
        return totals

    @api.model
    def _reminder_to_payment_days(self, scopes, windows, companies):
        """Days from the first reminder to the payment, with and without the page.

        The invoices of the scope's cases paid in the period (while the case was
        open): customer invoices whose receivable items are all reconciled, paid on
        the last reconciliation date (the ledger's payment date, see
        ``collection.ledger._fetch_payment_history``). Each counts the days from
        the first reminder that covered it (a follow-up that reached the customer,
        dated between the invoice date and its payment, on any case of the
        customer) to its payment; an invoice no reminder covered is left out.

        The customer used the page before paying when, between the invoice date
        and the payment, they visited it (the case's last visit) or acted on it
        (an inbound portal contact), or when the invoice was paid online. Returns,
        per scope, the average days of each group (``portal_payment_days``,
        ``other_payment_days``) and the invoices averaged
        (``portal_paid_invoices``, ``other_paid_invoices``). ``companies``: the
        scopes' companies as ``_company_values`` gives them.
        """
        results = [
            {
                "portal_payment_days": None,
                "portal_paid_invoices": 0,
                "other_payment_days": None,
                "other_paid_invoices": 0,
            }
            for _scope in scopes
        ]
        if windows is None:
            return results
        self.env["account.move.line"].flush_model(
            ["account_id", "partner_id", "company_id", "parent_state", "reconciled", "balance"]
        )
        self.env["account.move"].flush_model(
            ["move_type", "payment_state", "invoice_date", "date", "origin_payment_id"]
        )
        self.env["account.partial.reconcile"].flush_model(
            ["debit_move_id", "credit_move_id", "max_date"]
        )
        self.env["account.payment"].flush_model(["payment_transaction_id"])
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["collection.case"].flush_model(["partner_id", "company_id", "portal_last_visit"])
        self.env["collection.contact"].flush_model(["case_id", "channel", "direction", "date"])
        self.env["collection.followup"].flush_model(["case_id", "state", "done_actions", "date"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH windows AS (%(windows)s),
                -- Only a reminded customer's invoices can count: those of customers
                -- never reminded by then are not read.
                reminded AS (
                    SELECT DISTINCT fc.partner_id
                      FROM collection_followup f
                      JOIN collection_case fc ON fc.id = f.case_id
                     WHERE f.state IN ('done', 'pending')
                       AND string_to_array(f.done_actions, ',') && %(actions)s
                       AND f.date <= %(last_day)s
                ),
                -- The invoices paid in some window, each read once: a row per window
                -- and invoice of its customer would grow with the scopes times the book.
                -- An invoice paid then has a partial dated then, its last, on a line
                -- of its customer.
                candidates AS (
                    SELECT DISTINCT debit.move_id
                      FROM account_partial_reconcile pr
                      JOIN account_move_line debit ON debit.id = pr.debit_move_id
                      JOIN res_partner dp ON dp.id = debit.partner_id
                      JOIN reminded ON reminded.partner_id = dp.commercial_partner_id
                     WHERE pr.max_date BETWEEN %(first_day)s AND %(last_day)s
                ),
                invoices AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           aml.company_id AS line_company_id,
                           m.id AS move_id,
                           COALESCE(m.invoice_date, m.date) AS invoice_date,
                           MAX(pr.max_date) AS paid_date,
                           BOOL_OR(pay.payment_transaction_id IS NOT NULL) AS online
                      FROM candidates
                      JOIN account_move_line aml ON aml.move_id = candidates.move_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN account_account a ON a.id = aml.account_id
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_partial_reconcile pr ON pr.debit_move_id = aml.id
                      JOIN account_move_line paying ON paying.id = pr.credit_move_id
                      JOIN account_move paying_move ON paying_move.id = paying.move_id
                 LEFT JOIN account_payment pay ON pay.id = paying_move.origin_payment_id
                     WHERE a.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND aml.reconciled
                       AND aml.balance > 0
                       AND m.move_type IN ('out_invoice', 'out_receipt')
                       AND m.payment_state IN ('paid', 'in_payment')
                       AND p.commercial_partner_id IN (SELECT partner_id FROM reminded)
                  GROUP BY 1, 2, 3, 4
                ),
                paid AS (
                    SELECT w.idx,
                           w.partner_id,
                           w.company_id,
                           w.tz,
                           i.move_id,
                           i.invoice_date,
                           i.paid_date,
                           i.online
                      FROM invoices i
                      JOIN (VALUES %(companies)s) AS cm(company_id, case_company_id)
                        ON cm.company_id = i.line_company_id
                      JOIN windows w
                        ON w.partner_id = i.partner_id
                       AND w.company_id = cm.case_company_id
                       AND i.paid_date BETWEEN w.date_from AND w.date_to
                )
                SELECT paid.idx,
                       page.used,
                       AVG(paid.paid_date - reminder.day),
                       COUNT(*)
                  FROM paid
            CROSS JOIN LATERAL (
                    SELECT MIN(f.date) AS day
                      FROM collection_followup f
                      JOIN collection_case fc ON fc.id = f.case_id
                     WHERE fc.partner_id = paid.partner_id
                       AND fc.company_id = paid.company_id
                       AND f.state IN ('done', 'pending')
                       AND string_to_array(f.done_actions, ',') && %(actions)s
                       AND f.date BETWEEN paid.invoice_date AND paid.paid_date
                   ) AS reminder
            CROSS JOIN LATERAL (
                    SELECT paid.online
                           OR EXISTS (
                               SELECT
                                 FROM collection_case uc
                                WHERE uc.partner_id = paid.partner_id
                                  AND uc.company_id = paid.company_id
                                  AND (uc.portal_last_visit AT TIME ZONE 'UTC'
                                       AT TIME ZONE paid.tz)::date
                                      BETWEEN paid.invoice_date AND paid.paid_date
                           )
                           OR EXISTS (
                               SELECT
                                 FROM collection_contact cc
                                 JOIN collection_case uc ON uc.id = cc.case_id
                                WHERE uc.partner_id = paid.partner_id
                                  AND uc.company_id = paid.company_id
                                  AND cc.channel = 'portal'
                                  AND cc.direction = 'inbound'
                                  AND (cc.date AT TIME ZONE 'UTC' AT TIME ZONE paid.tz)::date
                                      BETWEEN paid.invoice_date AND paid.paid_date
                           ) AS used
                   ) AS page
                 WHERE reminder.day IS NOT NULL
              GROUP BY paid.idx, page.used
                """,
                windows=windows,
                companies=companies,
                first_day=min(scope["start"] for scope in scopes),
                last_day=max(scope["end"] for scope in scopes),
                actions=REMINDER_ACTIONS,
            )
        )
        for index, used, average, count in rows:
            prefix = "portal" if used else "other"
            results[index][f"{prefix}_payment_days"] = float(average)
            results[index][f"{prefix}_paid_invoices"] = count
        return results
