from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionChargeInvoicing(CollectionsCommon):
    """How charges reach the customer (language, taxes), how a manager takes them back,
    and who maintains the reference rates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["collection.charge.rule"]
        cls.Charge = cls.env["collection.charge"]
        cls.Rate = cls.env["collection.reference.rate"]

    def _rule(self, **vals):
        return self.Rule.create({"name": "Late payment", **vals})

    def _open_case(self, partner=None):
        self._refresh()
        case = self._case(partner=partner)
        self.assertTrue(case)
        return case

    # ------------------------------------------------------------ language and taxes

    def test_lines_are_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self._post_invoice(1000, due_days_ago=(TODAY - date(2026, 5, 15)).days)
        case = self._open_case()
        rule = self._rule(interest_type="fixed", interest_rate=10)

        invoice = rule.with_context(lang="en_US")._charge_cases(case, TODAY)

        label = invoice.invoice_line_ids.name
        self.assertIn("15 mai 2026", label, "dates as the customer reads them")
        self.assertNotIn("05/15/2026", label)

    def test_optional_tax_per_kind_mapped_by_fiscal_position(self):
        self._post_invoice(1000, due_days_ago=30)
        self.other_customer.property_account_position_id = self.fiscal_pos_a
        self._post_invoice(1000, due_days_ago=30, partner=self.other_customer)
        self._refresh()
        cases = self._case() | self._case(partner=self.other_customer)
        rule = self._rule(fee_amount=100, interest_type="fixed", interest_rate=10)
        rule.fee_tax_ids = self.tax_sale_a

        invoices = rule._charge_cases(cases, TODAY)

        by_partner = invoices.grouped("partner_id")
        for partner, tax in (
            (self.customer, self.tax_sale_a),
            (self.other_customer, self.tax_sale_b),
        ):
            lines = by_partner[partner].invoice_line_ids
            fee_line = lines.filtered(lambda line: "fee" in line.name)
            self.assertEqual(fee_line.tax_ids, tax, "the fee's tax, as the fiscal position maps it")
            self.assertFalse((lines - fee_line).tax_ids, "no tax set on interest: none applied")
        self.assertEqual(by_partner[self.other_customer].fiscal_position_id, self.fiscal_pos_a)
        self.assertTrue(by_partner[self.customer].amount_tax > 0)

    def test_no_tax_by_default(self):
        self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        rule = self._rule(fee_amount=100)
        self.assertEqual(rule._charge_cases(case, TODAY).amount_tax, 0.0)

    # ------------------------------------------------------------ cancelled charge invoices

    def _charged(self):
        source = self._post_invoice(1000, due_days_ago=30)
        case = self._open_case()
        rule = self._rule(fee_amount=10, interest_type="fixed", interest_rate=10)
        invoice = rule._charge_cases(case, TODAY)
        return case, rule, invoice, self.Charge.search([("invoice_id", "=", invoice.id)]), source

    def _decide(self, user, charges, decision, reason=False):
        wizard = (
            self.env["collection.charge.cancel.wizard"]
            .with_user(user)
            .create({"charge_ids": charges.ids, "decision": decision, "reason": reason})
        )
        return wizard.action_confirm()

    def test_waived_charges_stay_counted(self):
        case, rule, invoice, charges, _source = self._charged()
        with self.assertRaises(UserError):
            self._decide(self.manager, charges[:1], "waived")  # a waiver needs its reason

        self._decide(self.manager, charges[:1], "waived", "Goodwill after the complaint")

        self.assertEqual(invoice.state, "cancel")
        self.assertRecordValues(
            charges,
            [
                {
                    "state": "waived",
                    "cancel_reason": "Goodwill after the complaint",
                    "cancel_user_id": self.manager.id,
                }
            ]
            * 2,
        )
        self.assertIn("Goodwill after the complaint", case.message_ids[0].body)
        later = TODAY + timedelta(days=10)
        with freeze_time(later):
            again = rule._charge_cases(case, later)
        # Only the ten new days: the waived fee and days are not billed again.
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", again.id)]),
            [{"kind": "interest", "date_from": TODAY, "date_to": later}],
        )

    def test_cancel_to_charge_again_frees_the_fee_and_the_period(self):
        case, rule, invoice, charges, source = self._charged()

        self._decide(self.manager, charges, "released")

        self.assertEqual(invoice.state, "cancel")
        self.assertEqual(set(charges.mapped("state")), {"released"})
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            charges.sudo().unlink()  # kept as the evidence of what was billed and cancelled
        again = rule._charge_cases(case, TODAY)
        self.assertRecordValues(
            self.Charge.search([("invoice_id", "=", again.id)], order="kind"),
            [
                {"kind": "fee", "source_move_id": source.id, "amount": 10.0},
                {"kind": "interest", "source_move_id": source.id, "amount": 8.22},
            ],
        )

    def test_only_managers_cancel_charges(self):
        _case, _rule, invoice, charges, _source = self._charged()
        with self.assertRaises(AccessError):
            self._decide(self.officer, charges, "released")
        with self.assertRaises(AccessError):
            charges.with_user(self.officer)._cancel_invoices("released")
        with self.assertRaises(AccessError):
            charges.with_user(self.officer).write({"state": "released"})
        # Whoever writes it, a charge is not released while its invoice stands.
        with self.assertRaises(ValidationError):
            charges.sudo().write({"state": "released"})
        self.assertEqual(invoice.state, "posted")

    def test_invoice_cancelled_in_accounting_awaits_the_managers_decision(self):
        case, rule, invoice, charges, _source = self._charged()
        invoice.button_draft()
        invoice.button_cancel()

        later = TODAY + timedelta(days=10)
        with freeze_time(later):
            again = rule._charge_cases(case, later)
            rule._charge_cases(case, later + timedelta(days=1))

        # Still counted: only the new days are billed, nothing twice by surprise.
        self.assertEqual(
            set(self.Charge.search([("invoice_id", "=", again.id)]).mapped("kind")), {"interest"}
        )
        asked = (
            self.env["mail.activity"]
            .search([("res_model", "=", "collection.case"), ("res_id", "=", case.id)])
            .filtered(lambda activity: invoice.name in activity.summary)
        )
        self.assertEqual(asked.user_id & self.manager, self.manager, "the managers decide")
        self.assertEqual(len(asked), len(asked.user_id), "asked once")

        self._decide(self.manager, charges, "released")
        self.assertEqual(set(charges.mapped("state")), {"released"})

    def test_paid_charge_invoice_is_not_cancelled(self):
        _case, _rule, invoice, charges, _source = self._charged()
        self._pay(invoice, invoice.amount_total)
        with self.assertRaisesRegex(UserError, "credit note"):
            self._decide(self.manager, charges, "waived", "Too late")

    # ------------------------------------------------------------ reference rates

    def test_managers_maintain_their_company_rates_administrators_the_shared_ones(self):
        shared = self.env.ref("collections_officer.reference_rate_boe_2026_h1")
        admin = new_test_user(
            self.env,
            login="co_rate_admin",
            groups="base.group_user,base.group_system",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        Rate = self.Rate.with_user(self.manager)
        own = Rate.create({"rate_type": "boe", "date_from": date(2026, 1, 1), "rate": 9.0})
        self.assertEqual(own.company_id, self.company, "a manager's rate is their company's")
        own.rate = 8.5
        with self.assertRaises(AccessError):
            shared.with_user(self.manager).write({"rate": 1.0})
        with self.assertRaises(AccessError):
            Rate.create(
                {
                    "rate_type": "ecb",
                    "date_from": date(2026, 7, 1),
                    "rate": 2.0,
                    "company_id": False,
                }
            )
        with self.assertRaises(AccessError):
            shared.with_user(self.officer).write({"rate": 1.0})
        self.assertIn(shared, self.Rate.with_user(self.officer).search([]), "everyone reads them")

        shared.with_user(admin).write({"rate": 3.5})
        self.assertFalse(
            self.Rate.with_user(admin)
            .create({"rate_type": "ecb", "date_from": date(2026, 7, 1), "rate": 2.0})
            .company_id,
            "an administrator's rate is shared",
        )

        # The company's own rate replaces the shared one, for its company only.
        self.assertEqual(self.Rate._rate_at("boe", date(2026, 3, 1), self.company), 8.5)
        self.assertEqual(self.Rate._rate_at("boe", date(2026, 3, 1)), 3.5)

        company_b = self.setup_other_company(name="Rates B")["company"]
        manager_b = new_test_user(
            self.env,
            login="co_rate_manager_b",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        self.assertNotIn(own, self.Rate.with_user(manager_b).search([]))
        with self.assertRaises(AccessError):
            own.with_user(manager_b).write({"rate": 1.0})
