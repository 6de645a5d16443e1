from datetime import date, timedelta

from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import TODAY, CollectionsCommon


class PlanScreensCommon(CollectionsCommon):
    """Acme owes 12,000 overdue, above the company's limits of 10,000 or 12 months; the
    officer's team has a manager who approves its plans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"collection_plan_max_amount": 10000, "collection_plan_max_months": 12})
        cls.customer.email = "acme@example.com"
        cls.team_manager = new_test_user(
            cls.env,
            login="co_team_manager",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Receivables Desk",
                "manager_id": cls.team_manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        cls.invoice = cls._post_invoice(12000, due_days_ago=30)
        cls.Wizard = cls.env["collection.plan.wizard"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.sudo().write({"user_id": self.officer.id, "team_id": self.team.id})

    def _wizard(self, user, **vals):
        return self.Wizard.with_user(user).create(
            {"case_id": self.case.id, "first_date": TODAY + timedelta(days=15), **vals}
        )

    def _plan(self, user=None, **vals):
        """A plan made by ``user`` (the officer) through the wizard's Create."""
        action = self._wizard(user or self.officer, **vals).action_create_plan()
        return self.env["collection.plan"].browse(action["res_id"])


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPlanWizardLimits(PlanScreensCommon):
    def test_the_wizard_shows_the_limits_and_the_approval_before_create(self):
        wizard = self._wizard(self.officer, installment_count=3)
        limits = wizard.approval_limits.replace("\xa0", " ")
        self.assertIn("10,000.00", limits)
        self.assertIn("12 months", limits)
        self.assertIn("need a manager's approval", limits)
        # 12,000 over three months: above the amount.
        self.assertTrue(wizard.needs_approval)
        self.assertFalse(wizard.can_approve)
        note = wizard.approval_note.replace("\xa0", " ")
        self.assertIn("will need a manager's approval", note)
        self.assertIn("12,000.00 is above $ 10,000.00", note)
        self.assertIn("request the approval", note)
        # Within the amount and the months: no approval.
        wizard.write({"amount_total": 9000})
        self.assertFalse(wizard.needs_approval)
        self.assertIn("within the limits", wizard.approval_note)
        # 13 monthly installments from 30 July end 13 months from today.
        wizard.write({"installment_count": 13, "first_date": date(2026, 7, 30)})
        self.assertTrue(wizard.needs_approval)
        self.assertIn("13 months is longer than 12 months", wizard.approval_note)

    def test_what_the_wizard_says_is_what_the_plan_needs(self):
        for vals, needed in (
            ({"installment_count": 3}, True),
            ({"installment_count": 3, "amount_total": 9000}, False),
            (
                {
                    "installment_count": 13,
                    "amount_total": 9000,
                    "first_date": TODAY + timedelta(31),
                },
                True,
            ),
            (
                {
                    "installment_count": 12,
                    "amount_total": 9000,
                    "first_date": TODAY + timedelta(15),
                },
                False,
            ),
        ):
            with self.subTest(vals=vals):
                wizard = self._wizard(self.officer, **vals)
                self.assertEqual(wizard.needs_approval, needed)
                plan = wizard._create_plan()
                self.assertEqual(plan.needs_approval, needed)

    def test_an_approver_is_told_that_acting_approves(self):
        wizard = self._wizard(self.team_manager, installment_count=3)
        self.assertTrue(wizard.needs_approval)
        self.assertTrue(wizard.can_approve)
        self.assertIn("approves it", wizard.approval_note)

    def test_without_limits_the_wizard_says_so(self):
        self.company.write({"collection_plan_max_amount": 0, "collection_plan_max_months": 0})
        wizard = self._wizard(self.officer, installment_count=3)
        self.assertFalse(wizard.needs_approval)
        self.assertIn("No approval limit", wizard.approval_limits)
        self.company.write({"collection_plan_max_months": 6})
        wizard = self._wizard(self.officer, installment_count=3)
        self.assertEqual(
            wizard.approval_limits, "Plans longer than 6 months need a manager's approval."
        )

    def test_the_wizard_form_shows_the_limits_and_hides_create_and_send(self):
        arch = etree.fromstring(
            self.Wizard.with_user(self.officer).get_views([(False, "form")])["views"]["form"][
                "arch"
            ]
        )
        alerts = arch.xpath("//div[hasclass('alert')][.//field[@name='approval_limits']]")
        self.assertEqual(len(alerts), 2, "one alert above the limits, one within")
        # Above the fields, read before the footer's Create.
        order = list(arch.iter())
        self.assertLess(order.index(alerts[1]), order.index(arch.xpath("//group")[0]))
        send = arch.xpath("//button[@name='action_create_and_propose']")[0]
        self.assertEqual(send.get("invisible"), "needs_approval and not can_approve")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPlanFormButtons(PlanScreensCommon):
    """The plan form offers what the user can do next, and the actions refuse the rest."""

    def _form(self, user):
        arch = self.env["collection.plan"].with_user(user).get_views([(False, "form")])
        return etree.fromstring(arch["views"]["form"]["arch"])

    def _values(self, plan, user):
        plan = plan.with_user(user)
        plan.invalidate_recordset()
        values = {"id": plan.id}
        for name in (
            "state",
            "needs_approval",
            "approval_state",
            "can_approve",
            "approval_blocker",
            "affordability_warning",
        ):
            value = plan[name]
            values[name] = value.id if hasattr(value, "_name") else value
        return values

    def _buttons(self, plan, user):
        """The header buttons ``user`` sees on ``plan``'s form."""
        values = self._values(plan, user)
        return {
            button.get("string")
            for button in self._form(user).xpath("//header/button")
            if not safe_eval(button.get("invisible") or "False", values)
        }

    def _alerts(self, plan, user):
        values = self._values(plan, user)
        return {
            div.get("name")
            for div in self._form(user).xpath("//sheet/div[@name][hasclass('alert')]")
            if not safe_eval(div.get("invisible") or "False", values)
        }

    def _refused(self, plan):
        action = plan.with_user(self.team_manager).action_refuse()
        self.env[action["res_model"]].with_user(self.team_manager).with_context(
            **action["context"]
        ).create({"reason": "Twelve months is too long for them"}).action_refuse()
        self.assertEqual(plan.approval_state, "refused")

    def test_above_the_limits_the_officer_can_only_request_the_approval(self):
        plan = self._plan(installment_count=3)
        self.assertTrue(plan.needs_approval)
        self.assertEqual(
            self._buttons(plan, self.officer), {"Request Approval", "Print", "Cancel Plan"}
        )
        self.assertEqual(self._alerts(plan, self.officer), {"approval_needed"})
        # The team's manager approves it, or sends or activates it, which approves it.
        self.assertEqual(
            self._buttons(plan, self.team_manager),
            {"Approve", "Refuse", "Send to Customer", "Activate", "Print", "Cancel Plan"},
        )
        self.assertEqual(self._alerts(plan, self.team_manager), {"approval_by_acting"})

    def test_after_the_request_only_what_can_be_done_next(self):
        plan = self._plan(installment_count=3)
        plan.with_user(self.officer).action_request_approval()
        self.assertEqual(self._buttons(plan, self.officer), {"Print", "Cancel Plan"})
        self.assertEqual(self._alerts(plan, self.officer), {"approval_awaited"})
        awaited = self._form(self.officer).xpath("//div[@name='approval_awaited']")[0]
        self.assertIn("Awaiting approval by a manager", "".join(awaited.itertext()))
        self.assertEqual(
            self._buttons(plan, self.team_manager), {"Approve", "Refuse", "Print", "Cancel Plan"}
        )
        self.assertEqual(self._alerts(plan, self.team_manager), {"approval_to_decide"})
        # Once approved, the officer sends or activates it.
        plan.with_user(self.team_manager).action_approve()
        self.assertEqual(
            self._buttons(plan, self.officer),
            {"Send to Customer", "Activate", "Print", "Cancel Plan"},
        )
        self.assertFalse(self._alerts(plan, self.officer))

    def test_a_refused_plan_offers_only_a_new_plan(self):
        plan = self._plan(installment_count=3)
        plan.with_user(self.officer).action_request_approval()
        self._refused(plan)
        for user in (self.officer, self.team_manager, self.manager):
            with self.subTest(user=user.login):
                self.assertEqual(self._buttons(plan, user), {"New Plan"})
                self.assertEqual(self._alerts(plan, user), {"approval_refused"})
        action = plan.with_user(self.officer).action_new_plan()
        self.assertEqual(action["res_model"], "collection.plan.wizard")
        self.assertEqual(action["target"], "new")
        wizard = (
            self.Wizard.with_user(self.officer)
            .with_context(**action["context"])
            .create({"amount_total": 9000})
        )
        self.assertEqual(wizard.case_id, self.case)
        new_plan = self.env["collection.plan"].browse(wizard.action_create_plan()["res_id"])
        self.assertFalse(new_plan.needs_approval)
        new_plan.with_user(self.officer).action_activate()
        self.assertEqual(new_plan.state, "active")
        self.assertEqual(plan.state, "draft", "the refused plan stays as it was refused")

    # ------------------------------------------------------ where data is written

    def test_a_pending_plan_is_neither_sent_nor_activated(self):
        plan = self._plan(installment_count=3)
        plan.with_user(self.officer).action_request_approval()
        for user in (self.officer, self.team_manager, self.manager):
            for action in ("action_propose", "action_activate"):
                with (
                    self.subTest(user=user.login, action=action),
                    self.assertRaisesRegex(UserError, "awaiting approval by a manager"),
                ):
                    getattr(plan.with_user(user), action)()
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.approval_state, "requested")
        self.assertFalse(plan.approved_by_id)

    def test_a_refused_plan_is_closed_to_every_action_but_a_new_plan(self):
        plan = self._plan(installment_count=3)
        plan.with_user(self.officer).action_request_approval()
        self._refused(plan)
        for user, action in (
            (self.officer, "action_propose"),
            (self.officer, "action_activate"),
            (self.officer, "action_request_approval"),
            (self.team_manager, "action_approve"),
            (self.team_manager, "action_activate"),
            (self.manager, "action_propose"),
        ):
            with (
                self.subTest(user=user.login, action=action),
                self.assertRaisesRegex(UserError, "was refused by a manager.*Build a new plan"),
            ):
                getattr(plan.with_user(user), action)()
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.approval_state, "refused")

    def test_the_officer_is_told_why_an_unrequested_plan_waits(self):
        plan = self._plan(installment_count=3)
        with self.assertRaisesRegex(
            UserError, r"needs a manager's approval \(\$\s12,000.00 is above \$\s10,000.00\)"
        ):
            plan.with_user(self.officer).action_activate()
        # An approver acting on a plan nobody submitted approves it.
        plan.with_user(self.team_manager).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.approved_by_id, self.team_manager)
