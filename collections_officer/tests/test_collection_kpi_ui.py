from datetime import date

from odoo.tests import HttpCase, freeze_time, tagged

from .common import TODAY
from .test_collection_kpi import MAY, KpiBookCase

# The officer's figures on the hand-computed book of test_collection_kpi, on 30 June
# (this month: June, to date; last month: May), as (this month, last month); None
# where there is nothing to measure. Money in company currency.
OFFICER_CARDS = {
    # C's 400 paid in June; A's 300 paid in May.
    "collected": (400.0, 300.0),
    "credited": (0.0, 0.0),
    "cases_closed": (0.0, 0.0),
    "promise_kept_rate": (None, None),
    # No sale in June; May: 1,700 owed / 600 sold * 31 days.
    "dso": (None, 1700 / 600 * 31),
    # June: 1,300 owed = nothing of June (30 days), May's 600 (31 days), 700 of
    # April's 1,000 (30 days). May: see test_ledger_kpis_of_the_officer_in_may.
    "countback_dso": (30 + 31 + 700 / 1000 * 30, 31 + 30 + 31 + 28 + 100 / 400 * 31),
    "best_possible_dso": (None, 600 / 600 * 31),
    "average_days_delinquent": (None, 1700 / 600 * 31 - 31),
    # June: (1,700 + 0 - 1,300) / (1,700 + 0 - 0 not due) * 100.
    "cei": (400 / 1700 * 100, 300 / 1400 * 100),
    # On 30 June A (51 days) and B (26 days) are under 90 days; C was paid.
    "over_90_share": (0.0, 400 / 1700 * 100),
    "receivable_end": (1300.0, 1700.0),
    "cases_opened": (0.0, 0.0),
    "cases_escalated": (0.0, 0.0),
    # Two calls and a letter in May, a call in June.
    "contact_count": (1.0, 3.0),
    "promise_partial_rate": (None, None),
    "promise_kept_amount_rate": (None, None),
    "plan_completion_rate": (None, None),
    "dispute_resolution_days": (None, None),
    # Nobody reminded, nobody on the page, nothing paid online of the 400 and 300.
    "portal_cases": (0.0, 0.0),
    "portal_case_share": (None, None),
    "paid_online": (0.0, 0.0),
    "paid_online_share": (0.0, 0.0),
    "portal_payment_days": (None, None),
    "other_payment_days": (None, None),
}
# This month against last month, for the better when lower for DSO, receivables and
# the share over 90 days: see collection_kpi_card.CARDS.
OFFICER_TRENDS = {
    "collected": "better",
    "credited": "same",
    "countback_dso": "better",
    "cei": "better",
    "over_90_share": "better",
    "receivable_end": "better",
    "contact_count": "worse",
    "cases_closed": "same",
    "cases_opened": "same",
    "cases_escalated": "same",
    "portal_cases": "same",
    "paid_online": "same",
    "paid_online_share": "same",
}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionKpiUi(KpiBookCase, HttpCase):
    """The reporting screens show the figures of the hand-computed KPI book.

    The server runs on the frozen day (30 June 2026); the browser only displays.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer.name = "Olivia Officer"

    def setUp(self):
        super().setUp()
        self._log_book_contacts()

    def _officer_cards(self):
        Card = self.env["collection.kpi.card"].with_user(self.officer)
        action = Card.action_open_dashboard()
        cards = Card.search(action["domain"])
        self.assertEqual(set(cards.mapped("owner")), {"Olivia Officer", "Key Accounts"})
        return cards

    def test_officer_reads_the_book_on_the_dashboard(self):
        cards = self._officer_cards()
        own = cards.filtered(lambda card: card.owner == "Olivia Officer")
        self.assertEqual(own.user_id, self.officer)
        seen = {}
        for card in own:
            seen[card.kpi] = (
                card.value if card.has_value else None,
                card.last_value if card.has_last_value else None,
            )
            self.assertEqual(card.trend, OFFICER_TRENDS.get(card.kpi, False), card.kpi)
            self.assertFalse(card.has_target, "no target set for June")
        self.assertEqual(seen.keys(), OFFICER_CARDS.keys())
        for kpi, expected in OFFICER_CARDS.items():
            for got, want in zip(seen[kpi], expected, strict=True):
                if want is None:
                    self.assertIsNone(got, kpi)
                else:
                    self.assertAlmostEqual(got, want, places=6, msg=kpi)
        # The officer's case is the team's only one: the team's cards say the same.
        team = cards.filtered(lambda card: card.owner == "Key Accounts")
        self.assertEqual(team.team_id, self.team)
        self.assertEqual(
            {card.kpi: (card.value, card.last_value) for card in team},
            {card.kpi: (card.value, card.last_value) for card in own},
        )
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_kpi_card_action_server",
            "collections_officer_dashboard",
            login=self.officer.login,
        )

    def test_manager_reads_the_book_on_the_reporting_screens(self):
        # May kept in the company's buckets of then (15, 30 and 45 days): the company
        # owed A 700 (21 days), B 600 and D 300 (not due) and C 400 (106 days) on 31 May.
        # The company ages in other buckets since: the trend shows May as it was kept.
        self.company.collection_aging_buckets = "15,30,45"
        snapshots = self.env["collection.snapshot"]._take_snapshots(self.company, MAY)
        self.company.collection_aging_buckets = "30,60,90"
        company_may = snapshots.filtered(lambda s: s.scope == "company")
        self.assertEqual(company_may.total_receivable, 2000.0)
        self.assertEqual(
            snapshots.filtered(lambda s: s.scope == "officer" and s.user_id == self.officer)[
                "total_receivable"
            ],
            1700.0,
        )
        # Acme promises 250 for Friday 3 July, within the next four weeks.
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 250, "date": date(2026, 7, 3)}
        )
        self.assertEqual(
            self.case.contact_ids.filtered(lambda c: c.outcome == "promised").channel, "phone"
        )
        expected = self.env["collection.expected.cash"].with_user(self.manager)._expected_lines()
        promised = [line for line in expected if line["source"] == "promise"]
        self.assertEqual(
            [(line["date"], line["case_id"], line["amount"]) for line in promised],
            [(date(2026, 7, 3), self.case.id, 250.0)],
        )
        self.env.flush_all()  # the browser's requests read the database, not this cache
        for url, tour in (
            ("collection_snapshot_bucket_action", "collections_officer_aging_trend"),
            ("collection_expected_cash_action_server", "collections_officer_expected_cash"),
            ("collection_contact_analysis_action", "collections_officer_contacts_made"),
        ):
            with self.subTest(tour=tour):
                self.start_tour(
                    f"/odoo/action-collections_officer.{url}", tour, login=self.manager.login
                )
