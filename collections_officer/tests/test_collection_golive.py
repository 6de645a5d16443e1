from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from ..models.collection_run import DRY_RUN_CRON
from .common import TODAY, days_ago, morning
from .test_collection_followup import FollowupCommon

RUN_CRON = "collections_officer.ir_cron_collection_followup_run"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionGolive(FollowupCommon):
    """Nothing is sent before a manager goes live; a dry run shows what would be."""

    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer
        self.company.collection_followup_live = False

    def _trigger_cron(self, xmlid=RUN_CRON, day=TODAY):
        """The scheduled action in the company's morning of ``day``; for the follow-up
        run, once the day's refresh and judging are done."""
        if xmlid == RUN_CRON:
            self._day_prepared(day=day)
        with freeze_time(morning(day)), self.enter_registry_test_mode():
            self.env.ref(xmlid).method_direct_trigger()

    def _triggers(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])

    def _previews(self, case=None):
        return self._followups(case).filtered(lambda f: f.state == "preview")

    def test_the_cron_only_previews_for_a_company_not_live(self):
        self.level_1.write({"schedule_call": True, "charge_rule_id": self._fee_rule().id})
        self._trigger_cron()
        followup = self._followups()
        self.assertEqual(followup.state, "preview")
        self.assertEqual(followup.level_id, self.level_1)
        self.assertFalse(followup.done_actions)
        self.assertFalse(self._emails(), "no e-mail is posted")
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "collection.case")]))
        self.assertFalse(self.case.activity_ids, "no call is scheduled")
        self.assertFalse(followup.charge_move_ids)
        self.assertFalse(self.env["collection.charge"].search([("case_id", "=", self.case.id)]))
        self.assertFalse(followup.contact_ids)
        self.assertFalse(self.case.level_id, "the case stays where it was")
        run = followup.run_id
        self.assertTrue(run.dry_run)
        self.assertEqual(run.preview_count, 1)
        self.assertEqual(run.done_count, 0)

    def test_a_scheduled_dry_run_called_again_goes_on_with_its_previews(self):
        self._trigger_cron()
        first = self._previews()
        self._post_invoice(300, due_days_ago=10, partner=self.other_customer)
        self._refresh()
        # Called again the same day: a manager's Run Now.
        self.env["collection.run"].with_user(self.manager).action_run_now()
        self._trigger_cron()
        self.assertTrue(first.exists(), "the previews of today's scheduled dry run are kept")
        self.assertEqual(self._previews(), first)
        other = self._previews(self._case(self.other_customer))
        self.assertEqual(other.run_id, first.run_id)
        runs = self.env["collection.run"].search(
            [("company_id", "=", self.company.id), ("dry_run", "=", True)]
        )
        self.assertEqual(runs, first.run_id)
        self._trigger_cron(day=TODAY + timedelta(days=1))
        self.assertFalse(first.exists(), "tomorrow's dry run replaces today's")

    def test_run_now_of_a_company_not_live_is_a_dry_run(self):
        self.env["collection.run"].with_user(self.manager).action_run_now()
        self.assertFalse(self._followups(), "Run Now queues the scheduled run")
        self._trigger_cron()
        self.assertEqual(self._followups().state, "preview")
        self.assertFalse(self._emails())

    def test_a_dry_run_is_queued_and_replaces_the_previous_previews(self):
        self.company.collection_followup_live = True
        Run = self.env["collection.run"].with_user(self.manager)
        triggers = self._triggers(DRY_RUN_CRON)
        action = Run.action_dry_run()
        self.assertEqual(action["params"]["title"], "Dry run queued")
        self.assertIn("in a few minutes", action["params"]["message"])
        self.assertFalse(self._previews(), "nothing ran in the request")
        self.assertEqual(len(self._triggers(DRY_RUN_CRON) - triggers), 1, "the job is queued")
        queued = Run.search([("company_id", "=", self.company.id), ("dry_run", "=", True)])
        self.assertTrue(queued.dry_run_queued, "the list shows it queued")
        self._trigger_cron(DRY_RUN_CRON)
        first = self._previews()
        self.assertEqual(len(first), 1)
        self.assertEqual(first.run_id, queued)
        self.assertFalse(queued.dry_run_queued, "done")
        Run.action_dry_run()
        self.assertFalse(first.exists(), "the new dry run replaced the old previews")
        self._trigger_cron(DRY_RUN_CRON)
        second = self._previews()
        self.assertEqual(len(second), 1)
        self.assertFalse(self._emails())
        self._run()
        sent = self._followups() - second
        self.assertEqual(sent.state, "done")
        self.assertEqual(sent.level_id, second.level_id)
        self.assertEqual(len(self._emails()), 1)
        self.assertFalse(sent.run_id.dry_run)

    def test_the_dry_run_job_goes_on_from_its_cursor_and_never_sends(self):
        self.company.collection_followup_live = True
        self._post_invoice(300, due_days_ago=10, partner=self.other_customer)
        self._refresh()
        # Only this company's dry run is queued (the demo company's may be too).
        self.env["collection.run"].sudo().search([("dry_run_queued", "=", True)]).write(
            {"dry_run_queued": False}
        )
        self.env["collection.run"].with_user(self.manager).action_dry_run()
        xmlid = DRY_RUN_CRON
        with self._cron_call(xmlid, out_of_time=True) as (env, progress):
            env["collection.run"]._cron_dry_run(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 1))
        run = self._previews().run_id
        self.assertTrue(run.dry_run_queued, "still queued: out of time")
        with self._cron_call(xmlid) as (env, progress):
            env["collection.run"]._cron_dry_run(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        cases = self.case | self._case(self.other_customer)
        self.assertEqual(cases.followup_ids.mapped("state"), ["preview", "preview"])
        self.assertEqual(cases.followup_ids.run_id, run)
        self.assertFalse(run.dry_run_queued)
        self.assertFalse(self._emails())

    def test_a_dry_run_of_a_manual_customer_prepares_nothing_to_review(self):
        self.customer.collection_followup_mode = "manual"
        self._run()
        self.assertEqual(self._followups().state, "preview")

    def test_an_officer_can_neither_dry_run_nor_go_live(self):
        with self.assertRaises(AccessError):
            self.env["collection.run"].with_user(self.officer).action_dry_run()
        with self.assertRaises(AccessError):
            self.env["collection.golive.wizard"].with_user(self.officer).create({})
        # An administrator of access rights is not a collections manager either.
        admin = new_test_user(
            self.env,
            login="co_rights_admin",
            groups="base.group_user,base.group_erp_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        with self.assertRaises(AccessError):
            self.company.with_user(admin).collection_followup_live = True
        self.assertFalse(self.company.collection_followup_live)

    def test_go_live_asks_the_date_and_logs_who_and_when(self):
        self._run()
        self.assertTrue(self._previews())
        wizard = (
            self.env["collection.golive.wizard"]
            .with_user(self.manager)
            .create({"followup_from": days_ago(30)})
        )
        self.assertEqual(wizard.preview_count, 1)
        wizard.action_go_live()
        self.assertTrue(self.company.collection_followup_live)
        self.assertEqual(self.company.collection_followup_from, days_ago(30))
        self.assertEqual(self.company.collection_followup_live_user_id, self.manager)
        self.assertEqual(self.company.collection_followup_live_date, datetime(2026, 6, 30))
        self.assertFalse(self._followups(), "the previews of the dry runs are gone")
        self._trigger_cron()
        self.assertEqual(self._followups().state, "done")
        self.assertEqual(len(self._emails()), 1)

    def test_back_to_dry_runs_from_the_settings(self):
        self.company.collection_followup_live = True
        self.env["res.config.settings"].create({}).action_collection_followup_off()
        self.assertFalse(self.company.collection_followup_live)
        self.assertFalse(self.company.collection_followup_live_user_id)
        self._run()
        self.assertEqual(self._followups().state, "preview")
        self.assertFalse(self._emails())

    def test_go_live_refuses_a_date_in_the_future_and_a_second_time(self):
        Wizard = self.env["collection.golive.wizard"].with_user(self.manager)
        with self.assertRaises(UserError):
            Wizard.create({"followup_from": days_ago(-1)}).action_go_live()
        Wizard.create({"followup_from": False}).action_go_live()
        self.assertTrue(self.company.collection_followup_live)
        self.assertFalse(self.company.collection_followup_from)
        with self.assertRaises(UserError):
            Wizard.create({}).action_go_live()

    def _fee_rule(self):
        return self.env["collection.charge.rule"].create(
            {"name": "Admin fee", "company_id": self.company.id, "fee_amount": 10}
        )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionSender(FollowupCommon):
    """Follow-up e-mails come from the officer or the company, and only reach the customer."""

    def setUp(self):
        super().setUp()
        self.company.email = "credit@company.example.com"
        self.officer.email = "officer@company.example.com"
        self.other_customer.email = "globex@example.com"
        self._post_invoice(1000, due_days_ago=10)
        self._post_invoice(500, due_days_ago=10, partner=self.other_customer)
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer
        self.other_case = self._case(self.other_customer)
        self.level_1.mail_template_id = self.env.ref(
            "collections_officer.mail_template_collection_reminder"
        )

    def test_the_scheduled_email_comes_from_the_officer_or_the_company(self):
        # The company's morning, after its day's refresh and judging.
        self._day_prepared()
        with freeze_time(morning()), self.enter_registry_test_mode():
            self.env.ref(RUN_CRON).method_direct_trigger()
        odoobot = self.env.ref("base.partner_root")
        email = self._emails()
        self.assertEqual(len(email), 1)
        self.assertEqual(email.author_id, self.officer.partner_id)
        self.assertIn("officer@company.example.com", email.email_from)
        self.assertEqual(email.partner_ids, self.customer)
        other = self._emails(self.other_case)
        self.assertEqual(other.author_id, self.company.partner_id)
        self.assertIn("credit@company.example.com", other.email_from)
        mails = self.env["mail.mail"].search([("mail_message_id", "in", (email | other).ids)])
        self.assertTrue(mails)
        self.assertNotIn(odoobot, (email | other).author_id)
        for mail in mails:
            self.assertNotIn(odoobot.email, mail.email_from)

    def test_the_reply_to_of_the_template_is_kept(self):
        self.level_1.mail_template_id.reply_to = "{{ object.company_id.email }}"
        self._run()
        self.assertEqual(self._emails().reply_to, "credit@company.example.com")

    def test_a_follower_of_the_case_gets_no_copy_of_the_follow_up(self):
        # The officer and a manager follow the case, with the subtypes followers get by default.
        self.case.message_subscribe(partner_ids=(self.officer | self.manager).partner_id.ids)
        self._run()
        email = self._emails()
        self.assertEqual(
            email.subtype_id, self.env.ref("collections_officer.mt_collection_followup_sent")
        )
        notified = email.notification_ids.res_partner_id
        self.assertEqual(notified, self.customer)
        self.assertNotIn(self.manager.partner_id, notified)
        self.assertNotIn(self.officer.partner_id, notified)


@tagged("post_install", "-at_install")
class TestCollectionCompanyDefaults(FollowupCommon):
    """Every company gets the shipped examples; none is live until a manager says so."""

    def _rules(self, company):
        return (
            self.env["collection.charge.rule"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)])
        )

    def test_a_new_company_gets_the_default_policy_and_the_example_charges(self):
        default = self.env.ref("collections_officer.collection_policy_default")
        company = self.env["res.company"].create({"name": "Collections Newco"})
        policy = company.collection_policy_id
        self.assertTrue(policy)
        self.assertNotEqual(policy, default)
        self.assertEqual(policy.company_id, company)
        self.assertEqual(policy.name, default.name)
        self.assertEqual(
            policy._get_levels().mapped(lambda lvl: (lvl.name, lvl.delay_days)),
            default._get_levels().mapped(lambda lvl: (lvl.name, lvl.delay_days)),
        )
        self.assertEqual(policy.level_ids.company_id, company)
        rules = self._rules(company)
        self.assertEqual(len(rules), 2)
        self.assertFalse(any(rules.mapped("active")), "examples, not charged")
        self.assertFalse(company.collection_followup_live)

    def test_the_main_company_ships_with_the_examples_and_is_not_live(self):
        main = self.env.ref("base.main_company")
        self.assertEqual(
            main.collection_policy_id, self.env.ref("collections_officer.collection_policy_default")
        )
        self.assertEqual(len(self._rules(main)), 2)
        self.assertFalse(main.collection_followup_live)

    def test_installing_gives_every_company_its_examples_once(self):
        company = self.env["res.company"].create({"name": "Collections Oldco"})
        self.env["collection.policy"].search([("company_id", "=", company.id)]).unlink()
        self._rules(company).unlink()
        self.env["res.company"]._collection_install_defaults()
        self.env["res.company"]._collection_install_defaults()
        policies = (
            self.env["collection.policy"]
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)])
        )
        self.assertEqual(len(policies), 1)
        self.assertEqual(company.collection_policy_id, policies)
        self.assertEqual(len(self._rules(company)), 2)
