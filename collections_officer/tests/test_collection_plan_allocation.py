from datetime import date

from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_plan import PlanCommon


def paid_and_states(plan):
    return [(i.amount_paid, i.state) for i in plan.installment_ids]


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionPlanAllocation(PlanCommon):
    def setUp(self):
        super().setUp()
        # 3 x 300 on 15 July, August and September; 1,000 overdue.
        self.plan = self._plan(amount_total=900, installment_count=3, first_date=date(2026, 7, 15))
        self.plan.action_activate()

    def test_partial_payments_pay_the_oldest_first(self):
        self._pay(self.invoice, 250, days_ago_paid=0)
        self._receive_unallocated(150, days_ago_paid=-5)
        with freeze_time(date(2026, 7, 10)):
            self.env.invalidate_all()
            self.assertEqual(self.plan.amount_paid, 400)
            self.assertEqual(self.plan.amount_remaining, 500)
            self.assertEqual(
                paid_and_states(self.plan),
                [(300, "paid"), (100, "partial"), (0, "pending")],
            )
            self.assertEqual(self.plan.installment_ids[1].amount_remaining, 200)

    def test_overpayment_completes_the_plan_and_the_case_closes(self):
        self._pay(self.invoice, 1000, days_ago_paid=-3)
        with freeze_time(date(2026, 7, 4)):
            self.env.invalidate_all()
            self.assertEqual(self.plan.amount_overpaid, 100)
            self.assertEqual(self.plan.amount_paid, 900)
            self.assertEqual([state for _paid, state in paid_and_states(self.plan)], ["paid"] * 3)
        self._judge_on(date(2026, 7, 4))
        self.assertEqual(self.plan.state, "completed")
        self.assertEqual(self.plan.date_end, date(2026, 7, 4))
        self.assertEqual(self.case.state, "closed", "nothing else is overdue")
        self.assertTrue(any("completed" in body for body in self.case.message_ids.mapped("body")))
        self.assertEqual(self.customer.collection_reliability, 100)

    def test_completed_plan_leaves_the_rest_in_followup(self):
        self._pay(self.invoice, 900, days_ago_paid=-1)
        self._judge_on(date(2026, 7, 2))
        self.assertEqual(self.plan.state, "completed")
        self.assertEqual(self.case.state, "open", "100 are still overdue")
        self.assertNotIn(self.case.id, self.case._get_followup_blockers())

    def test_payment_dated_before_the_plan_does_not_count(self):
        self._pay(self.invoice, 300, days_ago_paid=1)
        self.env.invalidate_all()
        self.assertEqual(self.plan.amount_received, 0)
        self.assertEqual(self.plan.installment_ids[0].state, "pending")

    def test_credit_note_pays_nothing_and_refund_paid_back_reduces(self):
        self._post_invoice(300, due_days_ago=0, move_type="out_refund")
        self.env.invalidate_all()
        self.assertEqual(self.plan.amount_paid, 0, "a credit note lowers the debt, pays nothing")
        self._receive_unallocated(300)
        refund = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 100,
                "journal_id": self.bank_journal.id,
                "date": TODAY,
            }
        )
        refund.action_post()
        self.env.invalidate_all()
        self.assertEqual(self.plan.amount_received, 200, "money paid back to the customer")
        self.assertEqual(paid_and_states(self.plan)[0], (200, "partial"))

    def test_foreign_currency_payment_in_company_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._register_payment(self.invoice, amount=600, currency_id=eur.id, payment_date=TODAY)
        self.env.invalidate_all()
        self.assertEqual(self.plan.amount_received, 300, "600 EUR at 2 EUR per company unit")
        self.assertEqual(paid_and_states(self.plan)[0], (300, "paid"))

    def test_installments_late_then_missed_then_plan_broken(self):
        self._pay(self.invoice, 300, days_ago_paid=-10)  # the first installment, on time
        with freeze_time(date(2026, 8, 20)):
            self.env.invalidate_all()
            self.assertEqual(
                [state for _paid, state in paid_and_states(self.plan)], ["paid", "late", "pending"]
            )
        self._judge_on(date(2026, 8, 21))
        self.assertEqual(self.plan.state, "active", "one missed installment is tolerated")
        with freeze_time(date(2026, 9, 21)):
            self.env.invalidate_all()
            self.assertEqual(self.plan.missed_count, 2)
        messages = self.case.message_ids
        self._judge_on(date(2026, 9, 21))
        self.assertEqual(self.plan.state, "broken")
        self.assertEqual(self.plan.date_end, date(2026, 9, 21))
        self.assertEqual(self.case.state, "open", "back to follow-up")
        self.assertTrue(any("broken" in body for body in self.case.message_ids.mapped("body")))
        self.assertEqual(self.customer.collection_reliability, 0)
        messages = self.case.message_ids
        self._judge_on(date(2026, 9, 22))
        self.assertEqual(self.case.message_ids, messages, "judging again logs nothing")
        with freeze_time(date(2026, 12, 1)):
            self._pay(self.invoice, 600, days_ago_paid=-150)  # in November
            self.env.invalidate_all()
            self.assertEqual(self.plan.amount_paid, 300, "a broken plan keeps its history")

    def test_broken_plan_escalates_when_configured(self):
        self.company.collection_broken_action = "escalate"
        self._judge_on(date(2026, 8, 21))
        self.assertEqual(self.plan.state, "broken", "two installments missed")
        self.assertEqual(self.case.state, "escalated")

    def _more_plans(self, paid_from=1):
        """Three more customers with an active plan; those from `paid_from` paid it all."""
        partners = self.env["res.partner"].create(
            [{"name": f"Planned {i}", "is_company": True} for i in range(3)]
        )
        for partner in partners:
            self._post_invoice(500, due_days_ago=20, partner=partner)
        self._refresh()
        plans = self.env["collection.plan"]
        for index, partner in enumerate(partners):
            case = self._case(partner)
            plan = self.Wizard.create(
                {"case_id": case.id, "installment_count": 2, "first_date": date(2026, 7, 15)}
            )._create_plan()
            plan.action_activate()
            plans |= plan
            if index >= paid_from:
                self._pay(case.open_line_ids.move_id, 500, days_ago_paid=-1)
        return plans

    def test_judging_many_plans_in_batches(self):
        plans = self.plan | self._more_plans()
        cron = self.env.ref("collections_officer.ir_cron_collection_commitment_judge")
        cron.code = "model._cron_judge(batch_size=2)"
        self._judge_on(date(2026, 7, 2))
        self.assertEqual(plans.mapped("state"), ["active", "active", "completed", "completed"])

    def test_allocation_queries_do_not_grow_with_plans(self):
        plans = self.plan | self._more_plans()

        def count_queries(records):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records.mapped("amount_paid")
            records.installment_ids.mapped("state")
            return self.env.cr.sql_log_count - before

        count_queries(plans)  # warm-up
        self.assertEqual(count_queries(plans), count_queries(self.plan))
