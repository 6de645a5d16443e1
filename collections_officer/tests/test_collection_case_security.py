from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseSecurity(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.officer_b = new_test_user(
            cls.env,
            login="co_officer_b",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.plain_user = new_test_user(
            cls.env, login="co_plain", groups="base.group_user", company_id=cls.company.id
        )
        cls._post_invoice(100, due_days_ago=10)
        cls._create_invoice_one_line(
            price_unit=70,
            tax_ids=cls.env["account.tax"],
            partner_id=cls.customer,
            invoice_date="2026-05-01",
            invoice_date_due="2026-05-01",
            company_id=cls.company_b.id,
            post=True,
        )
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company | cls.company_b)

    def test_officer_of_one_company_sees_nothing_of_another(self):
        case_a = self._case()
        case_b = self._case(company=self.company_b)
        self.assertTrue(case_a and case_b)
        visible = self.Case.with_user(self.officer_b).search([])
        self.assertEqual(visible, case_b)
        with self.assertRaises(AccessError):
            case_a.with_user(self.officer_b).read(["overdue_amount"])

    def test_user_without_collections_group_cannot_read_cases(self):
        with self.assertRaises(AccessError):
            self.Case.with_user(self.plain_user).search([])
        with self.assertRaises(AccessError):
            self._case().with_user(self.plain_user).read(["name"])

    def test_officer_works_own_and_team_cases_manager_sees_all(self):
        colleague = new_test_user(
            self.env,
            login="co_colleague",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=self.company.id,
        )
        team = self.env["collection.team"].create({"name": "Others", "member_ids": colleague.ids})
        case = self._case()
        self.assertTrue(case.with_user(self.officer).has_access("read"), "unassigned: shared")
        case.user_id = colleague
        self.assertFalse(case.with_user(self.officer).has_access("read"), "a colleague's case")
        case.write({"user_id": False, "team_id": team.id})
        self.assertFalse(case.with_user(self.officer).has_access("read"), "another team's case")
        self.assertTrue(case.with_user(colleague).has_access("read"), "their team's case")
        self.assertTrue(case.with_user(self.manager).has_access("write"))
        team.manager_id = self.officer
        self.assertTrue(case.with_user(self.officer).has_access("read"), "the team they lead")
        team.manager_id = False
        case.user_id = self.officer
        self.assertTrue(case.with_user(self.officer).has_access("write"), "their own case")

    def test_officer_cannot_delete_or_configure_teams(self):
        with self.assertRaises(AccessError):
            self._case().with_user(self.officer).unlink()
        with self.assertRaises(AccessError):
            self.env["collection.team"].with_user(self.officer).create({"name": "Mine"})
        self.env["collection.team"].with_user(self.manager).create({"name": "Mine"})

    def test_team_of_another_company_is_invisible(self):
        team_b = self.env["collection.team"].create(
            {"name": "B team", "company_id": self.company_b.id}
        )
        self.assertNotIn(team_b, self.env["collection.team"].with_user(self.manager).search([]))
