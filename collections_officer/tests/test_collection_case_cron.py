from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..models.collection_case_refresh_cron import REFRESH_LOCK_KEY, REFRESH_RETRY_MINUTES
from .common import TODAY, CollectionsCommon, morning

REFRESH_CRON = "collections_officer.ir_cron_collection_case_refresh"


# The hourly refresh takes a company in its morning.
@freeze_time(morning())
@tagged("post_install", "-at_install")
class TestCollectionCaseCron(CollectionsCommon):
    def _run_cron(self):
        cron = self.env.ref(REFRESH_CRON)
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()

    def test_daily_cron_opens_and_is_idempotent(self):
        for index in range(5):
            partner = self.env["res.partner"].create({"name": f"Debtor {index}"})
            self._post_invoice(100 + index, due_days_ago=10 + index, partner=partner)
        self._run_cron()
        cases = self.Case.search([("partner_id.name", "=like", "Debtor %")])
        self.assertEqual(len(cases), 5)
        messages = cases.message_ids
        # Called again the same day (the day's mark cleared): nothing changes.
        self.company.collection_refreshed_day = False
        self.env.flush_all()
        self._run_cron()
        self.assertEqual(self.Case.search([("partner_id.name", "=like", "Debtor %")]), cases)
        self.assertEqual(cases.message_ids, messages)

    def test_every_case_is_scored_once_a_day(self):
        partners = self.env["res.partner"].create([{"name": f"Scored {i}"} for i in range(2)])
        for partner in partners:
            self._post_invoice(100, due_days_ago=10, partner=partner)
        self._run_cron()
        self.assertEqual(self.company.collection_scored_day, TODAY)
        cases = self.Case.search([("partner_id", "in", partners.ids)], order="partner_id")
        score = cases[0].priority_score
        self.assertGreater(score, 0)

        def days_overdue(case):
            return next(row["value"] for row in case.priority_detail if row["key"] == "days")

        self.assertEqual(days_overdue(cases[0]), 10)
        # A score gone stale, which only the daily scoring of every case would notice.
        self.env.execute_query(
            SQL("UPDATE collection_case SET priority_score = 0 WHERE id = %s", cases[0].id)
        )
        self.env.invalidate_all()
        # Asked again the same day, accounting unchanged: no case is scored again.
        self.company._collection_ask_refresh()
        self.env.flush_all()
        self._run_cron()
        self.assertEqual(cases[0].priority_score, 0)
        self.assertEqual(self.company.collection_scored_day, TODAY)
        # The next morning the days have moved: every case again.
        tomorrow = TODAY + timedelta(days=1)
        with freeze_time(morning(tomorrow)):
            self._run_cron()
            self.assertEqual(self.company.collection_scored_day, tomorrow)
            self.assertGreaterEqual(cases[0].priority_score, score)
            self.assertEqual([days_overdue(case) for case in cases], [11, 11])

    def test_cron_in_small_batches_gives_the_same_result(self):
        partners = self.env["res.partner"].create([{"name": f"Batch {i}"} for i in range(7)])
        for partner in partners:
            self._post_invoice(10, due_days_ago=5, partner=partner)
        self.Case._refresh_from_accounting(companies=self.company, batch_size=2)
        self.assertEqual(len(self.Case.search([("partner_id", "in", partners.ids)])), 7)

    # --------------------------------------------- another refresh holds the company

    def _hold_company_refresh(self):
        """Another worker's cursor holding the company's refresh lock, as the nightly
        refresh or an accountant's reconciliation does until it commits."""
        other_worker = db_connect(self.env.cr.dbname).cursor()
        other_worker.execute(
            SQL("SELECT pg_advisory_lock(%s, %s)", REFRESH_LOCK_KEY, self.company.id)
        )
        return other_worker

    def _release(self, other_worker):
        other_worker.execute(
            SQL("SELECT pg_advisory_unlock(%s, %s)", REFRESH_LOCK_KEY, self.company.id)
        )
        other_worker.close()

    def _retries(self):
        """The refresh's triggers, in a few minutes: when it runs again."""
        cron = self.env.ref(REFRESH_CRON)
        return (
            self.env["ir.cron.trigger"]
            .sudo()
            .search([("cron_id", "=", cron.id), ("call_at", ">", fields.Datetime.now())])
            .mapped("call_at")
        )

    def test_a_company_being_refreshed_is_refreshed_on_the_next_trigger(self):
        self._post_invoice(100, due_days_ago=10)
        other_worker = self._hold_company_refresh()
        try:
            with self._cron_call(REFRESH_CRON) as (env, _progress):
                env["collection.case"]._cron_refresh_cases()
            self.assertFalse(self._case(), "the other refresh is not waited for")
            self.assertEqual(
                self._retries(),
                [fields.Datetime.now() + timedelta(minutes=REFRESH_RETRY_MINUTES)],
                "the refresh runs again in a few minutes",
            )
            # What the Refresh button of a case does: the user is told, not kept waiting.
            with self.assertRaisesRegex(UserError, "being refreshed"):
                self.Case._refresh_from_accounting(companies=self.company, wait=True)
        finally:
            self._release(other_worker)
        # The trigger comes: the company is refreshed.
        self._run_cron()
        self.assertEqual(self._case().state, "open")
        self.assertEqual(self._case().overdue_amount, 100)

    def test_a_company_taken_over_between_two_batches_is_finished_later(self):
        partners = self.env["res.partner"].create([{"name": f"Taken {i}"} for i in range(3)])
        for partner in partners:
            self._post_invoice(10, due_days_ago=5, partner=partner)
        lock = type(self.Case)._lock_company_refresh
        calls = []

        def taken_over(records, company):
            # The first lock is the cron's; between its first two batches another
            # transaction (an accountant's reconciliation) takes the company.
            if company == self.company:
                calls.append(company)
                if len(calls) == 2:
                    return False
            return lock(records, company)

        with (
            patch.object(type(self.Case), "_lock_company_refresh", taken_over),
            self._cron_call(REFRESH_CRON) as (env, _progress),
        ):
            env["collection.case"]._cron_refresh_cases(batch_size=1)
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(cases), 1, "the refresh stops where the other took over")
        self.assertTrue(self._retries(), "and runs again in a few minutes")
        self._run_cron()
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        self.assertEqual(cases.partner_id, partners, "the rest of the company is refreshed")

    def test_a_payment_reconciled_during_the_refresh_reaches_its_case(self):
        invoice = self._post_invoice(100, due_days_ago=10)
        self._refresh()
        case = self._case()
        lock = type(self.Case)._lock_company_refresh

        def refreshing(records, company):
            # The nightly refresh of the company holds its lock (this transaction took
            # it already: another worker cannot here; see tests/test_concurrent_workers).
            return company != self.company and lock(records, company)

        with patch.object(type(self.Case), "_lock_company_refresh", refreshing):
            # The accountant's reconciliation refreshes the case, or asks for it later.
            self._pay(invoice, 100)
        self.assertEqual(case.state, "open", "not waited for")
        self.assertTrue(self._retries(), "the refresh runs again in a few minutes")
        self._run_cron()
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.overdue_amount, 0)

    def _refresh_one_by_one(self, customer, meanwhile):
        """The scheduled refresh, a customer per batch, calling ``meanwhile(env)`` once the
        batch of ``customer`` is done, as another transaction would commit then."""
        refresh_batch = type(self.Case)._refresh_batch

        def and_meanwhile(records, company, partner_ids, *args, **kwargs):
            touched = refresh_batch(records, company, partner_ids, *args, **kwargs)
            if customer.id in partner_ids:
                meanwhile(records.env)
            return touched

        with (
            patch.object(type(self.Case), "_refresh_batch", and_meanwhile),
            self._cron_call(REFRESH_CRON) as (env, _progress),
        ):
            env["collection.case"]._cron_refresh_cases(batch_size=1)
        self.env.invalidate_all()

    def _pay_in_full(self, env, invoices):
        """An accountant's payment of ``invoices``, reconciled with them."""
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"group_payment": True})._create_payments()

    def test_a_payment_reconciled_between_two_batches_is_not_undone(self):
        first, second = self.env["res.partner"].create(
            [{"name": "Batch Payer 1"}, {"name": "Batch Payer 2"}]
        )
        self._post_invoice(100, due_days_ago=10, partner=first)
        self._post_invoice(100, due_days_ago=10, partner=second)
        self._refresh()
        paid_case = self._case(second)
        # New debts: the nightly refresh has both customers to update, one per batch.
        self._post_invoice(50, due_days_ago=3, partner=first)
        self._post_invoice(50, due_days_ago=3, partner=second)
        # Between the two batches, an accountant matches the second customer's
        # payments: the reconciliation refreshes (closes) their case.
        self._refresh_one_by_one(first, lambda env: self._pay_in_full(env, second.invoice_ids))
        self.assertEqual(self._case(first).overdue_amount, 150)
        self.assertEqual(paid_case.state, "closed")
        self.assertEqual(paid_case.overdue_amount, 0, "yesterday's figures are not written back")

    def test_a_refresh_asked_while_the_company_is_refreshed_is_not_lost(self):
        first, second = self.env["res.partner"].create(
            [{"name": "Asking Payer 1"}, {"name": "Asking Payer 2"}]
        )
        self._post_invoice(100, due_days_ago=10, partner=first)
        self._post_invoice(100, due_days_ago=10, partner=second)
        self._refresh()
        paid_case = self._case(first)
        # New debts: the nightly refresh has both customers to update, one per batch.
        self._post_invoice(50, due_days_ago=3, partner=first)
        self._post_invoice(50, due_days_ago=3, partner=second)
        lock = type(self.Case)._lock_company_refresh

        def held(records, company, shared=False):
            return company != self.company and lock(records, company, shared)

        def pay_while_held(env):
            # The nightly refresh holds the company: the reconciliation asks for a
            # refresh instead of waiting.
            with patch.object(type(self.Case), "_lock_company_refresh", held):
                self._pay_in_full(env, first.invoice_ids)

        # Once the first customer's batch is read, an accountant matches their payments.
        self._refresh_one_by_one(first, pay_while_held)
        self.assertEqual(self.company.collection_refreshed_day, TODAY, "the day is refreshed")
        self.assertEqual(paid_case.overdue_amount, 150, "its batch had read it before the payment")
        self.assertTrue(
            self.company._collection_refresh_pending(),
            "the refresh that was running does not answer a request made after it started",
        )
        self._run_cron()
        self.assertEqual(paid_case.state, "closed")
        self.assertFalse(self.company._collection_refresh_pending())
        # Answered: the next call of the day has nothing to do.
        self.assertEqual(self.Case._due_refresh_companies()[0], self.env["res.company"])
