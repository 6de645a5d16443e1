from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionAssignment(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer_b = new_test_user(
            cls.env,
            login="co_officer_b",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk",
                "member_ids": [Command.set([cls.officer.id, cls.officer_b.id])],
            }
        )
        cls.first, cls.second = (cls.officer | cls.officer_b).sorted("id")

    def _new_customers(self, count, prefix="Late"):
        partners = self.env["res.partner"].create(
            [{"name": f"{prefix} {index}", "is_company": True} for index in range(count)]
        )
        for partner in partners:
            self._post_invoice(100, due_days_ago=10, partner=partner)
        self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        return self.Case.search([("partner_id", "in", partners.ids)], order="partner_id")

    def test_by_hand_leaves_new_cases_unassigned(self):
        cases = self._new_customers(2)
        self.assertFalse(cases.user_id)

    def test_round_robin(self):
        self.team.assignment_rule = "round_robin"
        cases = self._new_customers(3)
        self.assertEqual(cases.mapped("user_id"), self.first | self.second)
        self.assertEqual([case.user_id for case in cases], [self.first, self.second, self.first])
        self.assertEqual(cases.team_id, self.team)
        # The turn goes on where it stopped.
        self.assertEqual(self._new_customers(1, "Later").user_id, self.second)

    def test_by_workload(self):
        self.team.assignment_rule = "workload"
        busy = self._new_customers(2, "Busy")
        busy.write({"user_id": self.first.id})
        cases = self._new_customers(3)
        self.assertEqual([case.user_id for case in cases], [self.second, self.second, self.first])

    def test_the_customers_officer_comes_first(self):
        self.team.assignment_rule = "round_robin"
        partner = self.env["res.partner"].create({"name": "Own Officer", "is_company": True})
        partner.collection_user_id = self.second
        self._post_invoice(100, due_days_ago=10, partner=partner)
        self.Case._refresh_from_accounting(companies=self.company, partners=partner)
        self.assertEqual(self._case(partner).user_id, self.second)

    def test_a_case_opened_by_hand_takes_the_customers_officer(self):
        self.team.assignment_rule = "round_robin"
        partner = self.env["res.partner"].create({"name": "By Hand", "is_company": True})
        partner.collection_user_id = self.second
        self._post_invoice(100, due_days_ago=10, partner=partner)
        case = self.Case.create({"partner_id": partner.id})
        self.assertEqual(case.user_id, self.second)
        other = self.env["res.partner"].create({"name": "By Hand Too", "is_company": True})
        self._post_invoice(100, due_days_ago=10, partner=other)
        self.assertEqual(self.Case.create({"partner_id": other.id}).user_id, self.first)

    def _rebalance(self, cases, officers, rule, user=None):
        wizard = (
            self.env["collection.case.rebalance.wizard"]
            .with_user(user or self.manager)
            .with_context(active_model="collection.case", active_ids=cases.ids)
            .create({"user_ids": [Command.set(officers.ids)], "rule": rule})
        )
        self.assertEqual(wizard.case_ids, cases)
        return wizard.action_rebalance()

    def test_a_manager_rebalances_round_robin(self):
        cases = self._new_customers(4)
        cases.write({"user_id": self.first.id})
        self._rebalance(cases, self.first | self.second, "round_robin")
        self.assertEqual(len(cases.filtered(lambda c: c.user_id == self.first)), 2)
        self.assertEqual(len(cases.filtered(lambda c: c.user_id == self.second)), 2)

    def test_a_manager_rebalances_by_workload(self):
        others = self._new_customers(3, "Other")
        others.write({"user_id": self.first.id})
        cases = self._new_customers(3)
        self._rebalance(cases, self.first | self.second, "workload")
        # The first officer already works 3 cases: the second gets all 3 new ones.
        self.assertEqual(cases.user_id, self.second)

    def test_the_rebalance_form_of_the_case_list(self):
        cases = self._new_customers(2)
        form = Form(
            self.env["collection.case.rebalance.wizard"]
            .with_user(self.manager)
            .with_context(active_model="collection.case", active_ids=cases.ids)
        )
        form.user_ids.add(self.second)
        form.rule = "round_robin"
        form.save().action_rebalance()
        self.assertEqual(cases.user_id, self.second)

    def test_only_a_manager_rebalances(self):
        cases = self._new_customers(2)
        with self.assertRaises(AccessError):
            self._rebalance(cases, self.first | self.second, "round_robin", user=self.officer)
        self.assertFalse(cases.user_id)
