from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionBranches(CollectionsCommon):
    """A head office and its branches are one creditor: the branch's receivables are
    chased on the head office's case, from every door into it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Company = cls.env["res.company"]
        cls.branch = Company.create({"name": "North Branch", "parent_id": cls.company.id})
        cls.other_branch = Company.create({"name": "South Branch", "parent_id": cls.company.id})
        cls.env.user.company_ids |= cls.branch | cls.other_branch
        cls.env.cr.precommit.run()  # the branches take the head office's chart
        cls.company_b = cls.setup_other_company(name="Unrelated Company")["company"]
        cls.branch_officer = cls._officer("co_branch_officer", cls.branch)
        cls.other_branch_officer = cls._officer("co_south_officer", cls.other_branch)
        cls.officer_b = cls._officer("co_unrelated_officer", cls.company_b)

    @classmethod
    def _officer(cls, login, company):
        return new_test_user(
            cls.env,
            login=login,
            groups="base.group_user,account.group_account_invoice,"
            "collections_officer.group_collections_officer",
            company_id=company.id,
            company_ids=[company.id],
        )

    @classmethod
    def _post_branch_invoice(cls, amount, due_days_ago, branch=None):
        """A posted invoice of the branch, in the head office's sales journal, as Odoo
        books a branch's sales."""
        return cls._post_invoice(
            amount,
            due_days_ago,
            company_id=(branch or cls.branch).id,
            journal_id=cls.company_data["default_journal_sale"].id,
        )

    def _refresh_all(self):
        self._refresh(self.company | self.branch | self.other_branch)

    def _branch_case(self):
        self._refresh_all()
        case = self._case()
        self.assertTrue(case, "the branch's overdue customer has a case at the head office")
        return case

    # ------------------------------------------------------------ one case

    def test_branch_invoice_is_chased_on_the_head_office_case(self):
        invoice = self._post_branch_invoice(300, due_days_ago=40)
        self.assertEqual(invoice.company_id, self.branch)
        self._refresh_all()
        case = self._case()
        self.assertEqual(case.overdue_amount, 300)
        self.assertFalse(self._case(company=self.branch), "no second case at the branch")
        self.assertEqual(invoice.collection_case_id, case)

    def test_payment_in_the_branch_updates_the_case_at_once(self):
        invoice = self._post_branch_invoice(300, due_days_ago=40)
        case = self._branch_case()
        self.assertEqual(case.overdue_amount, 300)

        payment = self._pay(invoice, 100, days_ago_paid=1)

        self.assertEqual(payment.company_id, self.branch)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertRecordValues(
            case, [{"overdue_amount": 200, "last_payment_date": days_ago(1), "state": "open"}]
        )
        self._pay(invoice, 200)
        self.assertEqual(case.state, "closed", "paid in the branch: the case closes at once")

    # ------------------------------------------------------------ charges

    def test_head_office_rule_charges_the_branch_invoice_in_the_branch(self):
        head_office_invoice = self._post_invoice(500, due_days_ago=30)
        branch_invoice = self._post_branch_invoice(300, due_days_ago=40)
        case = self._branch_case()
        rule = self.env["collection.charge.rule"].create(
            {
                "name": "Late payment",
                "fee_amount": 25,
                "interest_type": "fixed",
                "interest_rate": 10,
            }
        )

        invoices = rule._charge_cases(case, TODAY)

        charges = self.env["collection.charge"].search([("rule_id", "=", rule.id)])
        self.assertEqual(charges.source_move_id, head_office_invoice | branch_invoice)
        self.assertEqual(charges.case_id, case)
        fees = charges.filtered(lambda c: c.kind == "fee")
        self.assertEqual(sorted(fees.mapped("amount")), [25.0, 25.0])
        interest = charges.filtered(lambda c: c.source_move_id == branch_invoice) - fees
        self.assertRecordValues(
            interest, [{"date_from": days_ago(40), "date_to": TODAY, "amount": 3.29}]
        )
        # The creditor of the late invoice bills its charges: one invoice per issuer.
        self.assertEqual(len(invoices), 2)
        by_company = {invoice.company_id: invoice for invoice in invoices}
        self.assertEqual(set(by_company), {self.company, self.branch})
        branch_charges = by_company[self.branch]
        self.assertRecordValues(
            branch_charges,
            [
                {
                    "state": "posted",
                    "partner_id": self.customer.id,
                    "journal_id": self.company_data["default_journal_sale"].id,
                    "amount_total": 28.29,
                    "invoice_origin": case.name,
                }
            ],
        )
        self.assertIn(branch_invoice.name, " ".join(branch_charges.invoice_line_ids.mapped("name")))
        self.assertEqual(
            charges.filtered(lambda c: c.source_move_id == branch_invoice).invoice_id,
            branch_charges,
        )
        # Charged once: a second run bills nothing new for the same day.
        self.assertFalse(rule._charge_cases(case, TODAY))

    # ------------------------------------------------------------ invoice and partner

    def test_branch_invoice_links_to_its_case_and_can_be_disputed(self):
        invoice = self._post_branch_invoice(300, due_days_ago=40)
        case = self._branch_case()
        as_branch = invoice.with_user(self.branch_officer)
        self.assertEqual(as_branch.collection_case_id, case)
        self.assertEqual(as_branch.action_open_collection_case()["res_id"], case.id)

        action = as_branch.action_collection_dispute()

        self.assertEqual(
            action["context"],
            {"default_case_id": case.id, "default_move_id": invoice.id, "default_amount": 300},
        )
        # The form the action opens saves its defaults with the officer's answers.
        defaults = {key.removeprefix("default_"): value for key, value in action["context"].items()}
        dispute = (
            self.env["collection.dispute"]
            .with_user(self.branch_officer)
            .create(defaults | {"reason": "quality", "description": "Damaged on delivery"})
        )
        self.assertRecordValues(
            dispute, [{"case_id": case.id, "move_id": invoice.id, "company_id": self.company.id}]
        )
        self.assertRecordValues(case, [{"disputed_amount": 300, "overdue_amount": 0}])

    def test_partner_case_button_in_the_branch_opens_the_head_office_case(self):
        self._post_branch_invoice(300, due_days_ago=40)
        case = self._branch_case()
        # A user of both companies working in the branch.
        in_branch = self.customer.with_company(self.branch)
        self.assertEqual(in_branch.collection_case_id, case)
        self.assertEqual(in_branch.collection_overdue_amount, 300)
        # A user of the branch only.
        customer = self.contact.with_user(self.branch_officer).with_company(self.branch)
        self.assertEqual(customer.collection_case_id, case)
        action = customer.action_view_collection_cases()
        self.assertEqual(action["res_id"], case.id)

    # ------------------------------------------------------------ access

    def test_branch_user_reads_the_head_office_case_others_do_not(self):
        self._post_branch_invoice(300, due_days_ago=40)
        case = self._branch_case()
        self.env["collection.contact"].create(
            {"case_id": case.id, "channel": "phone", "outcome": "spoke", "date": days_ago(1)}
        )
        user = self.branch_officer
        self.assertEqual(self.Case.with_user(user).search([]), case)
        self.assertEqual(case.with_user(user).read(["overdue_amount"])[0]["overdue_amount"], 300)
        self.assertEqual(self.env["collection.contact"].with_user(user).search([]).case_id, case)
        self.assertEqual(case.branch_company_ids, self.branch)
        # Another branch, and another company, see nothing of a customer they never invoiced.
        for user in (self.other_branch_officer, self.officer_b):
            self.assertFalse(self.Case.with_user(user).search([]))
            with self.assertRaises(AccessError):
                case.with_user(user).read(["overdue_amount"])
            self.assertFalse(self.env["collection.contact"].with_user(user).search([]))

    def test_a_branch_sees_the_head_office_case_once_it_invoices_the_customer(self):
        self._post_invoice(500, due_days_ago=30)
        case = self._branch_case()
        self.assertFalse(self.Case.with_user(self.branch_officer).search([]))
        self._post_branch_invoice(300, due_days_ago=40)
        self.assertEqual(self.Case.with_user(self.branch_officer).search([]), case)
        self.assertFalse(self.Case.with_user(self.other_branch_officer).search([]))

    # ------------------------------------------------------------ per branch

    def test_cases_per_branch_keep_everything_in_the_branch(self):
        self.company.collection_case_per_branch = True
        head_office_invoice = self._post_invoice(500, due_days_ago=30)
        branch_invoice = self._post_branch_invoice(300, due_days_ago=40)
        self._refresh_all()
        head_office_case = self._case()
        branch_case = self._case(company=self.branch)
        self.assertEqual(head_office_case.overdue_amount, 500)
        self.assertEqual(branch_case.overdue_amount, 300)
        self.assertEqual(head_office_invoice.collection_case_id, head_office_case)
        self.assertEqual(branch_invoice.collection_case_id, branch_case)
        self.assertEqual(self.customer.with_company(self.branch).collection_case_id, branch_case)
        # Each branch's users see its own cases only.
        self.assertEqual(self.Case.with_user(self.branch_officer).search([]), branch_case)
        self.assertFalse(self.Case.with_user(self.other_branch_officer).search([]))

        self._pay(branch_invoice, 100)
        self.assertEqual(branch_case.overdue_amount, 200)
        self.assertEqual(head_office_case.overdue_amount, 500)

        head_office_rule = self.env["collection.charge.rule"].create(
            {"name": "Head office fee", "fee_amount": 25}
        )
        self.assertFalse(head_office_rule._charge_cases(branch_case, TODAY))
        head_office_rule._charge_cases(head_office_case, TODAY)
        branch_rule = (
            self.env["collection.charge.rule"]
            .with_company(self.branch)
            .create({"name": "Branch fee", "fee_amount": 15})
        )
        charge_invoice = branch_rule._charge_cases(branch_case, TODAY)
        self.assertEqual(charge_invoice.company_id, self.branch)
        charges = self.env["collection.charge"].search([("source_move_id", "!=", False)])
        self.assertEqual(
            {(c.source_move_id, c.case_id, c.amount) for c in charges},
            {(head_office_invoice, head_office_case, 25.0), (branch_invoice, branch_case, 15.0)},
        )
