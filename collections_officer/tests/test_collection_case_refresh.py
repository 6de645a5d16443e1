from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from ..models.collection_case_refresh import OPENING_AMOUNTS
from .common import TODAY, CollectionsCommon, days_ago

BUCKETS = (
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_91_120",
    "amount_over_120",
)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseRefresh(CollectionsCommon):
    def assertBuckets(self, case, **expected):
        actual = {name: case[name] for name in BUCKETS}
        self.assertEqual(actual, dict.fromkeys(BUCKETS, 0.0) | expected)
        self.assertAlmostEqual(sum(actual.values()), case.total_due)

    def test_case_only_for_overdue_customers(self):
        self._post_invoice(100, due_days_ago=10)
        self._post_invoice(300, due_days_ago=-5, partner=self.other_customer)
        self._create_invoice_one_line(
            price_unit=50, partner_id=self.customer, invoice_date=days_ago(40)
        )  # a draft: not accounting yet
        self._refresh()
        case = self._case()
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.overdue_amount, 100)
        self.assertFalse(self._case(self.other_customer), "nothing overdue, no case")

    def test_amounts_and_buckets_match_accounting(self):
        self._post_invoice(100, due_days_ago=-3)
        self._post_invoice(200, due_days_ago=15)
        self._post_invoice(300, due_days_ago=45)
        self._post_invoice(400, due_days_ago=75)
        self._post_invoice(500, due_days_ago=105)
        self._post_invoice(600, due_days_ago=200)
        self._refresh()
        case = self._case()
        self.assertEqual(case.total_due, 2100)
        self.assertEqual(case.overdue_amount, 2000)
        self.assertEqual(case.overdue_invoice_count, 5)
        self.assertEqual(case.oldest_due_date, days_ago(200))
        self.assertEqual(case.days_overdue, 200)
        self.assertEqual(case.aging_bucket, "over_120")
        self.assertBuckets(
            case,
            amount_not_due=100,
            amount_1_30=200,
            amount_31_60=300,
            amount_61_90=400,
            amount_91_120=500,
            amount_over_120=600,
        )
        self.assertEqual(case.opening_amount, 2000)
        self.assertEqual(case.collected_amount, 0)
        # The refresh writes the amounts of the cases it opens after creating them:
        # none is left empty in the database, where reports sum and compare them.
        empty = self.env.execute_query(
            SQL(
                "SELECT %s FROM collection_case WHERE id = %s",
                SQL(", ").join(SQL("%s IS NULL", SQL.identifier(n)) for n in OPENING_AMOUNTS),
                case.id,
            )
        )[0]
        self.assertFalse(any(empty), dict(zip(OPENING_AMOUNTS, empty, strict=True)))

    def test_partial_payment_and_credit_note_reduce_what_is_due(self):
        old = self._post_invoice(1000, due_days_ago=40)
        recent = self._post_invoice(500, due_days_ago=5)
        self._pay(old, 400, days_ago_paid=3)
        self._reverse_invoice(recent, post=True)  # a full credit note, reconciled
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 600)
        self.assertEqual(case.total_due, 600)
        self.assertEqual(case.overdue_invoice_count, 1)
        self.assertEqual(case.last_payment_date, days_ago(3))
        self.assertBuckets(case, amount_31_60=600)

    def test_unreconciled_credits_reduce_overdue(self):
        self._post_invoice(1000, due_days_ago=40)
        self._post_invoice(200, due_days_ago=20, move_type="out_refund")  # open credit note
        self._receive_unallocated(300, days_ago_paid=2)
        self._refresh()
        case = self._case()
        self.assertEqual(case.total_due, 500)
        self.assertEqual(case.overdue_amount, 500)
        self.assertEqual(case.overdue_invoice_count, 1, "credits are not overdue invoices")
        self.assertEqual(case.oldest_due_date, days_ago(40))
        self.assertEqual(case.last_payment_date, days_ago(2))

    def test_credit_larger_than_overdue_opens_no_case(self):
        self._post_invoice(100, due_days_ago=40)
        self._post_invoice(900, due_days_ago=-10)
        self._receive_unallocated(150)
        self._refresh()
        self.assertFalse(self._case(), "the unapplied payment covers what is overdue")

    def test_foreign_currency_invoice_in_company_currency(self):
        currency = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._post_invoice(1000, due_days_ago=20, currency_id=currency.id)
        self._refresh()
        case = self._case()
        self.assertEqual(case.currency_id, self.company.currency_id)
        self.assertEqual(case.overdue_amount, 500, "1000 EUR at 2 EUR per company unit")

    def test_installments_overdue_only_past_their_own_due_date(self):
        terms = self.env["account.payment.term"].create(
            {
                "name": "Two installments 30/60",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 60}),
                ],
            }
        )
        self._create_invoice_one_line(
            price_unit=1000,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(45),
            invoice_payment_term_id=terms.id,
            post=True,
        )
        self._refresh()
        case = self._case()
        self.assertEqual(case.total_due, 1000)
        self.assertEqual(case.overdue_amount, 500, "only the first installment is due")
        self.assertEqual(case.oldest_due_date, days_ago(15))
        self.assertBuckets(case, amount_not_due=500, amount_1_30=500)

    def test_no_followup_lines_shown_but_not_driving_followup(self):
        excluded = self._post_invoice(700, due_days_ago=50)
        excluded.line_ids.filtered(lambda line: line.account_type == "asset_receivable").write(
            {"no_followup": True}
        )
        self._refresh()
        self.assertFalse(self._case(), "only excluded items are overdue")
        self._post_invoice(100, due_days_ago=10)
        self._refresh()
        case = self._case()
        self.assertEqual(case.overdue_amount, 100)
        self.assertEqual(case.no_followup_amount, 700)
        self.assertEqual(case.total_due, 800)
        self.assertEqual(case.oldest_due_date, days_ago(10))
        self.assertIn(excluded, case.open_line_ids.move_id, "the excluded invoice is still shown")

    def test_child_contact_invoices_belong_to_the_commercial_partner(self):
        self._post_invoice(100, due_days_ago=10, partner=self.contact)
        self._post_invoice(50, due_days_ago=70)
        self._refresh()
        case = self._case()
        self.assertEqual(len(case), 1)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.overdue_amount, 150)
        self.assertFalse(self.Case.search([("partner_id", "=", self.contact.id)]))
        self.assertEqual(self.contact.collection_case_id, case)

    def test_one_case_per_customer_and_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self._post_invoice(100, due_days_ago=10)
        self._create_invoice_one_line(
            price_unit=70,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(40),
            invoice_date_due=days_ago(40),
            company_id=company_b.id,
            post=True,
        )
        for _run in range(3):
            self._refresh(self.company | company_b)
        case_a = self._case()
        case_b = self._case(company=company_b)
        self.assertEqual((len(case_a), len(case_b)), (1, 1))
        self.assertEqual(case_a.overdue_amount, 100)
        self.assertEqual(case_b.overdue_amount, 70)
        self.assertEqual(case_b.currency_id, company_b.currency_id)

    def test_refresh_twice_changes_nothing(self):
        self._post_invoice(100, due_days_ago=10)
        self._refresh()
        case = self._case()
        messages = case.message_ids
        touched = self._refresh()
        self.assertEqual(self._case(), case)
        self.assertEqual(case.message_ids, messages, "a second refresh logs nothing")
        self.assertFalse(touched, "nothing changed, nothing written")
        self.assertEqual(case.overdue_amount, 100)

    def test_close_after_full_payment_and_reopen_on_new_overdue(self):
        invoice = self._post_invoice(100, due_days_ago=10)
        self._refresh()
        case = self._case()
        self._pay(invoice, 100)
        self._refresh()
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.overdue_amount, 0)
        self.assertIn("closed", case.message_ids[0].body)

        self._post_invoice(250, due_days_ago=1)
        self._refresh()
        self.assertEqual(self._case(), case, "the same case is reopened, no duplicate")
        self.assertEqual(case.state, "open")
        self.assertEqual(case.overdue_amount, 250)
        self.assertIn("reopened", case.message_ids[0].body)

    def test_closed_case_keeps_amounts_not_yet_due(self):
        invoice = self._post_invoice(100, due_days_ago=10)
        self._post_invoice(300, due_days_ago=-20)
        self._refresh()
        self._pay(invoice, 100)
        self._refresh()
        case = self._case()
        self.assertEqual(case.state, "closed")
        self.assertEqual((case.overdue_amount, case.total_due), (0, 300))

    def test_case_becomes_overdue_with_time(self):
        self._post_invoice(100, due_days_ago=-5)
        self._refresh()
        self.assertFalse(self._case())
        with freeze_time(days_ago(-6)):
            self._refresh()
            self.assertEqual(self._case().days_overdue, 1)

    def test_refresh_button_on_a_selection(self):
        self._post_invoice(100, due_days_ago=10)
        self._post_invoice(100, due_days_ago=10, partner=self.other_customer)
        self._refresh()
        case, other = self._case(), self._case(self.other_customer)
        self._post_invoice(40, due_days_ago=3)
        self._post_invoice(40, due_days_ago=3, partner=self.other_customer)
        case.with_user(self.officer).action_refresh()
        self.assertEqual(case.overdue_amount, 140)
        self.assertEqual(other.overdue_amount, 100, "not selected, not refreshed")

    def test_new_case_takes_the_customers_officer_and_team(self):
        team = self.env["collection.team"].create(
            {"name": "North", "member_ids": [Command.link(self.officer.id)]}
        )
        self.customer.collection_user_id = self.officer
        self._post_invoice(100, due_days_ago=10)
        self._refresh()
        case = self._case()
        self.assertEqual(case.user_id, self.officer)
        self.assertEqual(case.team_id, team)
        # The next action is the first level, due since the debt reached its delay.
        first_level = case.effective_policy_id._get_levels()[0]
        self.assertEqual(
            case.next_action_date, days_ago(10) + timedelta(days=first_level.delay_days)
        )
        self.assertTrue(case.name.startswith("COL/"))

    def test_invoice_links_to_its_case(self):
        invoice = self._post_invoice(100, due_days_ago=10)
        self._refresh()
        self.assertEqual(invoice.collection_case_id, self._case())
        self.assertEqual(self.customer.collection_case_count, 1)

    def test_search_by_age_and_bucket(self):
        self._post_invoice(100, due_days_ago=95)
        self._post_invoice(100, due_days_ago=20, partner=self.other_customer)
        self._refresh()
        old = self.Case.search([("days_overdue", ">", 90), ("company_id", "=", self.company.id)])
        self.assertEqual(old, self._case())
        recent = self.Case.search(
            [("aging_bucket", "in", ["1_30"]), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(recent, self._case(self.other_customer))

    def test_worklist_order_oldest_then_largest(self):
        third = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        self._post_invoice(100, due_days_ago=30)
        self._post_invoice(900, due_days_ago=30, partner=self.other_customer)
        self._post_invoice(50, due_days_ago=60, partner=third)
        self._refresh()
        cases = self.Case.search([("company_id", "=", self.company.id)])
        self.assertEqual(cases.partner_id, third | self.other_customer | self.customer)
