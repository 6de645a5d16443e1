from odoo import api, models


class CollectionCase(models.Model):
    """Who works a case: the officer and team of a new case, and who approves what an
    officer asks on it."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _assign_new_cases(self, vals_list):
        """Give new cases without an officer to the officers of the company's first team
        with an assignment rule, in the vals (see ``collection.team.assignment_rule``)."""
        unassigned = [vals for vals in vals_list if not vals.get("user_id")]
        if not unassigned:
            return
        by_company = {}
        for vals in unassigned:
            company_id = vals.get("company_id") or self.env.company.id
            by_company.setdefault(company_id, []).append(vals)
        # The customer's own officer first, as the refresh does.
        for company_id, company_vals in list(by_company.items()):
            company = self.env["res.company"].browse(company_id)
            partners = self.env["res.partner"].browse(
                [vals["partner_id"] for vals in company_vals if vals.get("partner_id")]
            )
            own = self._default_officers(partners.commercial_partner_id, company)
            left = []
            for vals in company_vals:
                partner = self.env["res.partner"].browse(vals.get("partner_id"))
                officer = own.get(partner.commercial_partner_id.id)
                if officer:
                    vals.update(officer)
                else:
                    left.append(vals)
            by_company[company_id] = left
        Team = self.env["collection.team"].sudo()
        for company_id, company_vals in by_company.items():
            team = Team.search(
                [
                    ("company_id", "=", company_id),
                    ("assignment_rule", "!=", "manual"),
                    ("member_ids", "!=", False),
                ],
                limit=1,
            )
            if not team or not company_vals:
                continue
            officers = team._assign(len(company_vals))
            for vals, officer in zip(company_vals, officers, strict=True):
                vals["user_id"] = officer.id
                vals["team_id"] = vals.get("team_id") or team.id

    def _default_officers(self, partners, company):
        """Officer and team of new cases, from the customers' collection officer."""
        officer_by_partner = {
            partner.id: partner.with_company(company).collection_user_id for partner in partners
        }
        officers = self.env["res.users"].union(*officer_by_partner.values())
        teams = self.env["collection.team"].search(
            [("company_id", "=", company.id), ("member_ids", "in", officers.ids)]
        )
        team_by_officer = {}
        for team in teams:
            for member in team.member_ids:
                team_by_officer.setdefault(member.id, team.id)
        return {
            partner_id: {"user_id": officer.id, "team_id": team_by_officer.get(officer.id, False)}
            for partner_id, officer in officer_by_partner.items()
            if officer
        }

    def _get_approvers(self):
        """Who approves what the current user asks on this case.

        The team's manager, else the company's collections managers; never the
        one asking.
        """
        self.ensure_one()
        manager = self.team_id.manager_id
        if manager and manager != self.env.user:
            return manager
        group = self.env.ref("collections_officer.group_collections_manager").sudo()
        return (
            group.user_ids.filtered(
                lambda user: (
                    not user.share and self.company_id in user.company_ids and user != self.env.user
                )
            )
            or manager
        )
