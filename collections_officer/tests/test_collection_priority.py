from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago, morning


def days_ahead(days):
    return days_ago(-days)


class PriorityCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_priority_amount": 25,
                "collection_priority_amount_share": 50.0,
                "collection_priority_days": 25,
                "collection_priority_broken": 15,
                "collection_priority_dispute": 10,
                "collection_priority_history": 10,
                "collection_priority_contact": 10,
                "collection_priority_credit_hold": 5,
                "collection_promise_tolerance_days": 3,
            }
        )
        # Someone else's debt: the book the amount is measured against.
        cls._post_invoice(1000, due_days_ago=10, partner=cls.other_customer)

    def _points(self, case):
        return {row["key"]: row["points"] for row in case.priority_detail}

    def _update(self, case):
        case._update_priority()
        return case

    def _contact(self, case, days_before):
        return (
            self.env["collection.contact"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "date": datetime.combine(days_ago(days_before), datetime.min.time())
                    + timedelta(hours=10),
                    "channel": "letter",
                    "direction": "inbound",
                    "outcome": "spoke",
                }
            )
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPriorityScore(PriorityCommon):
    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(500, due_days_ago=30)
        self._refresh()
        self.case = self._case()

    def test_the_score_is_the_sum_of_the_points_shown(self):
        self.customer.collection_credit_hold = True
        self._update(self.case)
        detail = self.case.priority_detail
        self.assertEqual(
            [row["key"] for row in detail],
            ["amount", "days", "broken", "dispute", "history", "contact", "credit_hold"],
        )
        self.assertEqual(self.case.priority_score, sum(row["points"] for row in detail))
        points = self._points(self.case)
        # 500 of 1,500 overdue is a third of the book: two thirds of the full points at 50%.
        self.assertEqual(points["amount"], round(25 * (100 / 3) / 50))
        self.assertEqual(points["days"], round(25 * 30 / 120))
        self.assertEqual(points["contact"], 0, "opened today, nobody waited yet")
        self.assertEqual(points["credit_hold"], 5)
        table = self.case.priority_table
        self.assertIn("Credit hold", table)
        self.assertIn("30 days", table)
        self.assertIn(f">{self.case.priority_score}<", table)

    def test_the_score_is_capped_at_100(self):
        self.company.write({"collection_priority_days": 500, "collection_priority_amount": 50})
        self._update(self.case)
        self.assertGreater(sum(self._points(self.case).values()), 100)
        self.assertEqual(self.case.priority_score, 100)

    def test_the_officer_reads_the_points_on_the_case_form(self):
        form = Form(self.case.with_user(self.officer))
        self.assertEqual(form.priority_score, self.case.priority_score)
        self.assertIn("Days overdue", form.priority_table)
        self.assertEqual(form.next_action_date, str(self.case.next_action_date))

    def test_the_weights_are_set_in_the_settings(self):
        settings = Form(self.env["res.config.settings"])
        settings.collection_priority_contact = 0
        settings.save().execute()
        self.assertEqual(self.company.collection_priority_contact, 0)

    def test_the_weights_are_the_company_settings(self):
        self.company.collection_priority_days = 0
        self._update(self.case)
        self.assertEqual(self._points(self.case)["days"], 0)
        self.assertEqual({row["key"]: row["max"] for row in self.case.priority_detail}["days"], 0)

    def _assert_grows(self, key, change):
        self._update(self.case)
        before_points, before_score = self._points(self.case)[key], self.case.priority_score
        change()
        self._update(self.case)
        after = self._points(self.case)
        self.assertGreater(after[key], before_points, f"{key}: more of it, more points")
        self.assertGreaterEqual(self.case.priority_score, before_score)
        self.assertEqual(self.case.priority_score, min(100, sum(after.values())))

    def test_more_overdue_more_points(self):
        def change():
            self._post_invoice(1500, due_days_ago=30)
            self._refresh()

        self._assert_grows("amount", change)

    def test_older_debt_more_points(self):
        self._update(self.case)
        before = self._points(self.case)["days"]
        with freeze_time(days_ahead(40)):
            self._update(self.case)
            self.assertGreater(self._points(self.case)["days"], before)

    def test_broken_promises_and_plans_more_points(self):
        def change():
            promise = self.env["collection.promise"].create(
                {"case_id": self.case.id, "amount": 100, "date": days_ahead(2)}
            )
            promise.sudo().state = "broken"

        self._assert_grows("broken", change)

    def test_a_customer_paying_late_more_points(self):
        def change():
            paid = self._post_invoice(200, due_days_ago=90)
            self._pay(paid, 200, days_ago_paid=40)

        self._assert_grows("history", change)

    def test_longer_silence_more_points(self):
        self._contact(self.case, 5)
        self._update(self.case)
        recent = self._points(self.case)["contact"]
        with freeze_time(days_ahead(20)):
            self._update(self.case)
            self.assertGreater(self._points(self.case)["contact"], recent)

    def test_a_credit_hold_more_points(self):
        def change():
            self.customer.collection_credit_hold = True

        self._assert_grows("credit_hold", change)

    def test_the_daily_refresh_scores_every_active_case(self):
        self.case.sudo().write({"priority_score": 0, "priority_detail": []})
        with (
            freeze_time(morning()),
            self._cron_call("collections_officer.ir_cron_collection_case_refresh") as (env, _p),
        ):
            env["collection.case"]._cron_refresh_cases()
        self.case.invalidate_recordset()
        self.assertGreater(self.case.priority_score, 0)

    def _share(self, case):
        self._update(case)
        return {row["key"]: row["value"] for row in case.priority_detail}["amount"]

    def test_the_cases_of_a_day_are_measured_against_the_days_book(self):
        scored = self.Case._update_priority_of_the_day(self.company)
        self.assertIn(self.case, scored)
        self.assertEqual(self.company.collection_scored_day, self.company._collection_today())
        self.assertEqual(self.company.collection_priority_book, 1500)
        self.assertAlmostEqual(self._share(self.case), 100 / 3, places=4)
        # Another customer owes more since the morning: this case's share of the day's
        # book, hence its rank among the cases scored this morning, is unchanged.
        self._post_invoice(1500, due_days_ago=5, partner=self.other_customer)
        self._refresh()
        self.assertAlmostEqual(self._share(self.case), 100 / 3, places=4)
        # The next day's book is read again: a sixth of 3,000.
        with freeze_time(days_ahead(1)):
            self.assertAlmostEqual(self._share(self.case), 100 / 6, places=4)
            self.Case._update_priority_of_the_day(self.company)
            self.assertEqual(self.company.collection_priority_book, 3000)

    def test_a_case_grown_past_the_days_book_is_the_whole_of_it(self):
        self.Case._update_priority_of_the_day(self.company)
        self._post_invoice(3000, due_days_ago=5)
        self._refresh()
        self.assertEqual(self.case.overdue_amount, 3500)
        self.assertEqual(self._share(self.case), 100.0)
        self.assertEqual(self._points(self.case)["amount"], 25)

    def test_a_book_empty_in_the_morning_is_read_again(self):
        self.Case._update_priority_of_the_day(self.company)
        # Nothing was overdue this morning; the cases opened since are measured now.
        self.company.sudo().collection_priority_book = 0
        self.assertAlmostEqual(self._share(self.case), 100 / 3, places=4)

    def test_scoring_a_case_reads_no_other_case_once_the_day_is_scored(self):
        self.Case._update_priority_of_the_day(self.company)
        self.env.flush_all()
        # The other customer's case, changed by SQL behind the ORM: a read of the
        # company's cases would see it.
        self.env.cr.execute(
            "UPDATE collection_case SET overdue_amount = 99000 WHERE id = %s",
            [self._case(self.other_customer).id],
        )
        self.assertAlmostEqual(self._share(self.case), 100 / 3, places=4)

    def test_the_days_book_lasts_the_companys_day_not_the_servers(self):
        other = self._case(self.other_customer)
        # (timezone, scored at, scored again at (UTC), the same day for the company)
        moments = [
            # 16:00 then 18:00 on 30 June in Los Angeles: the server's day has changed.
            ("America/Los_Angeles", datetime(2026, 6, 30, 23), datetime(2026, 7, 1, 1), True),
            # 23:00 on 30 June then 01:00 on 1 July in Auckland: the server's has not.
            ("Pacific/Auckland", datetime(2026, 6, 30, 11), datetime(2026, 6, 30, 13), False),
        ]
        for timezone, scored_at, later, same_day in moments:
            with self.subTest(timezone=timezone):
                self.company.sudo().write(
                    {"collection_timezone": timezone, "collection_scored_day": False}
                )
                with freeze_time(scored_at):
                    self.Case._update_priority_of_the_day(self.company)
                self.assertEqual(self.company.collection_priority_book, 1500)
                self.env.flush_all()
                # Behind the ORM: only a read of every case sees the other debt grow.
                self.env.cr.execute(
                    "UPDATE collection_case SET overdue_amount = 4500 WHERE id = %s", [other.id]
                )
                with freeze_time(later):
                    share = self._share(self.case)
                # The same day: a third of the morning's 1,500; the next: a tenth of 5,000.
                self.assertAlmostEqual(share, 100 / 3 if same_day else 10.0, places=4)
                self.env.cr.execute(
                    "UPDATE collection_case SET overdue_amount = 1000 WHERE id = %s", [other.id]
                )
                self.env.invalidate_all()

    def test_nobody_but_the_scoring_sets_the_days_book(self):
        for user in (self.officer, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.company.with_user(user).write({"collection_priority_book": 1})
        self.assertNotIn("collection_priority_book", self.company.copy_data()[0])

    def test_an_officer_cannot_set_the_score(self):
        case = self.case.with_user(self.officer)
        with self.assertRaisesRegex(Exception, "cannot be set by hand"):
            case.write({"priority_score": 100})


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPredictedPayDate(PriorityCommon):
    def _history(self, *days_late):
        for late in days_late:
            invoice = self._post_invoice(100, due_days_ago=200)
            self._pay(invoice, 100, days_ago_paid=200 - late)

    def test_the_median_delay_of_the_paid_invoices(self):
        self._history(10, 30, 20)
        self._post_invoice(400, due_days_ago=5)
        self._refresh()
        case = self._case()
        self.assertEqual(case.predicted_pay_basis, 3)
        self.assertEqual(case.predicted_pay_date, days_ago(5) + timedelta(days=20))

    def test_a_case_older_than_the_usual_delay_is_predicted_from_today(self):
        self._history(10, 30, 20)
        self._post_invoice(400, due_days_ago=45)
        self._refresh()
        self.assertEqual(self._case().predicted_pay_date, TODAY + timedelta(days=7))

    def test_the_prediction_feeds_the_expected_cash(self):
        self._history(10, 30, 20)
        self._post_invoice(400, due_days_ago=5)
        self._refresh()
        case = self._case()
        lines = [
            line
            for line in self.env["collection.expected.cash"]._expected_lines()
            if line["case_id"] == case.id
        ]
        self.assertEqual(
            [(line["source"], line["date"], line["amount"]) for line in lines],
            [("predicted", case.predicted_pay_date, 400)],
        )

    def test_the_customer_shows_its_payment_history(self):
        self._history(10, 30, 20, 0)
        customer = self.customer.with_user(self.officer)
        self.assertEqual(customer.collection_paid_invoice_count, 4)
        self.assertEqual(customer.collection_late_share, 75.0)
        self.assertEqual(customer.collection_avg_days_late, 15.0)
        self.assertEqual(customer.collection_median_days_late, 15)

    def test_no_history_no_prediction(self):
        self._post_invoice(400, due_days_ago=5)
        self._refresh()
        case = self._case()
        self.assertFalse(case.predicted_pay_date)
        self.assertEqual(case.predicted_pay_basis, 0)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestNextAction(PriorityCommon):
    def setUp(self):
        super().setUp()
        self._post_invoice(500, due_days_ago=3)
        self._refresh()
        self.case = self._case()
        self.first_level = self.case.effective_policy_id._get_levels()[0]

    def _due_cases(self):
        today = fields.Date.context_today(self.Case)
        return self.Case.search([("next_action_date", "<=", today), ("state", "!=", "closed")])

    def test_the_next_level_date(self):
        self.assertEqual(
            self.case.next_action_date,
            days_ago(3) + timedelta(days=self.first_level.delay_days),
        )
        self.assertIn(self.first_level.name, self.case.next_action_label)
        self.assertNotIn(self.case, self._due_cases())

    def test_a_level_past_its_date_is_due(self):
        self._post_invoice(100, due_days_ago=40)
        self._refresh()
        self.assertEqual(
            self.case.next_action_date,
            days_ago(40) + timedelta(days=self.first_level.delay_days),
        )
        self.assertIn(self.case, self._due_cases())

    def test_a_promise_on_track_is_not_due(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 500, "date": days_ahead(10)}
        )
        self.assertEqual(self.case.state, "promised")
        self.assertEqual(self.case.next_action_date, days_ahead(13), "promised date + tolerance")
        self.assertEqual(self.case.next_action_label, "Promise of $\xa0500.00 due")
        self.assertNotIn(self.case, self._due_cases())
        with freeze_time(days_ahead(13)):
            self.assertIn(self.case, self._due_cases())

    def test_the_next_installment_of_a_plan(self):
        self.company.collection_installment_grace_days = 5
        self.company.collection_plan_max_amount = 0
        self.company.collection_plan_max_months = 0
        wizard = self.env["collection.plan.wizard"].create(
            {"case_id": self.case.id, "first_date": days_ahead(15)}
        )
        plan = wizard._create_plan()
        plan.action_activate()
        self.assertEqual(self.case.state, "plan")
        first = plan.installment_ids.sorted("date")[0].date
        self.assertEqual(self.case.next_action_date, first + timedelta(days=5))
        self.assertEqual(self.case.next_action_label, "Installment 1 of 3 due")
        self.assertNotIn(self.case, self._due_cases())

    def test_an_activity_on_the_case(self):
        self.case.activity_schedule("mail.mail_activity_data_todo", date_deadline=days_ahead(1))
        self.assertEqual(self.case.next_action_date, days_ahead(1))
        self.assertEqual(self.case.next_action_label, "To-Do", "what the activity is")
        self.case.activity_ids.action_done()
        self.assertNotEqual(self.case.next_action_label, "To-Do")

    def test_a_callback_agreed_in_a_call(self):
        wizard = (
            self.env["collection.contact.wizard"]
            .with_user(self.officer)
            .with_context(default_case_id=self.case.id)
            .create(
                {
                    "case_id": self.case.id,
                    "channel": "phone",
                    "outcome": "spoke",
                    "callback_date": days_ahead(2),
                }
            )
        )
        wizard.action_log()
        self.assertEqual(self.case.callback_date, days_ahead(2))
        self.assertEqual(self.case.contact_ids.callback_date, days_ahead(2))
        self.assertEqual(self.case.next_action_date, days_ahead(2))
        self.assertEqual(self.case.next_action_label, "Call back")
        # The next call's form keeps the callback agreed.
        again = (
            self.env["collection.contact.wizard"]
            .with_user(self.officer)
            .with_context(default_case_id=self.case.id)
            .new({"case_id": self.case.id})
        )
        self.assertEqual(again.callback_date, days_ahead(2))

    def test_a_callback_in_the_past_is_refused(self):
        wizard = self.env["collection.contact.wizard"].create(
            {
                "case_id": self.case.id,
                "channel": "phone",
                "outcome": "spoke",
                "callback_date": days_ago(1),
            }
        )
        with self.assertRaisesRegex(Exception, "today or later"):
            wizard.action_log()

    def test_a_date_set_by_hand_is_a_callback(self):
        self.case.with_user(self.officer).write({"next_action_date": days_ahead(1)})
        self.assertEqual(self.case.callback_date, days_ahead(1))
        self.assertEqual(self.case.next_action_date, days_ahead(1))
        self.assertEqual(self.case.next_action_label, "Call back")

    def test_the_smallest_date_wins(self):
        self.case.activity_schedule("mail.mail_activity_data_todo", date_deadline=days_ahead(3))
        self.case.write({"callback_date": days_ahead(2)})
        self.assertEqual(self.case.next_action_label, "Call back")
        self.case.write({"callback_date": days_ahead(4)})
        self.assertEqual(self.case.next_action_label, "To-Do")

    def test_an_open_dispute_gives_points_and_its_deadline(self):
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_invoice")], limit=1
        )
        self.env["collection.dispute"].create(
            {
                "case_id": self.case.id,
                "move_id": invoice.id,
                "amount": 100,
                "deadline": days_ahead(2),
            }
        )
        self.case._update_priority()
        self.assertEqual(self._points(self.case)["dispute"], 10)
        self.assertEqual(self.case.next_action_date, days_ahead(2))
        self.assertIn(self.case.next_action_label, ("Dispute deadline", "Activity"))

    def test_a_closed_case_has_no_next_action(self):
        self._pay(self.env["account.move"].search([("partner_id", "=", self.customer.id)]), 500)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertFalse(self.case.next_action_date)
        self.assertEqual(self.case.priority_score, 0)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPriorityAccessAndQueries(PriorityCommon):
    def test_officers_see_only_their_teams_scores(self):
        officer_b = new_test_user(
            self.env,
            login="co_officer_b",
            groups="base.group_user,collections_officer.group_collections_officer",
        )
        team_a = self.env["collection.team"].create(
            {"name": "A", "member_ids": [(4, self.officer.id)]}
        )
        self.env["collection.team"].create({"name": "B", "member_ids": [(4, officer_b.id)]})
        self._post_invoice(500, due_days_ago=30)
        self._refresh()
        case = self._case()
        case.write({"user_id": self.officer.id, "team_id": team_a.id})
        self.assertTrue(case.priority_score)
        self.assertEqual(
            case.with_user(self.officer).read(["priority_score"])[0]["priority_score"],
            case.priority_score,
        )
        visible = self.Case.with_user(officer_b).search([("priority_score", ">=", 0)])
        self.assertNotIn(case, visible)
        with self.assertRaises(AccessError):
            case.with_user(officer_b).read(["priority_score", "priority_detail"])

    def _customers(self, prefix, count):
        partners = self.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True} for i in range(count)]
        )
        for index, partner in enumerate(partners):
            invoice = self._post_invoice(100, due_days_ago=120, partner=partner)
            self._pay(invoice, 100, days_ago_paid=100 - index)
            self._post_invoice(50 + index, due_days_ago=5 + index, partner=partner)
        self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        for case in cases:
            self._contact(case, 3)
            self.env["collection.promise"].create(
                {"case_id": case.id, "amount": 10, "date": days_ahead(5)}
            )
            case.activity_schedule("mail.mail_activity_data_todo", date_deadline=days_ahead(4))
        return cases

    def _count(self, cases):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        cases._update_priority()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_scoring_queries_do_not_grow_with_the_cases(self):
        self._count(self._customers("Warm", 2))
        few = self._count(self._customers("Few", 2))
        many = self._count(self._customers("Many", 6))
        self.assertEqual(many, few, "three times the cases, same queries")
