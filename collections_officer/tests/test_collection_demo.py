from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCollectionDemo(TransactionCase):
    """The demo data of ``bin/serve`` (the test database has it too) shows a desk at work
    on every screen."""

    def _case(self, xmlid):
        partner = self.env.ref(f"collections_officer.{xmlid}")
        return self.env["collection.case"].search([("partner_id", "=", partner.id)])

    def test_every_case_state_is_shown(self):
        expected = {
            "res_partner_northwind_demo": "open",
            "res_partner_orchard_demo": "open",
            "res_partner_bluewave_demo": "promised",
            "res_partner_kestrel_demo": "plan",
            "res_partner_meridian_demo": "escalated",
            "res_partner_lumen_demo": "hold",
            "res_partner_harbor_demo": "upcoming",
        }
        for xmlid, state in expected.items():
            with self.subTest(customer=xmlid):
                self.assertEqual(self._case(xmlid).state, state)
        self.assertTrue(self._case("res_partner_northwind_demo").level_id)
        self.assertTrue(self._case("res_partner_orchard_demo").dispute_ids)
        self.assertTrue(self._case("res_partner_meridian_demo").pending_escalation_id)

    def test_a_team_of_two_officers_and_a_manager_who_can_log_in(self):
        team = self.env.ref("collections_officer.collection_team_demo")
        self.assertEqual(len(team.member_ids), 2)
        self.assertTrue(team.manager_id.has_group("collections_officer.group_collections_manager"))
        for user in team.member_ids:
            self.assertTrue(user.has_group("collections_officer.group_collections_officer"))
        sofia = self.env.ref("collections_officer.user_collections_officer_demo")
        self.assertEqual(sofia.login, "officer")
        self.env["res.users"].with_user(sofia)._check_credentials(
            {"type": "password", "password": "officer"}, {"interactive": False}
        )

    def test_the_officer_has_a_day_to_start_with(self):
        sofia = self.env.ref("collections_officer.user_collections_officer_demo")
        cases = self.env["collection.case"].with_user(sofia).search([])
        self.assertIn(self._case("res_partner_northwind_demo"), cases)
        contacts = self.env["collection.contact"].with_user(sofia).search([])
        self.assertGreaterEqual(len(contacts), 5, "calls and e-mails over the last weeks")
        day = self.env["collection.my.day"].with_user(sofia).search([])
        northwind = self._case("res_partner_northwind_demo")
        self.assertIn(northwind, day.case_id, "the callback agreed for today")
        self.assertEqual(northwind.next_action_label, "Call back")
