from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon
from .test_collection_followup import FollowupCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCasePerformance(CollectionsCommon):
    def _customers_with_invoices(self, prefix, invoices_per_customer):
        partners = self.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True} for i in range(3)]
        )
        for partner in partners:
            for index in range(invoices_per_customer):
                self._post_invoice(10 + index, due_days_ago=5 + 20 * index, partner=partner)
        return partners

    def _count_refresh_queries(self, partners):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        cases = self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        self.env.flush_all()
        self.assertEqual(len(cases), len(partners))
        return self.env.cr.sql_log_count - before

    def test_refresh_queries_do_not_grow_with_invoices(self):
        # The first refresh fills Odoo's caches (defaults, xml ids): leave it out.
        warm_up = self._customers_with_invoices("Warm", invoices_per_customer=2)
        self._count_refresh_queries(warm_up)
        few = self._customers_with_invoices("Few", invoices_per_customer=1)
        many = self._customers_with_invoices("Many", invoices_per_customer=4)
        opening_few = self._count_refresh_queries(few)
        opening_many = self._count_refresh_queries(many)
        self.assertEqual(opening_many, opening_few, "4 times the invoices, same queries")

        for partner in few | many:
            self._post_invoice(5, due_days_ago=15, partner=partner)
        self.assertEqual(self._count_refresh_queries(many), self._count_refresh_queries(few))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupRunPerformance(FollowupCommon):
    """The follow-up run's queries per batch: constant where the actions are batched,
    a bounded few per case where each case gets its own e-mail."""

    def _late_customers(self, prefix, count, policy=None):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {i}",
                    "is_company": True,
                    "email": f"{prefix.lower()}{i}@example.com",
                    "collection_policy_id": policy and policy.id,
                }
                for i in range(count)
            ]
        )
        for partner in partners:
            self._post_invoice(100, due_days_ago=10, partner=partner)
        self._refresh()
        return self.Case.search([("partner_id", "in", partners.ids)])

    def _count_run_queries(self, cases):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["collection.run"]._run_company(self.company, cases=cases)
        self.env.flush_all()
        self.assertEqual(len(cases.followup_ids), len(cases))
        return self.env.cr.sql_log_count - before

    def test_a_batched_level_costs_the_same_for_more_cases(self):
        policy = self.env["collection.policy"].create({"name": "Letters"})
        self.env["collection.level"].create(
            {
                "name": "Letter",
                "policy_id": policy.id,
                "delay_days": 7,
                "print_letter": True,
                "credit_hold": True,
            }
        )
        self._count_run_queries(self._late_customers("Warm", 2, policy))
        few = self._count_run_queries(self._late_customers("Few", 2, policy))
        many = self._count_run_queries(self._late_customers("Many", 6, policy))
        self.assertEqual(many, few, "three times the cases, same queries")

    def test_an_email_level_costs_a_few_queries_per_case(self):
        self._count_run_queries(self._late_customers("Warm", 2))
        few = self._count_run_queries(self._late_customers("Few", 2))
        many = self._count_run_queries(self._late_customers("Many", 6))
        # Per case: Odoo's message_post of one e-mail to the customer and the policy's
        # copy (message, recipients, attachment, followers, mail.mail, notification);
        # everything else (figures, blockers, levels, statements, notes) is per batch.
        self.assertLessEqual((many - few) / 4, 16, f"{many - few} queries for 4 more cases")
