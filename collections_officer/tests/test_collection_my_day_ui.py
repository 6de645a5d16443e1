from odoo import Command
from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase

MY_DAY_ACTION = "collections_officer.collection_my_day_action"


@tagged("post_install", "-at_install")
class TestCollectionMyDayUi(CollectionsBrowserCase):
    """Officers and managers start their day on My Day, which says what each line is."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("myday_officer")
        cls.manager = cls._browser_user("myday_manager", manager=True)
        cls.team = cls.env["collection.team"].create(
            {
                "name": "My Day Team",
                "manager_id": cls.manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        # Only this test's cases are worked by these users.
        elsewhere = cls._browser_user("myday_elsewhere")
        cls.env["collection.case"].search([("company_id", "=", cls.env.company.id)]).write(
            {"user_id": elsewhere.id, "team_id": False}
        )

    def _officers_case(self, name, amount, days=45):
        case = self._overdue_case(name, amount, days=days)
        case.write({"user_id": self.officer.id, "team_id": self.team.id})
        return case

    def _home_action(self, user):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request("/web/session/get_session_info")["home_action_id"]

    def test_collections_users_land_on_my_day_unless_they_chose_a_home(self):
        my_day = self.env.ref(MY_DAY_ACTION).id
        self.assertEqual(self._home_action(self.officer), my_day)
        self.assertEqual(self._home_action(self.manager), my_day)
        other = self.env.ref("collections_officer.collection_case_action")
        self.officer.action_id = other.id
        self.assertEqual(self._home_action(self.officer), other.id, "the user's own home wins")
        clerk = self._browser_user("myday_clerk")
        clerk.group_ids -= self.env.ref("collections_officer.group_collections_officer")
        self.assertFalse(self._home_action(clerk), "others keep Odoo's own landing")

    def test_officer_lands_on_my_day_and_reads_each_line(self):
        callback = self._officers_case("Callback Ltd", 700)
        callback.callback_date = callback.company_id._collection_today()
        reminder = self._officers_case("Reminder Ltd", 900)
        self.assertLessEqual(reminder.next_action_date, reminder.company_id._collection_today())
        self.assertTrue(reminder.next_action_label.startswith("Follow-up:"))
        self.env.flush_all()
        self.start_tour("/odoo", "collections_officer_lands_on_my_day", login=self.officer.login)
        line = (
            self.env["collection.my.day"]
            .with_user(self.officer)
            .search([("case_id", "=", callback.id)])
        )
        self.assertEqual((line.reason, line.summary), ("2_callback", "Call back"))

    def test_manager_sees_the_escalation_to_decide_and_opens_it(self):
        case = self._officers_case("Refuser Ltd", 1200)
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": case.id, "reason": "unwilling", "note": "Refused to pay on two calls."}
        ).action_escalate()
        self.env.flush_all()
        self.start_tour(
            "/odoo", "collections_manager_decides_from_my_day", login=self.manager.login
        )
        self.assertEqual(case.state, "escalated", "opening the decision decides nothing")
        self.assertTrue(case.pending_escalation_id)
