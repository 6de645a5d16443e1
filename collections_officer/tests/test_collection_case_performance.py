from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon


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
