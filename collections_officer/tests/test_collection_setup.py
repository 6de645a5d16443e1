from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY, days_ago
from .test_collection_followup import FollowupCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionSetup(FollowupCommon):
    """A fresh company's desk is set up from the collections screens, by its managers."""

    def setUp(self):
        super().setUp()
        self.old = self._post_invoice(1000, due_days_ago=40)
        self.recent = self._post_invoice(500, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})
        # As a fresh install: nothing chosen for the write-offs.
        self.company.write(
            {"collection_writeoff_account_id": False, "collection_writeoff_journal_id": False}
        )

    # ------------------------------------------------------------ write-offs

    def _writeoff_wizard(self, user=None):
        return (
            self.env["collection.writeoff.wizard"]
            .with_user(user or self.manager)
            .create({"case_id": self.case.id, "reason": "Customer ceased trading."})
        )

    def test_a_first_writeoff_sets_up_a_bad_debt_account_and_a_journal(self):
        wizard = self._writeoff_wizard()
        note = wizard.setup_note
        self.assertIn("no write-off account yet", note)
        self.assertIn("a new expense account", note)
        self.assertIn("Bad Debts", note)
        self.assertIn("a new journal Write-Offs", note)
        wizard.action_writeoff()
        writeoff = self.case.writeoff_ids
        self.assertEqual(writeoff.state, "posted")
        account = self.company.collection_writeoff_account_id
        journal = self.company.collection_writeoff_journal_id
        self.assertEqual((account.name, account.account_type), ("Bad Debts", "expense"))
        self.assertIn(account.code, note, "the account the dialog announced")
        self.assertEqual(
            (journal.name, journal.code, journal.type), ("Write-Offs", "WOFF", "general")
        )
        self.assertEqual(writeoff.move_id.journal_id, journal)
        expense = writeoff.move_id.line_ids.filtered(lambda line: line.account_id == account)
        self.assertEqual(sum(expense.mapped("balance")), 1500)
        # The accountants see why the account and journal are there.
        for record in (account, journal):
            self.assertIn("collections write-offs", record.message_ids[:1].body)
            self.assertIn(self.manager.name, record.message_ids[:1].body)
        # A second write-off books on the same ones: nothing more is created.
        self.assertFalse(self._writeoff_wizard().setup_note)

    def test_the_set_up_reuses_the_charts_bad_debt_account_and_journal(self):
        account = self.env["account.account"].create(
            {"name": "Bad debts written off", "code": "685000", "account_type": "expense"}
        )
        journal = self.env["account.journal"].create(
            {"name": "Write-offs", "code": "BDWO", "type": "general"}
        )
        note = self._writeoff_wizard().setup_note
        self.assertIn(account.display_name, note)
        self.assertIn(journal.display_name, note)
        settings = self.env["collection.settings"].with_user(self.manager).create({})
        self.assertTrue(settings.writeoff_setup_note)
        action = settings.action_writeoff_setup()
        self.assertEqual(self.company.collection_writeoff_account_id, account)
        self.assertEqual(self.company.collection_writeoff_journal_id, journal)
        reopened = settings.browse(action["res_id"])
        self.assertFalse(reopened.writeoff_setup_note)
        self.assertIn("Set as", account.message_ids[:1].body)

    def test_write_offs_book_only_on_an_expense_account_and_a_general_journal(self):
        Settings = self.env["collection.settings"].with_user(self.manager)
        receivable = self.company_data["default_account_receivable"]
        # assertRaises, not assertRaisesRegex: its savepoint undoes the refused write.
        with self.assertRaises(ValidationError) as refused:
            Settings.create({"collection_writeoff_account_id": receivable.id})
        self.assertIn("expense accounts", str(refused.exception))
        with self.assertRaises(ValidationError) as refused:
            Settings.create({"collection_writeoff_journal_id": self.bank_journal.id})
        self.assertIn("miscellaneous journals", str(refused.exception))
        self.env.invalidate_all()
        self.assertFalse(self.company.collection_writeoff_account_id)
        self.assertFalse(self.company.collection_writeoff_journal_id)

    # ---------------------------------------------------- the settings screen

    def test_a_manager_changes_the_collections_settings(self):
        action = (
            self.env.ref("collections_officer.collection_settings_action")
            .with_user(self.manager)
            .run()
        )
        self.assertEqual((action["res_model"], action["target"]), ("collection.settings", "main"))
        settings = self.env["collection.settings"].with_user(self.manager).browse(action["res_id"])
        self.assertEqual(
            settings.collection_plan_max_amount, self.company.collection_plan_max_amount
        )
        settings.write(
            {
                "collection_plan_max_amount": 5000.0,
                "collection_promise_max_days": 45,
                "collection_email_hour_start": 9.0,
                "collection_day_start_hour": 7.5,
                "collection_writeoff_limit": 250.0,
                "collection_hold_manual_sends": True,
            }
        )
        self.assertEqual(self.company.collection_plan_max_amount, 5000)
        self.assertEqual(self.company.collection_promise_max_days, 45)
        self.assertEqual(self.company.collection_email_hour_start, 9.0)
        self.assertEqual(self.company.collection_day_start_hour, 7.5)
        self.assertEqual(self.company.collection_writeoff_limit, 250)
        self.assertTrue(self.company.collection_hold_manual_sends)
        # As the form saves a new screen: the values come with the create.
        self.env["collection.settings"].with_user(self.manager).create(
            {"collection_plan_max_months": 6}
        )
        self.assertEqual(self.company.collection_plan_max_months, 6)
        # The company's own rules still hold.
        with self.assertRaises(ValidationError) as refused:
            settings.write({"collection_email_hour_end": 8.0})
        self.assertIn("end before they start", str(refused.exception))
        # The form opens for a manager who is no administrator.
        self.env["collection.settings"].with_user(self.manager).get_views([(False, "form")])

    def test_an_officer_cannot_change_the_collections_settings(self):
        settings = self.env["collection.settings"].with_user(self.manager).create({})
        with self.assertRaises(AccessError):
            self.env["collection.settings"].with_user(self.officer).create(
                {"collection_plan_max_amount": 1.0}
            )
        with self.assertRaises(AccessError):
            settings.with_user(self.officer).write({"collection_plan_max_amount": 1.0})
        with self.assertRaises(AccessError):
            self.company.with_user(self.officer).write({"collection_plan_max_amount": 1.0})
        with self.assertRaises(AccessError):
            self.env.ref("collections_officer.collection_settings_action").with_user(
                self.officer
            ).run()
        self.assertEqual(self.company.collection_plan_max_amount, 10000)

    def test_a_manager_changes_only_the_settings_of_her_companies(self):
        other = self.env["res.company"].create({"name": "Other Desk Ltd"})
        with self.assertRaises(AccessError):
            self.env["collection.settings"].with_user(self.manager).create(
                {"company_id": other.id, "collection_plan_max_amount": 1.0}
            )
        self.assertEqual(other.collection_plan_max_amount, 10000)

    def test_a_manager_goes_back_to_dry_runs_from_the_collections_settings(self):
        settings = self.env["collection.settings"].with_user(self.manager).create({})
        self.assertTrue(settings.collection_followup_live)
        action = settings.action_followup_off()
        self.assertEqual(action["res_model"], "collection.settings")
        self.assertFalse(self.company.collection_followup_live)

    # ----------------------------------------------------------------- go-live

    def test_the_go_live_dialog_counts_what_its_date_leaves_out(self):
        self.company.collection_followup_live = False
        wizard_model = self.env["collection.golive.wizard"].with_user(self.manager)
        with Form(wizard_model) as wizard:
            # By default, today: the whole book is left out, and the dialog says so.
            self.assertEqual(wizard.followup_from, TODAY)
            self.assertEqual(wizard.left_out_count, 2)
            self.assertEqual(wizard.left_out_amount, 1500)
            wizard.followup_from = days_ago(20)
            self.assertEqual(wizard.left_out_count, 1)
            self.assertEqual(wizard.left_out_amount, 1000)
            wizard.followup_from = days_ago(60)
            self.assertEqual(wizard.left_out_count, 0)
            wizard.followup_from = False
            self.assertEqual(wizard.left_out_count, 0)
            self.assertEqual(wizard.left_out_amount, 0)
        # Paid items are not left out: they are not followed up at all.
        self._pay(self.old, 1000)
        with Form(wizard_model) as wizard:
            self.assertEqual(wizard.left_out_count, 1)
            self.assertEqual(wizard.left_out_amount, 500)

    def test_go_live_ends_on_the_follow_up_status(self):
        self.company.collection_followup_live = False
        self._run()
        dry_run = self.env["collection.run"].search(
            [("company_id", "=", self.company.id), ("dry_run", "=", True)]
        )
        self.assertTrue(dry_run)
        action = (
            self.env["collection.golive.wizard"]
            .with_user(self.manager)
            .with_context(active_model="collection.run", active_id=dry_run.id)
            .create({"followup_from": days_ago(20)})
            .action_go_live()
        )
        self.assertFalse(dry_run.exists())
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["target"], "main", "the breadcrumbs to the dry run are gone")
        self.assertEqual(
            action["views"],
            [(self.env.ref("collections_officer.collection_settings_view_form_status").id, "form")],
        )
        status = (
            self.env["collection.settings"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .browse(action["res_id"])
        )
        self.assertEqual(status.display_name, f"Follow-up of {self.company.name}")
        self.assertTrue(status.collection_followup_live)
        self.assertEqual(status.collection_followup_live_user_id, self.manager)
        self.assertEqual(status.collection_followup_live_date, NOON)
        self.assertEqual((status.left_out_count, status.left_out_amount), (1, 1000))
        self.assertFalse(status.run_ids, "no run yet since going live")
        self.assertIn("today's follow-up run", status.next_run_note.lower())
        self._run()
        status.invalidate_recordset(["run_ids"])
        self.assertTrue(status.run_ids)
        self.assertFalse(status.run_ids.dry_run)

    # ------------------------------------------------------ manual sends

    def _send_form(self, mode="followup"):
        return Form(
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(
                active_model="collection.case",
                active_ids=self.case.ids,
                default_case_ids=self.case.ids,
                default_mode=mode,
            )
        )

    def test_manual_sends_before_go_live_say_they_are_real(self):
        self.company.collection_followup_live = False
        for mode in ("followup", "statement"):
            form = self._send_form(mode)
            self.assertIn("not live yet", form.dry_run_note)
            self.assertIn("for real", form.dry_run_note)
            self.assertTrue(form.can_send)
        self._send_form().save().action_send()
        self.assertEqual(len(self._emails()), 1, "sent for real, as the dialog said")
        self.company.collection_followup_live = True
        self.assertFalse(self._send_form("statement").dry_run_note)

    def test_a_company_may_hold_manual_sends_until_go_live(self):
        self.company.collection_followup_live = False
        self.env["collection.settings"].with_user(self.manager).create(
            {"collection_hold_manual_sends": True}
        )
        for mode in ("followup", "statement"):
            form = self._send_form(mode)
            self.assertIn("holds manual sends", form.dry_run_note)
            self.assertFalse(form.can_send)
        # Whatever the screen: the send itself refuses, as an RPC client calls it.
        Wizard = self.env["collection.send.wizard"].with_user(self.officer)
        for mode in ("followup", "statement"):
            wizard = Wizard.create(
                {
                    "case_ids": [self.case.id],
                    "mode": mode,
                    "mail_subject": "Your statement",
                    "mail_body": "<p>Attached.</p>",
                }
            )
            with self.assertRaisesRegex(UserError, "until it goes live"):
                wizard.action_send()
        self.assertFalse(self._emails())
        self.assertFalse(self._followups())
        # Once live, the hold no longer applies.
        self.company.collection_followup_live = True
        self._send_form().save().action_send()
        self.assertEqual(len(self._emails()), 1)
