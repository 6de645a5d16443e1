import os
from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError
from odoo.modules.module import load_script
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL, mute_logger

from .common import TODAY
from .test_collection_kpi import JUNE, MAY, KpiBookCase

MIGRATION = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "migrations", "19.0.1.3.0", "post-migrate.py"
)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionTarget(KpiBookCase):
    """Targets, snapshots and the expected cash on the book of the KPI tests."""

    def _target(self, **vals):
        return self.env["collection.target"].create(
            {
                "month": date(2026, 6, 17),
                "target_amount_collected": 800,
                "target_cases_resolved": 2,
                "target_promise_kept_rate": 80,
                **vals,
            }
        )

    def test_target_progress(self):
        target = self._target(user_id=self.officer.id)
        self.assertEqual(target.month, JUNE, "a target is for a whole month")
        self.assertEqual(target.amount_collected, 400.0)
        self.assertEqual(target.last_amount_collected, 300.0)
        self.assertAlmostEqual(target.progress_amount_collected, 50.0)
        self.assertEqual(target.cases_resolved, 0)
        self._register_payment(self.inv_a, amount=700, payment_date=date(2026, 6, 30))
        self._register_payment(self.inv_b, amount=600, payment_date=date(2026, 6, 30))
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        target.invalidate_recordset()
        self.assertEqual(target.amount_collected, 1700.0)
        self.assertAlmostEqual(target.progress_amount_collected, 1700 / 800 * 100)
        self.assertEqual(target.cases_resolved, 1)
        self.assertAlmostEqual(target.progress_cases_resolved, 50.0)
        promise = self.env["collection.promise"].create(
            {"case_id": self._case(self.other_customer).id, "amount": 100, "date": date(2026, 7, 3)}
        )
        promise.sudo().write({"state": "kept", "judged_date": date(2026, 6, 30)})
        team_target = self._target(team_id=self.team.id)
        self.assertEqual(team_target.amount_collected, 1700.0)
        self.assertEqual(team_target.promise_kept_rate, 0.0, "Globex is not the team's case")
        other = self._target(user_id=self.officer_2.id)
        self.assertAlmostEqual(other.promise_kept_rate, 100.0)
        self.assertAlmostEqual(other.progress_promise_kept_rate, 125.0)

    def test_target_is_for_an_officer_or_a_team(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._target(user_id=self.officer.id, team_id=self.team.id)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._target()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._target(user_id=self.officer.id, target_promise_kept_rate=120)

    def test_one_target_per_officer_and_month(self):
        self._target(user_id=self.officer.id)
        self._target(user_id=self.officer.id, month=MAY)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._target(user_id=self.officer.id, month=date(2026, 6, 2))

    def test_officers_see_their_own_targets_and_their_teams(self):
        own = self._target(user_id=self.officer.id)
        team = self._target(team_id=self.team.id)
        other = self._target(user_id=self.officer_2.id)
        Target = self.env["collection.target"]
        self.assertEqual(Target.with_user(self.officer).search([]), own | team)
        self.assertEqual(Target.with_user(self.officer_2).search([]), other)
        self.assertEqual(Target.with_user(self.manager).search([]), own | team | other)
        self.assertEqual(own.with_user(self.officer).amount_collected, 400.0)
        self.assertEqual(team.with_user(self.officer).amount_collected, 400.0)
        with self.assertRaises(AccessError):
            other.with_user(self.officer).read(["amount_collected"])
        with self.assertRaises(AccessError):
            own.with_user(self.officer).write({"target_amount_collected": 1})
        with self.assertRaises(AccessError):
            Target.with_user(self.officer).create({"user_id": self.officer.id, "month": MAY})

    # ---------------------------------------------------------- snapshots

    def _take_snapshots(self):
        cron = self.env.ref("collections_officer.ir_cron_collection_snapshot")
        with self.enter_registry_test_mode():
            self.assertIs(cron.method_direct_trigger(), True, "the scheduled action failed")

    @staticmethod
    def _aging(snapshot):
        """``{bucket label: amount}`` of a snapshot, as it was kept."""
        return {line.label: line.amount for line in snapshot.bucket_ids.sorted("sequence")}

    def test_snapshots_of_the_month_taken_once(self):
        Snapshot = self.env["collection.snapshot"]
        # The first of the month, in the company's morning.
        with freeze_time("2026-06-01 09:00:00"):
            self._take_snapshots()
            self._take_snapshots()
        snapshots = Snapshot.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(snapshots), 4, "the company, two officers, one team, once")
        self.assertEqual(set(snapshots.mapped("month")), {MAY})
        company = snapshots.filtered(lambda s: s.scope == "company")
        self.assertEqual(company.total_receivable, 2000.0)
        self.assertEqual(company.amount_collected, 500.0)
        self.assertEqual(self._aging(company)["91-120"], 400.0)
        officer = snapshots.filtered(lambda s: s.user_id == self.officer)
        self.assertEqual(
            self._aging(officer),
            {"Not Due": 600, "1-30": 700, "31-60": 0, "61-90": 0, "91-120": 400, "Over 120": 0},
        )
        self.assertAlmostEqual(officer.dso, 1700 / 600 * 31, places=2)
        self.assertAlmostEqual(officer.cei, 300 / 1400 * 100, places=2)
        # What was paid after the month does not rewrite it.
        self._register_payment(self.inv_a, amount=700, payment_date=TODAY)
        with freeze_time("2026-06-30 09:00:00"):
            self._take_snapshots()
        self.env.invalidate_all()
        self.assertEqual(self._aging(officer)["1-30"], 700)
        self.assertEqual(
            Snapshot.search_count([("month", "=", JUNE), ("company_id", "=", self.company.id)]),
            0,
            "June is not over",
        )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            Snapshot.sudo().create(
                {"company_id": self.company.id, "month": MAY, "scope": "company"}
            )

    def test_the_upgrade_keeps_the_standard_columns_as_lines(self):
        """A snapshot taken before its aging had lines keeps its six standard columns'
        figures as lines labelled with the standard buckets."""
        with freeze_time("2026-06-01 09:00:00"):
            self._take_snapshots()
        company = (
            self.env["collection.snapshot"]
            .sudo()
            .search([("company_id", "=", self.company.id), ("scope", "=", "company")])
        )
        kept = self._aging(company)
        company.bucket_ids.unlink()
        self.env.flush_all()
        # The table as the previous release had it: the aging in six columns.
        columns = [f"amount_{key}" for key in ("not_due", "1_30", "31_60", "61_90")]
        columns += ["amount_91_120", "amount_over_120"]
        for column in columns:
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE collection_snapshot ADD COLUMN %s numeric DEFAULT 0",
                    SQL.identifier(column),
                )
            )
        self.env.cr.execute(
            SQL(
                """
                UPDATE collection_snapshot
                   SET amount_not_due = 900, amount_1_30 = 700, amount_91_120 = 400
                 WHERE id = %s
                """,
                company.id,
            )
        )
        officer = company.search([("user_id", "=", self.officer.id)])
        officer_lines = officer.bucket_ids
        load_script(MIGRATION, "collections_officer_snapshot_migration")._snapshot_aging_as_lines(
            self.env(su=True)
        )
        self.env.invalidate_all()
        self.assertEqual(self._aging(company), kept)
        self.assertEqual(
            [(line.label, line.days_from, line.days_to) for line in company.bucket_ids],
            [
                ("Not Due", 0, 0),
                ("1-30", 1, 30),
                ("31-60", 31, 60),
                ("61-90", 61, 90),
                ("91-120", 91, 120),
                ("Over 120", 121, 0),
            ],
        )
        self.assertEqual(company.bucket_ids.company_id, self.company)
        self.assertEqual(set(company.bucket_ids.mapped("month")), {MAY})
        self.assertEqual(officer.bucket_ids, officer_lines, "a snapshot with lines is left alone")

    def test_officers_see_their_own_snapshots_and_their_teams(self):
        with freeze_time("2026-06-01 09:00:00"):
            self._take_snapshots()
        Snapshot = self.env["collection.snapshot"]
        mine = Snapshot.with_user(self.officer).search([])
        self.assertEqual(set(mine.mapped("scope")), {"officer", "team"})
        self.assertEqual(mine.user_id, self.officer)
        self.assertEqual(mine.team_id, self.team)
        self.assertEqual(Snapshot.with_user(self.officer_2).search([]).user_id, self.officer_2)
        self.assertEqual(len(Snapshot.with_user(self.manager).search([])), 4)
        # Their aging lines follow the same rules, and stay within the user's companies.
        Bucket = self.env["collection.snapshot.bucket"]
        self.assertEqual(Bucket.with_user(self.officer).search([]).snapshot_id, mine)
        self.assertEqual(len(Bucket.with_user(self.manager).search([])), 4 * 6)
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        other = Snapshot.sudo().create(
            {
                "company_id": elsewhere.id,
                "month": MAY,
                "scope": "company",
                "bucket_ids": [Command.create({"label": "Not Due", "amount": 10.0})],
            }
        )
        self.assertNotIn(other.bucket_ids, Bucket.with_user(self.manager).search([]))
        with self.assertRaises(AccessError):
            other.bucket_ids.with_user(self.manager).read(["amount"])
        with self.assertRaises(AccessError):
            mine.bucket_ids[:1].with_user(self.manager).write({"amount": 1.0})

    # ---------------------------------------------------------- dashboard

    def _cards(self, user):
        Card = self.env["collection.kpi.card"].with_user(user)
        cards = Card.search(Card.action_open_dashboard()["domain"])
        return {(card.owner, card.kpi): card for card in cards}

    def test_dashboard_cards_this_month_last_month_and_target(self):
        self._target(user_id=self.officer.id)
        cards = self._cards(self.officer)
        self.assertEqual({owner for owner, _kpi in cards}, {self.officer.name, self.team.name})
        collected = cards[(self.officer.name, "collected")]
        self.assertEqual(
            (collected.value, collected.last_value, collected.target), (400.0, 300.0, 800.0)
        )
        self.assertEqual(collected.trend, "better")
        self.assertFalse(cards[(self.team.name, "collected")].has_target)
        dso = cards[(self.officer.name, "dso")]
        self.assertAlmostEqual(dso.last_value, 1700 / 600 * 31)
        # June: 1,300 owed, nothing invoiced: no DSO to speak of.
        self.assertFalse(dso.has_value)
        self.assertEqual(dso.trend, False)
        manager_cards = self._cards(self.manager)
        self.assertEqual(
            {owner for owner, _kpi in manager_cards}, {self.company.name, self.team.name}
        )
        self.assertEqual(manager_cards[(self.company.name, "collected")].last_value, 500.0)
        # Each user sees the cards built for them only.
        self.assertEqual(
            len(self.env["collection.kpi.card"].with_user(self.officer).search([])), len(cards)
        )

    # ------------------------------------------------------- expected cash

    def test_expected_cash_of_the_next_four_weeks(self):
        Promise = self.env["collection.promise"]
        Promise.create({"case_id": self.case.id, "amount": 250, "date": date(2026, 7, 10)})
        plan = (
            self.env["collection.plan.wizard"]
            .create(
                {
                    "case_id": self.other_case.id,
                    "first_date": date(2026, 7, 5),
                    "installment_count": 3,
                    "frequency": "weekly",
                }
            )
            ._create_plan()
        )
        plan.sudo().write({"state": "active"})
        Cash = self.env["collection.expected.cash"]
        action = Cash.with_user(self.officer).action_open_expected_cash()
        lines = Cash.with_user(self.officer).search(action["domain"])
        self.assertEqual(
            [(line.date, line.source, line.amount) for line in lines],
            [(date(2026, 7, 10), "promise", 250.0)],
            "the officer sees their own case only",
        )
        lines = Cash.with_user(self.manager).search(
            Cash.with_user(self.manager).action_open_expected_cash()["domain"]
        )
        self.assertEqual(
            [(line.date, line.source, line.amount) for line in lines],
            [
                (date(2026, 7, 5), "installment", 100.0),
                (date(2026, 7, 10), "promise", 250.0),
                (date(2026, 7, 12), "installment", 100.0),
                (date(2026, 7, 19), "installment", 100.0),
            ],
        )

    def test_expected_cash_from_predicted_pay_dates(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 250, "date": date(2026, 7, 10)}
        )
        (self.case | self.other_case).sudo().write({"predicted_pay_date": date(2026, 7, 8)})
        Cash = self.env["collection.expected.cash"].with_user(self.manager)
        lines = Cash.search(Cash.action_open_expected_cash()["domain"])
        self.assertEqual(
            [(line.date, line.source, line.case_id, line.amount) for line in lines],
            [
                (date(2026, 7, 8), "predicted", self.other_case, 300.0),
                (date(2026, 7, 10), "promise", self.case, 250.0),
            ],
            "a case with a promise is expected at the promised date only",
        )

    def test_expected_cash_opened_again_replaces_the_users_lines_only(self):
        (self.case | self.other_case).sudo().write({"predicted_pay_date": date(2026, 7, 8)})
        Cash = self.env["collection.expected.cash"]
        officer_domain = Cash.with_user(self.officer).action_open_expected_cash()["domain"]
        officer_lines = Cash.with_user(self.officer).search(officer_domain)
        self.assertEqual(officer_lines.mapped("source"), ["predicted"])
        manager = Cash.with_user(self.manager)
        first = manager.search(manager.action_open_expected_cash()["domain"])
        shown = [(line.case_id, line.amount) for line in first]
        self.assertEqual(len(shown), 2)
        second = manager.search(manager.action_open_expected_cash()["domain"])
        self.assertEqual(
            [(line.case_id, line.amount) for line in second],
            shown,
            "the lines are built again, not added to the previous ones",
        )
        self.assertFalse(first.exists(), "the previous lines are gone")
        self.assertTrue(officer_lines.exists(), "another user's lines are theirs")

    def test_expected_cash_of_a_case_in_another_currency(self):
        """A case's currency is its company's; one kept in another is converted at the
        company's rate, as promises are."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {"name": date(2026, 1, 1), "rate": 2.0, "currency_id": eur.id, "company_id": False}
        )
        cases = self.case | self.other_case
        cases.sudo().write({"predicted_pay_date": date(2026, 7, 8)})
        self.other_case.sudo().write({"currency_id": eur.id})
        Cash = self.env["collection.expected.cash"].with_user(self.manager)
        lines = {line["case_id"]: line["amount"] for line in Cash._expected_lines()}
        self.assertEqual(lines[self.case.id], self.case.overdue_amount)
        self.assertEqual(lines[self.other_case.id], self.other_case.overdue_amount / 2)
