from datetime import datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import CollectionsCommon

NOON = datetime(2026, 6, 30, 12, 0)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionWriteoffGuards(CollectionsCommon):
    """A write-off writes off the case's own invoices, for what is really open on them,
    whatever a client states: the approver sees, and the entry books, the real figure."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_writeoff_account_id": cls.company_data["default_account_expense"].id,
                "collection_writeoff_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        cls.invoice = cls._post_invoice(1000, due_days_ago=40)
        cls.other_invoice = cls._post_invoice(40000, due_days_ago=40, partner=cls.other_customer)
        cls.second_manager = new_test_user(
            cls.env,
            login="co_guard_manager_2",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _create(self, user=None, **vals):
        """A write-off created as an RPC client would: plain values."""
        return (
            self.env["collection.writeoff"]
            .with_user(user or self.manager)
            .create(
                {
                    "case_id": self.case.id,
                    "invoice_ids": [Command.set(self.invoice.ids)],
                    "amount": 1,
                    "reason": "x",
                    **vals,
                }
            )
        )

    def _receivable(self, invoice):
        return invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def test_another_customers_invoice_is_refused(self):
        with self.assertRaisesRegex(UserError, "open invoices of"):
            self._create(invoice_ids=[Command.set(self.other_invoice.ids)])
        with self.assertRaisesRegex(UserError, "open invoices of"):
            self._create(invoice_ids=[Command.set((self.invoice | self.other_invoice).ids)])
        with self.assertRaisesRegex(UserError, "open invoices of"):
            self._create(invoice_ids=[Command.link(self.other_invoice.id)])
        self.assertFalse(self.env["collection.writeoff"].search([]))
        self.assertFalse(self._receivable(self.other_invoice).reconciled)

    def test_another_companys_invoice_is_refused(self):
        other = self.setup_other_company(name="Unrelated Company")
        foreign = self._post_invoice(
            500,
            due_days_ago=40,
            company_id=other["company"].id,
            journal_id=other["default_journal_sale"].id,
        )
        self.assertEqual(foreign.commercial_partner_id, self.customer, "the same customer")
        with self.assertRaisesRegex(UserError, "open invoices of"):
            self._create(invoice_ids=[Command.set(foreign.ids)])

    def test_only_open_posted_debts_of_the_case(self):
        draft = self._create_invoice_one_line(
            price_unit=300,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            post=False,
        )
        credit_note = self._post_invoice(200, due_days_ago=10, move_type="out_refund")
        paid = self._post_invoice(300, due_days_ago=20)
        self._pay(paid, 300)
        for move in (draft, credit_note, paid):
            with self.subTest(move=move.display_name):
                with self.assertRaisesRegex(UserError, "open invoices of"):
                    self._create(invoice_ids=[Command.set(move.ids)])
        with self.assertRaisesRegex(UserError, "Choose the invoices"):
            self._create(invoice_ids=[])
        with self.assertRaisesRegex(UserError, "changes no invoice"):
            self._create(
                invoice_ids=[Command.create({"move_type": "out_invoice"})],
            )

    def test_the_amount_is_read_from_accounting(self):
        writeoff = self._create()
        self.assertEqual(writeoff.amount, 1000, "not the 1 the client said")
        self.assertEqual(writeoff.requested_amount, 1000)
        self.assertEqual(writeoff.requested_by_id, self.manager)
        self.assertEqual(writeoff.state, "to_approve")
        self.assertEqual(writeoff.residual_amount, 1000)
        self.assertFalse(writeoff.residual_note)
        with self.assertRaisesRegex(UserError, "already awaits approval"):
            self._create(user=self.second_manager)

    def test_a_partly_paid_invoice_is_written_off_for_what_is_left(self):
        writeoff = self._create(amount=1000)
        self._pay(self.invoice, 400)
        # What the approver is shown before approving.
        writeoff.invalidate_recordset()
        approver = writeoff.with_user(self.second_manager)
        self.assertEqual(approver.residual_amount, 600)
        self.assertIn(self.invoice.name, approver.residual_detail)
        self.assertIn("600.00", approver.residual_detail)
        self.assertIn("not the", approver.residual_note)
        approver.action_approve()
        self.assertEqual(writeoff.state, "posted")
        self.assertEqual(writeoff.amount, 600)
        self.assertEqual(writeoff.requested_amount, 1000)
        expense = writeoff.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company.collection_writeoff_account_id
        )
        self.assertEqual(sum(expense.mapped("debit")), 600)
        self.assertTrue(self._receivable(self.invoice).reconciled)
        self.assertEqual(self.invoice.amount_residual, 0)
        notes = "".join(str(body) for body in self.case.message_ids.mapped("body"))
        self.assertIn("not the", notes)
        self.assertEqual(self.case.written_off_amount, 600)

    def test_more_than_requested_is_never_written_off(self):
        self._pay(self.invoice, 400)
        writeoff = self._create()
        self.assertEqual(writeoff.amount, 600)
        # The payment is unmatched: the invoice owes 1,000 again.
        self._receivable(self.invoice).remove_move_reconcile()
        writeoff.invalidate_recordset()
        self.assertEqual(writeoff.residual_amount, 1000)
        self.assertIn("cannot be approved", writeoff.residual_note)
        with self.assertRaisesRegex(UserError, "more than the"):
            writeoff.with_user(self.second_manager).action_approve()
        self.assertEqual(writeoff.state, "to_approve")
        self.assertFalse(self._receivable(self.invoice).reconciled)

    def test_the_wizard_offers_the_case_invoices_and_shows_the_amount(self):
        wizard = (
            self.env["collection.writeoff.wizard"]
            .with_user(self.manager)
            .create({"case_id": self.case.id, "reason": "Ceased trading."})
        )
        self.assertEqual(wizard.available_invoice_ids, self.invoice)
        self.assertEqual(wizard.amount, 1000)
        wizard.invoice_ids = self.other_invoice
        with self.assertRaisesRegex(UserError, "open invoices of"):
            wizard.action_writeoff()


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionWriteoffBranches(CollectionsCommon):
    """A branch's invoice is written off on the head office's case, which follows it up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.branch = cls.env["res.company"].create(
            {"name": "North Branch", "parent_id": cls.company.id}
        )
        cls.env.user.company_ids |= cls.branch
        cls.manager.company_ids |= cls.branch
        cls.env.cr.precommit.run()  # the branch takes the head office's chart
        cls.company.write(
            {
                "collection_writeoff_account_id": cls.company_data["default_account_expense"].id,
                "collection_writeoff_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        cls.branch_invoice = cls._post_invoice(
            300,
            due_days_ago=40,
            company_id=cls.branch.id,
            journal_id=cls.company_data["default_journal_sale"].id,
        )

    def test_a_branch_invoice_is_written_off_on_the_head_office_case(self):
        self._refresh(self.company | self.branch)
        case = self._case()
        writeoff = (
            self.env["collection.writeoff"]
            .with_user(self.manager)
            .create(
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(self.branch_invoice.ids)],
                    "amount": 1,
                    "reason": "The branch's customer ceased trading.",
                }
            )
        )
        self.assertEqual(writeoff.amount, 300)
