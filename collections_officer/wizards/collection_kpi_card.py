from odoo import api, fields, models

from ..models.collection_kpi import previous_month

# The cards of the dashboard: (KPI key, label, unit, target field, better when higher).
CARDS = (
    ("collected", "Collected", "amount", "target_amount_collected", True),
    ("credited", "Credited", "amount", None, False),
    ("cases_closed", "Cases Resolved", "count", "target_cases_resolved", True),
    ("promise_kept_rate", "Promises Kept (%)", "percent", "target_promise_kept_rate", True),
    ("dso", "DSO (days)", "days", None, False),
    ("countback_dso", "Countback DSO (days)", "days", None, False),
    ("best_possible_dso", "Best Possible DSO (days)", "days", None, False),
    ("average_days_delinquent", "Average Days Delinquent", "days", None, False),
    ("cei", "CEI (%)", "percent", None, True),
    ("over_90_share", "Over 90 Days (%)", "percent", None, False),
    ("receivable_end", "Receivables", "amount", None, False),
    ("cases_opened", "Cases Opened", "count", None, False),
    ("cases_escalated", "Cases Escalated", "count", None, False),
    ("contact_count", "Contacts Made", "count", None, True),
    ("promise_partial_rate", "Promises Partly Kept (%)", "percent", None, False),
    ("promise_kept_amount_rate", "Promised Amount Kept (%)", "percent", None, True),
    ("plan_completion_rate", "Plans Completed (%)", "percent", None, True),
    ("dispute_resolution_days", "Dispute Resolution (days)", "days", None, False),
    ("portal_cases", "Customers Who Used the Page", "count", None, True),
    ("portal_case_share", "Reminded Customers Who Used the Page (%)", "percent", None, True),
    ("paid_online", "Paid Online", "amount", None, True),
    ("paid_online_share", "Paid Online (% of Collected)", "percent", None, True),
    ("portal_payment_days", "Reminder to Payment, Page Used (days)", "days", None, False),
    ("other_payment_days", "Reminder to Payment, Page Not Used (days)", "days", None, False),
)
# The dashboard reads as a report: each owner's KPIs under these headings, in this order.
SECTIONS = (
    (
        "receivables",
        "Receivables",
        (
            "receivable_end",
            "over_90_share",
            "dso",
            "countback_dso",
            "best_possible_dso",
            "average_days_delinquent",
        ),
    ),
    ("collection", "Collection", ("collected", "credited", "cei", "cases_closed")),
    (
        "commitments",
        "Promises & Plans",
        (
            "promise_kept_rate",
            "promise_partial_rate",
            "promise_kept_amount_rate",
            "plan_completion_rate",
        ),
    ),
    (
        "activity",
        "Activity",
        ("contact_count", "cases_opened", "cases_escalated", "dispute_resolution_days"),
    ),
    (
        "portal",
        "Customer Page",
        (
            "portal_cases",
            "portal_case_share",
            "paid_online",
            "paid_online_share",
            "portal_payment_days",
            "other_payment_days",
        ),
    ),
)
SECTION_OF = {kpi: section for section, _label, kpis in SECTIONS for kpi in kpis}
ORDER_OF = {kpi: index for index, kpi in enumerate(kpi for *_s, kpis in SECTIONS for kpi in kpis)}


