from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPaymentChatter(CollectionsCommon):
    """Money received, given back or returned undelivered leaves a line on the case: one
    note per payment (or credit note), by whoever matched it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="co_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.customer.email = "accounts@acme.example"
        cls.first = cls._post_invoice(600, due_days_ago=40)
        cls.second = cls._post_invoice(300, due_days_ago=20)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.seen = self.case.message_ids

    def _new_notes(self, case=None):
        case = case or self.case
        case.invalidate_recordset(["message_ids"])
        return (case.message_ids - self.seen).filtered(
            lambda message: (
                message.subtype_id == self.env.ref("mail.mt_note")
                and ("Payment" in str(message.body) or "Credit note" in str(message.body))
            )
        )

    def _register(self, invoices, amount):
        return (
            self.env["account.payment.register"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"group_payment": True, "amount": amount, "payment_date": TODAY})
            ._create_payments()
        )

    def test_one_line_per_payment(self):
        payment = self._register(self.first | self.second, 900)
        note = self._new_notes()
        self.assertEqual(len(note), 1, "one payment, two invoices: one line")
        body = str(note.body)
        self.assertIn("Payment of", body)
        self.assertIn("900.00", body)
        for name in (self.first.name, self.second.name, payment.name):
            self.assertIn(name, body)
        self.assertIn(f'data-oe-id="{payment.id}"', body, "the payment is linked")
        self.assertIn(f'data-oe-id="{self.first.id}"', body, "the invoices are linked")
        self.assertEqual(note.author_id, self.accountant.partner_id)
        self.assertEqual(note.message_type, "notification")
        # A second payment is a second line.
        self.seen = self.case.message_ids
        self._post_invoice(150, due_days_ago=10)
        self._refresh()
        third = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("amount_residual", "=", 150)]
        )
        self._register(third, 100)
        note = self._new_notes(self._case())
        self.assertEqual(len(note), 1)
        self.assertIn("Payment of", str(note.body))
        self.assertIn("100.00", str(note.body))

    def test_a_credit_note_applied(self):
        credit_note = self._post_invoice(200, due_days_ago=0, move_type="out_refund")
        (credit_note | self.first).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).with_user(self.accountant).reconcile()
        note = self._new_notes()
        self.assertEqual(len(note), 1)
        self.assertIn("Credit note", str(note.body))
        self.assertIn("200.00", str(note.body))
        self.assertIn(credit_note.name, str(note.body))
        self.assertIn(self.first.name, str(note.body))

    def test_an_unmatched_payment(self):
        self._register(self.first, 600)
        self.seen = self.case.message_ids
        partial = self.first.line_ids.matched_credit_ids
        self.assertTrue(partial)
        self.first.with_user(self.accountant).js_remove_outstanding_partial(partial.id)
        note = self._new_notes()
        self.assertEqual(len(note), 1)
        self.assertIn("no longer paid against", str(note.body))
        self.assertIn(self.first.name, str(note.body))
        self.assertIn("600.00", str(note.body))
        self.assertEqual(note.author_id, self.accountant.partner_id)

    def test_a_bounced_payment(self):
        payment = self._register(self.first | self.second, 900)
        self.assertEqual(self._case().state, "closed", "paid in full")
        self.seen = self.case.message_ids
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=payment.move_id.ids)
            .create({"journal_id": payment.move_id.journal_id.id, "date": TODAY})
        )
        reversal.reverse_moves()
        case = self._case()
        self.assertNotEqual(case.state, "closed", "the debt is back")
        notes = self._new_notes(case)
        self.assertEqual(len(notes), 1, "one line for the bounced payment")
        body = str(notes.body)
        self.assertIn("reversed (bounced)", body)
        self.assertIn(payment.name, body)
        self.assertIn("900.00", body)
        self.assertNotIn("received", body, "the reversal is no payment received")

    def test_a_bounced_follow_up_email(self):
        sent = self.env["mail.message"].create(
            {
                "model": "collection.case",
                "res_id": self.case.id,
                "message_type": "comment",
                "subtype_id": self.env.ref("collections_officer.mt_collection_followup_sent").id,
                "body": "Your account is overdue.",
                "message_id": "<followup-1@collections.example>",
            }
        )
        self.env["mail.thread"]._routing_handle_bounce(
            False,
            {
                "bounced_email": "accounts@acme.example",
                "bounced_partner": self.customer,
                "bounced_msg_ids": [sent.message_id],
                "bounced_message": sent,
                "email_from": "mailer-daemon@example.com",
                "to": "bounce@collections.example",
                "message_id": "<bounce-1@example.com>",
                "body": "550 No such user",
            },
        )
        self.case.invalidate_recordset(["message_ids"])
        notes = (self.case.message_ids - self.seen - sent).filtered(
            lambda message: "bounced" in str(message.body)
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("accounts@acme.example", str(notes.body))
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(self.customer.message_bounce, 1, "the customer's bounce is counted")
