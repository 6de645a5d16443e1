from odoo import fields, models


class CollectionTeam(models.Model):
    _name = "collection.team"
    _description = "Collection Team"
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
        help="Receives the escalations of the team's cases.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "collection_team_res_users_rel",
        "team_id",
        "user_id",
        string="Officers",
        check_company=True,
    )
    case_ids = fields.One2many("collection.case", "team_id", string="Cases")
    open_case_count = fields.Integer(compute="_compute_open_case_count")

    _name_company_uniq = models.UniqueIndex(
        "(company_id, name)", "A collection team with this name already exists in this company."
    )

    def _compute_open_case_count(self):
        counts = dict(
            self.env["collection.case"]._read_group(
                [("team_id", "in", self.ids), ("state", "=", "open")],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.open_case_count = counts.get(team, 0)
