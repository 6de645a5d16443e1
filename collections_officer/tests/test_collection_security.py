from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models import collection_case_actions
from .common import TODAY, CollectionsCommon, days_ago


def days_ahead(days):
    return days_ago(-days)


class SecurityCommon(CollectionsCommon):
    """A case of team North with its whole history, and one user per role.

    Each test acts as an RPC client would: ``with_user(...)`` reads and writes.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"collection_plan_max_amount": 500, "collection_plan_max_months": 0})
        cls.customer.email = "acme@example.com"

        def user(login, groups, **kwargs):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[cls.company.id],
                **kwargs,
            )

        officer_groups = "base.group_user,collections_officer.group_collections_officer"
        cls.other_officer = user("sec_other_officer", officer_groups)
        cls.team_manager = user("sec_team_manager", officer_groups)
        cls.accountant = user("sec_accountant", "account.group_account_invoice")
        cls.full_accountant = user("sec_full_accountant", "account.group_account_user")
        cls.sales_user = user("sec_sales", "base.group_user")
        cls.portal_user = user("sec_portal", "base.group_portal")
        cls.team = cls.env["collection.team"].create(
            {
                "name": "North",
                "manager_id": cls.team_manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        cls.other_team = cls.env["collection.team"].create(
            {"name": "South", "member_ids": [Command.link(cls.other_officer.id)]}
        )
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)
        cls.Case._refresh_from_accounting(companies=cls.company)
        cls.case = cls.Case.search([("partner_id", "=", cls.customer.id)])
        cls.case.write({"team_id": cls.team.id, "user_id": cls.officer.id})

        policy = cls.env["collection.policy"].create({"name": "Security policy"})
        cls.level = cls.env["collection.level"].create(
            {"name": "Reminder", "policy_id": policy.id, "delay_days": 7, "schedule_call": True}
        )
        cls.promise = cls.env["collection.promise"].create(
            {"case_id": cls.case.id, "amount": 100, "date": days_ahead(5)}
        )
        cls.plan = cls._make_plan(cls.case, count=3)
        cls.installment = cls.plan.installment_ids[:1]
        cls.contact_log = cls.env["collection.contact"].create(
            {"case_id": cls.case.id, "channel": "phone", "outcome": "spoke"}
        )
        # The engine's records, written as superuser as the engine does.
        cls.followup = (
            cls.env["collection.followup"]
            .sudo()
            .create({"case_id": cls.case.id, "level_id": cls.level.id, "state": "to_review"})
        )
        rule = cls.env["collection.charge.rule"].create({"name": "Late fee", "fee_amount": 25})
        cls.charge = (
            cls.env["collection.charge"]
            .sudo()
            .create(
                {
                    "case_id": cls.case.id,
                    "rule_id": rule.id,
                    "source_move_id": cls.invoice.id,
                    "kind": "fee",
                    "amount": 25,
                }
            )
        )
        cls.history = {
            "collection.promise": cls.promise,
            "collection.plan": cls.plan,
            "collection.plan.installment": cls.installment,
            "collection.contact": cls.contact_log,
            "collection.followup": cls.followup,
            "collection.charge": cls.charge,
        }

    @classmethod
    def _make_plan(cls, case, count=2, user=None):
        wizard = cls.env["collection.plan.wizard"]
        if user:
            wizard = wizard.with_user(user)
        return wizard.create(
            {"case_id": case.id, "installment_count": count, "first_date": days_ahead(15)}
        )._create_plan()


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTeamIsolation(SecurityCommon):
    def test_officer_of_another_team_reads_and_writes_no_history(self):
        for model, record in self.history.items():
            with self.subTest(model=model):
                as_other = record.with_user(self.other_officer)
                self.assertFalse(as_other.search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    as_other.read(["display_name"])
                with self.assertRaises(AccessError):
                    as_other.check_access("write")

    def test_officer_of_another_team_cannot_edit_notes_or_plans(self):
        with self.assertRaises(AccessError):
            self.contact_log.with_user(self.other_officer).write({"note": "<p>Mine</p>"})
        with self.assertRaises(AccessError):
            self.promise.with_user(self.other_officer).write({"note": "<p>Mine</p>"})
        with self.assertRaises(AccessError):
            self.plan.with_user(self.other_officer).write({"monthly_income": 1})
        with self.assertRaises(AccessError):
            self.env["collection.promise"].with_user(self.other_officer).create(
                {"case_id": self.case.id, "amount": 10, "date": days_ahead(3)}
            )

    def test_related_fields_leak_nothing_across_teams(self):
        # Computed as superuser, the customer and the amount of a follow-up would be
        # readable by anyone who can read the follow-up: only its case's team can.
        for field in ("partner_id", "overdue_amount", "user_id"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.followup.with_user(self.other_officer).read([field])
        found = (
            self.env["collection.followup"]
            .with_user(self.other_officer)
            .search_read([("partner_id", "=", self.customer.id)], ["overdue_amount"])
        )
        self.assertEqual(found, [])
        plans = (
            self.env["collection.plan"]
            .with_user(self.other_officer)
            .search_read([], ["monthly_income", "monthly_expenses"])
        )
        self.assertEqual(plans, [])

    def test_team_officer_team_manager_and_manager_see_the_history(self):
        for user in (self.officer, self.team_manager, self.manager):
            for model, record in self.history.items():
                with self.subTest(user=user.login, model=model):
                    self.assertEqual(
                        self.env[model].with_user(user).search([("id", "=", record.id)]), record
                    )
                    record.with_user(user).read(["display_name"])
        # The contact log is evidence: its rules let the officer in, the log refuses any change.
        with self.assertRaisesRegex(UserError, "cannot be rewritten"):
            self.contact_log.with_user(self.officer).write({"note": "<p>Called back</p>"})
        self.promise.with_user(self.team_manager).write({"note": "<p>Checked</p>"})
        self.plan.with_user(self.officer).write({"monthly_income": 3000})

    def test_history_of_an_unassigned_case_is_shared(self):
        self.case.sudo().write({"team_id": False, "user_id": False})
        for model, record in self.history.items():
            with self.subTest(model=model):
                record.with_user(self.other_officer).read(["display_name"])

    def test_history_of_another_company_is_invisible(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        officer_b = new_test_user(
            self.env,
            login="sec_officer_b",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        self.case.sudo().write({"team_id": False, "user_id": False})
        for model, record in self.history.items():
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(officer_b).search([]))
                with self.assertRaises(AccessError):
                    record.with_user(officer_b).read(["display_name"])

    def test_accountants_read_cases_promises_and_plans_only(self):
        readable = ("collection.promise", "collection.plan", "collection.plan.installment")
        for accountant in (self.accountant, self.full_accountant):
            with self.subTest(user=accountant.login):
                case = self.case.with_user(accountant)
                self.assertEqual(case.read(["overdue_amount"])[0]["overdue_amount"], 1000)
                for model in readable:
                    self.history[model].with_user(accountant).read(["display_name"])
                with self.assertRaises(AccessError):
                    case.write({"next_action_date": TODAY})
                with self.assertRaises(AccessError):
                    self.promise.with_user(accountant).write({"note": "<p>No</p>"})
                with self.assertRaises(AccessError):
                    self.plan.with_user(accountant).write({"monthly_income": 1})
                with self.assertRaises(AccessError):
                    self.env["collection.promise"].with_user(accountant).create(
                        {"case_id": self.case.id, "amount": 10, "date": days_ahead(3)}
                    )
                for model in ("collection.contact", "collection.followup", "collection.charge"):
                    with self.assertRaises(AccessError):
                        self.history[model].with_user(accountant).read(["display_name"])

    def test_accountant_opens_the_case_and_plan_forms(self):
        case_form = Form(self.case.with_user(self.accountant))
        self.assertEqual(case_form.overdue_amount, 1000)
        self.assertEqual(len(case_form.promise_ids), 1)
        plan_form = Form(self.plan.with_user(self.accountant))
        self.assertEqual(len(plan_form.installment_ids), 3)

    def test_sales_and_portal_users_see_nothing(self):
        for user in (self.sales_user, self.portal_user):
            for model, record in {"collection.case": self.case, **self.history}.items():
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    record.with_user(user).read(["display_name"])


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEngineFields(SecurityCommon):
    def test_officer_cannot_write_the_engine_fields(self):
        case = self.case.with_user(self.officer)
        for vals in (
            {"level_id": False, "followup_cycle": 0},
            {"level_id": self.level.id},
            {"state": "closed"},
            {"overdue_amount": 0},
            {"refresh_date": False},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(UserError, "cannot be set by hand"),
            ):
                case.write(vals)
        with self.assertRaisesRegex(UserError, "cannot change"):
            case.write({"partner_id": self.other_customer.id})
        # What the officer decides stays theirs.
        case.write({"next_action_date": days_ahead(2), "user_id": False})
        self.assertEqual(self.case.next_action_date, days_ahead(2))

    def test_officer_cannot_create_a_case_in_another_state(self):
        Case = self.Case.with_user(self.officer)
        self._post_invoice(80, due_days_ago=10, partner=self.other_customer)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            Case.create({"partner_id": self.other_customer.id, "state": "closed"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            Case.create({"partner_id": self.other_customer.id, "overdue_amount": 1})
        case = Case.create({"partner_id": self.other_customer.id, "state": "open"})
        self.assertEqual(case.overdue_amount, 80, "the engine filled the figures")

    def test_followups_and_charges_are_read_only(self):
        for user in (self.officer, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.followup.with_user(user).write({"state": "done"})
                with self.assertRaises(AccessError):
                    self.env["collection.followup"].with_user(user).create(
                        {"case_id": self.case.id, "level_id": self.level.id, "cycle": 1}
                    )
                with self.assertRaises(AccessError):
                    self.charge.with_user(user).write({"amount": 0})
                # A hand-made charge would waive the fee it stands for.
                with self.assertRaises(AccessError):
                    self.env["collection.charge"].with_user(user).create(
                        {
                            "case_id": self.case.id,
                            "rule_id": self.charge.rule_id.id,
                            "source_move_id": self.invoice.id,
                            "kind": "compensation",
                            "amount": 1,
                        }
                    )

    def test_officer_acts_on_follow_ups_through_their_buttons(self):
        self.followup.with_user(self.officer).action_cancel()
        self.assertEqual(self.followup.state, "cancelled")
        self.assertEqual(self.case.level_id, self.level, "the engine moved the case on")
        other = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": self.level.id, "cycle": 1})
        )
        with self.assertRaises(AccessError):
            other.with_user(self.other_officer).action_cancel()
        self.assertEqual(other.state, "to_review")

    def test_engine_paths_still_move_the_case(self):
        self.promise.with_user(self.officer).action_cancel()
        self.assertEqual(self.case.state, "open", "released by the engine")
        # Within the company's promise limits: it holds the case without approval.
        self.env["collection.promise"].with_user(self.officer).create(
            {"case_id": self.case.id, "amount": self.case.overdue_amount, "date": days_ahead(4)}
        )
        self.assertEqual(self.case.state, "promised")
        small = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "amount_total": 400,
                    "installment_count": 2,
                    "first_date": days_ahead(15),
                }
            )
            ._create_plan()
        )
        small.with_user(self.officer).action_activate()
        self.assertEqual(self.case.state, "plan")
        small.with_user(self.officer).action_cancel()
        self.assertEqual(small.state, "cancelled")
        self.assertNotEqual(self.case.state, "plan", "released by the engine")
        self.env["collection.contact.wizard"].with_user(self.officer).create(
            {
                "case_id": self.case.id,
                "channel": "phone",
                "direction": "inbound",
                "outcome": "disputed",
                "dispute_move_ids": [Command.set(self.invoice.ids)],
            }
        ).action_log()
        self.assertEqual(self.case.dispute_ids.move_id, self.invoice)
        self.assertEqual(self.case.disputed_amount, self.invoice.amount_residual)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPlanApproval(SecurityCommon):
    def _bodies(self, plan):
        return "".join(plan.message_ids.mapped("body"))

    def _activities(self, plan):
        return plan.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("collections_officer.mail_activity_type_plan_approval")
            )
        )

    def test_officer_cannot_forge_an_approval(self):
        plan = self.plan.with_user(self.officer)
        self.assertTrue(plan.needs_approval)
        for vals in (
            {"approved_by_id": self.officer.id, "state": "active"},
            {"approved_by_id": self.manager.id},
            {"approval_date": "2026-06-30 10:00:00"},
            {"approval_state": "approved"},
            {"state": "active"},
            {"date_start": days_ago(300)},
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "only through"):
                plan.write(vals)
        self.assertFalse(self.plan.approved_by_id)
        with self.assertRaisesRegex(UserError, "only through"):
            self.env["collection.plan"].with_user(self.officer).create(
                {
                    "case_id": self.case.id,
                    "amount_total": 900,
                    "state": "active",
                    "approved_by_id": self.officer.id,
                }
            )
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            plan.action_activate()

    def test_request_goes_to_the_team_manager_who_approves(self):
        with self.assertRaises(AccessError):
            self.plan.with_user(self.other_officer).action_request_approval()
        self.plan.with_user(self.officer).action_request_approval()
        self.assertEqual(self.plan.approval_state, "requested")
        self.assertEqual(self._activities(self.plan).user_id, self.team_manager)
        self.assertIn("Approval requested", self._bodies(self.plan))
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.plan.with_user(self.officer).action_approve()
        self.plan.with_user(self.team_manager).action_approve()
        self.assertEqual(self.plan.approval_state, "approved")
        self.assertEqual(self.plan.approved_by_id, self.team_manager)
        self.assertFalse(self._activities(self.plan), "the approval activity is done")
        approval = self.plan.message_ids.filtered(lambda m: "Plan approved" in (m.body or ""))
        self.assertIn(self.officer.partner_id, approval.partner_ids, "the officer is told")
        self.plan.with_user(self.officer).action_activate()
        self.assertEqual(self.plan.state, "active")

    def test_without_team_manager_the_collections_managers_are_asked(self):
        self.team.manager_id = False
        self.plan.with_user(self.officer).action_request_approval()
        approvers = self._activities(self.plan).user_id
        self.assertIn(self.manager, approvers)
        self.assertNotIn(self.officer, approvers)
        self.assertFalse(approvers.filtered("share"))

    def test_refused_with_a_reason_for_good(self):
        self.plan.with_user(self.officer).action_request_approval()
        action = self.plan.with_user(self.team_manager).action_refuse()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.team_manager)
            .with_context(**action["context"])
            .create({"reason": "Too long for a customer who broke two promises"})
        )
        wizard.action_refuse()
        self.assertEqual(self.plan.approval_state, "refused")
        self.assertEqual(self.plan.refusal_reason, "Too long for a customer who broke two promises")
        refusal = self.plan.message_ids.filtered(lambda m: "broke two promises" in m.body)
        self.assertIn(self.officer.partner_id, refusal.partner_ids, "the officer is told")
        approval = self.plan.message_ids.filtered(lambda m: "Plan approved" in (m.body or ""))
        self.assertFalse(approval)
        self.assertFalse(self._activities(self.plan))
        with self.assertRaisesRegex(UserError, "was refused by a manager"):
            self.plan.with_user(self.officer).action_activate()
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.plan.with_user(self.officer).action_refuse()
        # A refused plan stays refused: the officer builds a new plan.
        with self.assertRaisesRegex(UserError, "Build a new plan"):
            self.plan.with_user(self.officer).action_request_approval()
        self.assertEqual(self.plan.approval_state, "refused")

    def test_approval_is_reset_when_the_terms_change(self):
        self.plan.with_user(self.manager).action_approve()
        self.assertEqual(self.plan.approved_by_id, self.manager)
        self.plan.with_user(self.officer).write({"frequency": "weekly"})
        self.assertEqual(
            self.plan.installment_ids.mapped("date"),
            [days_ahead(15), days_ahead(22), days_ahead(29)],
            "the plan reschedules itself",
        )
        self.assertFalse(self.plan.approval_state)
        self.assertFalse(self.plan.approved_by_id)
        self.assertIn("needs a new approval", self._bodies(self.plan))
        with self.assertRaisesRegex(UserError, "needs a manager's approval"):
            self.plan.with_user(self.officer).action_propose()
        self.plan.with_user(self.manager).action_approve()
        self.plan.with_user(self.officer).write({"amount_total": 900})
        self.assertEqual(self.plan.installment_ids.mapped("amount"), [300, 300, 300])
        self.assertFalse(self.plan.approved_by_id, "a new amount needs a new approval")

    def test_terms_of_an_active_plan_are_frozen(self):
        self.plan.with_user(self.manager).action_activate()
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self.installment.with_user(self.officer).write({"date": days_ahead(90)})
        with self.assertRaisesRegex(UserError, "cannot change once it is active"):
            self.plan.with_user(self.manager).write({"frequency": "weekly"})


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestHistoryKept(SecurityCommon):
    def _close(self):
        self._pay(self.invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")

    def test_case_with_history_is_archived_not_deleted(self):
        self._close()
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.case.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.case.with_user(self.officer).action_archive()
        self.case.with_user(self.manager).action_archive()
        self.assertFalse(self.case.active)
        self.assertFalse(self.Case.with_user(self.manager).search([("id", "=", self.case.id)]))
        self.promise.with_user(self.officer).read(["display_name"])

    def test_the_database_keeps_the_history_of_a_case(self):
        # Whatever deletes a case, the database does not cascade its history away.
        tables = tuple(
            self.env[model]._table
            for model in self.history
            if model != "collection.plan.installment"
        )
        rules = dict(
            self.env.execute_query(
                SQL(
                    """SELECT conrelid::regclass::text, confdeltype FROM pg_constraint
                        WHERE contype = 'f' AND confrelid = 'collection_case'::regclass
                          AND conrelid::regclass::text IN %s""",
                    tables,
                )
            )
        )
        self.assertEqual(rules, dict.fromkeys(tables, "r"), "ON DELETE RESTRICT")
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env.execute_query(
                    SQL("DELETE FROM collection_case WHERE id = %s", self.case.id)
                )

    def test_open_case_cannot_be_archived(self):
        with self.assertRaisesRegex(UserError, "Only closed collection cases can be archived"):
            self.case.with_user(self.manager).action_archive()

    def test_closed_case_without_history_can_be_deleted(self):
        self._post_invoice(60, due_days_ago=5, partner=self.other_customer)
        self._refresh()
        case = self._case(self.other_customer)
        self._pay(case.open_line_ids.move_id, 60)
        self._refresh()
        self.assertEqual(case.state, "closed")
        case.with_user(self.manager).unlink()
        self.assertFalse(case.exists())

    def test_history_is_never_deleted_by_hand(self):
        for model in ("collection.contact", "collection.followup", "collection.charge"):
            for user in (self.officer, self.manager):
                with self.subTest(model=model, user=user.login), self.assertRaises(AccessError):
                    self.history[model].with_user(user).unlink()
        self.promise.action_cancel()
        with self.assertRaises(AccessError):
            self.promise.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "Follow-ups are history"):
            self.followup.sudo().unlink()


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestQueuedRuns(SecurityCommon):
    def _triggers(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])

    def test_run_now_is_for_managers_and_queued(self):
        Run = self.env["collection.run"]
        xmlid = "collections_officer.ir_cron_collection_followup_run"
        before = self._triggers(xmlid)
        with self.assertRaises(AccessError):
            Run.with_user(self.officer).action_run_now()
        self.assertEqual(self._triggers(xmlid), before)
        Run.with_user(self.manager).action_run_now()
        self.assertEqual(len(self._triggers(xmlid) - before), 1, "the run is queued")
        self.assertFalse(Run.search([]), "nothing ran in the request")

    def test_refresh_of_many_cases_is_queued(self):
        xmlid = "collections_officer.ir_cron_collection_case_refresh"
        before = self._triggers(xmlid)
        self.case.with_user(self.officer).action_refresh()
        self.assertEqual(self._triggers(xmlid), before, "a few cases: refreshed at once")
        with patch.object(collection_case_actions, "REFRESH_NOW_MAX", 0):
            self.case.with_user(self.officer).action_refresh()
        self.assertEqual(len(self._triggers(xmlid) - before), 1)

    def test_refresh_all_is_queued(self):
        xmlid = "collections_officer.ir_cron_collection_case_refresh"
        self._post_invoice(70, due_days_ago=5, partner=self.other_customer)
        before = self._triggers(xmlid)
        self.Case.with_user(self.officer).action_refresh_all()
        self.assertEqual(len(self._triggers(xmlid) - before), 1)
        self.assertFalse(self._case(self.other_customer), "the refresh runs in the cron")
        with self.assertRaises(AccessError):
            self.Case.with_user(self.sales_user).action_refresh_all()
