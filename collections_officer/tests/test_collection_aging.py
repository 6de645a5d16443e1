import base64
import io
from datetime import date
from unittest.mock import patch

import openpyxl

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from ..report import collection_aging_line as aging_line
from .common import TODAY, CollectionsCommon, days_ago


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionAging(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Aging = cls.env["collection.aging.report"]

    def _items(self, as_of, companies=None, **kwargs):
        kwargs.setdefault("partners", self.customer)
        return self.Aging._compute_aging(companies or self.company, as_of, **kwargs)

    def _ledger_balance(self, company, as_of):
        """The balance of the company's receivable accounts on a day, read by the ORM."""
        [(balance,)] = self.env["account.move.line"]._read_group(
            [
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", "<=", as_of),
                ("company_id", "=", company.id),
            ],
            [],
            ["balance:sum"],
        )
        return balance

    def assertTiesOut(self, companies, as_of):
        tie_out = self.Aging._tie_out(companies, as_of)
        for company in companies:
            figures = tie_out[company.id]
            balance = self._ledger_balance(company, as_of)
            self.assertAlmostEqual(figures["balance"], balance, places=2)
            self.assertAlmostEqual(figures["aged"] + figures["excluded"], balance, places=2)
            aged = sum(float(row["residual"]) for row in self.Aging._compute_aging(company, as_of))
            self.assertAlmostEqual(aged, figures["aged"], places=2)

    def _xlsx(self, content, data_only=False):
        return openpyxl.load_workbook(io.BytesIO(content), data_only=data_only)

    # ------------------------------------------------------------ as of a date

    def test_invoice_paid_after_the_date_is_open_as_of_then(self):
        invoice = self._post_invoice(1000, due_days_ago=30)
        self._pay(invoice, 1000, days_ago_paid=10)
        [item] = self._items(days_ago(20))
        self.assertEqual(item["move_id"], invoice.id)
        self.assertAlmostEqual(float(item["residual"]), 1000)
        self.assertEqual((item["days"], item["bucket_label"]), (10, "1-30"))
        self.assertFalse(self._items(TODAY), "paid in full since")
        self.assertFalse(self._items(days_ago(31)), "not yet invoiced")
        for as_of in (days_ago(20), days_ago(10), TODAY):
            self.assertTiesOut(self.company, as_of)

    def test_today_matches_odoo_residuals(self):
        invoice = self._post_invoice(1000, due_days_ago=30)
        self._pay(invoice, 400, days_ago_paid=10)
        self._post_invoice(250, due_days_ago=-10)
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("partner_id", "!=", False),
                ("amount_residual", "!=", 0),
            ]
        )
        rows = self.Aging._compute_aging(self.company, date(2099, 12, 31))
        self.assertEqual({row["line_id"] for row in rows}, set(lines.ids))
        residuals = {row["line_id"]: float(row["residual"]) for row in rows}
        for line in lines:
            self.assertAlmostEqual(residuals[line.id], line.amount_residual, places=2)

    def test_credit_note_partial_payment_and_unallocated_money(self):
        invoice = self._post_invoice(1000, due_days_ago=45)
        self._pay(invoice, 300, days_ago_paid=5)
        refund = self._post_invoice(200, due_days_ago=10, move_type="out_refund")
        self._receive_unallocated(150, days_ago_paid=3)
        items = self._items(TODAY)
        by_move = {item["move_id"]: float(item["residual"]) for item in items}
        self.assertAlmostEqual(by_move[invoice.id], 700)
        self.assertAlmostEqual(by_move[refund.id], -200, msg="an open credit note is a credit")
        self.assertAlmostEqual(sum(by_move.values()), 700 - 200 - 150)
        before = {item["move_id"]: float(item["residual"]) for item in self._items(days_ago(7))}
        self.assertEqual(before, {invoice.id: 1000, refund.id: -200})
        self.assertTiesOut(self.company, days_ago(7))
        self.assertTiesOut(self.company, TODAY)

    def test_buckets_by_due_date_or_invoice_date(self):
        invoice = self._create_invoice_one_line(
            price_unit=500,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(50),
            invoice_date_due=days_ago(10),
            post=True,
        )
        [by_due] = self._items(TODAY)
        self.assertEqual(
            (by_due["days"], by_due["bucket"], by_due["bucket_label"]), (10, 1, "1-30")
        )
        [by_invoice] = self._items(TODAY, by="invoice_date")
        self.assertEqual(by_invoice["move_id"], invoice.id)
        self.assertEqual((by_invoice["days"], by_invoice["bucket_label"]), (50, "31-60"))
        [custom] = self._items(TODAY, by="invoice_date", buckets="15,45")
        self.assertEqual((custom["bucket"], custom["bucket_label"]), (3, "Over 45"))
        [not_due] = self._items(days_ago(15))
        self.assertEqual((not_due["days"], not_due["bucket_label"]), (-5, "Not Due"))
        self.company.collection_aging_buckets = "10,20"
        [company_buckets] = self._items(TODAY)
        self.assertEqual(company_buckets["bucket_label"], "1-10")
        with self.assertRaises(ValidationError):
            self.company.collection_aging_buckets = "60,30"
        with self.assertRaises(ValidationError):
            self._items(TODAY, buckets="30,sixty")

    def test_two_companies(self):
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
        items = self._items(TODAY, companies=self.company | company_b)
        by_company = {item["company_id"]: float(item["residual"]) for item in items}
        self.assertEqual(by_company, {self.company.id: 100, company_b.id: 70})
        self.assertEqual(
            [item["company_id"] for item in self._items(TODAY, company_b)], [company_b.id]
        )
        self.assertTiesOut(self.company | company_b, TODAY)
        wizard = self.env["collection.aging.wizard"].create(
            {"as_of": TODAY, "company_ids": [(6, 0, (self.company | company_b).ids)]}
        )
        self.env.user.company_ids |= company_b
        action = wizard.action_export_xlsx()
        book = self._xlsx(self._attachment(action))
        self.assertIn("Company B", book.sheetnames)
        self.assertIn(self.company.name[:31], book.sheetnames)
        self.assertEqual(book.sheetnames[-1], "Tie-out")

    def test_foreign_currency_invoice(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        invoice = self._post_invoice(1000, due_days_ago=20, currency_id=eur.id)
        self._register_payment(invoice, amount=400, currency_id=eur.id, payment_date=days_ago(5))
        [before] = self._items(days_ago(10))
        self.assertEqual(before["currency_id"], eur.id)
        self.assertAlmostEqual(float(before["residual"]), 500)
        self.assertAlmostEqual(float(before["residual_currency"]), 1000)
        [now] = self._items(TODAY)
        self.assertAlmostEqual(float(now["residual"]), 300)
        self.assertAlmostEqual(float(now["residual_currency"]), 600)
        self.assertAlmostEqual(float(now["residual"]), invoice.amount_residual_signed)
        self.assertTiesOut(self.company, TODAY)
        wizard = self.env["collection.aging.wizard"].create(
            {"as_of": TODAY, "partner_ids": [(6, 0, self.customer.ids)]}
        )
        sheet = self._xlsx(self._attachment(wizard.action_export_xlsx())).worksheets[0]
        self.assertEqual(sheet.cell(2, 8).value, "EUR")
        self.assertEqual(sheet.cell(2, 9).value, 600)
        self.assertIn(eur.symbol, sheet.cell(2, 9).number_format)
        self.assertEqual(sheet.cell(2, 16).value, 300)
        self.assertIn(self.company.currency_id.symbol, sheet.cell(2, 16).number_format)

    def test_lines_without_customer_are_shown_apart(self):
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
        figures = self.Aging._tie_out(self.company, TODAY)[self.company.id]
        [left_out] = [line for line in figures["excluded_lines"] if line["move_id"] == entry.id]
        self.assertEqual(left_out["excluded"], "no_customer")
        self.assertAlmostEqual(float(left_out["residual"]), 50)
        rows = self.Aging._compute_aging(self.company, TODAY)
        self.assertNotIn(entry.id, {row["move_id"] for row in rows})
        self.assertTiesOut(self.company, TODAY)
        self.assertTiesOut(self.company, days_ago(6))

    # ------------------------------------------------------------------- XLSX

    def _attachment(self, action):
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        return base64.b64decode(self.env["ir.attachment"].browse(attachment_id).datas)

    def test_xlsx_export(self):
        first = self._post_invoice(1000, due_days_ago=45)
        self._pay(first, 300, days_ago_paid=5)
        self._post_invoice(250, due_days_ago=-5)
        self._post_invoice(80, due_days_ago=130, partner=self.other_customer)
        wizard = self.env["collection.aging.wizard"].create(
            {"as_of": TODAY, "company_ids": [(6, 0, self.company.ids)]}
        )
        content = self._attachment(wizard.action_export_xlsx())
        rows = wizard._visible_rows()
        book = self._xlsx(content)
        sheet = book[self.company.name[:31]]
        headers = [cell.value for cell in sheet[1]]
        self.assertEqual(headers[:4], ["Customer", "Officer", "Team", "Entry"])
        self.assertEqual(
            headers[9:],
            ["Not Due", "1-30", "31-60", "61-90", "91-120", "Over 120", "Total"],
        )
        self.assertEqual(sheet.freeze_panes, "B2")
        first_row = next(row for row in rows if row["move_id"] == first.id)
        cells = next(cells for cells in sheet.iter_rows(min_row=2) if cells[3].value == first.name)
        self.assertEqual(cells[5].value.date(), first_row["date_maturity"])
        self.assertEqual(cells[5].number_format, "yyyy-mm-dd")
        self.assertEqual(cells[6].value, 45)
        self.assertEqual(cells[11].value, 700, "in the 31-60 bucket")
        self.assertTrue(sheet.auto_filter.ref.startswith("A1:P"))
        self.assertEqual(sheet.max_row, len(rows) + 2, "a row per item, a header and the total")
        symbol = self.company.currency_id.symbol
        self.assertIn(symbol, sheet.cell(2, 16).number_format)
        total_row = len(rows) + 2
        self.assertEqual(sheet.cell(total_row, 1).value, "Total")
        self.assertEqual(sheet.cell(total_row, 16).value, f"=SUM(P2:P{total_row - 1})")
        self.assertEqual(sheet.cell(total_row, 12).value, f"=SUM(L2:L{total_row - 1})")
        values = self._xlsx(content, data_only=True)[self.company.name[:31]]
        truth = sum(float(row["residual"]) for row in rows)
        self.assertAlmostEqual(values.cell(total_row, 16).value, truth, places=2)
        self.assertAlmostEqual(
            sum(values.cell(row, 16).value for row in range(2, total_row)), truth, places=2
        )
        over_120 = sum(float(row["residual"]) for row in rows if row["bucket"] == 5)
        self.assertAlmostEqual(values.cell(total_row, 15).value, over_120, places=2)
        customer_rows = [
            values.cell(row, 16).value
            for row in range(2, total_row)
            if values.cell(row, 1).value == self.other_customer.name
        ]
        self.assertEqual(customer_rows, [80])
        tie = book["Tie-out"]
        self.assertEqual(tie.cell(4, 3).value, f"='{sheet.title}'!P{total_row}")
        self.assertAlmostEqual(
            self._xlsx(content, data_only=True)["Tie-out"].cell(4, 5).value, 0, places=2
        )

    # ------------------------------------------------------------ UI and access

    def test_pivot_lines_by_customer_and_bucket(self):
        self._post_invoice(1000, due_days_ago=45)
        self._post_invoice(200, due_days_ago=5)
        wizard = self.env["collection.aging.wizard"].create(
            {"as_of": TODAY, "partner_ids": [(6, 0, self.customer.ids)]}
        )
        action = wizard.action_open_report()
        self.assertEqual(action["res_model"], "collection.aging.line")
        Line = self.env["collection.aging.line"].with_context(**action["context"])
        groups = Line._read_group(action["domain"], ["bucket_id"], ["amount_residual:sum"])
        self.assertEqual(
            [(bucket.name, amount) for bucket, amount in groups], [("1-30", 200), ("31-60", 1000)]
        )
        self.assertEqual(Line.search(action["domain"]).partner_id, self.customer)
        overdue = Line.search([("days", ">", 0)])
        self.assertEqual(sorted(overdue.mapped("amount_residual")), [200, 1000])

    def test_pivot_and_graph_read_without_jit_compilation(self):
        """Grouping a run's items is estimated expensive enough to be compiled by
        PostgreSQL's JIT, which costs more than it saves: the pivot's and the graph's
        reads turn it off for the rest of their transaction."""
        self._post_invoice(1000, due_days_ago=45)
        wizard = self.env["collection.aging.wizard"].create({"as_of": TODAY})
        action = wizard.action_open_report()
        Line = self.env["collection.aging.line"].with_context(**action["context"])

        def jit():
            return self.env.execute_query(SQL("SELECT current_setting('jit')"))[0][0]

        for read in (
            lambda: Line._read_group(action["domain"], ["bucket_id"], ["amount_residual:sum"]),
            lambda: Line._read_grouping_sets(
                action["domain"], [["partner_id", "bucket_id"], []], ["amount_residual:sum"]
            ),
        ):
            self.env.cr.execute(SQL("SET LOCAL jit = on"))
            self.assertTrue(read())
            self.assertEqual(jit(), "off")

    def test_pivot_rows_are_officers_past_a_readable_number_of_customers(self):
        self._post_invoice(1000, due_days_ago=45)
        self._post_invoice(70, due_days_ago=20, partner=self.other_customer)
        customers = self.customer | self.other_customer
        wizard = self.env["collection.aging.wizard"].create(
            {"as_of": TODAY, "partner_ids": [(6, 0, customers.ids)]}
        )
        self.assertEqual(
            wizard.action_open_report()["context"]["pivot_row_groupby"], ["partner_id"]
        )
        with patch.object(aging_line, "PIVOT_CUSTOMER_ROWS", 2):
            self.assertEqual(
                wizard.action_open_report()["context"]["pivot_row_groupby"], ["partner_id"]
            )
        with patch.object(aging_line, "PIVOT_CUSTOMER_ROWS", 1):
            action = wizard.action_open_report()
        self.assertEqual(action["context"]["pivot_row_groupby"], ["user_id"])
        # Each officer's row, expanded by customer, lists their customers.
        Line = self.env["collection.aging.line"].with_context(**action["context"])
        listed = self.env["res.partner"]
        for officer, amount in Line._read_group(
            action["domain"], ["user_id"], ["amount_residual:sum"]
        ):
            rows = Line._read_group(
                action["domain"] + [("user_id", "=", officer.id)],
                ["partner_id"],
                ["amount_residual:sum"],
            )
            self.assertEqual(sum(row_amount for _partner, row_amount in rows), amount)
            listed |= self.env["res.partner"].union(*(partner for partner, _amount in rows))
        self.assertEqual(listed, customers)

    def test_pivot_rows_count_the_customers_the_user_sees(self):
        """Without customers asked for, the pivot's layout counts the open cases the user
        may read, and, for a manager, the customers with open items if more."""
        self._post_invoice(100, due_days_ago=10)
        self._post_invoice(70, due_days_ago=20, partner=self.other_customer)
        self._refresh()
        self._case().user_id = self.officer
        self._case(self.other_customer).user_id = new_test_user(
            self.env,
            login="co_pivot_officer",
            groups="base.group_user,collections_officer.group_collections_officer",
        )
        # Not yet due: no case, but an item in the manager's aging.
        not_due = self.env["res.partner"].create({"name": "Not Due Yet", "is_company": True})
        self._post_invoice(50, due_days_ago=-10, partner=not_due)

        def estimate(user, **values):
            wizard = self.env["collection.aging.wizard"].with_user(user).create(values)
            lines = wizard.env["collection.aging.line"].with_context(**wizard._report_context())
            return lines._customers_estimate(lines._context_params())

        Case = self.env["collection.case"]
        readable = Case.with_user(self.officer).search_count(
            [("company_id", "=", self.company.id), ("state", "!=", "closed")]
        )
        self.assertEqual(estimate(self.officer), readable)
        self.assertLess(readable, Case.search_count([("state", "!=", "closed")]))
        with_items = {
            partner.id
            for [partner] in self.env["account.move.line"]._read_group(
                [
                    ("company_id", "=", self.company.id),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("amount_residual", "!=", 0),
                    ("reconciled", "=", False),
                ],
                ["partner_id"],
            )
        }
        self.assertIn(not_due.id, with_items)
        self.assertEqual(estimate(self.manager), len(with_items))
        self.assertEqual(estimate(self.manager, user_ids=[(6, 0, self.officer.ids)]), 1)
        self.assertEqual(estimate(self.manager, partner_ids=[(6, 0, not_due.ids)]), 1)

    def _screen_lines(self, wizard):
        """The items the aging's screen lists, read as its action reads them."""
        action = wizard.action_open_report()
        return (
            wizard.env["collection.aging.line"]
            .with_context(**action["context"])
            .search(action["domain"])
        )

    def test_officers_see_only_their_teams_items(self):
        self._post_invoice(100, due_days_ago=10)
        self._post_invoice(70, due_days_ago=20, partner=self.other_customer)
        third = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        self._post_invoice(40, due_days_ago=20, partner=third)
        self._refresh()
        other_officer = new_test_user(
            self.env,
            login="co_other_officer",
            groups="base.group_user,collections_officer.group_collections_officer",
        )
        team = self.env["collection.team"].create(
            {"name": "North", "member_ids": [(6, 0, self.officer.ids)]}
        )
        self._case().write({"team_id": team.id, "user_id": other_officer.id})
        self._case(self.other_customer).write({"user_id": other_officer.id})
        # Initech's case is nobody's: every officer may work it.
        partners = self.customer | self.other_customer | third
        wizard = (
            self.env["collection.aging.wizard"]
            .with_user(self.officer)
            .create({"as_of": TODAY, "partner_ids": [(6, 0, partners.ids)]})
        )
        lines = self._screen_lines(wizard)
        self.assertEqual(lines.partner_id, self.customer | third)
        self.assertEqual(
            lines.filtered(lambda line: line.partner_id == self.customer).team_id, team
        )
        as_manager = (
            self.env["collection.aging.wizard"]
            .with_user(self.manager)
            .create({"as_of": TODAY, "partner_ids": [(6, 0, partners.ids)]})
        )
        manager_lines = self._screen_lines(as_manager)
        self.assertEqual(manager_lines.partner_id, partners)
        # The manager's run in an officer's hands shows the officer's items only.
        self.assertEqual(
            manager_lines.with_user(self.officer).search([]).partner_id, lines.partner_id
        )
        with self.assertRaises(AccessError):
            manager_lines.with_user(self.officer).write({"days": 1})
        team_only = (
            self.env["collection.aging.wizard"]
            .with_user(self.officer)
            .create({"as_of": TODAY, "team_ids": [(6, 0, team.ids)]})
        )
        rows = team_only._visible_rows()
        self.assertEqual({row["partner_id"] for row in rows}, {self.customer.id})

    # --------------------------------------------------------------- activity

    def test_activity_export_per_officer(self):
        invoice = self._post_invoice(1000, due_days_ago=20)
        self._refresh()
        case = self._case()
        case.user_id = self.officer
        self.env["collection.contact"].create(
            {
                "case_id": case.id,
                "channel": "phone",
                "direction": "inbound",
                "outcome": "spoke",
                "user_id": self.officer.id,
                "date": days_ago(3),
            }
        )
        self._pay(invoice, 600, days_ago_paid=2)
        self._pay(invoice, 100, days_ago_paid=40)
        wizard = self.env["collection.activity.wizard"].create(
            {"date_from": days_ago(10), "date_to": TODAY}
        )
        columns, rows = wizard._activity()
        figures = dict(rows)[self.officer.name]
        self.assertEqual(figures["contacts"], 1)
        self.assertAlmostEqual(figures["collected"], 600)
        content = self._attachment(wizard.action_export_xlsx())
        sheet = self._xlsx(content)["Activity"]
        headers = [cell.value for cell in sheet[3]]
        self.assertEqual(headers[0], "Officer")
        self.assertEqual(headers[-1], "Collected")
        total_row = len(rows) + 4
        self.assertEqual(sheet.cell(total_row, 1).value, "Total")
        col = len(columns) + 1
        letter = openpyxl.utils.get_column_letter(col)
        self.assertEqual(
            sheet.cell(total_row, col).value, f"=SUM({letter}4:{letter}{total_row - 1})"
        )
        cached = self._xlsx(content, data_only=True)["Activity"]
        self.assertAlmostEqual(
            cached.cell(total_row, col).value,
            sum(values.get("collected", 0) for _n, values in rows),
        )
