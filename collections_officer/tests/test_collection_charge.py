from datetime import date, timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, CollectionsCommon, days_ago


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCharge(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["collection.charge.rule"]
        cls.Charge = cls.env["collection.charge"]
        cls.Rate = cls.env["collection.reference.rate"]
        # Rates of the tests' own, so that a correction of the shipped rates changes nothing.
        cls.Rate.search([("rate_type", "=", "boe")]).unlink()
        cls.Rate.create(
            [
                {"rate_type": "boe", "date_from": date(2025, 7, 1), "rate": 5.0},
                {"rate_type": "boe", "date_from": date(2026, 1, 1), "rate": 4.0},
            ]
        )

    def _rule(self, **vals):
        return self.Rule.create({"name": "Late payment", **vals})

    def _open_case(self, partner=None):
        self._refresh()
        case = self._case(partner=partner)
        self.assertTrue(case, "an overdue customer has a case")
        return case

    def _charges_by_source(self, rule, kind):
        charges = self.Charge.search([("rule_id", "=", rule.id), ("kind", "=", kind)])
        return {charge.source_move_id: charge.amount for charge in charges}

    def test_fixed_fee_once_per_overdue_invoice(self):
        first = self._post_invoice(300, due_days_ago=40)
        second = self._post_invoice(200, due_days_ago=5)
        self._post_invoice(900, due_days_ago=-10)  # not due yet
        case = self._open_case()
        rule = self._rule(fee_amount=25)

        invoice = rule._charge_cases(case, TODAY)

        self.assertEqual(len(invoice), 1, "one charge invoice per case")
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.customer.id,
                    "invoice_date": TODAY,
                    "amount_total": 50.0,
                    "amount_tax": 0.0,
                    "journal_id": self.company_data["default_journal_sale"].id,
                }
            ],
        )
        self.assertEqual(len(invoice.invoice_line_ids), 2)
        self.assertEqual(
            invoice.invoice_line_ids.product_id,
            self.env.ref("collections_officer.product_late_payment_charge"),
        )
        self.assertEqual(self._charges_by_source(rule, "fee"), {first: 25.0, second: 25.0})
        self.assertEqual(rule.charge_count, 2)
        self.assertIn(invoice.name, case.message_ids[:1].body)

    def test_interest_follows_the_reference_rate_of_each_half_year(self):
        # Due on 1 December 2025: 31 days at the second-half 2025 rate (5 + 8),
        # then 180 days at the first-half 2026 rate (4 + 8).
        source = self._post_invoice(10000, due_days_ago=(TODAY - date(2025, 12, 1)).days)
        case = self._open_case()
        rule = self._rule(interest_type="reference", reference_rate_type="boe", interest_rate=8)

        invoice = rule._charge_cases(case, TODAY)

        charges = self.Charge.search([("rule_id", "=", rule.id)], order="date_from")
        self.assertRecordValues(
            charges,
            [
                {
                    "source_move_id": source.id,
                    "kind": "interest",
                    "date_from": date(2025, 12, 1),
                    "date_to": date(2026, 1, 1),
                    "days": 31,
                    "rate": 13.0,
                    "base_amount": 10000.0,
                    "amount": 110.41,  # 10,000 x 13% x 31 / 365
                    "invoice_id": invoice.id,
                },
                {
                    "source_move_id": source.id,
                    "kind": "interest",
                    "date_from": date(2026, 1, 1),
                    "date_to": TODAY,
                    "days": 180,
                    "rate": 12.0,
                    "base_amount": 10000.0,
                    "amount": 591.78,  # 10,000 x 12% x 180 / 365
                    "invoice_id": invoice.id,
                },
            ],
        )
        self.assertEqual(len(invoice.invoice_line_ids), 1, "one line per overdue invoice")
        self.assertAlmostEqual(invoice.amount_total, 702.19)

    def test_rate_in_force_at_a_date(self):
        self.assertEqual(self.Rate._rate_at("boe", date(2025, 12, 31)), 5.0)
        self.assertEqual(self.Rate._rate_at("boe", date(2026, 1, 1)), 4.0)
        self.assertEqual(self.Rate._rate_at("boe", date(2030, 1, 1)), 4.0)
        with self.assertRaisesRegex(UserError, "No Bank of England Base Rate is recorded"):
            self.Rate._rate_at("boe", date(2025, 6, 30))

    def test_shipped_rates_and_example_rules(self):
        self.assertEqual(self.Rate._rate_at("ecb", date(2024, 3, 1)), 4.5)
        self.assertEqual(self.Rate._rate_at("ecb", date(2025, 8, 1)), 2.15)
        # The examples belong to the main company, not to the tests' company.
        uk = self.env.ref("collections_officer.charge_rule_uk_late_payment").sudo()
        eu = self.env.ref("collections_officer.charge_rule_eu_late_payment").sudo()
        self.assertEqual(uk.company_id, self.env.ref("base.main_company"))
        self.assertFalse(uk.active or eu.active, "examples are not applied unasked")
        self.assertEqual(
            [uk._compensation_for(debt) for debt in (999, 1000, 9999.99, 10000)],
            [40, 70, 70, 100],
        )
        self.assertEqual((uk.reference_rate_type, uk.interest_rate), ("boe", 8))
        self.assertEqual((eu.reference_rate_type, eu._compensation_for(50000)), ("ecb", 40))

    def test_uk_compensation_bands(self):
        small = self._post_invoice(999, due_days_ago=20)
        medium = self._post_invoice(5000, due_days_ago=20)
        large = self._post_invoice(20000, due_days_ago=20)
        case = self._open_case()
        rule = self._rule(
            compensation=True,
            band_1_limit=1000,
            band_1_amount=40,
            band_2_limit=10000,
            band_2_amount=70,
            compensation_amount=100,
        )

        invoice = rule._charge_cases(case, TODAY)

        self.assertEqual(
            self._charges_by_source(rule, "compensation"),
            {small: 40.0, medium: 70.0, large: 100.0},
        )
        self.assertEqual(invoice.amount_total, 210.0)

    def test_eu_compensation_is_flat(self):
        small = self._post_invoice(999, due_days_ago=20)
        large = self._post_invoice(20000, due_days_ago=20)
        case = self._open_case()
        rule = self._rule(compensation=True, compensation_amount=40)

        rule._charge_cases(case, TODAY)

        self.assertEqual(self._charges_by_source(rule, "compensation"), {small: 40.0, large: 40.0})

    def test_each_installment_bears_interest_from_its_own_due_date(self):
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
            invoice_date=TODAY - timedelta(days=90),
            invoice_payment_term_id=terms.id,
            post=True,
        )
        case = self._open_case()
        rule = self._rule(interest_type="fixed", interest_rate=10)
        invoice = rule._charge_cases(case, TODAY)
        # 500 x 10% x 60 / 365 + 500 x 10% x 30 / 365, not 1,000 over 60 days.
        self.assertAlmostEqual(invoice.amount_total, 8.22 + 4.11, places=2)

    def test_never_invoiced_twice(self):
        source = self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)

        first = rule._charge_cases(case, TODAY)
        self.assertAlmostEqual(first.amount_total, 10 + 8.22)  # 1,000 x 10% x 30 / 365

        again = rule._charge_cases(case, TODAY)
        self.assertFalse(again, "the same day charges nothing new")
        self.assertEqual(self.Charge.search_count([("rule_id", "=", rule.id)]), 2)

        later = TODAY + timedelta(days=31)
        with freeze_time(later):
            second = rule._charge_cases(case, later)
        # Only the new interest period: no second fee, and the first charge invoice,
        # overdue by now, bears no charge itself.
        self.assertEqual(len(second.invoice_line_ids), 1)
        self.assertAlmostEqual(second.amount_total, 8.49)  # 1,000 x 10% x 31 / 365
        interest = self.Charge.search([("invoice_id", "=", second.id)])
        self.assertRecordValues(
            interest,
            [{"source_move_id": source.id, "kind": "interest", "date_from": TODAY}],
        )

        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.Charge.sudo().create(
                {
                    "case_id": case.id,
                    "rule_id": rule.id,
                    "source_move_id": source.id,
                    "kind": "fee",
                    "amount": 10,
                    "date": TODAY,
                }
            )
            self.env.flush_all()

    def test_breathing_space_freezes_fees_and_interest(self):
        self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)
        case.breathing_space_until = TODAY + timedelta(days=10)

        self.assertFalse(rule._charge_cases(case, TODAY))
        self.assertFalse(self.Charge.search([("case_id", "=", case.id)]))

        # Once it is over, interest restarts from its end, not from the due date.
        case.breathing_space_until = days_ago(10)
        rule._charge_cases(case, TODAY)
        interest = self.Charge.search([("case_id", "=", case.id), ("kind", "=", "interest")])
        self.assertRecordValues(interest, [{"date_from": days_ago(10), "days": 10}])

    def test_no_followup_items_and_credit_notes_are_not_charged(self):
        charged = self._post_invoice(1000, due_days_ago=30)
        excluded = self._post_invoice(500, due_days_ago=30)
        excluded.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).no_followup = True
        self._post_invoice(100, due_days_ago=30, move_type="out_refund")
        case = self._open_case()
        rule = self._rule(fee_amount=15, interest_type="fixed", interest_rate=5)

        invoice = rule._charge_cases(case, TODAY)

        self.assertEqual(self.Charge.search([("rule_id", "=", rule.id)]).source_move_id, charged)
        self.assertEqual(len(invoice.invoice_line_ids), 2, "a fee and interest, on one invoice")

    def test_bad_rules_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "interest rate is below zero"):
            self._rule(interest_type="fixed", interest_rate=-1)
        with self.assertRaisesRegex(ValidationError, "fixed fee is below zero"):
            self._rule(fee_amount=-5)
        with self.assertRaisesRegex(ValidationError, "charges nothing"):
            self._rule()
        with self.assertRaisesRegex(ValidationError, "charges nothing"):
            self._rule(interest_type="fixed", interest_rate=0)
        with self.assertRaisesRegex(ValidationError, "choose the reference rate"):
            self._rule(interest_type="reference", interest_rate=8)
        with self.assertRaisesRegex(ValidationError, "band 2 must cover larger debts"):
            self._rule(compensation=True, band_1_limit=1000, band_2_limit=500, band_1_amount=40)

    def test_officer_charges_but_cannot_edit_rules(self):
        self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        rule = self._rule(fee_amount=10)
        with self.assertRaises(AccessError):
            rule.with_user(self.officer).write({"fee_amount": 0})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.officer).create({"name": "Mine", "fee_amount": 1})
        with self.assertRaises(AccessError):
            self.Rate.with_user(self.officer).create(
                {"rate_type": "ecb", "date_from": date(2030, 1, 1), "rate": 1}
            )
        # Executing a follow-up level, an officer bills the charges of a case they work.
        invoice = rule.with_user(self.officer)._charge_cases(case.with_user(self.officer), TODAY)
        self.assertEqual(invoice.amount_total, 10.0)
        self.assertEqual(len(self.Charge.with_user(self.officer).search([])), 1)

    def test_companies_are_isolated(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        officer_b = new_test_user(
            self.env,
            login="co_charge_officer_b",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        self._post_invoice(1000, due_days_ago=30)
        self._create_invoice_one_line(
            price_unit=700,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(30),
            invoice_date_due=days_ago(30),
            company_id=company_b.id,
            post=True,
        )
        self.Case._refresh_from_accounting(companies=self.company | company_b)
        case_a, case_b = self._case(), self._case(company=company_b)
        rule_a = self._rule(fee_amount=10)
        rule_b = self.Rule.with_company(company_b).create({"name": "B fee", "fee_amount": 20})
        self.assertEqual(rule_b.journal_id.company_id, company_b)

        self.assertFalse(rule_a._charge_cases(case_b, TODAY), "a rule charges its company only")
        invoice_a = rule_a._charge_cases(case_a, TODAY)
        invoice_b = rule_b._charge_cases(case_b, TODAY)
        self.assertEqual(invoice_b.company_id, company_b)
        self.assertEqual(invoice_a.company_id, self.company)

        self.assertEqual(self.Rule.with_user(officer_b).search([]), rule_b)
        self.assertEqual(self.Charge.with_user(officer_b).search([]).invoice_id, invoice_b)
        with self.assertRaises(AccessError):
            rule_a.with_user(officer_b).read(["name"])