class CollectionKpiCard(models.TransientModel):
    """One KPI of the dashboard: this month against last month and the target.

    Built on demand for the user who opens the dashboard: a manager sees the
    company and each team, an officer their own figures and their teams'.
    """

    _name = "collection.kpi.card"
    _description = "Collections: KPI Card"
    _order = "owner, sequence, id"

    sequence = fields.Integer()
    kpi = fields.Selection([(key, label) for key, label, *_rest in CARDS], string="KPI")
    section = fields.Selection([(key, label) for key, label, _kpis in SECTIONS])
    note = fields.Char(help="Why a month has no figure: nothing to measure it on.")
    last_note = fields.Char(help="Why last month has no figure.")
    owner = fields.Char(help="The company, officer or team the figures are of.")
    unit = fields.Selection(
        [("amount", "Amount"), ("count", "Count"), ("days", "Days"), ("percent", "Percent")]
    )
    company_id = fields.Many2one("res.company")
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", string="Officer")
    team_id = fields.Many2one("collection.team")
    value = fields.Float(string="This Month")
    last_value = fields.Float(string="Last Month")
    target = fields.Float()
    has_value = fields.Boolean()
    has_last_value = fields.Boolean()
    has_target = fields.Boolean()
    trend = fields.Selection(
        [("better", "Better"), ("worse", "Worse"), ("same", "Same")],
        help="This month against last month.",
    )

    @api.model
    def _owners(self):
        """Whose figures the user sees: (company, officer, team) triples."""
        user = self.env.user
        company = self.env.company
        teams = self.env["collection.team"].search(
            [
                "|",
                ("member_ids", "in", user.id),
                ("manager_id", "=", user.id),
                ("company_id", "in", self.env.companies.ids),
            ]
        )
        if user.has_group("collections_officer.group_collections_manager"):
            teams = self.env["collection.team"].search([("company_id", "=", company.id)])
            owners = [(company, self.env["res.users"], self.env["collection.team"])]
        else:
            owners = [(company, user, self.env["collection.team"])]
        return owners + [(team.company_id, self.env["res.users"], team) for team in teams]

    @api.model
    def _card_values(self):
        kpi = self.env["collection.kpi"]
        owners = self._owners()
        # Each company's month is the one of its own day.
        month_of = {company: company._collection_today().replace(day=1) for company, *_ in owners}
        scopes = [
            kpi._scope(company, day, user, team)
            for company, user, team in owners
            for day in (month_of[company], previous_month(month_of[company]))
        ]
        results = iter(kpi._kpis(scopes))
        targets = self.env["collection.target"].search(
            [("month", "in", list(set(month_of.values())))]
        )
        values = []
        missing = self._missing_reasons()
        for company, user, team in owners:
            now, last = next(results), next(results)
            target = targets.filtered(
                lambda t, c=company, u=user, tm=team: (
                    t.company_id == c
                    and t.month == month_of[c]
                    and t.user_id == u
                    and t.team_id == tm
                )
            )[:1]
            owner = user.name or team.name or company.name
            for key, _label, unit, target_field, higher in CARDS:
                value, last_value = now[key], last[key]
                target_value = target[target_field] if target and target_field else None
                trend = False
                if value is not None and last_value is not None:
                    if value == last_value:
                        trend = "same"
                    else:
                        trend = "better" if (value > last_value) == higher else "worse"
                values.append(
                    {
                        "sequence": ORDER_OF[key],
                        "kpi": key,
                        "section": SECTION_OF[key],
                        "note": missing.get(key) if value is None else False,
                        "last_note": missing.get(key) if last_value is None else False,
                        "owner": owner,
                        "unit": unit,
                        "company_id": company.id,
                        "user_id": user.id,
                        "team_id": team.id,
                        "value": value or 0.0,
                        "last_value": last_value or 0.0,
                        "target": target_value or 0.0,
                        "has_value": value is not None,
                        "has_last_value": last_value is not None,
                        "has_target": target_value is not None,
                        "trend": trend,
                    }
                )
        return values

    @api.model
    def _missing_reasons(self):
        """Why a KPI has no figure in a month: what it would be measured on is missing."""
        no_sales = self.env._("no credit sales in the month")
        no_promise = self.env._("no promise fell due in the month")
        return {
            "dso": no_sales,
            "best_possible_dso": no_sales,
            "average_days_delinquent": no_sales,
            "countback_dso": self.env._("credit exceeds what is owed"),
            "cei": self.env._("nothing owed or sold in the month"),
            "over_90_share": self.env._("nothing owed at the end of the month"),
            "promise_kept_rate": no_promise,
            "promise_partial_rate": no_promise,
            "promise_kept_amount_rate": no_promise,
            "plan_completion_rate": self.env._("no plan ended in the month"),
            "dispute_resolution_days": self.env._("no dispute resolved in the month"),
            "portal_case_share": self.env._("no reminder reached a customer in the month"),
            "paid_online_share": self.env._("nothing collected in the month"),
            "portal_payment_days": self.env._(
                "no reminded invoice paid in the month by a customer who used the page"
            ),
            "other_payment_days": self.env._(
                "no reminded invoice paid in the month by a customer who did not use the page"
            ),
        }

    @api.model
    def action_open_dashboard(self):
        """Rebuild the user's KPI cards and show them, one report per company, team or
        officer, under headings."""
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        cards = self.create(self._card_values())
        Board = self.env["collection.kpi.board"]
        Board.search([("create_uid", "=", self.env.uid)]).unlink()
        Board._build(cards)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_kpi_board_action"
        )
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action
