from odoo import api, fields, models
from odoo.exceptions import ValidationError

OFFICERS = "collections_officer.group_collections_officer"


def _collections_users_domain(model):
    """Internal users with collections rights: those who can open the team's cases."""
    return [("share", "=", False), ("all_group_ids", "in", model.env.ref(OFFICERS).ids)]


class CollectionTeam(models.Model):
    _name = "collection.team"
    _description = "Collection Team"
    # The round-robin cursor is the assignment's own.
    _inherit = ["collection.engine.fields"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    manager_id = fields.Many2one(
        "res.users",
        check_company=True,
        domain=_collections_users_domain,
        help="Receives the escalations of the team's cases.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "collection_team_res_users_rel",
        "team_id",
        "user_id",
        string="Officers",
        check_company=True,
        domain=_collections_users_domain,
    )
    case_ids = fields.One2many("collection.case", "team_id", string="Cases")
    assignment_rule = fields.Selection(
        [
            ("manual", "By Hand"),
            ("round_robin", "Round Robin"),
            ("workload", "By Workload"),
        ],
        string="Assign New Cases",
        default="manual",
        required=True,
        help="How new cases of customers without their own collection officer are given to "
        "the team's officers: in turn (Round Robin), or to the officer with the fewest "
        "active cases (By Workload). The first team of the company (in sequence) with a "
        "rule and officers takes those cases.",
    )
    assignment_last_user_id = fields.Many2one(
        "res.users",
        string="Last Officer Assigned",
        readonly=True,
        help="Round robin goes on with the next officer after this one.",
    )
    active_case_count = fields.Integer(
        string="Active Cases",
        compute="_compute_active_case_count",
        help="The team's cases not closed: open, promised, on a plan, escalated, on hold...",
    )

    _name_company_uniq = models.UniqueIndex(
        "(company_id, name)", "A collection team with this name already exists in this company."
    )

    def _compute_active_case_count(self):
        counts = dict(
            self.env["collection.case"]._read_group(
                [("team_id", "in", self.ids), ("state", "!=", "closed")],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.active_case_count = counts.get(team, 0)

    @api.constrains("manager_id", "member_ids")
    def _check_collections_users(self):
        # The team's officers are given its cases and its manager approves and decides
        # on them: users without collections rights could not even open them.
        officers = self.env.ref(OFFICERS).sudo()
        for team in self.sudo():
            others = (team.manager_id | team.member_ids).filtered(
                lambda user: user.share or officers not in user.all_group_ids
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "%(users)s cannot be in collection team %(team)s: only internal users "
                        "with collections rights (officers and managers) work its cases.",
                        users=", ".join(others.mapped("name")),
                        team=team.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_fields(vals_list, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields([vals])
        return super().write(vals)

    def _officer_workloads(self, officers):
        """``{officer: active cases}`` in the team's company, for these officers."""
        self.ensure_one()
        counts = dict(
            self.env["collection.case"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("user_id", "in", officers.ids),
                    ("state", "!=", "closed"),
                ],
                ["user_id"],
                ["__count"],
            )
        )
        return {officer: counts.get(officer, 0) for officer in officers}

    def _assign(self, count):
        """The officers of the team who take ``count`` new cases, in order, by the team's rule."""
        self.ensure_one()
        officers = self.member_ids.filtered("active").sorted("id")
        if not officers or not count:
            return [self.env["res.users"]] * count
        if self.assignment_rule == "workload":
            chosen = self._spread_by_workload(officers, count)
        else:
            chosen = self._spread_round_robin(officers, count, self.assignment_last_user_id)
        self.sudo().assignment_last_user_id = chosen[-1]
        return chosen

    @api.model
    def _spread_round_robin(self, officers, count, last=None):
        """``count`` officers in turn, starting after ``last``."""
        officers = list(officers)
        start = officers.index(last) + 1 if last in officers else 0
        return [officers[(start + index) % len(officers)] for index in range(count)]

    def _spread_by_workload(self, officers, count, workloads=None):
        """``count`` officers, each case to the officer with the fewest active cases then."""
        loads = workloads if workloads is not None else self._officer_workloads(officers)
        chosen = []
        for _index in range(count):
            officer = min(officers, key=lambda user: (loads[user], user.id))
            loads[officer] += 1
            chosen.append(officer)
        return chosen
