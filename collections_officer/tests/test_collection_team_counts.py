from lxml import etree

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionTeamCounts(CollectionsCommon):
    """A team counts every case it still works, and is made of collections users only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["collection.team"].create(
            {"name": "Receivables Desk", "member_ids": [Command.link(cls.officer.id)]}
        )
        cls.internal = new_test_user(
            cls.env,
            login="co_internal",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.accountant = new_test_user(
            cls.env,
            login="co_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.portal = new_test_user(
            cls.env,
            login="co_portal",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.Team = cls.env["collection.team"]

    def test_the_team_counts_every_case_not_closed(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {index}", "is_company": True} for index in range(6)]
        )
        for partner in partners:
            self._post_invoice(100, due_days_ago=40, partner=partner)
        self._refresh()
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(cases), 6)
        cases.sudo().write({"team_id": self.team.id})
        # The states a case of the team goes through while it is worked, and closed.
        for case, state in zip(
            cases, ("open", "promised", "plan", "escalated", "hold", "closed"), strict=True
        ):
            case.sudo().state = state
        self.team.invalidate_recordset()
        self.assertEqual(self.team.with_user(self.manager).active_case_count, 5)
        # The list and the form show it.
        for view in ("list", "form"):
            arch = etree.fromstring(
                self.Team.with_user(self.manager).get_views([(False, view)])["views"][view]["arch"]
            )
            self.assertTrue(arch.xpath("//field[@name='active_case_count']"), view)

    def test_the_pickers_offer_collections_users_only(self):
        for name in ("member_ids", "manager_id"):
            with self.subTest(field=name):
                domain = self.Team._fields[name].get_comodel_domain(self.Team)
                pickable = self.env["res.users"].search(domain)
                self.assertIn(self.officer, pickable)
                self.assertIn(self.manager, pickable)
                for user in (self.internal, self.accountant, self.portal):
                    self.assertNotIn(user, pickable, user.login)
        # The case's officer too.
        pickable = self.env["res.users"].search(
            self.Case._fields["user_id"].get_comodel_domain(self.Case)
        )
        self.assertIn(self.officer, pickable)
        self.assertNotIn(self.internal, pickable)
        self.assertNotIn(self.portal, pickable)
        # No view narrows it differently: the team form uses the field's own domain.
        arch = etree.fromstring(
            self.Team.with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for field in arch.xpath("//field[@name='member_ids' or @name='manager_id']"):
            self.assertFalse(field.get("domain"), field.get("name"))

    def test_a_team_of_users_without_collections_rights_is_refused(self):
        for user in (self.internal, self.accountant, self.portal):
            for call in (
                lambda user=user: self.team.with_user(self.manager).write(
                    {"member_ids": [Command.link(user.id)]}
                ),
                lambda user=user: self.team.with_user(self.manager).write({"manager_id": user.id}),
                lambda user=user: self.Team.with_user(self.manager).create(
                    {"name": f"Desk {user.login}", "member_ids": [Command.set(user.ids)]}
                ),
            ):
                with self.subTest(user=user.login), self.assertRaises(ValidationError) as caught:
                    call()
                self.assertIn(f"{user.name} cannot be in collection team", str(caught.exception))
                self.assertIn("only internal users with collections rights", str(caught.exception))
        self.assertEqual(self.team.member_ids, self.officer)
        self.assertFalse(self.team.manager_id)
        # Collections officers and managers are welcome.
        self.team.with_user(self.manager).write(
            {"manager_id": self.manager.id, "member_ids": [Command.link(self.manager.id)]}
        )
        self.assertEqual(self.team.member_ids, self.officer | self.manager)
