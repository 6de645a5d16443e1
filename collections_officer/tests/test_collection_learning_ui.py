from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase

TRAIN_CRON = "collections_officer.ir_cron_collection_prediction_train"


@tagged("post_install", "-at_install")
class TestCollectionLearningUi(CollectionsBrowserCase):
    """The policy experiments and the payment predictions as a manager and an officer
    see them: what the screen says is what happens."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.manager = cls._browser_user("learning_manager", manager=True)
        cls.officer = cls._browser_user("learning_officer")
        cls.default_policy = cls.env.ref("collections_officer.collection_policy_default")
        cls.company.collection_policy_id = cls.default_policy
        # What is overdue already has its case: only the cases of the tests are new.
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company)

    def _url(self, action, record=None):
        url = f"/odoo/action-collections_officer.{action}"
        return f"{url}/{record.id}" if record else url

    def _tour(self, url, tour, user):
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(url, tour, login=user.login)
        self.env.invalidate_all()

    @classmethod
    def _invoice(cls, customer, amount, due):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Consulting", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        return invoice

    # ------------------------------------------------------------ experiments

    def test_manager_starts_an_experiment_and_a_new_case_is_enrolled(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        self._tour(
            self._url("collection_case_action"),
            "collections_officer_learning_start_experiment",
            self.manager,
        )
        experiment = self.env["collection.experiment"].search(
            [("name", "=", "Earlier second reminder")]
        )
        self.assertEqual(len(experiment), 1)
        self.assertEqual(experiment.state, "running")
        self.assertEqual(experiment.champion_policy_id, self.default_policy)
        self.assertEqual(experiment.challenger_share, 50)
        self.assertTrue(experiment.seed, "drawn at the start")
        challenger = experiment.challenger_policy_id
        self.assertEqual(challenger.name, "Standard Follow-up (challenger)")
        self.assertEqual(
            challenger.level_ids.mapped("name"), self.default_policy.level_ids.mapped("name")
        )
        self.assertEqual(self.company.collection_policy_id, self.default_policy, "not promoted")
        self.assertTrue(self.company.collection_experiment_running)

        # A customer of the segment falls overdue: the refresh opens its case and draws it.
        case = self._overdue_case("Newly Late Ltd", 700, days=20)
        self.assertEqual(case.experiment_id, experiment)
        self.assertIn(case.experiment_arm, ("champion", "challenger"))
        self.assertEqual(case.experiment_date, self._today())
        self.assertEqual(case.experiment_overdue, 700)
        followed = challenger if case.experiment_arm == "challenger" else self.default_policy
        self.assertEqual(case.effective_policy_id, followed)
        case.user_id = self.officer
        self._tour(
            self._url("collection_case_action", case),
            "collections_officer_learning_case_arm",
            self.officer,
        )

    def test_manager_reads_the_results_and_promotes_the_challenger(self):
        today = self._today()
        experiment = self.env["collection.experiment"].create(
            {
                "name": "Earlier second reminder",
                "champion_policy_id": self.default_policy.id,
                "challenger_share": 50,
                "date_start": today - timedelta(days=40),
                "seed": 42,
            }
        )
        experiment.action_create_challenger()
        experiment.action_start()
        challenger = experiment.challenger_policy_id
        # Ten customers of one amount band fall overdue: a full block, five in each arm.
        customers = self.env["res.partner"].create(
            [{"name": f"Experiment Customer {index}", "is_company": True} for index in range(10)]
        )
        for customer in customers:
            self._invoice(customer, 500, today - timedelta(days=45))
        self.env["collection.case"]._refresh_from_accounting(companies=self.company)
        cases = self.env["collection.case"].search([("partner_id", "in", customers.ids)])
        self.assertEqual(cases.experiment_id, experiment)
        arms = cases.mapped("experiment_arm")
        self.assertEqual((arms.count("champion"), arms.count("challenger")), (5, 5))
        # Drawn 35 days ago: the 30-day window of every case has passed.
        cases.sudo().experiment_date = today - timedelta(days=35)
        self.assertTrue(experiment.verdict.startswith("Not yet significant"), experiment.verdict)

        self._tour(
            self._url("collection_experiment_action", experiment),
            "collections_officer_learning_promote",
            self.manager,
        )
        self.assertEqual(experiment.state, "promoted")
        self.assertEqual(self.company.collection_policy_id, challenger)
        self.assertFalse(self.company.collection_experiment_running)

    # ------------------------------------------------------------ predictions

    def test_manager_reads_why_the_model_is_not_used_and_queues_a_training(self):
        Model = self.env["collection.prediction.model"]
        record = Model._train_company(self.company)
        self.assertEqual(record.state, "fallback")
        self.assertIn("too little history", record.reason)
        self.assertFalse(record.evaluated_count, "not backtested: no error figures")
        cron = self.env.ref(TRAIN_CRON)
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search([("cron_id", "=", cron.id)])
        records = Model.sudo().search([])

        self._tour(
            self._url("collection_case_action"),
            "collections_officer_learning_predictions",
            self.manager,
        )
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]) - triggers, "queued")
        self.assertEqual(Model.sudo().search([]), records, "nothing trained in the request")

    def test_officer_reads_a_prediction_by_the_median_delay(self):
        today = self._today()
        customer = self.env["res.partner"].create({"name": "Latepayer Ltd", "is_company": True})
        # Three invoices paid 12 days late each, then one overdue for 45 days.
        for days in (120, 90, 70):
            invoice = self._invoice(customer, 400, today - timedelta(days=days))
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"payment_date": today - timedelta(days=days - 12)})._create_payments()
        self._invoice(customer, 900, today - timedelta(days=45))
        self.env["collection.case"]._refresh_from_accounting(companies=self.company)
        case = self.env["collection.case"].search([("partner_id", "=", customer.id)])
        case.user_id = self.officer
        self.assertEqual(customer.collection_paid_invoice_count, 3)
        self.assertEqual(case.predicted_pay_method, "median")
        self.assertEqual(case.predicted_pay_basis, 3)
        self.assertFalse(case.predicted_pay_probability)
        self.assertIn("median delay over 3 paid invoices", case.predicted_pay_explanation)

        self._tour(
            self._url("collection_case_action", case),
            "collections_officer_learning_median",
            self.officer,
        )
