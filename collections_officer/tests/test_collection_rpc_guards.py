"""The fields decisions, KPIs and targets read, played by an RPC client.

Every call is what a JSON client can send: ``with_user`` then ``create``,
``write`` or ``copy`` with plain values and plain context keys. What the engine,
a manager's approval or a wizard writes must still go through.
"""

from datetime import datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago


def days_ahead(days):
    return days_ago(-days)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionRpcGuards(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_plan_max_amount": 500,
                "collection_plan_max_months": 0,
                "collection_promise_max_days": 0,
                "collection_promise_min_percent": 0,
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            login="co_guard_accountant",
            groups="base.group_user,account.group_account_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.internal = new_test_user(
            cls.env,
            login="co_guard_internal",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)
        cls.Promise = cls.env["collection.promise"]
        cls.Plan = cls.env["collection.plan"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.sudo().user_id = self.officer

    def _plan(self, user=None, amount=1000.0):
        """A draft plan of two installments, built through the wizard as ``user``."""
        wizard = (
            self.env["collection.plan.wizard"]
            .with_user(user or self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "amount_total": amount,
                    "installment_count": 2,
                    "first_date": days_ahead(15),
                }
            )
        )
        return wizard._create_plan()

    def _promise(self, user=None, **vals):
        return self.Promise.with_user(user or self.officer).create(
            {"case_id": self.case.id, "amount": 400.0, "date": days_ahead(5), **vals}
        )

    def _new_debtor(self, amount=300.0):
        """A customer with something overdue and no case yet: the refresh has not seen it."""
        debtor = self.env["res.partner"].create({"name": "Initech Debtor", "is_company": True})
        self._post_invoice(amount, due_days_ago=10, partner=debtor)
        return debtor

    def _judge(self, day):
        self._judge_in_the_morning(day)

    # ----------------------------------------------------------------- plans

    def test_officer_cannot_clear_needs_approval_to_activate_a_plan(self):
        plan = self._plan()
        self.assertTrue(plan.needs_approval, "1,000 is above the limit of 500")
        with self.assertRaisesRegex(UserError, "Needs Approval"):
            plan.with_user(self.officer).write({"needs_approval": False})
        self.assertTrue(plan.needs_approval)
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            plan.with_user(self.officer).action_activate()
        self.assertEqual(plan.state, "draft")

    def test_officer_cannot_create_a_plan_that_needs_no_approval(self):
        plan_vals = {
            "case_id": self.case.id,
            "amount_total": 1000.0,
            "installment_ids": [
                Command.create({"date": days_ahead(15), "amount": 500.0}),
                Command.create({"date": days_ahead(45), "amount": 500.0}),
            ],
        }
        for name, value in (
            ("needs_approval", False),
            ("state", "active"),
            ("state", "completed"),
            ("approval_state", "approved"),
            ("approved_by_id", self.manager.id),
            ("activation_date", "2026-06-30"),
            ("date_end", "2026-07-30"),
            ("partner_id", self.other_customer.id),
        ):
            with self.subTest(field=name, value=value), self.assertRaises(UserError):
                self.Plan.with_user(self.officer).create(dict(plan_vals, **{name: value}))

    def test_officer_cannot_write_what_the_engine_or_the_approval_writes(self):
        plan = self._plan()
        for name, value in (
            ("state", "active"),
            ("approval_state", "approved"),
            ("approved_by_id", self.officer.id),
            ("judged_date", "2026-06-29"),
            ("activation_date", "2026-06-29"),
            ("date_start", "2026-01-01"),
            ("date_end", "2026-07-30"),
            ("duration_months", 1),
            ("currency_id", self.company.currency_id.id),
            ("line_ids", [Command.set([])]),
            ("partner_id", self.other_customer.id),
            ("case_id", self.case.id + 1000),
        ):
            for user in (self.officer, self.manager):
                with self.subTest(field=name, user=user.login), self.assertRaises(UserError):
                    plan.with_user(user).write({name: value})
        self.assertEqual(plan.partner_id, self.customer)

    def test_a_copied_plan_starts_as_a_draft_to_approve(self):
        plan = self._plan(amount=400.0)
        plan.with_user(self.officer).action_activate()
        self.assertEqual(plan.state, "active")
        copy = plan.with_user(self.officer).copy()
        self.assertEqual(copy.state, "draft")
        self.assertFalse(copy.approval_state)
        self.assertFalse(copy.activation_date)
        self.assertFalse(copy.date_end)
        self.assertEqual(copy.date_start, TODAY)

    def test_the_managers_approval_still_lets_the_officer_activate(self):
        plan = self._plan()
        plan.with_user(self.officer).action_request_approval()
        self.assertEqual(plan.approval_state, "requested")
        with self.assertRaises(UserError):
            plan.with_user(self.officer).action_approve()
        plan.with_user(self.manager).action_approve()
        plan.with_user(self.officer).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.approved_by_id, self.manager)
        self.assertEqual(self.case.state, "plan")

    def test_installment_payments_are_read_not_written(self):
        plan = self._plan(amount=400.0)
        installment = plan.installment_ids[0]
        for name, value in (
            ("amount_paid", 200.0),
            ("amount_remaining", 0.0),
            ("state", "paid"),
            ("company_id", self.company.id),
        ):
            with self.subTest(field=name), self.assertRaisesRegex(UserError, "payments"):
                installment.with_user(self.officer).write({name: value})
        with self.assertRaises(UserError):
            self.env["collection.plan.installment"].with_user(self.officer).create(
                {"plan_id": plan.id, "date": days_ahead(60), "amount": 1.0, "state": "paid"}
            )
        self.assertEqual(installment.state, "pending")
        # Nor are its terms: the plan reschedules its installments when its own change.
        with self.assertRaises(UserError):
            installment.with_user(self.officer).write({"date": days_ahead(20)})
        plan.with_user(self.officer).write({"frequency": "weekly"})
        self.assertEqual(plan.installment_ids.mapped("date"), [days_ahead(15), days_ahead(22)])

    # -------------------------------------------------------------- promises

    def test_a_promise_cannot_be_created_judged(self):
        for name, value in (
            ("state", "kept"),
            ("state", "partial"),
            ("state", "broken"),
            ("state", "cancelled"),
            ("judged_date", "2026-06-30"),
            ("deadline", "2027-01-01"),
            ("partner_id", self.other_customer.id),
        ):
            with self.subTest(field=name, value=value), self.assertRaises(UserError):
                self._promise(**{name: value})
        with self.assertRaisesRegex(UserError, "A new promise is open"):
            self._promise(state="kept")
        elsewhere = self.Case.sudo().create({"partner_id": self._new_debtor().id})
        contact = (
            self.env["collection.contact"]
            .sudo()
            .with_context(collection_contact_skip_chatter=True)
            .create(
                {
                    "case_id": elsewhere.id,
                    "channel": "visit",
                    "direction": "outbound",
                    "outcome": "spoke",
                    "date": datetime(2026, 6, 29, 10, 0),
                }
            )
        )
        with self.assertRaisesRegex(UserError, "its own case"):
            self._promise(contact_log_id=contact.id)
        self.assertFalse(self.Promise.search([("case_id", "=", self.case.id)]))
        # Saying it is open is no judgment.
        promise = self._promise(state="open")
        self.assertEqual(promise.state, "open")

    def test_a_promise_cannot_be_written_judged(self):
        promise = self._promise()
        for name, value in (
            ("state", "kept"),
            ("judged_date", "2026-06-30"),
            ("deadline", "2027-01-01"),
            ("amount_received", 400.0),
            ("partner_id", self.other_customer.id),
            ("company_id", self.company.id + 1000),
            ("line_ids", [Command.set([])]),
        ):
            for user in (self.officer, self.manager):
                with self.subTest(field=name, user=user.login), self.assertRaises(UserError):
                    promise.with_user(user).write({name: value})
        self.assertEqual(promise.state, "open")
        self.assertFalse(promise.judged_date)
        # What people do write still goes through.
        promise.with_user(self.officer).write({"note": "<p>Will call on Friday.</p>"})

    def test_a_kept_promise_copied_starts_open(self):
        promise = self._promise()
        self._pay(self.invoice, 400.0)
        self._judge(days_ahead(9))
        self.assertEqual(promise.state, "kept", "the judging still writes the state")
        self.assertEqual(promise.judged_date, days_ahead(9))
        copy = promise.with_user(self.officer).copy({"date": days_ahead(10)})
        self.assertEqual(copy.state, "open")
        self.assertFalse(copy.judged_date)
        self.assertFalse(copy.approved_by_id)
        self.assertNotEqual(copy.contact_log_id, promise.contact_log_id)

    def test_officer_still_cancels_and_replaces_a_promise(self):
        first = self._promise()
        second = self._promise(amount=500.0)
        self.assertEqual((first.state, first.judged_date), ("cancelled", TODAY))
        second.with_user(self.officer).action_cancel()
        self.assertEqual(second.state, "cancelled")
        with self.assertRaises(UserError):
            second.with_user(self.internal).action_cancel()

    # ----------------------------------------------------------------- cases

    def test_case_story_is_the_engines(self):
        for name, value in (
            ("opened_date", "2026-06-01"),
            ("closed_date", "2026-06-30"),
            ("opening_amount", 1.0),
            ("collected_amount", 1000.0),
            ("level_reached_id", self.env["collection.level"].search([], limit=1).id),
            ("collection_error", "nothing"),
            ("last_contact_date", "2026-06-30 10:00:00"),
        ):
            for user in (self.officer, self.manager, self.accountant, self.internal):
                with self.subTest(field=name, user=user.login), self.assertRaises(UserError):
                    self.case.with_user(user).write({name: value})
        self.assertFalse(self.case.closed_date)
        self.assertEqual(self.case.opened_date, TODAY)
        self.assertEqual(self.case.opening_amount, 1000.0)

    def test_case_story_cannot_be_given_at_creation(self):
        debtor = self._new_debtor()
        for name, value in (
            ("opened_date", "2026-01-01"),
            ("closed_date", "2026-06-30"),
            ("opening_amount", 1.0),
            ("collected_amount", 1000.0),
            ("level_reached_id", self.env["collection.level"].search([], limit=1).id),
        ):
            with self.subTest(field=name), self.assertRaises(UserError):
                self.Case.with_user(self.manager).create({"partner_id": debtor.id, name: value})
        case = self.Case.with_user(self.manager).create({"partner_id": debtor.id})
        self.assertEqual((case.opened_date, case.opening_amount), (TODAY, 300.0))

    def test_the_refresh_still_writes_the_story(self):
        self._pay(self.invoice, 1000.0)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.closed_date, TODAY)
        self.assertEqual(self.case.collected_amount, 1000.0)

    def test_case_policy_is_a_managers_choice(self):
        policy = self.env["collection.policy"].sudo().create({"name": "Gentle"})
        debtor = self._new_debtor()
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.case.with_user(self.officer).write({"policy_id": policy.id})
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.Case.with_user(self.officer).create(
                {"partner_id": debtor.id, "policy_id": policy.id}
            )
        # Writing back the policy it has is no choice.
        self.case.with_user(self.officer).write({"policy_id": False})
        self.case.with_user(self.manager).write({"policy_id": policy.id})
        self.assertEqual(self.case.policy_id, policy)
        case = self.Case.with_user(self.manager).create(
            {"partner_id": debtor.id, "policy_id": policy.id}
        )
        self.assertEqual(case.policy_id, policy)

    def test_a_case_is_assigned_to_collections_users_only(self):
        debtor = self._new_debtor()
        for user in (self.accountant, self.internal):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(ValidationError, "only collections officers"):
                    self.case.with_user(self.manager).write({"user_id": user.id})
                with self.assertRaises(ValidationError):
                    self.Case.with_user(self.manager).create(
                        {"partner_id": debtor.id, "user_id": user.id}
                    )
        self.case.with_user(self.officer).write({"user_id": self.officer.id})
        self.case.with_user(self.manager).write({"user_id": self.manager.id})
        self.case.with_user(self.manager).write({"user_id": False})
        self.assertFalse(self.case.user_id)
        case = self.Case.with_user(self.manager).create(
            {"partner_id": debtor.id, "user_id": self.officer.id}
        )
        self.assertEqual(case.user_id, self.officer)
        pickable = self.env["res.users"].search(
            self.Case._fields["user_id"].get_comodel_domain(self.Case)
        )
        self.assertIn(self.officer, pickable)
        self.assertIn(self.manager, pickable)
        self.assertNotIn(self.accountant, pickable)
        self.assertNotIn(self.internal, pickable)

    def test_the_rebalance_wizard_spreads_over_collections_users_only(self):
        Wizard = self.env["collection.case.rebalance.wizard"].with_user(self.manager)
        wizard = Wizard.create(
            {"case_ids": [Command.set(self.case.ids)], "user_ids": [Command.set(self.manager.ids)]}
        )
        wizard.action_rebalance()
        self.assertEqual(self.case.user_id, self.manager)
        wizard = Wizard.create(
            {
                "case_ids": [Command.set(self.case.ids)],
                "user_ids": [Command.set(self.accountant.ids)],
            }
        )
        with self.assertRaises(ValidationError):
            wizard.action_rebalance()
        offered = self.env["res.users"].search(
            Wizard._fields["user_ids"].get_comodel_domain(Wizard)
        )
        self.assertIn(self.manager, offered, "managers are collections users too")
        self.assertNotIn(self.accountant, offered)

    def test_a_forged_refresh_context_skips_nothing(self):
        forged = self.Case.with_user(self.manager).with_context(collection_case_from_refresh=True)
        nothing_due = self.env["res.partner"].create({"name": "Paid Up Ltd", "is_company": True})
        with self.assertRaisesRegex(ValidationError, "nothing overdue"):
            forged.create({"partner_id": nothing_due.id})
        case = forged.create({"partner_id": self._new_debtor().id})
        self.assertEqual(case.overdue_amount, 300.0, "the figures are read at once")
        self.assertEqual(case.opening_amount, 300.0)
        self.assertTrue(case.priority_detail, "the case is scored at once")
        self.assertTrue(case.next_action_date, "its next action is set at once")
