from datetime import date, timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon, days_ago


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionChargeInterest(CollectionsCommon):
    """What interest and compensation are due on: the debt as it fell due, each part of it
    until the day it was paid, in the invoice's currency, never on a period whose
    reference rate is unknown."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["collection.charge.rule"]
        cls.Charge = cls.env["collection.charge"]
        cls.Rate = cls.env["collection.reference.rate"]
        cls.Rate.search([("rate_type", "=", "boe")]).unlink()
        cls.rate_2025_h2 = cls.Rate.create(
            {"rate_type": "boe", "date_from": date(2025, 7, 1), "rate": 5.0}
        )
        cls.Rate.create({"rate_type": "boe", "date_from": date(2026, 1, 1), "rate": 4.0})

    def _rule(self, **vals):
        return self.Rule.create({"name": "Late payment", **vals})

    def _open_case(self):
        self._refresh()
        case = self._case()
        self.assertTrue(case)
        return case

    def test_interest_runs_to_the_day_each_part_was_paid(self):
        source = self._post_invoice(1000, due_days_ago=60)
        case = self._open_case()
        rule = self._rule(interest_type="fixed", interest_rate=10)
        first = rule._charge_cases(case, days_ago(30))
        self.assertAlmostEqual(first.amount_total, 8.22)  # 1,000 x 10% x 30 / 365

        # Paid in two parts between the runs: the invoice is no longer open.
        self._pay(source, 400, days_ago_paid=20)
        self._pay(source, 600, days_ago_paid=10)
        self.assertEqual(source.payment_state, "paid")

        second = rule._charge_cases(case, TODAY)
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", second.id)], order="date_from"),
            [
                {
                    "source_move_id": source.id,
                    "date_from": days_ago(30),
                    "date_to": days_ago(20),
                    "base_amount": 1000.0,
                    "amount": 2.74,  # 1,000 x 10% x 10 / 365
                },
                {
                    "source_move_id": source.id,
                    "date_from": days_ago(20),
                    "date_to": days_ago(10),
                    "base_amount": 600.0,
                    "amount": 1.64,  # 600 x 10% x 10 / 365
                },
            ],
        )
        self.assertAlmostEqual(second.amount_total, 4.38)
        self.assertFalse(
            rule._charge_cases(case, TODAY + timedelta(days=30)), "paid: nothing accrues"
        )

    def test_a_part_payment_lowers_the_interest_from_its_day(self):
        source = self._post_invoice(1000, due_days_ago=30)
        self._pay(source, 250, days_ago_paid=10)
        case = self._open_case()
        rule = self._rule(interest_type="fixed", interest_rate=10)

        invoice = rule._charge_cases(case, TODAY)

        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", invoice.id)], order="date_from"),
            [
                {"date_from": days_ago(30), "date_to": days_ago(10), "base_amount": 1000.0},
                {"date_from": days_ago(10), "date_to": TODAY, "base_amount": 750.0},
            ],
        )
        # 1,000 x 10% x 20 / 365 + 750 x 10% x 10 / 365
        self.assertAlmostEqual(invoice.amount_total, 5.48 + 2.05)

    def test_compensation_band_is_the_debt_when_due(self):
        source = self._post_invoice(5000, due_days_ago=20)
        self._pay(source, 4500, days_ago_paid=5)
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

        # 500 is still owed, but the debt was 5,000 when it fell due: band 2.
        self.assertEqual(invoice.amount_total, 70.0)

    def test_breathing_space_freezes_only_its_own_days(self):
        self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        case.write({"breathing_space_from": days_ago(20), "breathing_space_until": days_ago(10)})
        rule = self._rule(interest_type="fixed", interest_rate=10)

        rule._charge_cases(case, TODAY)

        # 10 days before the space, its 11 days (both ends included) frozen, 9 days after.
        self.assertRecordValues(
            self.Charge.search([("case_id", "=", case.id)], order="date_from"),
            [
                {"date_from": days_ago(30), "date_to": days_ago(20), "days": 10},
                {"date_from": days_ago(9), "date_to": TODAY, "days": 9},
            ],
        )

    def test_foreign_currency_invoice_is_charged_in_its_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        source = self._post_invoice(1000, due_days_ago=30, currency_id=eur.id)
        self.assertEqual(source.amount_residual_signed, 500.0, "1,000 EUR is 500 in the books")
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)

        home = self._post_invoice(300, due_days_ago=30)

        invoices = rule._charge_cases(case, TODAY)

        self.assertEqual(len(invoices), 2, "one charge invoice per currency")
        invoice = invoices.filtered(lambda move: move.currency_id == eur)
        self.assertEqual(
            self.Charge.search([("invoice_id", "in", (invoices - invoice).ids)]).source_move_id,
            home,
        )
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", invoice.id)], order="kind"),
            [
                {
                    "kind": "fee",
                    "currency_id": eur.id,
                    "base_amount": 1000.0,
                    "amount": 20.0,
                },  # 10 in company currency
                {"kind": "interest", "currency_id": eur.id, "base_amount": 1000.0, "amount": 8.22},
            ],
        )
        self.assertAlmostEqual(invoice.amount_total, 28.22)

    def test_residual_below_tolerance_draws_no_charge(self):
        self.company.collection_tolerance = 5.0
        source = self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        self._pay(source, 997, days_ago_paid=10)
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)

        rule._charge_cases(case, TODAY)

        # Interest until the 997 were paid; none on the 3 left, and no fee on them.
        self.assertRecordValues(
            self.Charge.search([("case_id", "=", case.id)]),
            [{"kind": "interest", "date_from": days_ago(30), "date_to": days_ago(10)}],
        )

    def test_blocked_and_in_payment_invoices_draw_no_charge(self):
        charged = self._post_invoice(1000, due_days_ago=30)
        blocked = self._post_invoice(700, due_days_ago=30)
        blocked.action_toggle_block_payment()
        in_payment = self._post_invoice(500, due_days_ago=30)
        # A payment registered without its journal entry yet (Enterprise accounting).
        in_payment.payment_state = "in_payment"
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)

        rule._charge_cases(case, TODAY)

        self.assertEqual(self.Charge.search([("case_id", "=", case.id)]).source_move_id, charged)

    def test_items_due_before_follow_up_went_live_draw_no_charge(self):
        self._post_invoice(1000, due_days_ago=90)
        recent = self._post_invoice(1000, due_days_ago=30)
        self.company.collection_followup_from = days_ago(60)
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)

        rule._charge_cases(case, TODAY)

        self.assertEqual(self.Charge.search([("case_id", "=", case.id)]).source_move_id, recent)

    def test_period_without_reference_rate_is_not_guessed(self):
        self.rate_2025_h2.unlink()
        source = self._post_invoice(10000, due_days_ago=(TODAY - date(2025, 12, 1)).days)
        case = self._open_case()
        rule = self._rule(interest_type="reference", reference_rate_type="boe", interest_rate=8)

        invoice = rule._charge_cases(case, TODAY)

        # December 2025 has no rate: only the first half of 2026 is charged.
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", invoice.id)]),
            [{"date_from": date(2026, 1, 1), "date_to": TODAY, "rate": 12.0}],
        )
        notes = [body for body in case.message_ids.mapped("body") if "not charged" in body]
        self.assertEqual(len(notes), 1, "the case says why")
        self.assertIn(source.name, notes[0])
        activities = self.env["mail.activity"].search(
            [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
        )
        self.assertIn(self.manager, activities.user_id, "the managers are asked for the rate")
        self.assertNotIn(self.officer, activities.user_id)
        self.assertIn("Bank of England Base Rate", activities[0].summary)

        # Asked once: the next run adds no activity.
        later = TODAY + timedelta(days=1)
        with freeze_time(later):
            rule._charge_cases(case, later)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", rule._name), ("res_id", "=", rule.id)]
            ),
            len(activities),
        )

        # Once the rate is recorded, the days left out are charged.
        self.Rate.create({"rate_type": "boe", "date_from": date(2025, 7, 1), "rate": 5.0})
        with freeze_time(later):
            catch_up = rule._charge_cases(case, later)
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", catch_up.id)]),
            [{"date_from": date(2025, 12, 1), "date_to": date(2026, 1, 1), "amount": 110.41}],
        )

    def test_reading_what_is_due_does_not_grow_with_the_invoices(self):
        rule = self._rule(fee_amount=5, interest_type="reference", reference_rate_type="boe")
        rule.interest_rate = 8

        def queries(count):
            for _index in range(count):
                invoice = self._post_invoice(1000, due_days_ago=40)
                self._pay(invoice, 100, days_ago_paid=20)
            case = self._open_case()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            items = rule.sudo()._overdue_items(case, TODAY)
            rule.sudo()._prepare_charges(case, items, TODAY)
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(2), queries(6))

    def test_rate_holds_until_the_end_of_its_half_year(self):
        # The first half of 2026 is recorded; the second is not yet.
        self.assertEqual(self.Rate._rate_at("boe", date(2026, 6, 30)), 4.0)
        self.assertIsNone(self.Rate._rate_at("boe", date(2026, 7, 1)))
        self.assertEqual(
            self.Rate._split_period(
                self.Rate._rate_table("boe"), date(2026, 6, 1), date(2026, 8, 1)
            ),
            [(date(2026, 6, 1), date(2026, 7, 1), 4.0), (date(2026, 7, 1), date(2026, 8, 1), None)],
        )
