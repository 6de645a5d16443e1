from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY, CollectionsCommon, days_ago, morning


def days_ahead(days):
    return days_ago(-days)


class PlanCommon(CollectionsCommon):
    """A customer with 1,000 overdue and helpers to build and judge plans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_installment_grace_days": 5,
                "collection_plan_missed_limit": 2,
                "collection_plan_max_amount": 0,
                "collection_plan_max_months": 0,
                "collection_broken_action": "open",
            }
        )
        cls.customer.email = "acme@example.com"
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)
        cls.Wizard = cls.env["collection.plan.wizard"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _wizard(self, **vals):
        return self.Wizard.create({"case_id": self.case.id, **vals})

    def _plan(self, **vals):
        vals = {"first_date": days_ahead(15), **vals}
        return self._wizard(**vals)._create_plan()

    def _schedule(self, plan):
        return [(i.date, i.amount, i.is_down_payment) for i in plan.installment_ids]

    def _judge_on(self, day):
        self._judge_in_the_morning(day)

    def _last_note(self):
        return self.case.message_ids.filtered("body")[:1].body or ""


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionPlan(PlanCommon):
    # ------------------------------------------------------------ building

    def test_defaults_plan_the_overdue_amount(self):
        self._post_invoice(500, due_days_ago=-20)  # due, not overdue
        self._refresh()
        wizard = self._wizard()
        self.assertEqual(wizard.amount_total, 1000)
        self.assertEqual(wizard.first_date, date(2026, 7, 30))
        wizard.include_not_due = True
        self.assertEqual(wizard.amount_total, 1500)

    def test_split_by_count_rounding_on_the_last(self):
        plan = self._plan(installment_count=3, first_date=date(2026, 7, 15))
        self.assertEqual(
            self._schedule(plan),
            [
                (date(2026, 7, 15), 333.33, False),
                (date(2026, 8, 15), 333.33, False),
                (date(2026, 9, 15), 333.34, False),
            ],
        )
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.amount_total, 1000)
        self.assertEqual(plan.date_start, TODAY)

    def test_split_by_amount_remainder_on_the_last(self):
        plan = self._plan(split_by="amount", installment_amount=300, frequency="weekly")
        self.assertEqual([i.amount for i in plan.installment_ids], [300, 300, 300, 100])
        self.assertEqual(
            plan.installment_ids.mapped("date"),
            [days_ahead(15), days_ahead(22), days_ahead(29), days_ahead(36)],
        )

    def test_down_payment_first(self):
        plan = self._plan(down_payment=250, down_payment_date=days_ahead(2), installment_count=3)
        self.assertEqual(
            self._schedule(plan),
            [
                (days_ahead(2), 250, True),
                (date(2026, 7, 15), 250, False),
                (date(2026, 8, 15), 250, False),
                (date(2026, 9, 15), 250, False),
            ],
        )
        self.assertEqual(plan.installment_ids[0].display_name, "Down payment")
        self.assertEqual(plan.installment_ids[2].display_name, "Installment 2 of 3")

    def test_monthly_from_the_31st_keeps_month_ends(self):
        plan = self._plan(installment_count=7, first_date=date(2026, 7, 31))
        self.assertEqual(
            plan.installment_ids.mapped("date"),
            [
                date(2026, 7, 31),
                date(2026, 8, 31),
                date(2026, 9, 30),
                date(2026, 10, 31),
                date(2026, 11, 30),
                date(2026, 12, 31),
                date(2027, 1, 31),
            ],
        )
        plan = self._wizard(installment_count=3, first_date=date(2028, 1, 31))._schedule()
        self.assertEqual(
            [line["date"] for line in plan],
            [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)],
            "leap year February, then back to the 31st",
        )

    def test_every_two_weeks(self):
        schedule = self._wizard(
            installment_count=3, frequency="biweekly", first_date=date(2026, 7, 1)
        )._schedule()
        self.assertEqual(
            [line["date"] for line in schedule],
            [date(2026, 7, 1), date(2026, 7, 15), date(2026, 7, 29)],
        )

    def test_schedule_shown_before_confirming(self):
        with Form(self.Wizard.with_context(default_case_id=self.case.id)) as wizard:
            wizard.installment_count = 4
            self.assertIn("250.00", wizard.schedule_preview)
            self.assertFalse(wizard.schedule_error)
            wizard.installment_count = 0
            self.assertIn("at least one installment", wizard.schedule_error)
            wizard.installment_count = 2
        self.assertFalse(self.case.plan_ids, "nothing is created before confirming")

    def test_bad_input_is_refused(self):
        cases = [
            ({"amount_total": 0}, "amount to plan must be positive"),
            ({"amount_total": -100}, "amount to plan must be positive"),
            ({"amount_total": 1000.01}, "above what the customer owes"),
            ({"installment_count": 0}, "at least one installment"),
            ({"installment_count": -2}, "at least one installment"),
            ({"split_by": "amount", "installment_amount": 0}, "must be positive"),
            ({"split_by": "amount", "installment_amount": -5}, "must be positive"),
            ({"split_by": "amount", "installment_amount": 1}, "too many"),
            ({"first_date": days_ago(1)}, "in the past"),
            ({"down_payment": -1}, "cannot be negative"),
            ({"down_payment": 1000}, "less than the amount to plan"),
            ({"down_payment": 100, "down_payment_date": days_ahead(20)}, "down payment is due"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, message):
                self._plan(**vals)
        self.assertFalse(self.case.plan_ids)

    def test_an_installment_larger_than_the_debt_is_refused(self):
        with self.assertRaisesRegex(UserError, "more than the amount to plan"):
            self._plan(split_by="amount", installment_amount=1500)
        with self.assertRaisesRegex(UserError, r"more than the amount to plan.*900"):
            self._plan(split_by="amount", installment_amount=950, down_payment=100)
        plan = self._plan(split_by="amount", installment_amount=1000)
        self.assertEqual([i.amount for i in plan.installment_ids], [1000], "one installment")

    def test_one_affordability_check_for_the_plan_and_its_wizard(self):
        self.customer.is_company = False
        currency = self.case.currency_id
        Plan = self.env["collection.plan"]
        self.assertEqual(
            Plan._affordability(2000, 1700, "monthly", 300, currency, False), (300, 300, False)
        )
        warning = Plan._affordability(2000, 1700, "monthly", 333.34, currency, False)[2]
        self.assertIn("exceeds", warning)
        self.assertFalse(Plan._affordability(2000, 1700, "monthly", 400, currency, True)[2])
        self.assertFalse(Plan._affordability(0, 0, "monthly", 400, currency, False)[2])
        wizard = self._wizard(installment_count=3, monthly_income=2000, monthly_expenses=1700)
        self.assertEqual(wizard.affordability_warning, warning)
        plan = self._plan(installment_count=3, monthly_income=2000, monthly_expenses=1700)
        self.assertEqual(plan.affordability_warning, warning)

    def test_one_manager_check(self):
        Compliance = self.env["collection.compliance"]
        self.assertFalse(Compliance.with_user(self.officer)._is_collections_manager())
        self.assertTrue(Compliance.with_user(self.manager)._is_collections_manager())
        self.assertTrue(Compliance._is_collections_manager(self.manager))
        self.assertFalse(Compliance._is_collections_manager(self.officer))
        with self.assertRaises(AccessError):
            Compliance.with_user(self.officer)._check_collections_manager()
        Compliance.with_user(self.manager)._check_collections_manager()
        for model in ("collection.send.wizard", "collection.contact.wizard"):
            field = self.env[model]._fields["is_manager"]
            self.assertFalse(field.store, f"{model}: a client cannot set it")
        send = self.env["collection.send.wizard"].with_user(self.officer)
        self.assertFalse(send.create({"case_ids": self.case.ids}).is_manager)
        self.assertTrue(send.with_user(self.manager).create({"case_ids": self.case.ids}).is_manager)
        wizard = send.create({"case_ids": self.case.ids, "override_reason": "Because"})
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            wizard.action_send()

    def test_no_plan_for_a_closed_case(self):
        self._pay(self.invoice, 1000)
        self._refresh()
        with self.assertRaisesRegex(UserError, "is closed"):
            self._plan()

    # ------------------------------------------------------- affordability

    def test_affordability_for_people(self):
        self.customer.is_company = False
        wizard = self._wizard(installment_count=3, monthly_income=2000, monthly_expenses=1700)
        self.assertEqual(wizard.disposable_income, 300)
        self.assertEqual(wizard.affordable_amount, 300)
        self.assertIn("exceeds", wizard.affordability_warning)
        wizard.installment_count = 4
        self.assertFalse(wizard.affordability_warning, "250 a month is affordable")
        wizard.frequency = "weekly"
        self.assertEqual(wizard.affordable_amount, 69.23)
        self.assertIn("exceeds", wizard.affordability_warning)
        plan = self._plan(installment_count=3, monthly_income=2000, monthly_expenses=1700)
        self.assertEqual(plan.disposable_income, 300)
        self.assertIn("exceeds", plan.affordability_warning)

    def test_no_affordability_for_companies(self):
        wizard = self._wizard(installment_count=1, monthly_income=100, monthly_expenses=90)
        self.assertTrue(wizard.is_company)
        self.assertFalse(wizard.affordability_warning)

    # -------------------------------------------------------------- states

    def test_propose_sends_the_schedule_and_logs_a_contact(self):
        plan = self._plan(installment_count=2, contact_id=self.contact.id)
        self.contact.email = "jane@example.com"
        plan.with_user(self.officer).action_propose()
        self.assertEqual(plan.state, "proposed")
        mails = self.env["mail.mail"].search(
            [("model", "=", "collection.plan"), ("res_id", "=", plan.id)]
        )
        mail = mails.filtered(lambda m: self.contact in m.recipient_ids)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, sent by the mail queue")
        self.assertEqual(mail.recipient_ids, self.contact)
        self.assertIn("500.00", mail.body_html)
        self.assertTrue(mail.attachment_ids.name.startswith("Payment Plan"))
        contact = self.case.contact_ids.filtered(lambda c: c.outcome == "plan_proposed")
        self.assertEqual((contact.channel, contact.partner_id), ("email", self.contact))

    def test_propose_needs_an_email_address(self):
        self.customer.email = False
        plan = self._plan()
        with self.assertRaisesRegex(UserError, "no email address"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")

    def test_propose_passes_the_compliance_guard(self):
        self.customer.write({"email": "acme@example.com", "collection_do_not_contact": True})
        plan = self._plan()
        with self.assertRaisesRegex(UserError, "must not be contacted"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")

    def test_activate_puts_the_case_in_plan(self):
        plan = self._plan(installment_count=2)
        plan.with_user(self.officer).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(self.case.state, "plan")
        self.assertEqual(self.case.active_plan_id, plan)
        self.assertEqual(self.case.plan_installment_ids, plan.installment_ids)
        self.assertIn("Payment plan activated", self._last_note())
        second = self._plan(installment_count=4)
        with self.assertRaisesRegex(UserError, "already has an active payment plan"):
            second.action_activate()

    def test_a_plan_supersedes_the_open_promise(self):
        promise = self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 500, "date": days_ahead(10)}
        )
        plan = self._plan(installment_count=2)
        plan.with_user(self.officer).action_activate()
        self.assertEqual(promise.state, "cancelled", "the same money is not counted twice")
        self.assertEqual(self.case.state, "plan")
        self.assertEqual(plan.activation_date, TODAY)
        notes = "".join(str(body) for body in self.case.message_ids.mapped("body"))
        self.assertIn("superseded by", notes)

    def test_cancel_keeps_the_history(self):
        plan = self._plan(installment_count=2)
        plan.action_activate()
        self._pay(self.invoice, 200, days_ago_paid=-1)
        with freeze_time(days_ahead(3)):
            plan.action_cancel()
        self.assertIn("cancelled", self._last_note())
        self._pay(self.invoice, 300, days_ago_paid=-5)
        with freeze_time(days_ahead(10)):
            self.env.invalidate_all()
            self.assertEqual(plan.state, "cancelled")
            self.assertEqual(plan.date_end, days_ahead(3))
            self.assertEqual(len(plan.installment_ids), 2, "the schedule stays")
            self.assertEqual(plan.amount_paid, 200, "money received after it is not its")
            self.assertEqual(plan.installment_ids[0].amount_paid, 200)
            self.assertEqual(plan.installment_ids[0].state, "partial")
        self.assertEqual(self.case.state, "open")
        with self.assertRaises(AccessError):
            plan.unlink()
        with self.assertRaisesRegex(UserError, "Only draft, proposed or active"):
            plan.action_cancel()
        with self.assertRaises(AccessError):
            self._plan().unlink()

    # ------------------------------------------------------------ approval

    def test_officer_cannot_activate_above_the_amount_limit(self):
        self.company.collection_plan_max_amount = 500
        plan = self._plan(installment_count=2)
        self.assertTrue(plan.needs_approval)
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            plan.with_user(self.officer).action_activate()
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            plan.with_user(self.officer).action_propose()
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            plan.with_user(self.officer).action_approve()
        plan.with_user(self.manager).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.approved_by_id, self.manager)

    def test_manager_approves_then_officer_activates(self):
        self.company.collection_plan_max_months = 12
        plan = self._plan(installment_count=14)
        self.assertEqual(plan.duration_months, 14)
        self.assertTrue(plan.needs_approval)
        plan.with_user(self.manager).action_approve()
        plan.with_user(self.officer).action_activate()
        self.assertEqual(plan.state, "active")

    def test_within_limits_no_approval(self):
        self.company.write({"collection_plan_max_amount": 1000, "collection_plan_max_months": 12})
        wizard = self.Wizard.with_user(self.officer).create(
            {"case_id": self.case.id, "installment_count": 12, "first_date": days_ahead(30)}
        )
        plan = wizard._create_plan()
        self.assertEqual(plan.duration_months, 12)
        self.assertFalse(plan.needs_approval)
        plan.with_user(self.officer).action_activate()
        self.assertFalse(plan.approved_by_id)
        self.assertEqual(plan.user_id, self.officer)
        draft = self._plan()
        with self.assertRaises(AccessError):
            draft.with_user(self.officer).unlink()

    # ----------------------------------------------------------- follow-up

    def test_followup_paused_while_on_track_and_resumed(self):
        plan = self._plan(installment_count=3, first_date=date(2026, 7, 15))
        self.assertNotIn(self.case.id, self.case._get_followup_blockers(), "a draft plan")
        plan.action_activate()
        self.assertIn("on track", self.case._get_followup_blockers()[self.case.id])
        with freeze_time(date(2026, 7, 20)):
            self.env.invalidate_all()
            self.assertIn(self.case.id, self.case._get_followup_blockers(), "late, in grace")
        with freeze_time(date(2026, 7, 21)):
            self.env.invalidate_all()
            self.assertEqual(plan.missed_count, 1)
            self.assertNotIn(self.case.id, self.case._get_followup_blockers(), "missed")
            self._pay(self.invoice, 333.33)
            self.assertIn(self.case.id, self.case._get_followup_blockers(), "caught up")

    # ------------------------------------------------------------- the case

    def test_register_payment_opens_odoos_own_wizard(self):
        other = self._post_invoice(200, due_days_ago=5)
        self._post_invoice(50, due_days_ago=0, move_type="out_refund")
        self._refresh()
        action = self.case.action_register_payment()
        self.assertEqual(action["res_model"], "account.payment.register")
        self.assertEqual(action["context"]["active_model"], "account.move")
        self.assertEqual(
            sorted(action["context"]["active_ids"]), sorted((self.invoice | other).ids)
        )
        payment_wizard = (
            self.env["account.payment.register"]
            .with_context(**action["context"])
            .create({"group_payment": True})
        )
        payment_wizard._create_payments()
        self.assertEqual((self.invoice | other).mapped("amount_residual"), [0, 0])

    def test_case_form_shows_promises_and_schedule(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 100, "date": days_ahead(3)}
        )
        plan = self._plan(installment_count=2)
        plan.action_activate()
        with Form(self.case) as case_form:
            self.assertEqual(len(case_form.promise_ids), 1)
            self.assertEqual(len(case_form.plan_installment_ids), 2)
        self.assertEqual((self.case.promise_count, self.case.plan_count), (1, 1))

    def test_plans_are_judged_once_a_day_and_a_call_out_of_time_goes_on_later(self):
        self._post_invoice(600, due_days_ago=30, partner=self.other_customer)
        self._refresh()
        plans = self._plan()
        self.case = self._case(self.other_customer)
        plans |= self._plan()
        plans.action_activate()
        xmlid = "collections_officer.ir_cron_collection_commitment_judge"
        # Other plans (the demo data's) are judged for that day already: these two are left.
        others = self.env["collection.plan"].sudo().search([("id", "not in", plans.ids)])
        others.write({"judged_date": days_ahead(3)})
        # The hourly judging, in the company's morning after the day's refresh.
        self._day_prepared(day=days_ahead(3), judged=False)
        with freeze_time(morning(days_ahead(3))):
            to_judge = (
                self.env["collection.plan"]
                .sudo()
                .search_count(self.env["collection.plan"]._to_judge_domain(days_ahead(3)))
            )
            with self._cron_call(xmlid, out_of_time=True) as (env, progress):
                env["collection.promise"]._cron_judge(batch_size=1)
                self.assertEqual((progress.done, progress.remaining), (1, to_judge - 1))
            self.assertEqual(plans.mapped("judged_date"), [days_ahead(3), False])
            with self._cron_call(xmlid) as (env, progress):
                env["collection.promise"]._cron_judge(batch_size=1)
                self.assertEqual(
                    (progress.done, progress.remaining), (to_judge - 1, 0), "each plan once"
                )
            self.assertEqual(plans.mapped("judged_date"), [days_ahead(3)] * 2)
            self.assertEqual(plans.mapped("state"), ["active", "active"])
