from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError  # AccessError is a UserError
from odoo.tests import freeze_time, tagged

from ..models.collection_prediction_data import FEATURES
from .common import TODAY, CollectionsCommon, days_ago


class PredictionCommon(CollectionsCommon):
    @classmethod
    def _history(cls, specs):
        """Post invoices and pay them, in batches: ``specs`` are ``(partner, amount, due
        days ago, paid days ago or None)``; invoices are issued 30 days before their due
        date. Returns the invoices in the order of ``specs``."""
        invoices = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": days_ago(due + 30),
                    "invoice_date_due": days_ago(due),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "price_unit": amount, "quantity": 1, "tax_ids": []}
                        )
                    ],
                }
                for partner, amount, due, _paid in specs
            ]
        )
        invoices.action_post()
        paid = [
            (invoice, spec)
            for invoice, spec in zip(invoices, specs, strict=True)
            if spec[3] is not None
        ]
        if paid:
            cls._settle(paid)
        return invoices

    @classmethod
    def _settle(cls, paid):
        """Pay ``[(invoice, spec)]`` in full on their pay dates: an entry per payment,
        matched with the invoice."""
        receivable = cls.company_data["default_account_receivable"]
        bank = cls.company_data["default_journal_bank"].default_account_id
        payments = cls.env["account.move"].create(
            [
                {
                    "move_type": "entry",
                    "journal_id": cls.company_data["default_journal_misc"].id,
                    "date": days_ago(spec[3]),
                    "line_ids": [
                        Command.create(
                            {"account_id": bank.id, "debit": invoice.amount_total, "credit": 0}
                        ),
                        Command.create(
                            {
                                "account_id": receivable.id,
                                "partner_id": invoice.partner_id.id,
                                "debit": 0,
                                "credit": invoice.amount_total,
                            }
                        ),
                    ],
                }
                for invoice, spec in paid
            ]
        )
        payments.action_post()
        cls.env["account.move.line"]._reconcile_plan(
            [
                invoice.line_ids.filtered(lambda line: line.account_id == receivable)
                | payment.line_ids.filtered(lambda line: line.account_id == receivable)
                for (invoice, _spec), payment in zip(paid, payments, strict=True)
            ]
        )

    def _record(self):
        return self.env["collection.prediction.model"]._current(self.company)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPredictionData(PredictionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        specs = [
            (cls.customer, 100 + index, 60 + 20 * index, 50 + 20 * index) for index in range(6)
        ]
        cls.paid_invoices = cls._history(specs)
        cls.open_invoice = cls._history([(cls.customer, 300, 90, None)])

    def test_a_payment_after_the_cut_off_does_not_reach_the_training(self):
        Data = self.env["collection.prediction.data"]
        cutoff = days_ago(60)
        before = Data._training_set(self.company, cutoff)
        self.assertTrue(before["X"], "the invoices paid before the cut-off are examples")
        self._settle([(self.open_invoice, (self.customer, 300, 90, 30))])
        after = Data._training_set(self.company, cutoff)
        self.assertEqual(repr(after), repr(before), "paid after the cut-off: not known then")
        # Known today: the payment is an example of the training of today.
        today = Data._training_set(self.company, TODAY)
        line = self.open_invoice.line_ids.filtered("date_maturity")
        examples = [
            late
            for line_id, late in zip(today["line_ids"], today["days_late"], strict=True)
            if line_id == line.id
        ]
        self.assertEqual(set(examples), {60.0}, "paid 60 days after its due date")

    def test_the_features_only_read_the_past(self):
        Data = self.env["collection.prediction.data"]
        rows = Data._dataset_rows(self.company)
        line = rows["by_id"][self.open_invoice.line_ids.filtered("date_maturity").id]
        index = Data._features(rows, line, days_ago(60))
        features = dict(zip(FEATURES, index, strict=True))
        # Paid 50, 70, 90, 110, 130 and 150 days ago: one is after the observation date.
        self.assertEqual(features["history_count"], 5)
        self.assertEqual(features["history_median_late"], 10.0)
        self.assertEqual(features["history_share_late"], 1.0, "paid 10 days late each time")
        self.assertEqual(features["age"], 30.0)
        self.assertEqual(features["terms_days"], 30.0)
        # Open at 60 days ago, not at 30 days ago once paid.
        self._settle([(self.open_invoice, (self.customer, 300, 90, 30))])
        rows = Data._dataset_rows(self.company)
        self.assertIn(line["id"], Data._scoring_set(self.company, days_ago(60), rows)["line_ids"])
        self.assertNotIn(line["id"], Data._scoring_set(self.company, TODAY, rows)["line_ids"])

    def test_too_little_history_keeps_the_median_rule(self):
        self._refresh()
        record = self.env["collection.prediction.model"]._train_company(self.company)
        self.assertEqual(record.state, "fallback")
        self.assertIn("too little history: 6 paid invoices, at least 200 needed", record.reason)
        self.assertEqual(record, self._record())
        case = self._case()
        self.Case._update_priority_all(self.company)
        self.assertEqual(case.predicted_pay_method, "median")
        self.assertFalse(case.predicted_pay_probability)
        self.assertFalse(case.predicted_pay_factors)
        # Each paid 10 days late: the case is older than that, it is a week away.
        self.assertEqual(case.predicted_pay_date, TODAY + timedelta(days=7))
        self.assertIn("median delay over 6 paid invoices", case.predicted_pay_explanation)
        self.assertIn("too little history", case.predicted_pay_explanation)

    def test_officers_cannot_write_the_predictions(self):
        record = self.env["collection.prediction.model"]._train_company(self.company)
        with self.assertRaises(UserError):
            record.with_user(self.officer).write({"mae_model": 1.0})
        with self.assertRaises(UserError):
            record.with_user(self.manager).write({"state": "model"})
        with self.assertRaises(AccessError, msg="no write access, whatever the field"):
            record.with_user(self.officer).write({})
        with self.assertRaises(UserError):
            self.env["collection.prediction.model"].with_user(self.manager).create(
                {"company_id": self.company.id, "state": "model"}
            )
        with self.assertRaises(UserError):
            self.env["collection.prediction.model"].create(
                {"company_id": self.company.id, "state": "model"}
            )
        # The admin of the suite is no superuser either.
        with self.assertRaises(UserError):
            record.write({"mae_model": 1.0})
        self.assertTrue(record.with_user(self.officer).read(["mae_model", "state"]))
        self._refresh()
        case = self._case()
        for values in (
            {"predicted_pay_probability": 90},
            {"predicted_pay_method": "model"},
            {"predicted_pay_factors": [{"key": "age", "value": 1, "contribution": -3}]},
        ):
            with self.assertRaises(UserError):
                case.with_user(self.officer).write(values)

    def test_the_weekly_training_is_idempotent(self):
        Model = self.env["collection.prediction.model"]
        cron = self.env.ref("collections_officer.ir_cron_collection_prediction_train")
        self.assertEqual(cron.interval_type, "weeks")
        for _run in range(2):
            with self.enter_registry_test_mode():
                self.assertIs(cron.method_direct_trigger(), True)
        self.assertEqual(Model.search_count([("company_id", "=", self.company.id)]), 1)

    def test_train_now_queues_the_training(self):
        cron = self.env.ref("collections_officer.ir_cron_collection_prediction_train")
        Model = self.env["collection.prediction.model"]
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        Model.with_user(self.manager).action_train()
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        self.assertFalse(Model.search([("company_id", "=", self.company.id)]), "not trained yet")
        with self.assertRaises(AccessError):
            Model.with_user(self.officer).action_train()


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPredictionModel(PredictionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        specs = []
        for index in range(110):
            due = 20 + 4 * index
            # A customer paying small invoices 10 days late and large ones 30 days late
            # (a median of 20 days), and one paying on the due date.
            large = index % 2 == 0
            late = 30 if large else 10
            specs.append(
                (cls.customer, 1000 if large else 100, due, due - late if due > late else None)
            )
            specs.append((cls.other_customer, 500, due, due))
        specs.append((cls.other_customer, 500, 5, None))
        cls.invoices = cls._history(specs)
        cls.Model = cls.env["collection.prediction.model"]
        cls.record = cls.Model._train_company(cls.company)
        cls.Case._refresh_from_accounting(companies=cls.company)

    def test_the_model_is_used_when_it_beats_the_median(self):
        record = self.record
        self.assertGreaterEqual(record.paid_count, 200)
        self.assertGreaterEqual(record.origin_count, 3)
        self.assertGreater(record.evaluated_count, 0)
        self.assertEqual(record.state == "model", record.mae_model < record.mae_median)
        # Amounts tell the late customer's delays apart, its median cannot.
        self.assertEqual(record.state, "model", record.reason)
        self.assertLess(record.mae_model, record.mae_median)
        self.assertAlmostEqual(record.improvement_days, record.mae_median - record.mae_model)
        self.assertIn("% below the customer median's", record.summary)
        figures = self.Model._backtest_company(self.company, months=12)
        for key in (
            "evaluated_count",
            "mae_model",
            "mae_due",
            "mae_median",
            "within7_model",
            "within7_due",
            "within7_median",
            "train_seconds",
            "score_seconds",
        ):
            self.assertIn(key, figures)
        self.assertEqual(figures["evaluated_count"], record.evaluated_count, "deterministic")
        self.assertEqual(figures["mae_model"], record.mae_model)

    def test_cases_follow_the_model(self):
        self.Case._update_priority_all(self.company)
        predictions = self.Model._predict_lines(self.company, TODAY)
        for partner in (self.customer, self.other_customer):
            case = self._case(partner)
            self.assertEqual(case.predicted_pay_method, "model")
            overdue = sorted(
                (line["due_date"], line_id, line)
                for line_id, line in predictions.items()
                if line["partner_id"] == partner.id and line["due_date"] < TODAY
            )
            due, _line_id, oldest = overdue[0]
            self.assertEqual(case.oldest_due_date, due)
            self.assertGreaterEqual(oldest["days_late"], oldest["age"], "never below its age")
            self.assertEqual(
                case.predicted_pay_date,
                max(due + timedelta(days=round(oldest["days_late"])), TODAY),
            )
            total = sum(line["residual"] for _due, _id, line in overdue)
            probability = sum(line["residual"] * line["probability"] for *_key, line in overdue)
            self.assertAlmostEqual(case.predicted_pay_probability, 100 * probability / total)
        late_case, on_time_case = self._case(self.customer), self._case(self.other_customer)
        # Read on its due date, a large invoice of the late customer is paid 30 days late.
        due = TODAY - timedelta(days=28)
        (large,) = [
            line
            for line in self.Model._predict_lines(self.company, due).values()
            if line["partner_id"] == self.customer.id and line["due_date"] == due
        ]
        self.assertAlmostEqual(large["days_late"], 30, delta=3)
        # Past the customer's usual delay, as the median rule: about a week from today.
        self.assertLessEqual(on_time_case.predicted_pay_date, TODAY + timedelta(days=8))
        self.assertGreater(
            (late_case.predicted_pay_date - late_case.oldest_due_date).days,
            (on_time_case.predicted_pay_date - on_time_case.oldest_due_date).days,
        )
        self.assertIn("payment model", late_case.predicted_pay_explanation)
        # The large invoice moves the date later: the first reason given.
        self.assertIn("times the customer", late_case.predicted_pay_explanation)
        self.assertIn("+", late_case.predicted_pay_explanation)
        self.assertIn("less than the customer", late_case.predicted_pay_explanation)

    def test_the_factors_explain_the_prediction(self):
        predictions = self.Model._predict_lines(self.company, TODAY)
        self.assertTrue(predictions)
        for line in predictions.values():
            self.assertAlmostEqual(
                sum(line["contributions"].values()) + line["expected"], line["raw"], places=4
            )
        self.Case._update_priority_all(self.company)
        case = self._case(self.customer)
        oldest = min(
            (line["due_date"], line_id)
            for line_id, line in predictions.items()
            if line["partner_id"] == self.customer.id
        )[1]
        contributions = predictions[oldest]["contributions"]
        factors = case.predicted_pay_factors
        self.assertEqual(len(factors), 3)
        largest = sorted(contributions.values(), key=abs, reverse=True)[:3]
        self.assertEqual([factor["contribution"] for factor in factors], largest)
        for factor in factors:
            self.assertEqual(factor["contribution"], contributions[factor["key"]])
            self.assertEqual(factor["value"], predictions[oldest]["features"][factor["key"]])

    def test_a_customer_with_few_paid_invoices_keeps_the_median_rule(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "is_company": True})
        self._history([(newcomer, 100, 40, 30), (newcomer, 100, 60, 52), (newcomer, 200, 10, None)])
        self._refresh()
        case = self._case(newcomer)
        self.Case._update_priority_all(self.company)
        self.assertEqual(case.predicted_pay_method, "median")
        self.assertEqual(case.predicted_pay_basis, 2)
        self.assertEqual(case.predicted_pay_date, TODAY + timedelta(days=7))
        self.assertIn("3 paid invoices or more", case.predicted_pay_explanation)

    def test_the_prediction_weighs_in_the_priority_when_set(self):
        self.Case._update_priority_all(self.company)
        case = self._case(self.customer)
        self.assertNotIn("prediction", [row["key"] for row in case.priority_detail], "off")
        score = case.priority_score
        self.company.collection_priority_prediction = 20
        self.Case._update_priority_all(self.company)
        rows = {row["key"]: row for row in case.priority_detail}
        expected = round(20 * (1 - case.predicted_pay_probability / 100))
        self.assertEqual(rows["prediction"]["points"], expected)
        self.assertEqual(case.priority_score, min(100, score + expected))
        self.assertIn("Unlikely to be paid within 30 days", case.priority_table)
