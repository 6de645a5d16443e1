from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionMyDayLines(CollectionsCommon):
    """My Day says what each line is about; callbacks are callbacks; a manager's day
    lists what the manager decides."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.third_customer = cls.env["res.partner"].create(
            {"name": "Initech Debtor", "is_company": True}
        )
        cls.invoices = {
            partner: cls._post_invoice(600, due_days_ago=30, partner=partner)
            for partner in (cls.customer, cls.other_customer, cls.third_customer)
        }
        cls.second_manager = new_test_user(
            cls.env,
            login="co_manager_2",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk A",
                "manager_id": cls.manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        cls.company.write(
            {
                "collection_writeoff_account_id": cls.company_data["default_account_expense"].id,
                "collection_writeoff_journal_id": cls.company_data["default_journal_misc"].id,
                "collection_writeoff_limit": 100,
                "collection_plan_max_amount": 100,
            }
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.other_case = self._case(self.other_customer)
        self.third_case = self._case(self.third_customer)
        (self.case | self.other_case | self.third_case).write(
            {"user_id": self.officer.id, "team_id": self.team.id}
        )

    def _lines(self, user, **filters):
        domain = [("user_id", "in", (user.id, False))]
        domain += [(name, "=", value) for name, value in filters.items()]
        return self.env["collection.my.day"].with_user(user).search(domain)

    def test_every_line_says_what_it_is_about(self):
        self.case.with_user(self.officer).callback_date = TODAY
        self.env["collection.promise"].with_user(self.officer).create(
            {"case_id": self.other_case.id, "amount": 500, "date": TODAY}
        )
        self.third_case.sudo().next_action_date = TODAY
        self.third_case.sudo().next_action_label = "Follow-up: Friendly Reminder"
        lines = self._lines(self.officer)
        self.assertTrue(lines)
        self.assertTrue(all(lines.mapped("summary")), "the What of every line is filled")
        by_case = {line.case_id: line for line in lines}
        self.assertEqual(
            (by_case[self.case].reason, by_case[self.case].summary), ("2_callback", "Call back")
        )
        self.assertEqual(by_case[self.other_case].reason, "3_promise")
        self.assertRegex(by_case[self.other_case].summary, r"^Promise of .*500\.00.* due$")
        self.assertEqual(
            (by_case[self.third_case].reason, by_case[self.third_case].summary),
            ("1_action", "Follow-up: Friendly Reminder"),
        )
        self.assertEqual(len(lines), 3, "a callback agreed for today is not an action due too")

    def test_a_call_activity_is_one_callback_with_the_agreed_day(self):
        self.case.with_user(self.officer).callback_date = TODAY
        self.case.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=TODAY,
            summary="Call the AP clerk back",
            user_id=self.officer.id,
        )
        line = self._lines(self.officer, case_id=self.case.id)
        self.assertEqual((line.reason, line.summary), ("2_callback", "Call the AP clerk back"))

    def test_the_managers_day_lists_escalations_plans_and_writeoffs_to_decide(self):
        self.env["collection.escalate.wizard"].with_user(self.officer).create(
            {"case_id": self.case.id, "reason": "unwilling", "note": "Refused twice."}
        ).action_escalate()
        plan = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create({"case_id": self.other_case.id, "installment_count": 3})
            ._create_plan()
        )
        plan.with_user(self.officer).action_request_approval()
        self.third_case.with_user(self.second_manager)._request_writeoff(
            self.invoices[self.third_customer], "Customer ceased trading."
        )
        decisions = self._lines(self.manager).filtered(
            lambda line: line.reason in ("6_escalation", "7_approval", "8_writeoff")
        )
        self.assertEqual(
            {(line.case_id, line.reason) for line in decisions},
            {
                (self.case, "6_escalation"),
                (self.other_case, "7_approval"),
                (self.third_case, "8_writeoff"),
            },
        )
        summaries = {line.reason: line.summary for line in decisions}
        self.assertEqual(summaries["6_escalation"], "Decide escalation: Unwilling to Pay")
        self.assertRegex(summaries["7_approval"], r"^Approve the payment plan of .*600\.00")
        self.assertRegex(summaries["8_writeoff"], r"^Approve the write-off of .*600\.00")
        officer_reasons = set(self._lines(self.officer).mapped("reason"))
        self.assertFalse(
            officer_reasons & {"6_escalation", "7_approval", "8_writeoff"},
            "the managers' decisions are not the officer's to do",
        )
        # The decision made, the line goes.
        self.env["collection.escalation.decide.wizard"].with_user(self.manager).create(
            {
                "escalation_id": self.case.pending_escalation_id.id,
                "decision": "officer",
                "decision_note": "Call them once more.",
            }
        ).action_decide()
        self.assertFalse(self._lines(self.manager, reason="6_escalation"))

    def test_groups_open_by_default(self):
        arch = self.env["collection.my.day"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('expand="1"', arch)
