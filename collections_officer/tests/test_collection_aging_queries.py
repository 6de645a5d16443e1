from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon, days_ago

# Ages (days past due) and payments of the customers of a book, round and round.
AGES = (-10, 5, 25, 45, 75, 100, 130)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionAgingQueries(CollectionsCommon):
    """The aged receivables screen and the KPIs' receivables read the ledger in a
    number of queries that does not grow with the book: the same on a book and on
    one ten times larger."""

    def _grow_book(self, customers):
        """``customers`` more customers, each owing an invoice; one in three paid in part."""
        start = len(self.env["res.partner"].search([("name", "=like", "Aging Book %")]))
        for index in range(start, start + customers):
            partner = self.env["res.partner"].create(
                {"name": f"Aging Book {index:03d}", "is_company": True}
            )
            invoice = self._post_invoice(100 + index, AGES[index % len(AGES)], partner=partner)
            if index % 3 == 0:
                self._pay(invoice, 40, days_ago_paid=index % 20)
        self._refresh()

    def _count_queries(self, call):
        """The queries ``call`` runs, from a flushed and empty cache (once warmed: the
        rules, groups and views read once per process are not the book's)."""
        call()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        call()
        return self.env.cr.sql_log_count - before

    def _screen(self):
        wizard = self.env["collection.aging.wizard"].create({"as_of": TODAY})
        action = wizard.action_open_report()
        return self.env["collection.aging.line"].with_context(**action["context"])

    def _pivot_and_graph(self):
        """What the pivot and the graph ask as they open, as the web client asks it."""
        lines = self._screen()
        results = [
            lines.formatted_read_group(
                [], ["partner_id", "bucket_id"], ["amount_residual:sum", "__count"]
            ),
            lines.formatted_read_group([], ["bucket_id"], ["amount_residual:sum", "__count"]),
            lines.formatted_read_group([], ["partner_id"], ["amount_residual:sum", "__count"]),
            lines.formatted_read_group([], [], ["amount_residual:sum", "__count"]),
            lines.formatted_read_group(
                [], ["bucket_id", "company_id"], ["amount_residual:sum", "__count"]
            ),
            lines.formatted_read_group([], ["user_id"], ["amount_residual:sum"]),
        ]
        return results

    def _kpi_receivables(self):
        kpi = self.env["collection.kpi"]
        return kpi._receivables_as_of(
            [
                (self.company, TODAY, None),
                (self.company, days_ago(30), None),
                (self.company, TODAY, self.customer.ids),
            ]
        )

    def test_queries_do_not_grow_with_the_book(self):
        self._grow_book(4)
        small = {
            "pivot and graph": self._count_queries(self._pivot_and_graph),
            "KPI receivables": self._count_queries(self._kpi_receivables),
        }
        [*_groups, [total]] = self._pivot_and_graph()[:4]
        self.assertEqual(total["__count"], 4)
        self._grow_book(36)
        large = {
            "pivot and graph": self._count_queries(self._pivot_and_graph),
            "KPI receivables": self._count_queries(self._kpi_receivables),
        }
        [*_groups, [total]] = self._pivot_and_graph()[:4]
        self.assertEqual(total["__count"], 40)
        self.assertEqual(large, small)

    def test_screen_rows_tie_to_the_ledger_aging(self):
        self._grow_book(14)
        # A customer without a case, and an item without a customer, are left to the ledger.
        receivable = self.company_data["default_account_receivable"]
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": days_ago(5),
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    (0, 0, {"account_id": receivable.id, "debit": 50.0, "name": "No customer"}),
                    (
                        0,
                        0,
                        {
                            "account_id": self.company_data["default_account_revenue"].id,
                            "credit": 50.0,
                            "name": "No customer",
                        },
                    ),
                ],
            }
        )
        entry.action_post()
        lines = self._screen()
        by_bucket = {
            bucket.sequence: amount
            for bucket, amount in lines._read_group([], ["bucket_id"], ["amount_residual:sum"])
        }
        ledger = self.env["collection.ledger"]._aging_as_of(
            [(self.company, TODAY, None)], group_by=("partner_id", "bucket")
        )
        expected = {}
        for row in ledger:
            if row["partner_id"]:
                expected[row["bucket"]] = expected.get(row["bucket"], 0.0) + float(row["residual"])
        self.assertEqual(by_bucket.keys(), {b for b, amount in expected.items() if amount})
        for bucket, amount in by_bucket.items():
            self.assertAlmostEqual(amount, expected[bucket], places=2)
        tie_out = self.env["collection.aging.report"]._tie_out(self.company, TODAY)
        [(total,)] = lines._read_group([], [], ["amount_residual:sum"])
        self.assertAlmostEqual(total, tie_out[self.company.id]["aged"], places=2)
        self.assertAlmostEqual(tie_out[self.company.id]["excluded"], 50.0, places=2)
        kpi = self.env["collection.kpi"]._receivables_as_of([(self.company, TODAY, None)])[0]
        self.assertAlmostEqual(total + 50.0, kpi["total"], places=2)
        # Every item of the screen is one of the report's, with the same figures.
        items = {
            row["line_id"]: row
            for row in self.env["collection.aging.report"]._compute_aging(self.company, TODAY)
        }
        self.assertEqual(set(lines.search([]).ids), set(items))
        for line in lines.search([]):
            item = items[line.id]
            self.assertEqual(
                (line.partner_id.id, line.move_id.id, line.days, line.bucket_id.sequence),
                (item["partner_id"], item["move_id"], item["days"], item["bucket"]),
            )
            self.assertAlmostEqual(line.amount_residual, float(item["residual"]), places=2)

    def test_export_streams_the_screen_rows_in_chunks(self):
        self._grow_book(7)
        wizard = self.env["collection.aging.wizard"].create({"as_of": TODAY})
        expected = [
            {key: value for key, value in row.items() if key != "bucket_label"}
            for row in wizard._visible_rows()
        ]
        self.assertEqual(len(expected), 7)
        Line = self.env["collection.aging.line"]
        self.assertEqual(list(Line._stream_rows(wizard._params(), chunk=2)), expected)
        # The cursor is closed once read: the next export of the transaction declares it again.
        stream = Line._stream_rows(wizard._params(), chunk=3)
        self.assertEqual(next(stream), expected[0])
        stream.close()
        self.assertEqual(len(list(Line._stream_rows(wizard._params()))), 7)
