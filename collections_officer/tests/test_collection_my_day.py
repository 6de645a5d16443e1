from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged
from odoo.tools import format_date

from .common import TODAY, CollectionsCommon
from .test_collection_plan import PlanCommon

NOON = datetime(2026, 6, 30, 12, 0)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionMyDay(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.third_customer = cls.env["res.partner"].create(
            {"name": "Initech Debtor", "is_company": True}
        )
        for partner in (cls.customer, cls.other_customer, cls.third_customer):
            cls._post_invoice(600, due_days_ago=30, partner=partner)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.other_case = self._case(self.other_customer)
        self.third_case = self._case(self.third_customer)
        # Nothing is due on them unless a test says so.
        (self.case | self.other_case | self.third_case).sudo().next_action_date = TODAY + timedelta(
            days=9
        )

    def _counts(self, user=None):
        MyDay = self.env["collection.my.day"].with_user(user or self.officer)
        groups = MyDay.formatted_read_group([], ["reason"], ["__count"])
        return {group["reason"]: group["__count"] for group in groups}

    def test_my_day_counts_each_reason_in_the_order_of_the_day(self):
        self.case.sudo().next_action_date = TODAY - timedelta(days=1)
        self.other_case.sudo().next_action_date = TODAY + timedelta(days=1)  # not yet
        self.other_case.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=TODAY,
            summary="Call back the AP clerk",
            user_id=self.officer.id,
        )
        self.third_case.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=TODAY, user_id=self.officer.id
        )
        self.env["collection.promise"].create(
            {"case_id": self.third_case.id, "amount": 600, "date": TODAY}
        )
        counts = self._counts()
        self.assertEqual(counts, {"1_action": 1, "2_callback": 1, "3_promise": 1})
        self.assertEqual(list(counts), ["1_action", "2_callback", "3_promise"])
        callback = self.env["collection.my.day"].search([("reason", "=", "2_callback")])
        self.assertEqual(callback.case_id, self.other_case)
        self.assertEqual(callback.summary, "Call back the AP clerk")
        action = callback.action_open_case()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("collection.case", self.other_case.id)
        )

    def test_my_day_shows_only_the_cases_an_officer_works(self):
        self.case.sudo().next_action_date = TODAY
        self.other_case.sudo().next_action_date = TODAY
        colleague = self.env["res.users"].create(
            {
                "name": "Colleague",
                "login": "co_colleague",
                "group_ids": [self.env.ref("collections_officer.group_collections_officer").id],
            }
        )
        self.other_case.user_id = colleague
        self.assertEqual(self._counts(), {"1_action": 1}, "the colleague's case is theirs")
        self.assertEqual(self._counts(self.manager), {"1_action": 2})

    def test_closed_cases_are_not_in_my_day(self):
        self.case.sudo().next_action_date = TODAY
        self.case.sudo().state = "closed"
        self.assertEqual(self._counts(), {})

    def test_my_day_is_the_landing_view(self):
        root = self.env.ref("collections_officer.collections_officer_menu_root")
        first = (
            root.with_user(self.officer)
            .child_id.filtered(lambda menu: menu._filter_visible_menus())
            .sorted("sequence")[:1]
        )
        self.assertEqual(first, self.env.ref("collections_officer.collection_my_day_menu"))

    def test_disputes_near_their_deadline(self):
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_invoice")], limit=1
        )
        dispute = self.env["collection.dispute"].create(
            {"case_id": self.case.id, "move_id": invoice.id, "amount": 100}
        )
        dispute.sudo().deadline = TODAY + timedelta(days=10)
        self.assertNotIn("5_dispute", self._counts(), "not near yet")
        dispute.sudo().deadline = TODAY + timedelta(days=2)
        self.assertEqual(self._counts().get("5_dispute"), 1)
        row = self.env["collection.my.day"].search([("reason", "=", "5_dispute")])
        self.assertEqual((row.case_id, row.summary), (self.case, f"Dispute on {invoice.name}"))


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionMyDayInstallments(PlanCommon):
    def test_installments_due_today_and_the_plan_named_once(self):
        plan = self._plan(first_date=TODAY, installment_count=2)
        plan.action_activate()
        self.case.sudo().next_action_date = TODAY + timedelta(days=9)
        groups = (
            self.env["collection.my.day"]
            .with_user(self.officer)
            .formatted_read_group([], ["reason"], ["__count"])
        )
        self.assertEqual({g["reason"]: g["__count"] for g in groups}, {"4_installment": 1})
        self.assertEqual(
            plan.display_name,
            f"Payment plan of {format_date(self.env, TODAY, date_format='long')} "
            f"({self.case.name})",
        )
        reason = self.case._get_commitment_blockers(TODAY)[self.case.id]
        self.assertEqual(reason.lower().count("payment plan"), 1, reason)
