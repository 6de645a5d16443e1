from datetime import date

from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_kpi import JUNE, MAY, KpiBookCase

MAY_END = date(2026, 5, 31)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionAgingAsOf(KpiBookCase):
    """The aged receivables report, the KPIs and the monthly snapshots read one aging.

    The KPI book, with the company's buckets set to 15, 30 and 45 days, and on
    31 May two items paid in part only later:
      B    600  due  4 June, 100 paid on 5 June
      E  1,000 EUR (500 at 2 EUR for 1) to Globex, invoiced 1 May, due 20 May,
         400 EUR paid on 10 June at 2.5 (an exchange difference books the rest)
    So on 31 May: A 700 (16-30), B 600 (not due), C 400 (over 45: paid in June),
    D 300 (not due), E 500 (1-15); 2,500 in all.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_aging_buckets = "15,30,45"
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0), ("2026-06-01", 2.5)])
        cls._register_payment(cls.inv_b, amount=100, payment_date=date(2026, 6, 5))
        cls.inv_e = cls._create_invoice_one_line(
            price_unit=1000,
            tax_ids=cls.env["account.tax"],
            partner_id=cls.other_customer,
            invoice_date=date(2026, 5, 1),
            invoice_date_due=date(2026, 5, 20),
            currency_id=cls.eur.id,
            post=True,
        )
        cls._register_payment(
            cls.inv_e, amount=400, currency_id=cls.eur.id, payment_date=date(2026, 6, 10)
        )

    def _report(self, day, **kwargs):
        return self.env["collection.aging.report"]._compute_aging(self.company, day, **kwargs)

    @staticmethod
    def _by_bucket(rows):
        totals = {}
        for row in rows:
            totals[row["bucket_label"]] = totals.get(row["bucket_label"], 0.0) + float(
                row["residual"]
            )
        return totals

    def test_report_kpis_and_snapshot_agree_at_a_past_date(self):
        rows = self._report(MAY_END)
        by_move = {row["move_id"]: float(row["residual"]) for row in rows}
        self.assertEqual(
            by_move,
            {
                self.inv_a.id: 700.0,
                self.inv_b.id: 600.0,
                self.inv_c.id: 400.0,
                self.inv_d.id: 300.0,
                self.inv_e.id: 500.0,
            },
            "paid after the day: still open on it",
        )
        # The report ages in the company's buckets.
        self.assertEqual(
            self._by_bucket(rows),
            {"Not Due": 900.0, "1-15": 500.0, "16-30": 700.0, "Over 45": 400.0},
        )
        total = sum(by_move.values())
        over_90 = sum(float(row["residual"]) for row in rows if row["days"] > 90)

        kpis = self._kpis(MAY)
        self.assertEqual(kpis["receivable_end"], total)
        self.assertAlmostEqual(kpis["over_90_share"], over_90 / total * 100)
        # The KPIs' breakdown is the report's, in the company's buckets.
        self.assertEqual(self._amounts(kpis["aging"]), self._by_bucket(rows))

        officer = self._kpis(MAY, user=self.officer)
        acme = self._report(MAY_END, partners=self.customer)
        self.assertEqual(officer["receivable_end"], sum(float(row["residual"]) for row in acme))

        snapshots = self.env["collection.snapshot"]._take_snapshots(self.company, MAY)
        company = snapshots.filtered(lambda s: s.scope == "company")
        self.assertEqual(company.total_receivable, total)
        self.assertEqual(self._amounts(self._lines(company)), self._by_bucket(rows))
        self.assertAlmostEqual(company.over_90_share, over_90 / total * 100, places=2)
        mine = snapshots.filtered(lambda s: s.user_id == self.officer)
        self.assertEqual(mine.total_receivable, officer["receivable_end"])
        self.assertEqual(self._amounts(self._lines(mine)), self._by_bucket(acme))

    @staticmethod
    def _amounts(buckets):
        """``{label: amount}`` of the buckets holding money."""
        return {bucket["label"]: bucket["amount"] for bucket in buckets if bucket["amount"]}

    @staticmethod
    def _lines(snapshot):
        names = ("sequence", "label", "days_from", "days_to", "amount")
        return [
            {name: line[name] for name in names} for line in snapshot.bucket_ids.sorted("sequence")
        ]

    def test_a_month_kept_keeps_the_buckets_it_was_taken_in(self):
        """May is taken in 15, 30 and 45 days; the company then ages in 30, 60 and 90
        days: May still reads in its own buckets, in the snapshot and in the trend."""
        snapshots = self.env["collection.snapshot"]._take_snapshots(self.company, MAY)
        company = snapshots.filtered(lambda s: s.scope == "company")
        may_buckets = [
            {"sequence": 0, "label": "Not Due", "days_from": 0, "days_to": 0, "amount": 900.0},
            {"sequence": 1, "label": "1-15", "days_from": 1, "days_to": 15, "amount": 500.0},
            {"sequence": 2, "label": "16-30", "days_from": 16, "days_to": 30, "amount": 700.0},
            {"sequence": 3, "label": "31-45", "days_from": 31, "days_to": 45, "amount": 0.0},
            {"sequence": 4, "label": "Over 45", "days_from": 46, "days_to": 0, "amount": 400.0},
        ]
        self.assertEqual(self._lines(company), may_buckets)

        self.company.collection_aging_buckets = "30,60,90"
        june = self.env["collection.snapshot"]._take_snapshots(self.company, JUNE)
        self.env.invalidate_all()
        self.assertEqual(self._lines(company), may_buckets, "May reads as it was taken")
        june_company = june.filtered(lambda s: s.scope == "company")
        self.assertEqual(
            self._lines(june_company)[-1]["label"], "Over 90", "June is taken in the new buckets"
        )

        # The aging trend, as its graph asks for it: the company's months by bucket.
        action = self.env.ref("collections_officer.collection_snapshot_bucket_action")
        self.assertEqual(action.res_model, "collection.snapshot.bucket")
        groups = (
            self.env[action.res_model]
            .with_user(self.manager)
            .formatted_read_group(
                [("scope", "=", "company")], ["month:month", "label"], ["amount:sum"]
            )
        )
        trend = {(group["month:month"][1], group["label"]): group["amount:sum"] for group in groups}
        self.assertEqual(
            {key: amount for key, amount in trend.items() if key[0] == "May 2026"},
            {
                ("May 2026", "Not Due"): 900.0,
                ("May 2026", "1-15"): 500.0,
                ("May 2026", "16-30"): 700.0,
                ("May 2026", "31-45"): 0.0,
                ("May 2026", "Over 45"): 400.0,
            },
        )
        self.assertEqual(
            {label for month, label in trend if month == "June 2026"},
            {"Not Due", "1-30", "31-60", "61-90", "Over 90"},
        )

    def test_ledger_aging_in_company_and_document_currency(self):
        ledger = self.env["collection.ledger"]
        [item] = [
            row
            for row in ledger._aging_as_of([(self.company, MAY_END, self.other_customer.ids)])
            if row["move_id"] == self.inv_e.id
        ]
        self.assertEqual(item["currency_id"], self.eur.id)
        self.assertEqual((item["days"], item["bucket"]), (11, 1))
        self.assertAlmostEqual(float(item["residual"]), 500.0)
        self.assertAlmostEqual(float(item["residual_currency"]), 1000.0)
        # Today: 400 EUR paid, the rest at the invoice's rate.
        by_currency = {
            row["currency_id"]: (float(row["residual"]), float(row["residual_currency"]))
            for row in ledger._aging_as_of(
                [(self.company, TODAY, self.other_customer.ids)], group_by=("currency_id",)
            )
        }
        self.assertEqual(by_currency[self.eur.id], (300.0, 600.0))
        self.assertAlmostEqual(self.inv_e.amount_residual_signed, 300.0)
        # Several days and scopes in one query, each day netting its own partials.
        may, june = ledger._aging_as_of(
            [(self.company, MAY_END, None), (self.company, TODAY, None)], group_by=("idx",)
        )
        self.assertEqual((may["idx"], float(may["residual"])), (0, 2500.0))
        [[balance]] = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", self.company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ],
            aggregates=["balance:sum"],
        )
        self.assertAlmostEqual(float(june["residual"]), balance, places=2)

    def test_kpi_receivables_of_many_scopes_in_one_query(self):
        """Forty requests on two days cost what two cost."""

        def count(requests):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            results = self.Kpi._receivables_as_of(requests)
            return self.env.cr.sql_log_count - before, results

        count([(self.company, TODAY, None)])  # the registry's caches, once
        few, _results = count([(self.company, MAY_END, None), (self.company, TODAY, None)])
        many, results = count(
            [(self.company, MAY_END, None)] * 20 + [(self.company, TODAY, None)] * 20
        )
        self.assertEqual(many, few)
        self.assertEqual(results[0]["total"], 2500.0)
        self.assertEqual(results[0], results[19])

    def test_kpi_receivables_equal_every_line_aged_at_each_day(self):
        """Reading only the lines open at some day asked for changes no figure: the
        KPIs equal the aging of every line, at days before, between and after the
        payments (B in part on 5 June, E on 10 June, C in June)."""
        days = [date(2026, 4, 30), MAY_END, date(2026, 6, 7), date(2026, 6, 12), TODAY]
        requests = [(self.company, day, None) for day in days]
        results = self.Kpi._receivables_as_of(requests)
        full = self.env["collection.ledger"]._aging_as_of(requests, group_by=("idx", "bucket"))
        for index, result in enumerate(results):
            expected = {
                row["bucket"]: float(row["residual"]) for row in full if row["idx"] == index
            }
            with self.subTest(day=days[index]):
                self.assertAlmostEqual(result["total"], sum(expected.values()), places=2)
                for bucket in result["aging"]:
                    self.assertAlmostEqual(
                        bucket["amount"], expected.get(bucket["sequence"], 0.0), places=2
                    )
        self.assertEqual(results[1]["total"], 2500.0)

    def test_as_of_today_the_items_are_the_unreconciled_lines(self):
        """As of today an item's residual is accounting's own (the aging reads no
        partial then); a payment dated after the day asked for is added back: the
        invoice is still open on the day, and the payment is not in its aging."""
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("date", "<=", TODAY),
                ("partner_id", "!=", False),
            ]
        )
        rows = self._report(TODAY)
        self.assertEqual(
            {row["line_id"]: float(row["residual"]) for row in rows},
            {line.id: line.amount_residual for line in lines if line.amount_residual},
        )
        before = {row["move_id"]: float(row["residual"]) for row in rows}
        later = date(2026, 7, 15)
        self._register_payment(self.inv_a, amount=200, payment_date=later)
        self.assertAlmostEqual(self.inv_a.amount_residual, before[self.inv_a.id] - 200)
        self.assertEqual(
            {row["move_id"]: float(row["residual"]) for row in self._report(TODAY)},
            before,
            "paid after the day: still open on it, and the payment not yet made",
        )
        after = {row["move_id"]: float(row["residual"]) for row in self._report(later)}
        self.assertAlmostEqual(after[self.inv_a.id], before[self.inv_a.id] - 200)
