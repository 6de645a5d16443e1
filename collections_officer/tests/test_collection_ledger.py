from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import freeze_time, tagged

from ..models import collection_ledger_money
from .common import TODAY, CollectionsCommon, days_ago
from .test_collection_followup import FollowupCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionLedger(CollectionsCommon):
    """What the ledger counts as debt, at the edges of accounting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ledger = cls.env["collection.ledger"]
        cls.company.collection_tolerance = 1.0

    def _misc_entry(self, amount, due_days_ago, partner=None):
        """A posted miscellaneous-journal entry on the customer's receivable account.

        A positive amount is a debit (a migrated opening balance), a negative one a
        credit (a deposit or an opening credit).
        """
        receivable = self.company_data["default_account_receivable"]
        other = self.company_data["default_account_revenue"]
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "date": days_ago(max(due_days_ago, 0)),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": (partner or self.customer).id,
                            "debit": max(amount, 0),
                            "credit": max(-amount, 0),
                            "date_maturity": days_ago(due_days_ago),
                        }
                    ),
                    Command.create(
                        {
                            "account_id": other.id,
                            "debit": max(-amount, 0),
                            "credit": max(amount, 0),
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    # ------------------------------------------------------------- tolerance

    def test_settings_of_what_counts_as_debt(self):
        self.env["res.config.settings"].create(
            {
                "collection_tolerance": 5.0,
                "collection_include_misc_debits": True,
                "collection_case_per_branch": True,
            }
        ).execute()
        self.assertEqual(self.company.collection_tolerance, 5.0)
        self.assertTrue(self.company.collection_include_misc_debits)
        self.assertTrue(self.company.collection_case_per_branch)

    def test_penny_exchange_residual_opens_no_case(self):
        invoice = self._post_invoice(100, due_days_ago=40)
        self._pay(invoice, 99.99, days_ago_paid=10)
        self._refresh()
        self.assertFalse(self._case(), "0.01 left on an invoice is not a debt")

    def test_short_payment_below_tolerance_is_not_chased(self):
        short = self._post_invoice(100, due_days_ago=200)
        self._pay(short, 99.50, days_ago_paid=150)
        self._refresh()
        self.assertFalse(self._case(), "a 0.50 bank fee kept by the customer is not a debt")

        self._post_invoice(500, due_days_ago=10)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 500, "the 0.50 is set apart")
        self.assertEqual(case.no_followup_amount, 0.50)
        self.assertEqual(case.total_due, 500.50)
        self.assertEqual(case.oldest_due_date, days_ago(10), "not aged on the 0.50")
        self.assertEqual(case.overdue_invoice_count, 1)

    def test_overdue_amount_below_tolerance_is_nothing_overdue(self):
        self._post_invoice(300, due_days_ago=30)
        self._receive_unallocated(299.40)
        self._refresh()
        self.assertFalse(self._case(), "0.60 overdue after credits is below the tolerance")

    def test_overdue_check_rounds_as_the_currency_near_the_tolerance(self):
        is_overdue = self.Ledger._overdue_check(self.company)
        currency = self.company.currency_id
        tolerance = self.company.collection_tolerance
        for amount in (0.5, 0.989, 0.99, 0.994, 0.995, 0.996, 1.0, 1.004, 1.005, 1.01, 1.02, 50):
            figures = {"overdue_amount": amount, "oldest_due_date": days_ago(3)}
            self.assertEqual(
                is_overdue(figures),
                currency.compare_amounts(amount, tolerance) >= 0,
                f"{amount} against a tolerance of {tolerance}",
            )
        self.assertFalse(is_overdue({"overdue_amount": 50, "oldest_due_date": False}))

    def test_tolerance_converted_to_the_line_currency(self):
        currency = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.assertTrue(self.Ledger._below_tolerance(self.company, 1.5, currency))
        self.assertFalse(self.Ledger._below_tolerance(self.company, 2.5, currency))
        self.assertTrue(self.Ledger._below_tolerance(self.company, -0.5))
        self.assertFalse(self.Ledger._below_tolerance(self.company, 1.0))
        invoice = self._post_invoice(100, due_days_ago=40, currency_id=currency.id)
        self._pay(invoice, 98.5, days_ago_paid=10)  # in EUR: 1.50 EUR left
        self._post_invoice(10, due_days_ago=5)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 10, "1.50 EUR is below 1.00 at 2 EUR a unit")
        self.assertEqual(case.oldest_due_date, days_ago(5))
        self.assertEqual(self.Ledger._lines_below_tolerance(case.open_line_ids).move_id, invoice)

    # ----------------------------------------------------------- journals

    def test_credit_in_a_miscellaneous_journal_reduces_the_debt(self):
        self._post_invoice(1000, due_days_ago=40)
        self._misc_entry(-1000, due_days_ago=5)
        self._refresh()
        self.assertFalse(self._case(), "the deposit held covers the invoice")

        self._post_invoice(400, due_days_ago=10)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 400)
        self.assertEqual(case.no_followup_amount, 0, "credits are never set apart")

    def test_miscellaneous_opening_debit_followed_up_with_the_switch(self):
        self._misc_entry(700, due_days_ago=60)
        self._refresh()
        self.assertFalse(self._case(), "Odoo marks miscellaneous entries 'No Follow-Up'")

        chased = self.Ledger._chased_items_domain(self.customer, self.company)
        self.assertFalse(self.env["account.move.line"].search(chased))

        self.company.collection_include_misc_debits = True
        self._refresh()
        case = self._case()
        chased = self.Ledger._chased_items_domain(self.customer, self.company)
        self.assertEqual(self.env["account.move.line"].search(chased).balance, 700)
        self.assertEqual(case.overdue_amount, 700)
        self.assertEqual(case.oldest_due_date, days_ago(60))
        self.assertEqual(case.no_followup_amount, 0)

    def test_items_due_before_the_followup_start_are_shown_not_chased(self):
        self._post_invoice(300, due_days_ago=100)
        self.company.collection_followup_from = days_ago(50)
        self._refresh()
        self.assertFalse(self._case(), "only items due before the start are open")

        self._post_invoice(200, due_days_ago=20)
        self._refresh()
        case = self._case()
        self.assertEqual(case.total_due, 500)
        self.assertEqual(case.overdue_amount, 200)
        self.assertEqual(case.no_followup_amount, 300)
        self.assertEqual(case.amount_91_120, 300, "shown in its bucket")
        self.assertEqual(case.oldest_due_date, days_ago(20))
        chased = self.Ledger._chased_items_domain(self.customer, self.company)
        self.assertEqual(self.env["account.move.line"].search(chased).balance, 200)

    # --------------------------------------------------------------- ageing

    def test_credits_pay_the_oldest_debts_first(self):
        self._post_invoice(1000, due_days_ago=200)
        self._post_invoice(300, due_days_ago=20)
        self._post_invoice(100, due_days_ago=-10)
        self._receive_unallocated(1000, days_ago_paid=3)  # no reference: matched to nothing
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 300)
        self.assertEqual(case.oldest_due_date, days_ago(20), "the oldest invoice is paid")
        self.assertEqual(case.days_overdue, 20)
        self.assertEqual(case.aging_bucket, "1_30")
        self.assertEqual(case.overdue_invoice_count, 1)
        self.assertEqual(case.next_due_date, TODAY + timedelta(days=10))

        self._receive_unallocated(250, days_ago_paid=1)
        self._refresh()
        self.assertEqual(case.state, "open", "50 of the recent invoice still unpaid")
        self.assertEqual(case.oldest_due_date, days_ago(20))
        self.assertEqual(case.overdue_amount, 50)

    # ------------------------------------------------- invoices Odoo holds

    def test_blocked_invoice_is_not_chased(self):
        invoice = self._post_invoice(800, due_days_ago=30)
        invoice.action_toggle_block_payment()
        self._refresh()
        self.assertFalse(self._case(), "payment of the invoice is blocked")
        chased = self.env["account.move.line"].search(
            self.Ledger._chased_items_domain(self.customer, self.company)
        )
        self.assertFalse(chased, "nor charged")

        self._post_invoice(200, due_days_ago=10)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 200)
        self.assertEqual(case.no_followup_amount, 800)
        self.assertEqual(case.oldest_due_date, days_ago(10))

    def test_invoice_in_payment_is_not_chased(self):
        invoice = self._post_invoice(800, due_days_ago=30)
        open_invoice = self._post_invoice(50, due_days_ago=20)
        # A payment registered without a journal entry yet (Odoo's accounting app):
        # the invoice is 'in payment' while its receivable line stays open.
        invoice.payment_state = "in_payment"
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 50)
        self.assertEqual(case.oldest_due_date, days_ago(20))
        chased = self.env["account.move.line"].search(
            self.Ledger._chased_items_domain(self.customer, self.company)
        )
        self.assertEqual(chased.move_id, open_invoice)

    # ------------------------------------------------------------ branches

    def test_head_office_and_branch_share_one_case(self):
        branch = self.env["res.company"].create({"name": "Branch", "parent_id": self.company.id})
        self.env.user.company_ids |= branch
        self.env.cr.precommit.run()  # the branch takes the head office's chart
        self._post_invoice(100, due_days_ago=40)
        branch_invoice = self._create_invoice_one_line(
            price_unit=300,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(60),
            invoice_date_due=days_ago(60),
            company_id=branch.id,
            journal_id=self.company_data["default_journal_sale"].id,
            post=True,
        )
        self.assertEqual(branch_invoice.company_id, branch)
        self._refresh(self.company | branch)
        case = self._case()
        self.assertEqual(case.overdue_amount, 400)
        self.assertEqual(case.oldest_due_date, days_ago(60))
        self.assertFalse(self._case(company=branch), "no second case at the branch")
        self.assertIn(branch_invoice.line_ids.filtered("amount_residual"), case.open_line_ids)

        self.company.collection_case_per_branch = True
        self._refresh(self.company | branch)
        self.assertEqual(case.overdue_amount, 100)
        self.assertEqual(self._case(company=branch).overdue_amount, 300)

    # ------------------------------------------------------------ payments

    def test_bounced_cheque_is_not_the_last_payment(self):
        invoice = self._post_invoice(500, due_days_ago=40)
        self._pay(invoice, 200, days_ago_paid=20)
        bounced = self._pay(invoice, 300, days_ago_paid=5)
        self._refresh()
        self.assertFalse(self._case(), "paid")
        self._post_invoice(50, due_days_ago=10)
        self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=bounced.move_id.ids
        ).create({"date": days_ago(2), "journal_id": bounced.journal_id.id}).reverse_moves()
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 350, "the cheque bounced")
        self.assertEqual(case.last_payment_date, days_ago(20))

    def test_many_customers_read_the_ledger_once_with_the_same_result(self):
        """Past WHOLE_LEDGER_CUSTOMERS, the last payments and the payment history are read
        in one pass over the ledger: the same figures, for the customers asked only."""
        other = self.env["res.partner"].create({"name": "Other customer"})
        for partner, days in ((self.customer, 20), (other, 8)):
            invoice = self._post_invoice(500, due_days_ago=40, partner=partner)
            self._pay(invoice, 500, days_ago_paid=days)
            self._post_invoice(100, due_days_ago=10, partner=partner)
        partners = self.customer
        looked_up = (
            self.Ledger._fetch_figures(self.company, partners),
            self.Ledger._fetch_payment_history(self.company, partners),
        )
        with patch.object(collection_ledger_money, "WHOLE_LEDGER_CUSTOMERS", 0):
            read_once = (
                self.Ledger._fetch_figures(self.company, partners),
                self.Ledger._fetch_payment_history(self.company, partners),
            )
        self.assertEqual(read_once, looked_up)
        key = (self.customer.id, self.company.id)
        self.assertEqual(looked_up[0][key]["last_payment_date"], days_ago(20))
        self.assertEqual(looked_up[1][key]["paid_count"], 1)
        self.assertEqual(set(looked_up[1]), {key}, "only the customers asked for")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionLedgerDueSoon(FollowupCommon):
    """Reminders before the due date look at what the customer owes after credits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.level"].create(
            {
                "name": "Due soon",
                "policy_id": cls.policy.id,
                "delay_days": -5,
                "send_email": True,
                "mail_template_id": cls.template.id,
            }
        )

    def test_credit_covering_what_falls_due_sends_no_reminder(self):
        self._post_invoice(300, due_days_ago=-3)
        self._receive_unallocated(500, days_ago_paid=2)
        self._refresh()
        self.assertFalse(self._case(), "the money held covers what falls due")

        self._post_invoice(400, due_days_ago=-4)
        self._refresh()
        case = self._case()
        self.assertEqual(case.state, "upcoming", "200 of the new invoice is not covered")
        self.assertEqual(case.next_due_date, TODAY + timedelta(days=4))
