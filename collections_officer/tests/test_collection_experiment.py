from collections import Counter
from math import sqrt

from psycopg2.errors import CheckViolation

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from ..models.collection_experiment import assign_arm, block_arms
from ..models.collection_experiment_report import (
    Z_CONFIDENCE,
    cases_needed,
    welch_interval,
)
from .common import TODAY, CollectionsCommon, days_ago, morning

# The day the cases of the figures' tests open: 60 days before TODAY, so that both
# windows (30 and 60 days) have passed.
ENROLLED = days_ago(60)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionExperiment(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.champion = cls.env["collection.policy"].create(
            {
                "name": "Standard",
                "level_ids": [
                    (0, 0, {"name": "Call", "delay_days": 10, "schedule_call": True}),
                    (0, 0, {"name": "Letter", "delay_days": 30, "print_letter": True}),
                ],
            }
        )
        cls.company.collection_policy_id = cls.champion
        cls.tag = cls.env["res.partner.category"].create({"name": "Retail"})

    def _customers(self, count, prefix="Customer", amount=100.0, due_days_ago=10, **values):
        partners = self.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True, **values} for i in range(count)]
        )
        for partner in partners:
            self._post_invoice(amount, due_days_ago=due_days_ago, partner=partner)
        return partners

    def _cases_of(self, partners):
        return self.Case.search([("partner_id", "in", partners.ids)], order="id")

    def _experiment(self, start=True, **values):
        experiment = self.env["collection.experiment"].create(
            {
                "name": "Earlier letter",
                "champion_policy_id": self.champion.id,
                "challenger_share": 20,
                "date_start": days_ago(90),
                "seed": 42,
                **values,
            }
        )
        experiment.action_create_challenger()
        if start:
            experiment.action_start()
        return experiment

    # ------------------------------------------------------------ assignment

    def test_blocks_hold_the_exact_share(self):
        self.assertEqual(block_arms(20), (10, 2))
        self.assertEqual(block_arms(25), (20, 5))
        self.assertEqual(block_arms(50), (10, 5))
        self.assertEqual(block_arms(33), (100, 33))
        for band in (0, 1, 2):
            arms = [assign_arm(7, 20, band, position) for position in range(100)]
            self.assertEqual(Counter(arms)["challenger"], 20)
            for block in range(10):
                self.assertEqual(
                    arms[block * 10 : block * 10 + 10].count("challenger"), 2, "per full block"
                )
            again = [assign_arm(7, 20, band, position) for position in range(100)]
            self.assertEqual(arms, again, "the same seed draws the same arms")
        self.assertNotEqual(
            [assign_arm(7, 20, 0, p) for p in range(100)],
            [assign_arm(8, 20, 0, p) for p in range(100)],
            "another seed, another draw",
        )

    def test_new_cases_are_enrolled_reproducibly_and_balanced(self):
        experiment = self._experiment()
        self.assertEqual(experiment.state, "running")
        self.assertTrue(self.company.collection_experiment_running)
        self.assertEqual(experiment.band_edges, "1000, 5000, 20000")
        small = self._customers(10, "Small", amount=100)
        large = self._customers(5, "Large", amount=2000)
        self._refresh()
        small_cases, large_cases = self._cases_of(small), self._cases_of(large)
        self.assertEqual(small_cases.experiment_id, experiment)
        self.assertEqual(set(large_cases.mapped("experiment_band")), {1})
        self.assertEqual(set(small_cases.mapped("experiment_band")), {0})
        self.assertEqual(
            small_cases.mapped("experiment_arm"), [assign_arm(42, 20, 0, p) for p in range(10)]
        )
        self.assertEqual(small_cases.mapped("experiment_arm").count("challenger"), 2)
        self.assertEqual(
            large_cases.mapped("experiment_arm"), [assign_arm(42, 20, 1, p) for p in range(5)]
        )
        self.assertEqual(set(small_cases.mapped("experiment_overdue")), {100.0})
        self.assertEqual(set(small_cases.mapped("experiment_date")), {TODAY})
        self.assertEqual(
            (experiment.champion_case_count, experiment.challenger_case_count),
            (
                large_cases.mapped("experiment_arm").count("champion") + 8,
                large_cases.mapped("experiment_arm").count("challenger") + 2,
            ),
        )
        # A refresh later changes no arm: the cases keep theirs, and the next case of
        # the band takes the next position.
        arms = small_cases.mapped("experiment_arm")
        self._post_invoice(50, due_days_ago=5, partner=small[0])
        late = self._customers(1, "Late", amount=100)
        self._refresh()
        self.assertEqual(small_cases.mapped("experiment_arm"), arms)
        self.assertEqual(self._cases_of(late).experiment_arm, assign_arm(42, 20, 0, 10))

    def test_a_case_opened_by_hand_is_enrolled(self):
        experiment = self._experiment()
        self._post_invoice(300, due_days_ago=15)
        case = self.Case.create({"partner_id": self.customer.id})
        self.assertEqual(case.experiment_id, experiment)
        self.assertEqual(case.experiment_overdue, 300)
        self.assertEqual(case.experiment_arm, assign_arm(42, 20, 0, 0))

    def test_cases_outside_the_segment_are_not_enrolled(self):
        tagged_in = self._customers(2, "Tagged", category_id=[(6, 0, self.tag.ids)])
        untagged = self._customers(2, "Untagged")
        too_big = self._customers(1, "Big", amount=5000, category_id=[(6, 0, self.tag.ids)])
        own_policy = self._customers(1, "Own", category_id=[(6, 0, self.tag.ids)])
        other_policy = self.champion.copy({"name": "Other"})
        self.env["collection.level"].create(
            {"name": "Call", "policy_id": other_policy.id, "delay_days": 5, "schedule_call": True}
        )
        own_policy.with_company(self.company).collection_policy_id = other_policy
        self._experiment(tag_ids=[(6, 0, self.tag.ids)], amount_min=50, amount_max=1000)
        self._refresh()
        self.assertEqual(len(self._cases_of(tagged_in).experiment_id), 1)
        self.assertTrue(all(self._cases_of(tagged_in).mapped("experiment_arm")))
        for partners in (untagged, too_big, own_policy):
            cases = self._cases_of(partners)
            self.assertTrue(cases)
            self.assertFalse(cases.experiment_id, partners.mapped("name"))

    def test_no_query_to_enrol_when_nothing_runs(self):
        self._experiment(start=False)
        self.assertFalse(self.company.collection_experiment_running)
        with self.assertQueryCount(0):
            self.assertFalse(self.env["collection.experiment"]._running_for(self.company))

    def test_no_enrolment_before_the_start_or_after_the_end(self):
        experiment = self._experiment(start=False)
        self._customers(2, "Early")
        self._refresh()
        self.assertFalse(self.Case.search([("experiment_id", "!=", False)]))
        experiment.write({"date_start": days_ago(30), "date_end": days_ago(1)})
        with self.assertRaisesRegex(UserError, "already ended"):
            experiment.action_start()

    # ---------------------------------------------------------------- policy

    def test_a_challenger_case_follows_the_challenger(self):
        experiment = self._experiment(challenger_share=50)
        partners = self._customers(4, "Arm")
        self._refresh()
        cases = self._cases_of(partners)
        challengers = cases.filtered(lambda case: case.experiment_arm == "challenger")
        champions = cases - challengers
        self.assertTrue(challengers and champions)

        def resolved(case):
            rows = [
                {
                    "id": case.id,
                    "policy_id": case.policy_id.id,
                    "partner_id": case.partner_id.id,
                    "company_id": case.company_id.id,
                }
            ]
            return self.Case._case_policies(rows)[case.id]

        for case in challengers:
            self.assertEqual(resolved(case), experiment.challenger_policy_id.id)
        for case in champions:
            self.assertEqual(resolved(case), self.champion.id)
        policies = cases._get_followup_policies()
        self.assertEqual(
            {policies[case.id] for case in challengers}, {experiment.challenger_policy_id}
        )
        experiment.action_stop()
        self.assertFalse(self.company.collection_experiment_running)
        for case in cases:
            self.assertEqual(resolved(case), self.champion.id, "stopped: the usual policy")

    def test_the_challenger_is_a_copy_with_its_levels(self):
        experiment = self._experiment(start=False)
        challenger = experiment.challenger_policy_id
        self.assertNotEqual(challenger, self.champion)
        self.assertEqual(
            challenger.level_ids.mapped("delay_days"), self.champion.level_ids.mapped("delay_days")
        )
        self.assertFalse(challenger.level_ids & self.champion.level_ids)

    def test_start_is_validated(self):
        experiment = self.env["collection.experiment"].create(
            {"name": "No challenger", "champion_policy_id": self.champion.id}
        )
        with self.assertRaisesRegex(UserError, "no challenger"):
            experiment.action_start()
        self._experiment()
        second = self._experiment(start=False, name="Second")
        with self.assertRaisesRegex(UserError, "already runs"):
            second.action_start()
        with self.assertRaises(ValidationError):
            second.write({"amount_min": 500, "amount_max": 100})
        with self.assertRaises(ValidationError):
            second.write({"band_edges": "500, 100"})
        with self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            second.write({"challenger_share": 100})
            second.flush_recordset()

    def test_a_started_experiment_keeps_its_segment(self):
        experiment = self._experiment()
        with self.assertRaisesRegex(UserError, "cannot change"):
            experiment.write({"challenger_share": 50})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            experiment.write({"state": "draft"})
        with self.assertRaisesRegex(UserError, "stop it"):
            experiment.unlink()

    def test_promote_without_tags_sets_the_company_default(self):
        experiment = self._experiment()
        experiment.action_promote()
        self.assertEqual(experiment.state, "promoted")
        self.assertEqual(self.company.collection_policy_id, experiment.challenger_policy_id)
        self.assertFalse(self.company.collection_experiment_running)
        partners = self._customers(1, "After")
        self._refresh()
        case = self._cases_of(partners)
        self.assertFalse(case.experiment_id, "nothing runs any more")
        self.assertEqual(case.effective_policy_id, experiment.challenger_policy_id)

    def test_promote_with_tags_sets_the_customers_policy(self):
        tagged_in = self._customers(2, "Tagged", category_id=[(6, 0, self.tag.ids)])
        untagged = self._customers(1, "Untagged")
        own = self._customers(1, "Own", category_id=[(6, 0, self.tag.ids)])
        other_policy = self.champion.copy({"name": "Other"})
        own.with_company(self.company).collection_policy_id = other_policy
        experiment = self._experiment(tag_ids=[(6, 0, self.tag.ids)])
        self._refresh()
        experiment.action_stop()
        experiment.action_promote()
        challenger = experiment.challenger_policy_id
        self.assertEqual(self.company.collection_policy_id, self.champion)
        for partner in tagged_in:
            self.assertEqual(partner.with_company(self.company).collection_policy_id, challenger)
        self.assertFalse(untagged.with_company(self.company).collection_policy_id)
        self.assertEqual(
            own.with_company(self.company).collection_policy_id,
            other_policy,
            "a policy of their own is kept",
        )
        self.assertEqual(set(self._cases_of(tagged_in).effective_policy_id), {challenger})
        self.assertEqual(self._cases_of(untagged).effective_policy_id, self.champion)

    # --------------------------------------------------------------- figures

    def test_interval_and_verdicts(self):
        challenger, champion = [1.0, 0.5, 1.0], [0.0, 0.5, 0.0]
        difference, error, low, high = welch_interval(challenger, champion)
        # Both samples: mean 5/6 (resp. 1/6), variance 1/12.
        self.assertAlmostEqual(difference, 2 / 3)
        self.assertAlmostEqual(error, sqrt(1 / 12 / 3 + 1 / 12 / 3))
        self.assertAlmostEqual(low, 2 / 3 - 1.959964 * error, places=5)
        self.assertAlmostEqual(high, 2 / 3 + 1.959964 * error, places=5)
        experiment = self._experiment(start=False, challenger_share=20)
        arms = {
            "challenger": {"shares_30": challenger},
            "champion": {"shares_30": champion},
        }
        self.assertEqual(
            experiment._verdict(arms, (difference, error, low, high)),
            "Challenger collects 66.7 points more, 95 % interval 20.5–112.9",  # noqa: RUF001
        )
        flat = {
            "challenger": {"shares_30": [0.5, 0.6, 0.4]},
            "champion": {"shares_30": [0.5, 0.4, 0.6]},
        }
        interval = welch_interval([0.5, 0.6, 0.4], [0.5, 0.4, 0.6])
        self.assertLess(interval[2], 0)
        # No difference: the sample size aims at 5 points. Variances 0.01, 20 % share:
        # (1.96 + 0.8416)^2 * (0.01 / 0.2 + 0.01 / 0.8) / 0.05^2 = 196.2: 197 cases.
        self.assertEqual(cases_needed([0.5, 0.6, 0.4], [0.5, 0.4, 0.6], 0.2), 197)
        self.assertEqual(
            experiment._verdict(flat, interval),
            "Not yet significant: about 191 more cases needed",
        )
        worse = welch_interval(champion, challenger)
        self.assertEqual(
            experiment._verdict(
                {"challenger": {"shares_30": champion}, "champion": {"shares_30": challenger}},
                worse,
            ),
            "Challenger collects 66.7 points less, 95 % interval 20.5–112.9",  # noqa: RUF001
        )

    def test_report_against_figures_by_hand(self):
        partners = self._customers(6, "Measured", amount=100, due_days_ago=70)
        experiment = self._experiment(challenger_share=50)
        with freeze_time(morning(ENROLLED)):
            self._refresh()
        cases = self._cases_of(partners)
        self.assertEqual(set(cases.mapped("experiment_date")), {ENROLLED})
        # The arms, set for the figures: the first three challenge.
        for case, arm in zip(cases, ["challenger"] * 3 + ["champion"] * 3, strict=True):
            case.sudo().experiment_arm = arm
        invoices = {
            partner: self.env["account.move"].search(
                [("partner_id", "=", partner.id), ("move_type", "=", "out_invoice")]
            )
            for partner in partners
        }
        # (customer, amount, days after enrolment)
        payments = [(0, 100, 5), (1, 50, 10), (2, 100, 20), (4, 50, 10), (5, 25, 40)]
        for index, amount, days in payments:
            # Paid and matched that day: the case closes then when paid in full.
            with freeze_time(morning(days_ago(60 - days))):
                self._pay(invoices[partners[index]], amount, days_ago_paid=60 - days)
                self._refresh()
        self.assertEqual(cases[0].closed_date, days_ago(55))
        challenger_case = cases[0]
        self.env["collection.contact"].sudo().create(
            [
                {
                    "case_id": challenger_case.id,
                    "channel": "letter",
                    "direction": "outbound",
                    "outcome": "sent",
                    "date": morning(days_ago(50)),
                },
                {
                    "case_id": challenger_case.id,
                    "channel": "email",
                    "direction": "outbound",
                    "outcome": "sent",
                    "date": morning(days_ago(49)),
                },
            ]
        )
        figures = experiment._get_report_figures()[experiment.id]
        challenger, champion = figures["arms"]["challenger"], figures["arms"]["champion"]
        self.assertEqual((challenger["cases"], champion["cases"]), (3, 3))
        self.assertEqual(challenger["shares_30"], [1.0, 0.5, 1.0])
        self.assertEqual(champion["shares_30"], [0.0, 0.5, 0.0])
        self.assertAlmostEqual(challenger["collected_30"], 5 / 6)
        self.assertAlmostEqual(champion["collected_30"], 1 / 6)
        self.assertAlmostEqual(champion["collected_60"], 0.25)
        self.assertAlmostEqual(challenger["days_to_pay"], 12.5)
        self.assertEqual((challenger["paid"], challenger["unpaid"]), (2, 1))
        self.assertIsNone(champion["days_to_pay"])
        self.assertEqual(champion["unpaid"], 3)
        self.assertAlmostEqual(challenger["roll_rate"], 1 / 3)
        self.assertAlmostEqual(champion["roll_rate"], 1.0)
        self.assertAlmostEqual(challenger["contacts"], 2 / 3)
        self.assertAlmostEqual(challenger["letters"], 1 / 3)
        self.assertAlmostEqual(challenger["cost"], (1.50 + 0.05) / 3)
        self.assertEqual(champion["contacts"], 0)
        difference, error, low, _high = figures["interval"]
        self.assertAlmostEqual(difference, 2 / 3)
        self.assertAlmostEqual(error, sqrt(2 * (1 / 12) / 3))
        self.assertAlmostEqual(low, 2 / 3 - Z_CONFIDENCE * error)
        self.assertTrue(experiment.verdict.startswith("Challenger collects 66.7 points more"))
        self.assertIn("66.7", experiment.report_html)

    def test_figures_wait_for_their_window(self):
        experiment = self._experiment()
        self._customers(3, "Fresh")
        self._refresh()
        figures = experiment._get_report_figures()[experiment.id]
        self.assertEqual(
            sum(figures["arms"][arm]["cases"] for arm in ("champion", "challenger")), 3
        )
        self.assertEqual(figures["arms"]["champion"]["measured_30"], 0)
        self.assertIsNone(figures["interval"])
        self.assertTrue(experiment.verdict.startswith("Not yet significant"))

    # -------------------------------------------------------------- security

    def test_officers_cannot_touch_the_experiment(self):
        experiment = self._experiment()
        partners = self._customers(1, "Guarded")
        self._refresh()
        case = self._cases_of(partners)
        self.assertTrue(case.experiment_arm)
        officer_case = case.with_user(self.officer)
        self.assertEqual(officer_case.experiment_arm, case.experiment_arm, "officers read it")
        for values in (
            {"experiment_arm": "challenger"},
            {"experiment_id": False},
            {"experiment_overdue": 1.0},
            {"experiment_date": TODAY},
            {"experiment_band": 2},
        ):
            with self.assertRaises(UserError):
                officer_case.write(values)
        self._post_invoice(100, due_days_ago=10)
        with self.assertRaisesRegex(UserError, "drawn by the policy experiment"):
            self.Case.with_user(self.officer).create(
                {"partner_id": self.customer.id, "experiment_arm": "challenger"}
            )
        with self.assertRaisesRegex(UserError, "drawn by the policy experiment"):
            self.Case.with_user(self.officer).with_context(
                default_experiment_id=experiment.id
            ).create({"partner_id": self.customer.id})
        officer_experiment = experiment.with_user(self.officer)
        self.assertTrue(officer_experiment.verdict, "officers read the figures")
        with self.assertRaises(AccessError):
            officer_experiment.write({"name": "Mine"})
        with self.assertRaises(UserError):
            officer_experiment.write({"verdict": "Challenger wins"})
        with self.assertRaises(AccessError):
            self.env["collection.experiment"].with_user(self.officer).create(
                {"name": "Mine", "champion_policy_id": self.champion.id}
            )
        with self.assertRaises(UserError):
            officer_experiment.action_stop()
        self.assertEqual(experiment.state, "running")
