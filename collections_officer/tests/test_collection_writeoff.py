from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon

NOON = datetime(2026, 6, 30, 12, 0)
WRITEOFF_ACTIVITY = "collections_officer.mail_activity_type_collection_writeoff"


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionWriteoff(CollectionsCommon):
    """Managers write debts off through native, reconciled journal entries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expense = cls.company_data["default_account_expense"]
        cls.misc_journal = cls.company_data["default_journal_misc"]
        cls.company.write(
            {
                "collection_writeoff_account_id": cls.expense.id,
                "collection_writeoff_journal_id": cls.misc_journal.id,
            }
        )
        cls.invoice = cls._post_invoice(1000, due_days_ago=40, ref="PO-1001")
        cls.second = cls._post_invoice(500, due_days_ago=20)
        cls.second_manager = new_test_user(
            cls.env,
            login="co_manager_2",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _write_off(self, invoices=None, user=None, reason="Customer ceased trading."):
        wizard = (
            self.env["collection.writeoff.wizard"]
            .with_user(user or self.manager)
            .create({"case_id": self.case.id, "reason": reason})
        )
        if invoices is not None:
            wizard.invoice_ids = invoices
        wizard.action_writeoff()
        return self.case.writeoff_ids[:1]

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def test_writeoff_entry_balances_reconciles_and_closes_the_case(self):
        writeoff = self._write_off()
        self.assertEqual(writeoff.state, "posted")
        self.assertEqual(writeoff.invoice_ids, self.invoice | self.second)
        self.assertEqual(writeoff.amount, 1500)
        self.assertEqual(writeoff.approved_by_id, self.manager)
        move = writeoff.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.move_type, "entry")
        self.assertEqual(move.journal_id, self.misc_journal)
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0)
        expense = move.line_ids.filtered(lambda line: line.account_id == self.expense)
        self.assertEqual(sum(expense.mapped("debit")), 1500)
        self.assertIn(self.invoice.name, move.ref)
        self.assertIn("PO-1001", move.ref)
        for invoice in self.invoice | self.second:
            self.assertTrue(any(invoice.name in name for name in move.line_ids.mapped("name")))
            self.assertTrue(self._receivable(invoice).reconciled)
            self.assertEqual(invoice.amount_residual, 0)
            self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.close_reason, "written_off")
        self.assertEqual(self.case.writeoff_date, TODAY)
        self.assertEqual(self.case.written_off_amount, 1500)
        self.assertIn("written off", self.case.message_ids[0].body)
        self.assertEqual(self.case.collected_amount, 0, "a write-off is no money received")

    def test_partial_writeoff_keeps_the_rest_in_collection(self):
        self.case.sudo().state = "escalated"
        action = self.case.pending_escalation_id.with_user(self.manager)._decide(
            "writeoff", "The second invoice's goods were never recoverable."
        )
        self.assertEqual(action["res_model"], "collection.writeoff.wizard")
        writeoff = self._write_off(self.second)
        self.assertEqual(writeoff.invoice_ids, self.second)
        self.assertTrue(self._receivable(self.second).reconciled)
        self.assertFalse(self._receivable(self.invoice).reconciled)
        self.assertEqual(self.case.state, "open")
        self.assertFalse(self.case.close_reason)
        self.assertEqual(self.case.overdue_amount, 1000)
        self.assertNotIn(self.case.id, self.case._get_followup_blockers())
        self.assertIn("stays in collection", self.case.message_ids[0].body)

    def test_foreign_currency_invoice_written_off_in_full(self):
        eur = self.setup_other_currency(
            "EUR", rates=[("2000-01-01", 2.0), (TODAY.isoformat(), 2.5)]
        )
        invoice = self._post_invoice(800, due_days_ago=30, currency_id=eur.id)
        self._refresh()
        self.assertEqual(self._receivable(invoice).balance, 400, "booked at 2.0")
        self._write_off(self.invoice | self.second | invoice)
        line = self._receivable(invoice)
        self.assertTrue(line.reconciled)
        self.assertEqual(line.amount_residual, 0)
        self.assertEqual(line.amount_residual_currency, 0)
        self.assertEqual(invoice.amount_residual, 0)
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.close_reason, "written_off")

    def test_above_the_limit_a_second_manager_approves(self):
        self.company.collection_writeoff_limit = 1000
        writeoff = self._write_off()
        self.assertEqual(writeoff.state, "to_approve")
        self.assertFalse(writeoff.move_id)
        self.assertFalse(self._receivable(self.invoice).reconciled)
        self.assertNotEqual(self.case.state, "closed")
        self.assertTrue(
            self.case.activity_ids.filtered(
                lambda a: (
                    a.user_id == self.second_manager
                    and a.activity_type_id == self.env.ref(WRITEOFF_ACTIVITY)
                )
            )
        )
        with self.assertRaisesRegex(AccessError, "second manager"):
            writeoff.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            writeoff.with_user(self.officer).action_approve()
        self.assertEqual(writeoff.state, "to_approve")
        writeoff.with_user(self.second_manager).action_approve()
        self.assertEqual(writeoff.state, "posted")
        self.assertEqual(writeoff.requested_by_id, self.manager)
        self.assertEqual(writeoff.approved_by_id, self.second_manager)
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(self.case.close_reason, "written_off")

    def test_below_the_limit_one_manager_is_enough(self):
        self.company.collection_writeoff_limit = 600
        self.assertEqual(self._write_off(self.second).state, "posted")

    def test_a_refused_request_posts_nothing(self):
        self.company.collection_writeoff_limit = 100
        writeoff = self._write_off()
        writeoff.with_user(self.second_manager).action_refuse()
        self.assertEqual(writeoff.state, "refused")
        self.assertFalse(writeoff.move_id)
        self.assertEqual(self.case.overdue_amount, 1500)

    def test_officers_cannot_write_off(self):
        with self.assertRaises(AccessError):
            self._write_off(user=self.officer)
        with self.assertRaises(AccessError):
            self.case.with_user(self.officer).action_writeoff()
        with self.assertRaises(AccessError):
            self.case.with_user(self.officer)._request_writeoff(self.invoice, "Mine to decide.")
        with self.assertRaises(AccessError):
            self.env["collection.writeoff"].with_user(self.officer).create(
                {
                    "case_id": self.case.id,
                    "invoice_ids": self.invoice.ids,
                    "amount": 1000,
                    "reason": "By hand",
                }
            )
        self.assertFalse(self.case.writeoff_ids)
        self.assertFalse(self._receivable(self.invoice).reconciled)

    def test_a_writeoff_without_an_account_sets_one_up(self):
        # The full set-up is tested in test_collection_setup.
        self.company.collection_writeoff_account_id = False
        writeoff = self._write_off()
        self.assertEqual(writeoff.state, "posted")
        account = self.company.collection_writeoff_account_id
        self.assertEqual(account.account_type, "expense")
        self.assertIn(account, writeoff.move_id.line_ids.account_id)
        self.assertEqual(self.company.collection_writeoff_journal_id, self.misc_journal)

    def test_bad_input_is_refused(self):
        with self.assertRaisesRegex(UserError, "reason"):
            self.case.with_user(self.manager)._request_writeoff(self.invoice, " ")
        other = self._post_invoice(300, due_days_ago=10, partner=self.other_customer)
        with self.assertRaisesRegex(UserError, "open invoices of"):
            self.case.with_user(self.manager)._request_writeoff(other, "Not this customer's.")

    def test_writeoffs_and_their_cases_are_history(self):
        writeoff = self._write_off()
        with self.assertRaisesRegex(UserError, "history"):
            writeoff.with_user(self.manager).write({"reason": "Rewritten"})
        with self.assertRaises(AccessError):
            writeoff.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            writeoff.sudo().unlink()
        with self.assertRaisesRegex(UserError, "escalations or write-offs"):
            self.case.unlink()
        with self.assertRaisesRegex(UserError, "write-off"):
            self.case.with_user(self.manager).write({"close_reason": False})

    def test_recovery_after_writeoff_is_shown(self):
        self._pay(self.invoice, 200, days_ago_paid=5)  # before the write-off: no recovery
        self._write_off()
        self.assertEqual(self.case.recovered_after_writeoff, 0)
        later = NOON + timedelta(days=10)
        with freeze_time(later):
            self._receive_unallocated(300, days_ago_paid=-10)
            self.case.invalidate_recordset(["recovered_after_writeoff"])
            self.assertEqual(self.case.recovered_after_writeoff, 300)
            self.assertEqual(self.case.state, "closed", "a recovery reopens nothing")
