from odoo import Command, api, fields, models

from .collection_kpi import previous_month

# KPI figures a snapshot keeps as they are, by field name.
KPI_FIELDS = (
    "credit_sales",
    "dso",
    "countback_dso",
    "best_possible_dso",
    "average_days_delinquent",
    "cei",
    "over_90_share",
    "cases_opened",
    "cases_closed",
    "cases_escalated",
    "contact_count",
    "promise_kept_rate",
    "plan_completion_rate",
)


class CollectionSnapshot(models.Model):
    """The KPIs and the aging of a month, kept once the month is over.

    The aging is the ledger's as of the month's last day
    (``collection.ledger._aging_as_of``, read through the KPIs), as the aged
    receivables report shows it: kept as lines (``bucket_ids``) in the company's
    buckets as they were set when the month was taken, labelled, so that a month
    kept reads the same after the company changes its buckets.

    Written by the scheduled action on the first of the month for the month
    that ended, for the company, each officer with cases in it and each team: the
    trend month by month reads these rows instead of recomputing history (and
    keeps what was known then, whatever is reconciled later). Never rewritten:
    one row per company, month and officer or team.
    """

    _name = "collection.snapshot"
    _description = "Collection Monthly Snapshot"
    _order = "month desc, company_id, scope, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(required=True, index=True, readonly=True, help="The month's first day.")
    scope = fields.Selection(
        [("company", "Company"), ("officer", "Officer"), ("team", "Team")],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", string="Officer", readonly=True, index="btree_not_null")
    team_id = fields.Many2one("collection.team", readonly=True, index="btree_not_null")
    bucket_ids = fields.One2many(
        "collection.snapshot.bucket",
        "snapshot_id",
        string="Aging",
        readonly=True,
        help="The receivables as of the month's last day in the company's aging buckets "
        "as they were then.",
    )
    total_receivable = fields.Monetary(
        readonly=True, help="Receivables as of the month's last day."
    )
    amount_collected = fields.Monetary(string="Collected", readonly=True)
    credit_sales = fields.Monetary(readonly=True)
    dso = fields.Float(string="DSO", readonly=True, aggregator="avg")
    countback_dso = fields.Float(string="Countback DSO", readonly=True, aggregator="avg")
    best_possible_dso = fields.Float(string="Best Possible DSO", readonly=True, aggregator="avg")
    average_days_delinquent = fields.Float(readonly=True, aggregator="avg")
    cei = fields.Float(string="CEI (%)", readonly=True, aggregator="avg")
    over_90_share = fields.Float(string="Over 90 Days (%)", readonly=True, aggregator="avg")
    cases_opened = fields.Integer(readonly=True)
    cases_closed = fields.Integer(readonly=True)
    cases_escalated = fields.Integer(readonly=True)
    contact_count = fields.Integer(string="Contacts Made", readonly=True)
    promise_kept_rate = fields.Float(
        string="Promise-Kept Rate (%)", readonly=True, aggregator="avg"
    )
    plan_completion_rate = fields.Float(
        string="Plan Completion Rate (%)", readonly=True, aggregator="avg"
    )

    _month_owner_uniq = models.UniqueIndex(
        "(company_id, month, scope, COALESCE(user_id, 0), COALESCE(team_id, 0))",
        "A month's snapshot is taken once.",
    )

    @api.depends("month", "scope", "user_id", "team_id")
    def _compute_display_name(self):
        for snapshot in self:
            owner = snapshot.user_id.name or snapshot.team_id.name or snapshot.company_id.name
            snapshot.display_name = f"{owner} - {snapshot.month.strftime('%B %Y')}"

    @api.model
    def _cron_take_snapshots(self):
        """Hourly: keep the KPIs of each company's month that ended, once.

        A company's month ends on its own day: from the start of its collections
        day on the first of the month (see ``res.company._collection_morning_due``),
        the month before is taken; any later run finds the rows written and
        writes nothing.
        """
        companies = self.env["res.company"].search([("active", "=", True)])
        months = {
            company: previous_month(today)
            for company, today in companies._collection_morning_due().items()
        }
        taken = {
            (snapshot.company_id, snapshot.month)
            for snapshot in self.sudo().search(
                [
                    ("company_id", "in", [company.id for company in months]),
                    ("month", "in", list(set(months.values()))),
                    ("scope", "=", "company"),
                ]
            )
        }
        todo = [
            (company, month) for company, month in months.items() if (company, month) not in taken
        ]
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(todo))
        for done, (company, month) in enumerate(todo, start=1):
            self.with_context(tz=company._collection_tz())._take_snapshots(company, month)
            # Each company's month is kept as soon as it is taken; out of time, the
            # scheduler's next call finds it written and goes on with the others.
            if not cron._commit_progress(1, remaining=len(todo) - done):
                break

    @api.model
    def _take_snapshots(self, companies, month):
        """Write the missing snapshots of ``month`` for ``companies``."""
        kpi = self.env["collection.kpi"].sudo()
        taken = {
            (s.company_id, s.scope, s.user_id, s.team_id)
            for s in self.sudo().search(
                [("company_id", "in", companies.ids), ("month", "=", month)]
            )
        }
        scopes = []
        for company in companies:
            company_scope = kpi._scope(company, month)
            cases = kpi._scope_cases([company_scope])[0]
            teams = self.env["collection.team"].sudo().search([("company_id", "=", company.id)])
            scopes.append(("company", company_scope))
            scopes += [("officer", kpi._scope(company, month, user=user)) for user in cases.user_id]
            scopes += [("team", kpi._scope(company, month, team=team)) for team in teams]
        scopes = [
            (kind, scope)
            for kind, scope in scopes
            if (scope["company"], kind, scope["user"], scope["team"]) not in taken
        ]
        results = kpi._kpis([scope for _kind, scope in scopes])
        vals_list = []
        for (kind, scope), result in zip(scopes, results, strict=True):
            vals = {
                "company_id": scope["company"].id,
                "month": month,
                "scope": kind,
                "user_id": scope["user"].id,
                "team_id": scope["team"].id,
                "total_receivable": result["receivable_end"],
                "amount_collected": result["collected"],
                "bucket_ids": [Command.create(bucket) for bucket in result["aging"]],
                **{name: result[name] or 0 for name in KPI_FIELDS},
            }
            vals_list.append(vals)
        return self.sudo().create(vals_list)
