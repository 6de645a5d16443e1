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
)


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
            for sequence, (key, _label, unit, target_field, higher) in enumerate(CARDS):
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
                        "sequence": sequence,
                        "kpi": key,
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
    def action_open_dashboard(self):
        """Rebuild the user's KPI cards and show them."""
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        self.create(self._card_values())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_kpi_card_action"
        )
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action
