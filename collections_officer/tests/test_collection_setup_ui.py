from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionSetupUi(CollectionsBrowserCase):
    """A collections manager, no administrator, sets the desk up from its own screens."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.manager = cls._browser_user("golive_manager", manager=True)
        # As a fresh install: nothing chosen for the write-offs, not live yet.
        cls.company.sudo().write(
            {
                "collection_writeoff_account_id": False,
                "collection_writeoff_journal_id": False,
                "collection_followup_live": False,
                "collection_hold_manual_sends": False,
                "collection_followup_from": False,
            }
        )

    def _url(self, action, record=None):
        url = f"/odoo/action-collections_officer.{action}"
        return f"{url}/{record.id}" if record else url

    def test_manager_changes_a_limit_in_the_collections_settings(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.env.flush_all()
        self.start_tour(
            self._url("collection_case_action"),
            "collections_officer_setup_manager_settings",
            login=self.manager.login,
        )
        self.assertEqual(self.company.collection_plan_max_amount, 25000)

    def test_manager_writes_off_a_small_balance_on_a_fresh_company(self):
        case = self._overdue_case("Smallbalance Ltd", 5.0)
        self.env.flush_all()
        self.start_tour(
            self._url("collection_case_action", case),
            "collections_officer_setup_first_writeoff",
            login=self.manager.login,
        )
        writeoff = case.writeoff_ids
        self.assertEqual(writeoff.state, "posted")
        self.assertEqual(writeoff.amount, 5.0)
        account = self.company.collection_writeoff_account_id
        journal = self.company.collection_writeoff_journal_id
        self.assertIn(account.account_type, ("expense", "expense_other"))
        self.assertEqual(journal.type, "general")
        self.assertEqual(writeoff.move_id.journal_id, journal)
        self.assertIn(account, writeoff.move_id.line_ids.account_id)
        self.assertEqual(case.close_reason, "written_off")

    def test_manager_goes_live_and_lands_on_the_follow_up_status(self):
        self._overdue_case("Old Debt Ltd", 1200, days=90)
        run = self.env["collection.run"].create({"company_id": self.company.id, "dry_run": True})
        self.env.flush_all()
        self.start_tour(
            self._url("collection_run_action", run),
            "collections_officer_setup_go_live",
            login=self.manager.login,
        )
        self.assertFalse(run.exists())
        self.assertTrue(self.company.collection_followup_live)
        self.assertEqual(self.company.collection_followup_live_user_id, self.manager)
        self.assertFalse(self.company.collection_followup_from, "the date was cleared")
