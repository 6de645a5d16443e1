from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago, morning


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionDispute(CollectionsCommon):
    """A customer contests part or all of one invoice among several."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dispute = cls.env["collection.dispute"]
        cls.customer.email = "acme@example.com"
        cls.team_manager = new_test_user(
            cls.env,
            login="dispute_team_manager",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.accountant = new_test_user(
            cls.env,
            login="dispute_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Disputes desk",
                "manager_id": cls.team_manager.id,
                "member_ids": [Command.link(cls.officer.id)],
            }
        )
        cls.old = cls._post_invoice(1000, due_days_ago=40)
        cls.recent = cls._post_invoice(500, due_days_ago=10)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.write({"team_id": self.team.id, "user_id": self.officer.id})

    def _dispute(self, move, amount, user=None, **vals):
        return (
            self.Dispute.with_user(user or self.officer)
            .create({"case_id": self.case.id, "move_id": move.id, "amount": amount, **vals})
            .sudo()
        )

    # ------------------------------------------------------------- the ledger

    def test_a_partial_dispute_sets_apart_only_that_part_of_that_invoice(self):
        self.assertEqual(self.case.overdue_amount, 1500)
        self._dispute(self.old, 300)
        self.assertRecordValues(
            self.case,
            [
                {
                    "total_due": 1500,
                    "overdue_amount": 1200,
                    "disputed_amount": 300,
                    "no_followup_amount": 0,
                    "oldest_due_date": days_ago(40),
                    "overdue_invoice_count": 2,
                    "state": "open",
                }
            ],
        )
        self.assertEqual(self.case.days_overdue, 40, "the rest of the invoice still ages")

    def test_a_fully_disputed_invoice_no_longer_ages_the_case(self):
        dispute = self._dispute(self.old, 1000)
        self.assertRecordValues(
            self.case,
            [
                {
                    "total_due": 1500,
                    "overdue_amount": 500,
                    "disputed_amount": 1000,
                    "oldest_due_date": days_ago(10),
                    "overdue_invoice_count": 1,
                }
            ],
        )
        self.assertEqual(self.case.days_overdue, 10)
        dispute.with_user(self.officer).action_withdraw()
        self.assertEqual(dispute.state, "withdrawn")
        self.assertEqual((self.case.overdue_amount, self.case.disputed_amount), (1500, 0))
        self.assertEqual(self.case.oldest_due_date, days_ago(40))

    def test_the_other_invoices_still_get_their_level(self):
        policy = self.env["collection.policy"].create({"name": "Dispute policy"})
        early, late = self.env["collection.level"].create(
            [
                {
                    "name": "Reminder",
                    "policy_id": policy.id,
                    "delay_days": 5,
                    "schedule_call": True,
                },
                {"name": "Final", "policy_id": policy.id, "delay_days": 30, "schedule_call": True},
            ]
        )
        self.case.policy_id = policy
        policy.first_level_by_age = True
        self.assertEqual(self.case._get_due_levels()[self.case.id], late)
        self._dispute(self.old, 1000)
        self.assertEqual(
            self.case._get_due_levels()[self.case.id],
            early,
            "only the invoice due 10 days ago is chased now",
        )

    def test_a_dispute_in_the_invoice_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        foreign = self._post_invoice(1000, due_days_ago=20, currency_id=eur.id)
        self._refresh()
        self.assertEqual(self.case.overdue_amount, 2000, "1000 EUR are 500 in company currency")
        with self.assertRaises(ValidationError) as refused:
            self._dispute(foreign, 1000.01)
        self.assertIn("1,000.00", str(refused.exception))
        self._dispute(foreign, 400)
        self.assertEqual((self.case.overdue_amount, self.case.disputed_amount), (1800, 200))

    def test_an_installment_is_disputed_oldest_first(self):
        """Of an invoice in installments, the dispute takes the oldest installment first:
        the next one still ages the case."""
        term = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                ],
            }
        )
        split = self._create_invoice_one_line(
            price_unit=800,
            tax_ids=self.env["account.tax"],
            partner_id=self.other_customer,
            invoice_date=days_ago(70),
            invoice_payment_term_id=term.id,
            post=True,
        )
        self._refresh()
        case = self._case(partner=self.other_customer)
        self.assertEqual((case.overdue_amount, case.oldest_due_date), (800, days_ago(70)))
        self.Dispute.create({"case_id": case.id, "move_id": split.id, "amount": 400})
        self.assertRecordValues(
            case,
            [{"overdue_amount": 400, "disputed_amount": 400, "oldest_due_date": days_ago(40)}],
        )

    def test_the_dispute_button_of_an_invoice(self):
        action = self.old.with_user(self.officer).action_collection_dispute()
        self.assertEqual(action["res_model"], "collection.dispute")
        self.assertEqual(
            action["context"],
            {
                "default_case_id": self.case.id,
                "default_move_id": self.old.id,
                "default_amount": 1000,
            },
        )
        not_chased = self._post_invoice(100, due_days_ago=5, partner=self.other_customer)
        with self.assertRaisesRegex(UserError, "no open collection case"):
            not_chased.with_user(self.officer).action_collection_dispute()

    def test_a_case_whose_only_debt_is_disputed_stays_open(self):
        self._dispute(self.old, 1000)
        self._dispute(self.recent, 500)
        self.assertEqual((self.case.state, self.case.overdue_amount), ("open", 0))
        self.assertFalse(self.case.oldest_due_date)
        self.assertEqual(self.case.disputed_amount, 1500)
        self.assertFalse(self.case._get_due_levels(), "nothing to chase")

    def test_charges_ignore_the_disputed_part(self):
        self._dispute(self.old, 1000)
        rule = self.env["collection.charge.rule"].create({"name": "Fee", "fee_amount": 25})
        rule._charge_cases(self.case, TODAY)
        charges = self.env["collection.charge"].search([("rule_id", "=", rule.id)])
        self.assertEqual(charges.source_move_id, self.recent, "no fee on the disputed invoice")

    def test_interest_runs_on_the_undisputed_part_only(self):
        self._dispute(self.old, 400)
        rule = self.env["collection.charge.rule"].create(
            {"name": "Interest", "interest_type": "fixed", "interest_rate": 10}
        )
        rule._charge_cases(self.case, TODAY)
        interest = self.env["collection.charge"].search(
            [("rule_id", "=", rule.id), ("source_move_id", "=", self.old.id)]
        )
        self.assertEqual(interest.mapped("base_amount"), [600.0])

    # --------------------------------------------------------- bad input

    def _refused(self, message, move, amount):
        # A savepoint: the refused dispute must not stay behind for the next checks.
        with self.assertRaises(ValidationError) as refused:
            self._dispute(move, amount)
        self.assertIn(message, str(refused.exception).replace("\xa0", " "))

    def test_a_dispute_above_the_residual_is_refused(self):
        self._refused("at most $ 500.00", self.recent, 500.01)
        self._pay(self.old, 600)
        self._refused("at most $ 400.00", self.old, 500)
        self._dispute(self.old, 300)
        self._refused("at most $ 100.00", self.old, 101)
        self._refused("positive", self.old, 0)

    def test_an_invoice_of_another_customer_is_refused(self):
        stranger = self._post_invoice(100, due_days_ago=5, partner=self.other_customer)
        with self.assertRaisesRegex(ValidationError, "not a posted customer invoice"):
            self._dispute(stranger, 50)

    # ----------------------------------------------------------- decisions

    def test_accepted_prepares_the_draft_credit_note(self):
        dispute = self._dispute(self.old, 1000, reason="quality")
        dispute.with_user(self.manager).action_accept(note="Goods damaged in transit")
        credit_note = dispute.credit_note_id
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "reversed_entry_id": self.old.id,
                    "partner_id": self.customer.id,
                    "amount_total": 1000,
                }
            ],
        )
        self.assertEqual((dispute.state, dispute.accepted_amount), ("accepted", 1000))
        self.assertEqual(
            self.case.disputed_amount, 1000, "not chased until the credit note is posted"
        )
        self.assertIn("accepted", self.case.message_ids[0].body)
        credit_note.action_post()
        self.case._refresh_figures()
        self.assertEqual(self.case.disputed_amount, 0)
        self.assertEqual(self.case.total_due, 500)

    def test_partly_accepted(self):
        dispute = self._dispute(self.old, 400, reason="price")
        dispute.with_user(self.manager).action_accept(amount=150)
        self.assertEqual((dispute.state, dispute.accepted_amount), ("partly_accepted", 150))
        self.assertRecordValues(
            dispute.credit_note_id,
            [{"move_type": "out_refund", "state": "draft", "amount_total": 150}],
        )
        self.assertEqual(
            (self.case.overdue_amount, self.case.disputed_amount),
            (1350, 150),
            "the part not accepted is chased again",
        )
        with self.assertRaisesRegex(UserError, "already resolved"):
            dispute.with_user(self.manager).action_reject(note="Too late")

    def test_an_accepted_amount_above_the_dispute_is_refused(self):
        dispute = self._dispute(self.old, 400)
        with self.assertRaisesRegex(ValidationError, "at most the disputed"):
            dispute.with_user(self.manager).action_accept(amount=401)
        self.assertEqual(dispute.state, "open")

    def test_rejected_resumes_chasing_and_tells_the_customer_why(self):
        dispute = self._dispute(self.old, 1000, reason="not_received")
        self.assertEqual(self.case.overdue_amount, 500)
        with self.assertRaisesRegex(UserError, "Say why"):
            dispute.with_user(self.manager).action_reject()
        self.env["collection.dispute.resolve.wizard"].with_user(self.manager).create(
            {
                "dispute_id": dispute.id,
                "decision": "reject",
                "note": "The delivery note is signed by your warehouse.",
            }
        ).action_resolve()
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual((self.case.overdue_amount, self.case.disputed_amount), (1500, 0))
        sent = self.case.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )
        self.assertEqual(len(sent), 1)
        self.assertIn("signed by your warehouse", str(sent.body))
        self.assertIn(self.old.name, sent.subject)
        logged = self.case.message_ids.filtered(lambda m: m.message_type == "notification")
        self.assertIn("rejected", logged[0].body)

    def test_a_rejection_goes_through_the_compliance_guard(self):
        dispute = self._dispute(self.old, 1000)
        self.customer.collection_do_not_contact = True
        with self.assertRaises(UserError) as blocked:
            dispute.with_user(self.manager).action_reject(note="No")
        self.assertIn("compliance guard", str(blocked.exception))
        self.assertEqual(dispute.state, "open")

    # ------------------------------------------------------------- rights

    def test_officers_cannot_accept_or_reject(self):
        dispute = self._dispute(self.old, 300)
        with self.assertRaises(AccessError):
            dispute.with_user(self.officer).action_accept()
        with self.assertRaises(AccessError):
            dispute.with_user(self.officer).action_reject(note="No")
        with self.assertRaisesRegex(UserError, "accepting, rejecting"):
            dispute.with_user(self.officer).write({"state": "accepted"})
        with self.assertRaises(AccessError):
            dispute.with_user(self.officer).unlink()
        self.assertEqual(dispute.state, "open")

    def test_officers_of_other_teams_and_accountants(self):
        dispute = self._dispute(self.old, 300)
        other_officer = new_test_user(
            self.env,
            login="dispute_other_officer",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        other_team = self.env["collection.team"].create(
            {"name": "Other desk", "member_ids": [Command.link(other_officer.id)]}
        )
        self.assertTrue(other_team)
        self.assertFalse(self.Dispute.with_user(other_officer).search([("id", "=", dispute.id)]))
        with self.assertRaises(AccessError):
            self._dispute(self.recent, 100, user=other_officer)
        self.assertEqual(self.Dispute.with_user(self.accountant).browse(dispute.id).amount, 300)
        with self.assertRaises(AccessError):
            dispute.with_user(self.accountant).write({"description": "Mine"})

    def test_a_case_with_a_dispute_cannot_be_deleted(self):
        dispute = self._dispute(self.old, 300)
        dispute.with_user(self.officer).action_withdraw()
        self._pay(self.old | self.recent, 1500)
        self.assertEqual(self.case.state, "closed")
        with self.assertRaisesRegex(UserError, "archive it"):
            self.case.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            dispute.with_user(self.manager).unlink()

    # ------------------------------------------------------ deadline, paid

    def test_the_deadline_comes_from_the_company_with_an_activity_for_the_owner(self):
        self.company.collection_dispute_days = 10
        dispute = self._dispute(self.old, 300, owner_id=self.team_manager.id)
        self.assertEqual(dispute.deadline, TODAY + timedelta(days=10))
        self.assertEqual(dispute.activity_ids.user_id, self.team_manager)
        self.assertEqual(dispute.activity_ids.date_deadline, dispute.deadline)

    def test_an_overdue_deadline_alerts_the_team_manager_once(self):
        dispute = self._dispute(self.old, 300)
        summary = "Dispute past its deadline"
        # The hourly alert, in the company's morning.
        with freeze_time(morning(TODAY + timedelta(days=14))):
            self.Dispute._cron_alert_deadlines()
        self.assertFalse(dispute.activity_ids.filtered(lambda a: a.summary == summary))
        with freeze_time(TODAY + timedelta(days=15)):
            self.Dispute._cron_alert_deadlines()
        self.assertFalse(
            dispute.activity_ids.filtered(lambda a: a.summary == summary),
            "not at night: at the start of the company's day",
        )
        with freeze_time(morning(TODAY + timedelta(days=15))):
            self.Dispute._cron_alert_deadlines()
            self.Dispute._cron_alert_deadlines()
        alerts = dispute.activity_ids.filtered(lambda a: a.summary == summary)
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts.user_id, self.team_manager)

    def test_already_paid_asks_for_the_remittance_and_an_accountant_looks(self):
        dispute = self._dispute(self.old, 1000, reason="already_paid")
        search = dispute.activity_ids.filtered(
            lambda a: a.summary == "Look for the customer's payment"
        )
        self.assertTrue(search.user_id.has_group("account.group_account_invoice"))
        self.assertFalse(
            search.user_id.has_group("collections_officer.group_collections_officer"),
            "the books are kept by accounting",
        )
        dispute.with_user(self.officer).action_request_remittance()
        sent = self.case.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )
        self.assertIn("remittance advice", str(sent.body))
        # Found: the payment is reconciled natively, and the dispute closes itself.
        self._pay(self.old, 1000)
        self.assertEqual(dispute.state, "withdrawn")
        self.assertIn("paid", dispute.resolution_note)
        self.assertFalse(dispute.activity_ids)
        self.assertEqual(self.case.disputed_amount, 0)

    # ------------------------------------------------ contact log, migration

    def test_a_disputed_contact_creates_disputes_of_the_invoices_named(self):
        wizard = self.env["collection.contact.wizard"].with_user(self.officer)
        values = {
            "case_id": self.case.id,
            "channel": "phone",
            "outcome": "disputed",
            "note": "<p>Half the goods never arrived</p>",
        }
        with self.assertRaisesRegex(ValidationError, "which invoices"):
            wizard.create(values).action_log()
        wizard.create(
            values | {"dispute_move_ids": [Command.set(self.old.ids)], "dispute_reason": "quantity"}
        ).action_log()
        dispute = self.case.dispute_ids
        self.assertRecordValues(
            dispute,
            [{"move_id": self.old.id, "amount": 1000, "reason": "quantity", "state": "open"}],
        )
        self.assertIn("never arrived", dispute.description)
        self.assertEqual(self.case.state, "open", "no whole-case hold any more")
        self.assertEqual(self.case.overdue_amount, 500)

    def test_the_migration_of_an_old_dispute_hold(self):
        not_due = self._post_invoice(200, due_days_ago=-5)
        self.assertTrue(not_due)
        self.case.sudo().write({"state": "hold", "hold_reason": "Disputed: Goods damaged"})
        other = self._case(partner=self.other_customer)
        self.assertFalse(other)

        disputes = self.Dispute._migrate_dispute_holds()

        self.assertEqual(disputes.move_id, self.old | self.recent, "the overdue invoices only")
        self.assertEqual(set(disputes.mapped("reason")), {"other"})
        self.assertEqual(sorted(disputes.mapped("amount")), [500, 1000])
        self.assertEqual(disputes[0].description, "Disputed: Goods damaged")
        self.assertEqual(disputes.owner_id, self.officer)
        self.assertRecordValues(
            self.case,
            [{"state": "open", "hold_reason": False, "overdue_amount": 0, "disputed_amount": 1500}],
        )
        self.assertFalse(self.Dispute._migrate_dispute_holds(), "done once")

    def test_the_migration_of_a_dispute_hold_written_in_another_language(self):
        # The hold an officer working in French wrote, quoting the contact's note.
        self.env["collection.contact"].sudo().create(
            {
                "case_id": self.case.id,
                "channel": "phone",
                "outcome": "disputed",
                "note": "<p>Marchandise  abîmée</p>",
            }
        )
        self.case.sudo().write({"state": "hold", "hold_reason": "Contesté : Marchandise abîmée"})
        # A hold of another reason on a case that once had a disputed contact stays.
        self._post_invoice(300, due_days_ago=20, partner=self.other_customer)
        self._refresh()
        other = self._case(partner=self.other_customer)
        self.env["collection.contact"].sudo().create(
            {"case_id": other.id, "channel": "phone", "outcome": "disputed", "note": "<p>Late</p>"}
        )
        other.sudo().write({"state": "hold", "hold_reason": "Customer in hospital until May"})

        disputes = self.Dispute._migrate_dispute_holds()

        self.assertEqual(disputes.case_id, self.case)
        self.assertEqual(disputes.move_id, self.old | self.recent)
        self.assertEqual(set(disputes.mapped("description")), {"Contesté : Marchandise abîmée"})
        self.assertRecordValues(self.case, [{"state": "open", "hold_reason": False}])
        self.assertRecordValues(
            other, [{"state": "hold", "hold_reason": "Customer in hospital until May"}]
        )
