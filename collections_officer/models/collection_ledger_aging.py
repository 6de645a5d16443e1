from odoo import api, models
from odoo.tools import SQL


class CollectionLedger(models.AbstractModel):
    """The receivables as they stood on a past day: the as-of aging.

    An item's residual on a day is its balance less the reconciliations dated
    by then; the aged receivables report and the KPIs (and through them the
    snapshots) read it.
    """

    _inherit = "collection.ledger"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------ as of a date

    @api.model
    def _aging_as_of_sql(self, requests, by="due_date", buckets=None, open_only=False):
        """The receivable items open at a date, as the CTE ``aged``.

        ``requests``: a list of ``(companies, day, commercial partner ids or None)``.
        Returns ``(case companies, SQL)``; the SQL is empty when no company asked
        has cases. ``aged`` holds a row per request (``idx``, its index in
        ``requests``; ``as_of``, its day) and posted receivable line of the
        companies (and of their branches booking for them) dated on or before
        that day, partner or not: ``line_id``, ``move_id``, ``line_company_id``,
        ``company_id`` (of the case), ``partner_id`` (commercial, NULL without a
        customer), ``currency_id``, ``date``, ``date_maturity``, ``invoice_date``,
        ``days`` (from the due date, or the invoice date with ``by`` set to
        ``invoice_date``, to the day), ``bucket`` (0 = not due, then the index of
        the bucket in the case company's buckets, or in ``buckets`` when given:
        a comma list or a list of limits in days), ``residual`` (company
        currency) and ``residual_currency`` (the line's currency).

        An item's residual at a day is its balance less what the partial
        reconciliations dated (``max_date``, the later date of both sides) on or
        before that day settled, on either side: an invoice paid after the day is
        still owed on it, a payment matched after it is still an unallocated
        credit. Read as the line's residual today (``amount_residual``, all its
        partials deducted) plus what the partials dated after the day settled:
        as of today, no partial at all. Summed over every line it is the
        receivable accounts' balance that day.

        ``open_only``: leave out the lines worth nothing at every day asked for,
        those reconciled by partials all dated on or before the day asked for (for
        callers that drop or sum the zero residuals). The rest are the
        unreconciled lines and those whose reconciliation ended later.
        """
        if by not in ("due_date", "invoice_date"):
            raise ValueError(f"Age items by due_date or invoice_date, not {by!r}")
        case_companies, rows, tree = self._aging_request_rows(requests, buckets)
        if not rows:
            return case_companies, SQL()
        age_from = (
            SQL("COALESCE(aml.date_maturity, aml.date)")
            if by == "due_date"
            else SQL("COALESCE(m.invoice_date, aml.date)")
        )
        receivable = self._receivable_accounts()
        # An item's residual at a day is its residual today (kept by accounting,
        # amount_residual) plus what the partials dated after that day settled of
        # it: only those partials are read, few beside the book's, and as of today
        # the open items are the unreconciled lines, without any partial.
        branches = SQL(" UNION ALL ").join(
            self._aging_branch_sql(
                row, age_from, self._aging_settled_after_sql(tree, row[1]), receivable, open_only
            )
            for row in rows
        )
        return case_companies, SQL("aged AS (%s)", branches)

    @api.model
    def _receivable_accounts(self):
        """Every receivable account, to be written into a query as constants:
        PostgreSQL then knows from its statistics how many lines they hold (through
        a join it guesses few). By id: the accounts' own order (their code) reads
        the user's company."""
        return (
            self.env["account.account"]
            .sudo()
            .with_context(active_test=False)
            .search([("account_type", "=", "asset_receivable")], order="id")
        )

    @api.model
    def _aging_settled_after_sql(self, tree, day):
        """What the partials of the companies ``tree`` dated after ``day`` settled of
        each line (``line_id``, ``amount``, ``amount_currency``), either side: to be
        added back to its residual today for its residual on the day.

        Read from the table, not from a shared list: PostgreSQL then knows from
        its statistics how many lines they touch, and plans the joins for them.
        """
        return SQL(
            """
            SELECT sides.line_id,
                   SUM(sides.amount) AS amount,
                   SUM(sides.amount_currency) AS amount_currency
              FROM (
                    SELECT pr.debit_move_id AS line_id,
                           pr.amount,
                           pr.debit_amount_currency AS amount_currency
                      FROM account_partial_reconcile pr
                     WHERE pr.company_id = ANY(%(tree)s) AND pr.max_date > %(day)s
                 UNION ALL
                    SELECT pr.credit_move_id,
                           -pr.amount,
                           -pr.credit_amount_currency
                      FROM account_partial_reconcile pr
                     WHERE pr.company_id = ANY(%(tree)s) AND pr.max_date > %(day)s
                   ) AS sides
          GROUP BY sides.line_id
            """,
            tree=tree.ids,
            day=day,
        )

    @api.model
    def _aging_branch_sql(self, row, age_from, settled, receivable, open_only):
        """The ``aged`` rows of a request and company of a line (a row of
        ``_aging_request_rows``), its day, company, customers and buckets written
        as constants: joined to a list of requests instead, PostgreSQL guesses a
        handful of lines and nests loops over the book."""
        index, day, line_company_id, case_company_id, partners, thresholds = row
        if open_only:
            # The unreconciled lines, and the reconciled ones a partial dated after
            # the day reopens: two disjoint sets, each found through its own index.
            lines = SQL(
                """
                SELECT * FROM account_move_line WHERE reconciled IS NOT TRUE
                 UNION ALL
                SELECT *
                  FROM account_move_line
                 WHERE reconciled
                   AND id IN (SELECT line_id FROM (%s) AS reopening)
                """,
                settled,
            )
        else:
            lines = SQL("SELECT * FROM account_move_line")
        return SQL(
            """
            SELECT %(idx)s AS idx,
                   %(day)s::date AS as_of,
                   aml.id AS line_id,
                   aml.move_id,
                   aml.company_id AS line_company_id,
                   %(company_id)s AS company_id,
                   p.commercial_partner_id AS partner_id,
                   aml.currency_id,
                   aml.date,
                   aml.date_maturity,
                   m.invoice_date,
                   %(day)s::date - %(age_from)s AS days,
                   width_bucket(%(day)s::date - %(age_from)s, %(thresholds)s::int[]) AS bucket,
                   aml.amount_residual + COALESCE(s.amount, 0) AS residual,
                   aml.amount_residual_currency + COALESCE(s.amount_currency, 0)
                       AS residual_currency
              FROM (%(lines)s) AS aml
         LEFT JOIN account_move m ON m.id = aml.move_id
         LEFT JOIN res_partner p ON p.id = aml.partner_id
         LEFT JOIN (%(settled)s) AS s ON s.line_id = aml.id
             WHERE aml.company_id = %(line_company_id)s
               AND aml.date <= %(day)s::date
               AND aml.account_id = ANY(%(receivable)s)
               AND aml.parent_state = 'posted'
               %(partners)s
            """,
            idx=index,
            day=day,
            company_id=case_company_id,
            line_company_id=line_company_id,
            thresholds=thresholds,
            age_from=age_from,
            lines=lines,
            settled=settled,
            receivable=receivable.ids,
            partners=SQL()
            if partners is None
            else SQL("AND p.commercial_partner_id = ANY(%s::int[])", partners),
        )

    @api.model
    def _aging_request_rows(self, requests, buckets=None, with_tree=True):
        """The requests of ``_aging_as_of_sql`` per company of a line, what they read flushed.

        Returns ``(case companies, rows, company tree)``: a tuple per request and
        company of a line ``(idx, as_of, line_company_id, company_id, partner ids
        or None, thresholds)``, none when no company asked has cases; the
        thresholds are those of ``width_bucket`` for the case company's buckets
        (or ``buckets``); the tree holds every company whose partials may touch
        those lines (empty when ``with_tree`` is false: a query saved for the
        callers that find the partials through the lines).
        """
        scopes = {}
        for companies, _day, _partners in requests:
            if tuple(companies.ids) not in scopes:
                scopes[tuple(companies.ids)] = self._company_scope(companies)
        case_companies = self.env["res.company"].browse(
            {case_id for scope in scopes.values() for case_id in scope.values()}
        )
        if not case_companies:
            return case_companies, [], self.env["res.company"]
        limits = self.env["collection.aging.report"]._company_limits(case_companies, buckets)
        rows = [
            (
                index,
                day,
                line_company_id,
                case_company_id,
                None if partners is None else list(partners),
                # width_bucket counts the thresholds <= age: 0 (not due), 1 (1 to
                # the first limit)...
                [1] + [limit + 1 for limit in limits[case_company_id]],
            )
            for index, (companies, day, partners) in enumerate(requests)
            for line_company_id, case_company_id in scopes[tuple(companies.ids)].items()
        ]
        # Partials never cross a company tree: those of the trees asked for are enough.
        tree = (
            self.env["res.company"]
            .sudo()
            .search([("id", "child_of", case_companies.sudo().root_id.ids)])
            if with_tree
            else self.env["res.company"]
        )
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "currency_id",
                "move_id",
                "parent_state",
                "reconciled",
                "date",
                "date_maturity",
                "balance",
                "amount_currency",
                "amount_residual",
                "amount_residual_currency",
            ]
        )
        self.env["account.move"].flush_model(["invoice_date"])
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
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        return case_companies, rows, tree

    @api.model
    def _aging_requests_sql(self, requests, buckets=None):
        """The rows of ``_aging_request_rows`` as a query, for ``_aging_totals_as_of``.

        Returns ``(case companies, SQL, line company ids)``: the SQL selects a row
        per request and company of a line (``idx``, ``as_of``, ``line_company_id``,
        ``company_id``, ``all_partners``, ``thresholds``), empty when no company
        asked has cases: which customers a request restricted to some counts is
        the caller's (see ``_customer_sets_sql``).
        """
        case_companies, rows, _tree = self._aging_request_rows(requests, buckets, with_tree=False)
        if not rows:
            return case_companies, SQL(), []
        return (
            case_companies,
            SQL(
                """
                SELECT *
                  FROM (VALUES %s)
                       AS r(idx, as_of, line_company_id, company_id, all_partners, thresholds)
                """,
                SQL(", ").join(
                    SQL(
                        "(%s, %s::date, %s, %s, %s, %s::int[])",
                        index,
                        day,
                        line_company_id,
                        case_company_id,
                        partners is None,
                        thresholds,
                    )
                    for index, day, line_company_id, case_company_id, partners, thresholds in rows
                ),
            ),
            sorted({row[2] for row in rows}),
        )

    @api.model
    def _customer_sets_sql(self, partner_lists, partner):
        """The customers of partner-restricted requests, numbered by the set of
        requests they count in: ``(set_id, sets)``, the SQL expression of the set
        of the commercial partner id ``partner`` (NULL for a customer no list
        holds) and a query of rows ``(set_id, idx)``, ``idx`` the index in
        ``partner_lists`` (lists of commercial partner ids, or None for every
        customer) of each list that holds the set's customers.

        A few distinct sets stand for the customers in the groups of the queries
        that read them. Numbered in Python, where the lists are, and written as a
        CASE over each set's customers: PostgreSQL looks a constant list up by
        hashing it, where joined to a list it knows nothing of, it hashes the book.
        """
        idxs_of = {}
        for index, partners in enumerate(partner_lists):
            for partner_id in set(partners or ()):
                idxs_of.setdefault(partner_id, []).append(index)
        customers_of = {}
        for partner_id, idxs in idxs_of.items():
            customers_of.setdefault(tuple(idxs), []).append(partner_id)
        set_id = SQL("NULL::int")
        if customers_of:
            set_id = SQL(
                "CASE %s END",
                SQL(" ").join(
                    SQL("WHEN %s = ANY(%s::int[]) THEN %s", partner, customers, number)
                    for number, customers in enumerate(customers_of.values(), start=1)
                ),
            )
        pairs = [
            (number, index) for number, idxs in enumerate(customers_of, start=1) for index in idxs
        ]
        sets = SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[]) AS sets(set_id, idx)",
            [number for number, _index in pairs],
            [index for _number, index in pairs],
        )
        return set_id, sets

    @api.model
    def _aging_totals_as_of(self, requests, over_days):
        """What was open at a date, summed by bucket, each line read once.

        ``requests`` as in ``_aging_as_of_sql``, aged by due date in the case
        companies' buckets. Returns a row per request and bucket: ``(idx, bucket,
        more than over_days past due, residual)`` (company currency), the sums
        of the ``aged`` rows of ``_aging_as_of_sql`` grouped so.

        The sums are those of ``_aging_as_of_sql``, not its plan: a row per
        request and line grows with the requests times the book. Here a line's
        residual at a day is, as there, its residual today plus what the partials
        dated after the day settled of it: only the open lines (those not
        reconciled, and those a partial dated after the earliest day reopens) and
        the partials dated after the earliest day are read, each once, the
        residuals at every day asked for summed side by side (an aggregate
        filtered per day), grouped by company, due date and the set of
        partner-restricted requests the customer counts in; only these few
        groups are then spread over the requests and their buckets.
        """
        _case_companies, requests_sql, line_companies = self._aging_requests_sql(requests)
        if not requests_sql:
            return []
        set_id, sets = self._customer_sets_sql(
            [partners for _c, _d, partners in requests], SQL("p.commercial_partner_id")
        )
        days = sorted({day for _companies, day, _partners in requests})
        residual_at = SQL(", ").join(
            SQL(
                "SUM(l.amount) FILTER (WHERE l.date <= %(day)s"
                " AND (l.settled IS NULL OR l.settled > %(day)s))",
                day=day,
            )
            for day in days
        )
        receivable = self._receivable_accounts()
        # PostgreSQL guesses a group per line (it has no statistics of the
        # customers' sets nor of the due dates as written) and sorts every line to
        # group them, on disk past a few hundred thousand, where the groups are a
        # few hundred: they are hashed, for this query only (a SET LOCAL, undone
        # with the transaction or savepoint if the query fails).
        sorting = self.env.execute_query(
            SQL("SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)")
        )[0][0]
        rows = self.env.execute_query(
            SQL(
                """
                WITH requests AS (%(requests)s),
                -- The partner-restricted requests of each set of customers.
                sets AS (%(sets)s),
                -- Each unreconciled line with its residual today (none: nothing to
                -- add), and each side of a partial dated after the earliest day with
                -- what it settled, owed again on the days before its date. A line
                -- reconciled by partials all dated by the earliest day is worth
                -- nothing at any day asked for: it is not read.
                lines AS (
                    SELECT aml.company_id, aml.partner_id, aml.date, aml.date_maturity,
                           aml.amount_residual AS amount, NULL::date AS settled
                      FROM account_move_line aml
                     WHERE aml.reconciled IS NOT TRUE
                       AND aml.amount_residual != 0
                       AND aml.account_id = ANY(%(receivable)s)
                       AND aml.parent_state = 'posted'
                       AND aml.company_id = ANY(%(companies)s)
                       AND aml.date <= %(last_day)s
                 UNION ALL
                    SELECT aml.company_id, aml.partner_id, aml.date, aml.date_maturity,
                           sides.amount, sides.max_date
                      FROM (
                            SELECT pr.debit_move_id AS line_id, pr.max_date, pr.amount
                              FROM account_partial_reconcile pr
                             WHERE pr.max_date > %(first_day)s
                         UNION ALL
                            SELECT pr.credit_move_id, pr.max_date, -pr.amount
                              FROM account_partial_reconcile pr
                             WHERE pr.max_date > %(first_day)s
                           ) AS sides
                    -- Each side's line found by its id: joined, PostgreSQL reads
                    -- the whole book to hash it for a few partials.
                    CROSS JOIN LATERAL (
                        SELECT * FROM account_move_line WHERE id = sides.line_id OFFSET 0
                    ) AS aml
                     WHERE aml.account_id = ANY(%(receivable)s)
                       AND aml.parent_state = 'posted'
                       AND aml.company_id = ANY(%(companies)s)
                       AND aml.date <= %(last_day)s
                ),
                grouped AS (
                    SELECT l.company_id,
                           %(set_id)s AS set_id,
                           COALESCE(l.date_maturity, l.date) AS due,
                           ARRAY[%(residual_at)s] AS residuals
                      FROM lines l
                 LEFT JOIN res_partner p ON p.id = l.partner_id
                  GROUP BY 1, 2, 3
                )
                SELECT r.idx,
                       width_bucket(d.as_of - g.due, r.thresholds),
                       d.as_of - g.due > %(over_days)s,
                       SUM(d.residual)
                  FROM grouped g
                 CROSS JOIN LATERAL unnest(%(days)s::date[], g.residuals) AS d(as_of, residual)
                  JOIN requests r
                    ON r.as_of = d.as_of
                   AND r.line_company_id = g.company_id
                 WHERE d.residual IS NOT NULL
                   AND (
                       r.all_partners
                       OR EXISTS (
                           SELECT FROM sets WHERE sets.set_id = g.set_id AND sets.idx = r.idx
                       )
                   )
              GROUP BY 1, 2, 3
                """,
                requests=requests_sql,
                set_id=set_id,
                sets=sets,
                companies=line_companies,
                receivable=receivable.ids,
                first_day=days[0],
                last_day=days[-1],
                days=days,
                residual_at=residual_at,
                over_days=over_days,
            )
        )
        self.env.execute_query(SQL("SELECT set_config('enable_sort', %s, true)", sorting))
        return rows

    @api.model
    def _aging_as_of(self, requests, by="due_date", buckets=None, group_by=None):
        """What was open at a date, item by item or summed, in one query.

        ``requests``, ``by`` and ``buckets`` as in ``_aging_as_of_sql``. Without
        ``group_by``, a dict per item open at its request's day (the columns of
        ``aged``). With ``group_by``, a tuple of column names among ``idx``,
        ``company_id``, ``partner_id``, ``currency_id`` and ``bucket``, a dict per
        group with those and the sum of ``residual`` (company currency), and of
        ``residual_currency`` when grouped by currency.
        """
        _case_companies, aged = self._aging_as_of_sql(
            requests, by, buckets, open_only=group_by is None
        )
        if not aged:
            return []
        if group_by is None:
            return self.env.execute_query_dict(
                SQL(
                    """
                    WITH %s
                    SELECT *
                      FROM aged
                     WHERE residual != 0 OR residual_currency != 0
                  ORDER BY idx, company_id, COALESCE(date_maturity, date), line_id
                    """,
                    aged,
                )
            )
        allowed = ("idx", "company_id", "partner_id", "currency_id", "bucket")
        if not group_by or any(name not in allowed for name in group_by):
            raise ValueError(f"Group the aging by some of {allowed}, not {group_by}")
        columns = SQL(", ").join(SQL.identifier(name) for name in group_by)
        sums = [SQL("SUM(residual) AS residual")]
        if "currency_id" in group_by:
            sums.append(SQL("SUM(residual_currency) AS residual_currency"))
        return self.env.execute_query_dict(
            SQL(
                "WITH %s SELECT %s, %s FROM aged GROUP BY %s ORDER BY %s",
                aged,
                columns,
                SQL(", ").join(sums),
                columns,
                columns,
            )
        )
