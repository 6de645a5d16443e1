from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError


class CollectionCaseRebalanceWizard(models.TransientModel):
    """A manager spreads a selection of cases over officers in one step."""

    _name = "collection.case.rebalance.wizard"
    _description = "Rebalance Collection Cases"

    case_ids = fields.Many2many(
        "collection.case",
        string="Cases",
        default=lambda self: self._default_case_ids(),
        domain="[('state', '!=', 'closed')]",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Officers",
        domain=lambda self: [
            ("share", "=", False),
            (
                "all_group_ids",
                "in",
                self.env.ref("collections_officer.group_collections_officer").ids,
            ),
        ],
        help="The officers the cases are spread over.",
    )
    rule = fields.Selection(
        [("workload", "By Workload"), ("round_robin", "Round Robin")],
        required=True,
        default="workload",
        help="By Workload: each case, highest priority first, goes to the officer with the "
        "fewest active cases at that moment (their other cases counted). Round Robin: the "
        "cases, highest priority first, go to the officers in turn.",
    )

    @api.model
    def _default_case_ids(self):
        if self.env.context.get("active_model") != "collection.case":
            return []
        return [Command.set(self.env.context.get("active_ids") or [])]

    def action_rebalance(self):
        self.ensure_one()
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can rebalance cases."))
        cases = self.case_ids.filtered(lambda case: case.state != "closed")
        officers = self.user_ids.sorted("id")
        if not cases:
            raise UserError(self.env._("Select the active cases to rebalance."))
        if not officers:
            raise UserError(self.env._("Choose the officers to spread the cases over."))
        cases = cases.sorted(lambda case: (-case.priority_score, case.id))
        Team = self.env["collection.team"]
        if self.rule == "workload":
            counts = dict(
                self.env["collection.case"]
                .sudo()
                ._read_group(
                    [
                        ("user_id", "in", officers.ids),
                        ("state", "!=", "closed"),
                        ("id", "not in", cases.ids),
                    ],
                    ["user_id"],
                    ["__count"],
                )
            )
            loads = {officer: counts.get(officer, 0) for officer in officers}
            chosen = Team._spread_by_workload(officers, len(cases), workloads=loads)
        else:
            chosen = Team._spread_round_robin(officers, len(cases))
        teams = Team.sudo().search([("member_ids", "in", officers.ids)])
        for case, officer in zip(cases, chosen, strict=True):
            vals = {"user_id": officer.id}
            if case.team_id and officer not in case.team_id.member_ids:
                # The case follows its officer into their team in the case's company.
                team = teams.filtered(
                    lambda t, o=officer, c=case: o in t.member_ids and t.company_id == c.company_id
                )[:1]
                vals["team_id"] = team.id
            case.write(vals)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Cases rebalanced"),
                "message": self.env._(
                    "%(count)s cases spread over %(officers)s.",
                    count=len(cases),
                    officers=", ".join(officers.mapped("name")),
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
