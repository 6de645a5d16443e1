from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.fields import Domain
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..models.collection_followup_actions import CollectionFollowup
from ..models.collection_run_batch import MAX_RETRIES
from ..models.collection_run_cron import HELD_RETRY_MINUTES
from .common import TODAY, days_ago, morning
from .test_collection_followup import FollowupCommon


# The hourly jobs take each company in its morning.
@freeze_time(morning())
@tagged("post_install", "-at_install")
class TestScheduledWork(FollowupCommon):
    """The daily jobs out of time, on bad records and on figures that moved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company_b.collection_followup_live = True
        cls.policy_b = cls.policy.copy({"company_id": cls.company_b.id, "name": "Policy B"})
        for level in cls.policy.level_ids:
            level.copy({"policy_id": cls.policy_b.id})
        cls.company_b.collection_policy_id = cls.policy_b
        cls.company_b.collection_followup_live = True
        cls.customers_a = cls.env["res.partner"].create(
            [{"name": f"Late A{i}", "email": f"a{i}@example.com"} for i in range(3)]
        )
        cls.customers_b = cls.env["res.partner"].create(
            [{"name": f"Late B{i}", "email": f"b{i}@example.com"} for i in range(2)]
        )

    def _post_in(self, company, partner, amount=100, due_days_ago=10):
        return self._create_invoice_one_line(
            price_unit=amount,
            tax_ids=self.env["account.tax"],
            partner_id=partner,
            invoice_date=days_ago(due_days_ago),
            invoice_date_due=days_ago(due_days_ago),
            company_id=company.id,
            post=True,
        )

    def _post_book(self):
        for partner in self.customers_a:
            self._post_in(self.company, partner)
        for partner in self.customers_b:
            self._post_in(self.company_b, partner)

    def _cases(self, partners):
        return self.Case.search([("partner_id", "in", partners.ids)])

    # ------------------------------------------------------------ out of time

    def test_refresh_out_of_time_stops_every_company_and_goes_on_later(self):
        self._post_book()
        Case = self.Case.sudo()
        work = sum(
            len(Case._refresh_work(company)[0]) for company in Case.env["res.company"].search([])
        )
        xmlid = "collections_officer.ir_cron_collection_case_refresh"
        with self._cron_call(xmlid, out_of_time=True) as (env, progress):
            env["collection.case"]._cron_refresh_cases(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, work - 1))
        self.assertFalse(self._cases(self.customers_b), "the next company waits for the next call")
        with self._cron_call(xmlid) as (env, progress):
            env["collection.case"]._cron_refresh_cases(batch_size=1)
            self.assertEqual(
                (progress.done, progress.remaining), (work - 1, 0), "nothing is done twice"
            )
        self.assertEqual(len(self._cases(self.customers_a | self.customers_b)), 5)

    def test_followup_run_out_of_time_stops_every_company_and_goes_on_later(self):
        self._post_book()
        self._refresh(self.company | self.company_b)
        self._day_prepared(self.company | self.company_b)
        Run = self.env["collection.run"].sudo()
        work = sum(Run._count_left(company) for company in self.company | self.company_b)
        xmlid = "collections_officer.ir_cron_collection_followup_run"
        with self._cron_call(xmlid, out_of_time=True) as (env, progress):
            env["collection.run"]._cron_run_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, work - 1))
        cases_b = self._cases(self.customers_b)
        self.assertFalse(cases_b.followup_ids, "the next company waits for the next call")
        with self._cron_call(xmlid) as (env, progress):
            env["collection.run"]._cron_run_followup(batch_size=1)
            self.assertEqual(
                (progress.done, progress.remaining),
                (work - 1, 0),
                "the run goes on from its cursor",
            )
        cases = self._cases(self.customers_a) | cases_b
        self.assertEqual(cases.followup_ids.mapped("state"), ["done"] * 5)
        self.assertEqual(set(cases.level_id.mapped("name")), {"Reminder"})
        run_b = Run.search([("company_id", "=", self.company_b.id)])
        self.assertEqual(
            run_b.last_case_id,
            max(Run.env["collection.case"].search([("company_id", "=", self.company_b.id)]).ids),
        )

    # ------------------------------------------------- held by another transaction

    def _retries(self, xmlid):
        cron = self.env.ref(xmlid)
        return (
            self.env["ir.cron.trigger"]
            .sudo()
            .search([("cron_id", "=", cron.id), ("call_at", ">", fields.Datetime.now())])
            .mapped("call_at")
        )

    def test_a_case_another_transaction_holds_is_run_later_not_passed_over(self):
        self._post_book()
        self._refresh(self.company)
        self._day_prepared()
        cases = self.Case.search([("company_id", "=", self.company.id)], order="id")
        held = cases[1]
        try_lock = type(self.Case).try_lock_for_update

        def but_the_held_one(records, **kwargs):
            # A manager's dry run (or a user's change) holds this case meanwhile.
            return try_lock(records, **kwargs) - held

        xmlid = "collections_officer.ir_cron_collection_followup_run"
        with (
            patch.object(type(self.Case), "try_lock_for_update", but_the_held_one),
            self._cron_call(xmlid) as (env, _progress),
        ):
            env["collection.run"]._cron_run_followup(batch_size=2)
        self.assertFalse(held.followup_ids)
        self.assertEqual((cases - held).followup_ids.mapped("state"), ["done"] * 3)
        run = self.env["collection.run"].search(
            [("company_id", "=", self.company.id), ("dry_run", "=", False)]
        )
        self.assertLess(run.last_case_id, held.id, "the cursor waits for the held case")
        self.assertEqual(
            self._retries(xmlid),
            [fields.Datetime.now() + timedelta(minutes=HELD_RETRY_MINUTES)],
            "the run comes back in a few minutes",
        )
        # The other transaction is over: the trigger comes.
        with self._cron_call(xmlid) as (env, _progress):
            env["collection.run"]._cron_run_followup(batch_size=2)
        self.assertEqual(held.followup_ids.state, "done")
        self.assertEqual(cases.followup_ids.mapped("state"), ["done"] * 4, "nothing twice")
        self.assertEqual(len(self._emails(held)), 1)
        self.assertEqual(run.last_case_id, cases[-1].id)

    def test_a_case_held_for_a_moment_is_taken_at_the_end_of_the_same_run(self):
        self._post_book()
        self._refresh(self.company)
        self._day_prepared()
        cases = self.Case.search([("company_id", "=", self.company.id)], order="id")
        held = cases[0]
        try_lock = type(self.Case).try_lock_for_update
        tries = []

        def held_once(records, **kwargs):
            locked = try_lock(records, **kwargs)
            if held in records and not tries:
                tries.append(held)
                return locked - held
            return locked

        xmlid = "collections_officer.ir_cron_collection_followup_run"
        with (
            patch.object(type(self.Case), "try_lock_for_update", held_once),
            self._cron_call(xmlid) as (env, _progress),
        ):
            env["collection.run"]._cron_run_followup(batch_size=2)
        self.assertEqual(cases.followup_ids.mapped("state"), ["done"] * 4)
        self.assertFalse(self._retries(xmlid), "nothing left for later")
        run = self.env["collection.run"].search(
            [("company_id", "=", self.company.id), ("dry_run", "=", False)]
        )
        self.assertEqual(run.last_case_id, cases[-1].id)

    def test_judging_out_of_time_stops_before_the_plans(self):
        self._post_book()
        self._refresh(self.company)
        promises = self.env["collection.promise"].create(
            [
                {"case_id": case.id, "amount": 100, "date": TODAY + timedelta(days=2)}
                for case in self._cases(self.customers_a)[:2]
            ]
        )
        xmlid = "collections_officer.ir_cron_collection_commitment_judge"
        today = TODAY + timedelta(days=20)
        self._day_prepared(day=today, judged=False)
        with freeze_time(morning(today)):
            Promise = self.env["collection.promise"].sudo()
            # Only the company whose day's refresh is done is judged.
            mine = [("company_id", "=", self.company.id)]
            promises_left = Promise.search_count(
                [*mine, ("state", "=", "open"), ("deadline", "<", today)]
            )
            plans = self.env["collection.plan"].sudo()
            plans_left = plans.search_count(plans._to_judge_domain(today) & Domain(mine))
            with self._cron_call(xmlid, out_of_time=True) as (env, progress):
                env["collection.promise"]._cron_judge(batch_size=1)
                self.assertEqual(
                    (progress.done, progress.remaining), (1, promises_left - 1 + plans_left)
                )
            self.assertEqual(promises.mapped("state").count("open"), 1)
            with self._cron_call(xmlid) as (env, progress):
                env["collection.promise"]._cron_judge(batch_size=1)
                self.assertEqual(
                    (progress.done, progress.remaining), (promises_left - 1 + plans_left, 0)
                )
        self.assertEqual(promises.mapped("state"), ["broken", "broken"])

    # ---------------------------------------------------------- bad records

    def test_one_failing_case_never_stops_the_run(self):
        self._post_book()
        self._refresh(self.company)
        cases = self._cases(self.customers_a)
        bad = cases[1]
        get_due_levels = type(self.Case)._get_due_levels

        def broken(records, *args, **kwargs):
            if bad in records:
                raise KeyError("no such level")
            return get_due_levels(records, *args, **kwargs)

        with (
            patch.object(type(self.Case), "_get_due_levels", broken),
            mute_logger("odoo.addons.collections_officer.models.collection_run_batch"),
        ):
            run = self._run(cases)
        self.assertEqual((cases - bad).followup_ids.mapped("state"), ["done", "done"])
        self.assertFalse(bad.followup_ids)
        self.assertIn("no such level", bad.collection_error)
        self.assertEqual(run.failed_case_ids, bad)
        self.assertIn("no such level", bad.message_ids[:1].body)
        # The next run goes through: the error is gone.
        self._run(bad)
        self.assertEqual(bad.followup_ids.state, "done")
        self.assertFalse(bad.collection_error)

    def test_one_failing_followup_fails_alone_then_the_officer_is_asked(self):
        self._post_book()
        self._refresh(self.company)
        cases = self._cases(self.customers_a)
        cases.user_id = self.officer
        bad = cases[0]
        action_email = CollectionFollowup._action_email

        def broken(followups):
            if bad in followups.case_id:
                raise ZeroDivisionError("template arithmetic")
            return action_email(followups)

        with (
            patch.object(CollectionFollowup, "_action_email", broken),
            mute_logger("odoo.addons.collections_officer.models.collection_followup_execution"),
        ):
            self._run(cases)
            self.assertEqual((cases - bad).followup_ids.mapped("state"), ["done", "done"])
            followup = bad.followup_ids
            self.assertEqual(followup.state, "failed")
            self.assertIn("template arithmetic", followup.error)
            self._run(bad)
            self.assertEqual(followup.retry_count, 0, "not tried again the day it failed")
            for day in range(1, MAX_RETRIES + 1):
                with freeze_time(TODAY + timedelta(days=day)):
                    run = self._run(bad)
                self.assertEqual(followup.retry_count, day)
                self.assertEqual(followup.run_id, run, "shown on the run that tried it")
                self.assertEqual(followup.state, "failed")
                activities = bad.activity_ids.filtered(lambda a: "failed" in (a.summary or ""))
                self.assertEqual(len(activities), int(day == MAX_RETRIES))
            with freeze_time(TODAY + timedelta(days=MAX_RETRIES + 1)):
                self._run(bad)
            self.assertEqual(followup.retry_count, MAX_RETRIES, "the officer decides now")
        self.assertEqual(activities.user_id, self.officer)

    def test_one_failing_customer_never_stops_the_refresh(self):
        self._post_book()
        self._refresh(self.company)
        bad_partner = self.customers_a[0]
        bad_case = self._cases(bad_partner)
        for partner in self.customers_a:
            self._post_in(self.company, partner, amount=50, due_days_ago=20)
        refresh_batch = type(self.Case)._refresh_batch

        def broken(records, company, partner_ids, *args, **kwargs):
            if bad_partner.id in partner_ids:
                raise ValueError("corrupt figures")
            return refresh_batch(records, company, partner_ids, *args, **kwargs)

        with (
            patch.object(type(self.Case), "_refresh_batch", broken),
            mute_logger(
                "odoo.addons.collections_officer.models.collection_run_batch",
                "odoo.addons.collections_officer.models.collection_case_refresh_cron",
            ),
            self._cron_call("collections_officer.ir_cron_collection_case_refresh") as (env, _p),
        ):
            env["collection.case"]._cron_refresh_cases(batch_size=10)
        self.assertEqual(
            self._cases(self.customers_a - bad_partner).mapped("overdue_amount"), [150, 150]
        )
        self.assertEqual(bad_case.overdue_amount, 100)
        self.assertIn("corrupt figures", bad_case.collection_error)
        self.assertEqual(len(self._cases(self.customers_b)), 2, "the other company too")

    # ----------------------------------------------------- today's figures

    def test_a_customer_who_paid_since_the_refresh_gets_nothing(self):
        self._pay(self.invoice, 1000)
        run = self._run()
        self.assertFalse(self._followups(), "no letter on yesterday's figures")
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.overdue_amount, 0)
        self.assertFalse(run.failed_case_ids)

    def test_a_customer_who_paid_part_is_dunned_for_the_rest(self):
        self._pay(self.invoice, 400)
        self._run()
        self.assertEqual(self.case.overdue_amount, 600)
        self.assertIn("600", self._emails().body)

    def test_a_dispute_paid_outside_the_reconciliation_hook_is_closed_before_deciding(self):
        disputed = self._post_invoice(300, due_days_ago=12)
        self._refresh()
        dispute = self.env["collection.dispute"].create(
            {"case_id": self.case.id, "move_id": disputed.id, "amount": 300}
        )
        # An integration that matches payments without Odoo's reconciliation plan: the
        # case and the dispute learn of it only when the run reads accounting again.
        with patch.object(
            type(self.env["account.move.line"]), "_refresh_collection_cases", autospec=True
        ):
            self._pay(disputed, 300)
        self.assertEqual(dispute.state, "open")
        self._run()
        self.assertEqual(dispute.state, "withdrawn", "nothing left to dispute")
        self.assertEqual(self.case.overdue_amount, 1000)
        self.assertIn("You owe 1000.0", self._emails().body)

    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
