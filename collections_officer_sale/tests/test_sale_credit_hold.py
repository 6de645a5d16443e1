from lxml import etree

from odoo import Command
from odoo.addons.collections_officer.tests.common import TODAY, CollectionsCommon
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSaleCreditHold(CollectionsCommon):
    """A sales order of a customer on credit hold in its company is not confirmed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls._post_invoice(1000, due_days_ago=20)
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company)
        cls.salesman = new_test_user(
            cls.env,
            login="co_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[cls.company.id, cls.company_b.id],
        )

    def setUp(self):
        super().setUp()
        self.case = self._case()
        self.env["collection.credit.hold.wizard"].with_user(self.manager).create(
            {"case_id": self.case.id, "hold": True, "reason": "Cheque returned unpaid"}
        ).action_apply()

    def _order(self, company=None, partner=None):
        company = company or self.company
        return (
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(allowed_company_ids=[company.id])
            .create(
                {
                    "partner_id": (partner or self.contact).id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product_a.id,
                                "product_uom_qty": 1,
                                "price_unit": 100,
                            }
                        )
                    ],
                }
            )
        )

    def test_the_order_of_a_customer_on_hold_is_not_confirmed(self):
        order = self._order()
        self.assertIn("Cheque returned unpaid", order.collection_credit_hold_warning)
        with self.assertRaises(UserError) as refused:
            order.action_confirm()
        message = str(refused.exception)
        for part in ("Acme Debtor", self.company.name, "Cheque returned unpaid"):
            self.assertIn(part, message)
        self.assertIn("collections manager", message)
        self.assertEqual(order.state, "draft")
        # Refused for a collections manager too: lifting the hold is the way.
        with self.assertRaises(UserError):
            order.with_user(self.env.user).action_confirm()

    def test_the_hold_of_one_company_does_not_stop_another(self):
        order = self._order(company=self.company_b)
        self.assertFalse(order.collection_credit_hold_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_the_order_is_confirmed_once_the_hold_is_lifted(self):
        order = self._order(partner=self.customer)
        self.env["collection.credit.hold.wizard"].with_user(self.manager).create(
            {"case_id": self.case.id, "hold": False, "reason": "Paid in full"}
        ).action_apply()
        self.assertFalse(order.collection_credit_hold_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_an_order_paid_in_full_online_is_confirmed(self):
        """A hold refuses credit, not cash: the payment confirms the order."""
        order = self._order()
        provider = self.env["payment.provider"].create(
            {"name": "Bank card", "company_id": self.company.id}
        )
        self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "reference": "CO-HOLD-PAID",
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": order.partner_id.id,
                "sale_order_ids": [Command.set(order.ids)],
                "state": "done",
            }
        )
        self.assertFalse(order.collection_credit_hold_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_the_quotation_shows_the_hold(self):
        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        [banner] = etree.fromstring(arch).xpath(
            "//div[field[@name='collection_credit_hold_warning']]"
        )
        self.assertIn("alert", banner.get("class"))
