from datetime import date, datetime

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import TODAY, CollectionsCommon

MAY = date(2026, 5, 1)
JUNE = date(2026, 6, 1)


class KpiBookCase(CollectionsCommon):
    """A small book whose KPIs are computed by hand.

    Acme (the officer's case, open since April):
      A  1,000  invoiced 10 April, due 10 May, 300 paid on 20 May
      B    600  invoiced  5 May,   due  4 June
      C    400  invoiced 15 January, due 14 February, paid in full on 10 June
    Globex (another officer's case, open since April):
      D    500  invoiced  1 May,   due 31 May, 200 paid on 15 May
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer_2 = new_test_user(
            cls.env,
            login="co_officer_2",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {"name": "Key Accounts", "member_ids": [(4, cls.officer.id)]}
        )
        cls.inv_a = cls._invoice(1000, date(2026, 4, 10), date(2026, 5, 10))
        cls.inv_b = cls._invoice(600, date(2026, 5, 5), date(2026, 6, 4))
        cls.inv_c = cls._invoice(400, date(2026, 1, 15), date(2026, 2, 14))
        cls.inv_d = cls._invoice(500, date(2026, 5, 1), date(2026, 5, 31), cls.other_customer)
        cls._register_payment(cls.inv_a, amount=300, payment_date=date(2026, 5, 20))
        cls._register_payment(cls.inv_c, amount=400, payment_date=date(2026, 6, 10))
        cls._register_payment(cls.inv_d, amount=200, payment_date=date(2026, 5, 15))
        cls.Kpi = cls.env["collection.kpi"]

    @classmethod
    def _invoice(cls, amount, invoice_date, due, partner=None):
        return cls._create_invoice_one_line(
            price_unit=amount,
            tax_ids=cls.env["account.tax"],
            partner_id=partner or cls.customer,
            invoice_date=invoice_date,
            invoice_date_due=due,
            post=True,
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.other_case = self._case(self.other_customer)
        # Both customers were in collection since April.
        self.case.sudo().write(
            {"user_id": self.officer.id, "team_id": self.team.id, "opened_date": date(2026, 4, 1)}
        )
        self.other_case.sudo().write(
            {"user_id": self.officer_2.id, "opened_date": date(2026, 4, 1)}
        )

    def _kpis(self, month, user=None, team=None):
        return self.Kpi._kpis([self.Kpi._scope(self.company, month, user, team)])[0]

    def _log_book_contacts(self):
        """The book's contacts: four on the case in May and June, one on the other case."""
        # A letter sent is the follow-up run's record: written as the engine writes it.
        Contact = self.env["collection.contact"].sudo()
        for case, channel, outcome, day in (
            (self.case, "phone", "spoke", datetime(2026, 5, 4, 10)),
            (self.case, "phone", "spoke", datetime(2026, 5, 6, 10)),
            (self.case, "letter", "sent", datetime(2026, 5, 7, 10)),
            (self.case, "phone", "no_answer", datetime(2026, 6, 2, 10)),
            (self.other_case, "phone", "spoke", datetime(2026, 5, 8, 10)),
        ):
            Contact.create(
                {
                    "case_id": case.id,
                    "channel": channel,
                    "outcome": outcome,
                    "date": day,
                    "direction": "inbound",
                }
            )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionKpi(KpiBookCase):
    # ------------------------------------------------------------- ledger

    def test_receivables_as_of_count_payments_made_by_then_only(self):
        """C was paid on 10 June: on 31 May it is still owed, on 30 June it is not."""
        may_end, june_end = self.Kpi._receivables_as_of(
            [
                (self.company, date(2026, 5, 31), [self.customer.id]),
                (self.company, TODAY, [self.customer.id]),
            ]
        )
        # The company's buckets: the standard ones unless it set its own.
        self.assertEqual(self.company.collection_aging_buckets, "30,60,90,120")
        self.assertEqual(
            may_end["aging"],
            [
                {"sequence": 0, "label": "Not Due", "days_from": 0, "days_to": 0, "amount": 600.0},
                {"sequence": 1, "label": "1-30", "days_from": 1, "days_to": 30, "amount": 700.0},
                {"sequence": 2, "label": "31-60", "days_from": 31, "days_to": 60, "amount": 0.0},
                {"sequence": 3, "label": "61-90", "days_from": 61, "days_to": 90, "amount": 0.0},
                {
                    "sequence": 4,
                    "label": "91-120",
                    "days_from": 91,
                    "days_to": 120,
                    "amount": 400.0,
                },
                {"sequence": 5, "label": "Over 120", "days_from": 121, "days_to": 0, "amount": 0.0},
            ],
        )
        self.assertEqual(
            (may_end["total"], may_end["not_due"], may_end["over_90"]), (1700.0, 600.0, 400.0)
        )
        self.assertEqual(june_end["total"], 1300.0)
        self.assertEqual(
            [bucket["amount"] for bucket in june_end["aging"]], [0.0, 600.0, 700.0, 0.0, 0.0, 0.0]
        )

    def test_receivables_as_of_tie_out_to_the_ledger(self):
        for day in (date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 9), TODAY):
            [aging] = self.Kpi._receivables_as_of([(self.company, day, None)])
            [[balance]] = self.env["account.move.line"]._read_group(
                [
                    ("company_id", "=", self.company.id),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("date", "<=", day),
                ],
                aggregates=["balance:sum"],
            )
            self.assertAlmostEqual(aging["total"], balance, places=2, msg=str(day))
        self.assertEqual(aging["total"], 1600.0)

    def test_receivables_as_of_agree_with_the_aged_receivables(self):
        """One definition of what is owed at a date: the KPIs and the aging report agree."""
        report = self.env["collection.aging.report"]
        for day in (date(2026, 4, 30), date(2026, 5, 31), TODAY):
            expected = [0.0] * 6
            for item in report._fetch_items(self.company, day):
                expected[item["bucket"]] += float(item["residual"])
            [aging] = self.Kpi._receivables_as_of([(self.company, day, None)])
            self.assertEqual([bucket["amount"] for bucket in aging["aging"]], expected, str(day))

    def test_kpis_leave_the_planner_as_their_transaction_needs_it(self):
        """The KPIs turn PostgreSQL's JIT compilation off for the rest of their
        transaction (a dashboard's queries cost more to compile than to run); the
        receivables' grouping hashes its groups and gives sorting back as it was."""

        def setting(name):
            return self.env.execute_query(SQL("SELECT current_setting(%s)", name))[0][0]

        for sorting in ("on", "off"):
            self.env.cr.execute(SQL("SELECT set_config('jit', 'on', true)"))
            self.env.cr.execute(SQL("SELECT set_config('enable_sort', %s, true)", sorting))
            kpis = self._kpis(MAY, user=self.officer)
            self.assertEqual(kpis["receivable_end"], 1700.0)
            self.assertEqual(setting("jit"), "off")
            self.assertEqual(setting("enable_sort"), sorting)

    # --------------------------------------------------------------- KPIs

    def test_ledger_kpis_of_the_officer_in_may(self):
        kpis = self._kpis(MAY, user=self.officer)
        self.assertEqual(kpis["days"], 31)
        self.assertEqual(kpis["collected"], 300.0)
        self.assertEqual(kpis["receivable_begin"], 1400.0)  # A and C on 30 April
        self.assertEqual(kpis["receivable_end"], 1700.0)
        self.assertEqual(kpis["credit_sales"], 600.0)  # B
        self.assertAlmostEqual(kpis["dso"], 1700 / 600 * 31)
        self.assertAlmostEqual(kpis["best_possible_dso"], 600 / 600 * 31)
        self.assertAlmostEqual(kpis["average_days_delinquent"], 1700 / 600 * 31 - 31)
        # 1,700 owed: May's 600 (31 days), April's 1,000 (30 days), nothing in March
        # (31 days) and February (28 days), then 100 of January's 400 (31 days).
        self.assertAlmostEqual(kpis["countback_dso"], 31 + 30 + 31 + 28 + 100 / 400 * 31)
        # (1,400 + 600 - 1,700) / (1,400 + 600 - 600 not due) * 100
        self.assertAlmostEqual(kpis["cei"], 300 / 1400 * 100)
        self.assertAlmostEqual(kpis["over_90_share"], 400 / 1700 * 100)
        self.assertEqual(kpis["recovered_after_write_off"], 0.0, "nothing written off")

    def test_collected_per_company_officer_and_team(self):
        self.assertEqual(self._kpis(MAY)["collected"], 500.0)
        self.assertEqual(self._kpis(MAY, user=self.officer_2)["collected"], 200.0)
        self.assertEqual(self._kpis(MAY, team=self.team)["collected"], 300.0)
        self.assertEqual(self._kpis(JUNE, user=self.officer)["collected"], 400.0)
        # Money received before the case opened is not the desk's.
        self.case.sudo().opened_date = date(2026, 5, 21)
        self.assertEqual(self._kpis(MAY, user=self.officer)["collected"], 0.0)

    def test_company_receivables_cover_every_customer(self):
        kpis = self._kpis(MAY)
        self.assertEqual(kpis["receivable_end"], 1700.0 + 300.0)
        self.assertEqual(kpis["credit_sales"], 1100.0)
        self.assertAlmostEqual(kpis["dso"], 2000 / 1100 * 31)

    def test_case_counts(self):
        self.other_case.sudo().opened_date = date(2026, 6, 3)
        # The cases were opened in an earlier transaction: their creation is committed.
        self.env.flush_all()
        self.env.cr.precommit.run()
        # The test set-up disables tracking; the follow-up engine's writes are tracked.
        self.case.sudo().with_context(tracking_disable=False, mail_notrack=False).write(
            {"state": "escalated"}
        )
        # The state change is tracked when the transaction commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        kpis = self._kpis(JUNE)
        self.assertEqual(kpis["cases_opened"], 1)
        self.assertEqual(kpis["cases_escalated"], 1)
        self.assertEqual(self._kpis(JUNE, user=self.officer_2)["cases_escalated"], 0)
        self.assertEqual(self._kpis(MAY)["cases_escalated"], 0)
        self._register_payment(self.inv_d, amount=300, payment_date=TODAY)
        self._refresh()
        self.assertEqual(self.other_case.state, "closed")
        self.assertEqual(self._kpis(JUNE, user=self.officer_2)["cases_closed"], 1)
        self.assertEqual(self._kpis(JUNE, user=self.officer)["cases_closed"], 0)

    def test_contacts_by_channel_and_outcome(self):
        self._log_book_contacts()
        kpis = self._kpis(MAY, user=self.officer)
        self.assertEqual(kpis["contacts"], {("phone", "spoke"): 2, ("letter", "sent"): 1})
        self.assertEqual(kpis["contact_count"], 3)
        self.assertEqual(self._kpis(MAY)["contact_count"], 4)

    def test_promise_kept_rates(self):
        Promise = self.env["collection.promise"]
        for amount, state, judged in (
            (100, "kept", date(2026, 6, 5)),
            (200, "partial", date(2026, 6, 6)),
            (300, "broken", date(2026, 6, 7)),
            (400, "kept", date(2026, 6, 8)),
            (500, "kept", date(2026, 5, 8)),
        ):
            promise = Promise.create(
                {"case_id": self.case.id, "amount": amount, "date": date(2026, 7, 3)}
            )
            promise.sudo().write({"state": state, "judged_date": judged})
        kpis = self._kpis(JUNE, user=self.officer)
        self.assertEqual(kpis["promises_judged"], 4)
        self.assertAlmostEqual(kpis["promise_kept_rate"], 50.0)
        self.assertAlmostEqual(kpis["promise_partial_rate"], 25.0)
        self.assertAlmostEqual(kpis["promise_kept_amount_rate"], 500 / 1000 * 100)
        self.assertAlmostEqual(kpis["promise_partial_amount_rate"], 200 / 1000 * 100)
        self.assertIsNone(self._kpis(JUNE, user=self.officer_2)["promise_kept_rate"])

    def test_plan_completion_rate(self):
        Wizard = self.env["collection.plan.wizard"]
        for state, end in (
            ("completed", date(2026, 6, 5)),
            ("broken", date(2026, 6, 6)),
            ("completed", date(2026, 6, 7)),
            ("cancelled", date(2026, 6, 8)),
        ):
            plan = Wizard.create(
                {"case_id": self.case.id, "first_date": date(2026, 7, 15), "installment_count": 2}
            )._create_plan()
            plan.sudo().write({"state": state, "date_end": end})
        self.assertAlmostEqual(self._kpis(JUNE, user=self.officer)["plan_completion_rate"], 200 / 3)
        self.assertIsNone(self._kpis(MAY, user=self.officer)["plan_completion_rate"])

    def test_recoveries_after_write_off(self):
        self.company.write(
            {
                "collection_writeoff_account_id": self.company_data["default_account_expense"].id,
                "collection_writeoff_journal_id": self.company_data["default_journal_misc"].id,
            }
        )
        with freeze_time("2026-06-10 12:00:00"):
            self.env["collection.writeoff.wizard"].with_user(self.manager).create(
                {"case_id": self.case.id, "reason": "Customer ceased trading."}
            ).action_writeoff()
        self.assertEqual(self.case.writeoff_ids.state, "posted")
        self._receive_unallocated(250, days_ago_paid=5)  # 25 June
        kpis = self._kpis(JUNE, user=self.officer)
        self.assertEqual(kpis["recovered_after_write_off"], 250.0)
        self.assertEqual(kpis["collected"], 400.0, "C paid on 10 June, the case then closed")
        self.assertEqual(self._kpis(JUNE, user=self.officer_2)["recovered_after_write_off"], 0.0)

    def test_dispute_resolution_time(self):
        self.customer.email = "acme@example.com"  # a rejection tells the customer why
        dispute = (
            self.env["collection.dispute"]
            .with_user(self.officer)
            .create({"case_id": self.case.id, "move_id": self.inv_b.id, "amount": 100})
        )
        # Opened today: the database clock, not the frozen one, dates the creation.
        self.env.execute_query(
            SQL(
                "UPDATE collection_dispute SET create_date = %s WHERE id = %s",
                datetime(2026, 6, 30, 9),
                dispute.id,
            )
        )
        dispute.invalidate_recordset(["create_date"])
        # A Monday morning: the rejection e-mail leaves on a contact day, in its hours.
        with freeze_time("2026-07-06 10:00"):
            dispute.with_user(self.manager).action_reject(note="Delivered as ordered.")
            self.assertEqual(dispute.resolved_date, date(2026, 7, 6))
            july = self._kpis(date(2026, 7, 1), user=self.officer)
        self.assertEqual(july["dispute_resolution_days"], 6)
        self.assertIsNone(self._kpis(JUNE, user=self.officer)["dispute_resolution_days"])

    def test_many_scopes_cost_what_one_costs(self):
        one = [self.Kpi._scope(self.company, MAY, self.officer)]
        many = [
            self.Kpi._scope(self.company, month, user, team)
            for month in (MAY, JUNE)
            for user, team in (
                (None, None),
                (self.officer, None),
                (self.officer_2, None),
                (None, self.team),
            )
        ]
        counts = []
        for scopes in (one, one, many):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Kpi._kpis(scopes)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[2], counts[1], "a query per KPI, not per scope")

    # ------------------------------------------------------------- access

    def test_officers_see_their_own_numbers_and_their_teams_only(self):
        as_officer = self.Kpi.with_user(self.officer)
        own = as_officer._kpis([as_officer._scope(self.company, MAY, user=self.officer)])
        self.assertEqual(own[0]["collected"], 300.0)
        team = as_officer._kpis([as_officer._scope(self.company, MAY, team=self.team)])
        self.assertEqual(team[0]["collected"], 300.0)
        for scope in (
            as_officer._scope(self.company, MAY, user=self.officer_2),
            as_officer._scope(self.company, MAY),
        ):
            with self.assertRaises(AccessError):
                as_officer._kpis([scope])
        with self.assertRaises(AccessError):
            self.Kpi.with_user(self.officer_2)._kpis(
                [self.Kpi._scope(self.company, MAY, team=self.team)]
            )
        as_manager = self.Kpi.with_user(self.manager)
        self.assertEqual(
            as_manager._kpis([as_manager._scope(self.company, MAY)])[0]["collected"], 500.0
        )
