import os

from odoo.exceptions import AccessError, UserError
from odoo.modules.module import load_script
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import TODAY, CollectionsCommon

MIGRATION = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "migrations", "19.0.1.3.0", "pre-migrate.py"
)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCreditHold(CollectionsCommon):
    """A credit hold is per company, put by a level or a manager, lifted by a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls._post_invoice(1000, due_days_ago=20)
        cls._create_invoice_one_line(
            price_unit=700,
            tax_ids=cls.env["account.tax"],
            partner_id=cls.customer,
            invoice_date="2026-05-01",
            invoice_date_due="2026-05-01",
            company_id=cls.company_b.id,
            post=True,
        )
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company | cls.company_b)
        cls.officer_editor = new_test_user(
            cls.env,
            login="co_hold_officer_editor",
            groups="base.group_user,base.group_partner_manager,"
            "collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def setUp(self):
        super().setUp()
        self.case_a = self._case()
        self.case_b = self._case(company=self.company_b)
        self.assertTrue(self.case_a and self.case_b)

    def _wizard(self, case, hold, reason="Third reminder unanswered", user=None):
        return (
            self.env["collection.credit.hold.wizard"]
            .with_user(user or self.manager)
            .create({"case_id": case.id, "hold": hold, "reason": reason})
        )

    def _held(self, company):
        return self.customer.with_company(company).collection_credit_hold

    def _draft_invoice(self, company, partner=None):
        return self._create_invoice_one_line(
            price_unit=100,
            tax_ids=self.env["account.tax"],
            partner_id=partner or self.customer,
            invoice_date=TODAY,
            company_id=company.id,
        )

    def test_a_hold_in_one_company_is_not_a_hold_in_another(self):
        self._wizard(self.case_a, True).action_apply()
        self.assertTrue(self._held(self.company))
        self.assertFalse(self._held(self.company_b))
        # Each case shows its own company's hold, whatever the reader's current company.
        b_first = (self.case_a | self.case_b).with_context(
            allowed_company_ids=[self.company_b.id, self.company.id]
        )
        self.assertEqual(b_first.mapped("partner_credit_hold"), [True, False])
        self.assertEqual(self.case_a.partner_credit_hold_reason, "Third reminder unanswered")
        # The priority score counts it in company A only.
        (self.case_a | self.case_b)._update_priority()
        points = {
            case: {row["key"]: row["points"] for row in case.priority_detail}["credit_hold"]
            for case in (self.case_a, self.case_b)
        }
        self.assertEqual(points[self.case_a], self.company.collection_priority_credit_hold)
        self.assertEqual(points[self.case_b], 0)
        self.assertTrue(self._draft_invoice(self.company).collection_credit_hold_warning)
        self.assertFalse(self._draft_invoice(self.company_b).collection_credit_hold_warning)

    def test_a_level_puts_the_hold_in_its_case_company(self):
        policy = self.env["collection.policy"].create(
            {"name": "Company B policy", "company_id": self.company_b.id}
        )
        level = self.env["collection.level"].create(
            {"name": "Stop Credit", "policy_id": policy.id, "delay_days": 60, "credit_hold": True}
        )
        followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case_b.id, "level_id": level.id})
        )
        # Run from company A's session: the hold still goes to company B, the case's.
        followup.with_company(self.company)._action_credit_hold()
        self.assertTrue(self._held(self.company_b))
        self.assertFalse(self._held(self.company))
        held = self.customer.with_company(self.company_b)
        self.assertEqual(held.collection_credit_hold_reason, "Follow-up level Stop Credit")
        self.assertEqual(held.collection_credit_hold_user_id, self.env.user)
        self.assertTrue(held.collection_credit_hold_date)
        self.assertIn("on credit hold", str(self.case_b.message_ids[0].body))

    def test_a_manager_puts_and_lifts_it_with_the_reason_logged(self):
        self._wizard(self.case_a, True, reason="Cheque returned unpaid").action_apply()
        held = self.customer.with_company(self.company)
        self.assertEqual(held.collection_credit_hold_user_id, self.manager)
        self.assertEqual(held.collection_credit_hold_reason, "Cheque returned unpaid")
        with self.assertRaisesRegex(UserError, "already on credit hold"):
            self._wizard(self.case_a, True).action_apply()
        with self.assertRaisesRegex(UserError, "reason"):
            self._wizard(self.case_a, False, reason="  ").action_apply()
        self._wizard(self.case_a, False, reason="Paid in full on 29 June").action_apply()
        self.assertFalse(self._held(self.company))
        held.invalidate_recordset()
        self.assertFalse(held.collection_credit_hold_reason, "a lifted hold keeps no reason")
        self.assertFalse(held.collection_credit_hold_user_id)
        for record in (self.case_a, self.customer):
            body = str(record.message_ids.filtered("body")[0].body)
            self.assertIn("lifted by co_manager", body)
            self.assertIn("Paid in full on 29 June", body)
            self.assertIn(self.company.name, body)
        with self.assertRaisesRegex(UserError, "not on credit hold"):
            self._wizard(self.case_a, False).action_apply()

    def test_an_officer_cannot_lift_it(self):
        self._wizard(self.case_a, True).action_apply()
        for user in (self.officer, self.officer_editor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).write({"collection_credit_hold": False})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).write({"collection_credit_hold_reason": "Paid"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._wizard(self.case_a, False, user=user).action_apply()
        self.assertTrue(self._held(self.company))

    def test_the_invoice_warns_before_posting(self):
        self._wizard(self.case_a, True, reason="Cheque returned unpaid").action_apply()
        # Invoiced to a contact of the customer: the customer's hold applies.
        invoice = self._draft_invoice(self.company, partner=self.contact)
        warning = invoice.collection_credit_hold_warning
        for part in ("Acme Debtor", self.company.name, "Cheque returned unpaid"):
            self.assertIn(part, warning)
        self.assertIn("collections_officer_credit_hold", invoice.alerts)
        self.assertEqual(
            invoice.with_context(
                allowed_company_ids=[self.company_b.id, self.company.id]
            ).collection_credit_hold_warning,
            warning,
            "the invoice's company, not the reader's",
        )
        invoice.action_post()
        self.assertEqual(invoice.state, "posted", "a warning, not a block")
        self.assertFalse(invoice.collection_credit_hold_warning)
        refund = self._draft_invoice(self.company)
        refund.move_type = "out_refund"
        self.assertFalse(refund.collection_credit_hold_warning)

    def test_a_new_customer_may_start_on_hold(self):
        customer = (
            self.env["res.partner"]
            .with_user(self.officer_editor)
            .create({"name": "Held from the start", "collection_credit_hold": True})
        )
        self.assertTrue(customer.collection_credit_hold)
        self.assertEqual(customer.collection_credit_hold_user_id, self.officer_editor)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.officer_editor).create(
                {"name": "Not held", "collection_credit_hold_reason": "Why not"}
            )

    def test_the_migration_holds_a_customer_where_it_has_cases(self):
        self._wizard(self.case_a, True).action_apply()
        no_case = self.env["res.partner"].create({"name": "No case", "is_company": True})
        no_case.collection_credit_hold = True
        self.env.flush_all()
        # The column as the previous release had it: one boolean for every company.
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE res_partner ALTER COLUMN collection_credit_hold TYPE boolean
                USING COALESCE((collection_credit_hold->>%s)::boolean, false)
                """,
                str(self.company.id),
            )
        )
        load_script(MIGRATION, "collections_officer_credit_hold_migration").migrate(
            self.env.cr, "19.0.1.2.0"
        )
        self.env.invalidate_all()
        self.assertTrue(self._held(self.company))
        self.assertTrue(self._held(self.company_b), "it has a case there too")
        self.assertFalse(self.other_customer.collection_credit_hold)
        [[held_in]] = self.env.execute_query(
            SQL("SELECT collection_credit_hold FROM res_partner WHERE id = %s", no_case.id)
        )
        [[every_company]] = self.env.execute_query(SQL("SELECT array_agg(id) FROM res_company"))
        self.assertEqual(
            held_in,
            {str(company_id): True for company_id in every_company},
            "held by hand, without a case: held everywhere, as before",
        )
