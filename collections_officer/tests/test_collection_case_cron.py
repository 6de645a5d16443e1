from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..models.collection_case_refresh import REFRESH_LOCK_KEY
from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseCron(CollectionsCommon):
    def _run_cron(self):
        cron = self.env.ref("collections_officer.ir_cron_collection_case_refresh")
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
        self._run_cron()
        self.assertEqual(self.Case.search([("partner_id.name", "=like", "Debtor %")]), cases)
        self.assertEqual(cases.message_ids, messages)

    def test_cron_in_small_batches_gives_the_same_result(self):
        partners = self.env["res.partner"].create([{"name": f"Batch {i}"} for i in range(7)])
        for partner in partners:
            self._post_invoice(10, due_days_ago=5, partner=partner)
        self.Case._refresh_from_accounting(companies=self.company, batch_size=2)
        self.assertEqual(len(self.Case.search([("partner_id", "in", partners.ids)])), 7)

    def test_second_worker_skips_a_company_being_refreshed(self):
        self._post_invoice(100, due_days_ago=10)
        other_worker = db_connect(self.env.cr.dbname).cursor()
        try:
            other_worker.execute(
                SQL("SELECT pg_advisory_lock(%s, %s)", REFRESH_LOCK_KEY, self.company.id)
            )
            self.assertFalse(self._refresh(), "the company is skipped")
            self.assertFalse(self._case())
            # What the Refresh button of a case does: the user is told, not kept waiting.
            with self.assertRaisesRegex(UserError, "being refreshed"):
                self.Case._refresh_from_accounting(companies=self.company, wait=True)
        finally:
            other_worker.execute(
                SQL("SELECT pg_advisory_unlock(%s, %s)", REFRESH_LOCK_KEY, self.company.id)
            )
            other_worker.close()
        self._refresh()
        self.assertTrue(self._case())
