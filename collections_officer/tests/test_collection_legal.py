import csv
import io
import zipfile
from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools.misc import format_date

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOTICE = "collections_officer.report_collection_legal_notice"
REPLY_FORM = "collections_officer.report_collection_legal_reply_form"
INFO_SHEET = "collections_officer.report_collection_legal_info_sheet"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionLegal(FollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lawyer = cls.env["res.partner"].create(
            {"name": "Sue & Co Solicitors", "is_company": True}
        )
        cls.agency = cls.env["res.partner"].create({"name": "Recoveries Ltd", "is_company": True})

    def setUp(self):
        super().setUp()
        self.old_invoice = self._post_invoice(600, due_days_ago=40)
        self.recent_invoice = self._post_invoice(400, due_days_ago=20)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _legal(self, legal_type="notice", **values):
        legal = self.case._start_legal_action(legal_type) if not values else None
        if legal is None:
            legal = self.env["collection.legal"].create(
                {"case_id": self.case.id, "legal_type": legal_type, **values}
            )
        return legal

    def _html(self, report, legal):
        return self.env["ir.actions.report"]._render_qweb_html(report, legal.ids)[0].decode()

    # ------------------------------------------------------------ states, dates

    def test_legal_action_takes_the_case_out_of_follow_up(self):
        legal = self.case._start_legal_action("notice")
        self.assertEqual(legal.state, "draft")
        self.assertEqual(self.case.state, "legal")
        self.assertEqual(legal.principal_amount, 1000)
        self.assertEqual(legal.amount_total, 1000)
        self.assertIn(legal.name, self.case.message_ids[0].body)
        self.assertIn(self.case.id, self.case._get_followup_blockers())
        self.assertIn("legal action", self.case._get_followup_blockers()[self.case.id])
        self._run()
        self.assertFalse(self._followups())

    def test_a_managers_decision_opens_a_draft_with_its_reason(self):
        self.case.with_user(self.manager)._start_legal_action("lawyer", "Refuses to pay")
        legal = self.case.legal_ids
        self.assertEqual((legal.legal_type, legal.state), ("lawyer", "draft"))
        self.assertFalse(legal.party_id)
        self.assertIn("Refuses to pay", legal.message_ids[0].body)
        self.assertEqual(legal.activity_ids.user_id, self.manager)
        self.assertEqual(self.case.legal_count, 1)
        self.assertEqual(self.case.action_view_legal()["res_id"], legal.id)

    def test_states_dates_and_reply_deadline_rule(self):
        legal = self._legal("court", party_id=self.lawyer.id, principal_amount=1000)
        legal.action_send_notice()
        self.assertEqual(legal.state, "notice_sent")
        self.assertEqual(legal.notice_date, TODAY)
        self.assertEqual(legal.reply_deadline, TODAY + timedelta(days=30))
        email = self._emails()[0]
        self.assertEqual(email.partner_ids, self.customer)
        self.assertEqual(len(email.attachment_ids), 3)
        self.assertTrue(all(a.raw.startswith(b"%PDF") for a in email.attachment_ids))
        # No claim is filed within the reply period, not even on its last day.
        with self.assertRaisesRegex(ValidationError, "may reply until"):
            legal.action_file_claim()
        with freeze_time(TODAY + timedelta(days=30)), self.assertRaises(ValidationError):
            legal.action_file_claim()
        with freeze_time(TODAY + timedelta(days=31)):
            legal.action_file_claim()
            self.assertEqual(legal.state, "filed")
            self.assertEqual(legal.filing_date, TODAY + timedelta(days=31))
        with freeze_time(TODAY + timedelta(days=60)):
            legal.action_record_judgment()
            legal.judgment_amount = 1100
            legal.action_enforce()
        self.assertEqual(legal.judgment_date, TODAY + timedelta(days=60))
        self.assertEqual(legal.state, "enforcement")
        with self.assertRaises(ValidationError):
            legal.hearing_date = TODAY + timedelta(days=20)
        legal.action_settle()
        self.assertEqual(legal.state, "settled")
        self.assertEqual(self.case.state, "open")
        story = "\n".join(self.case.message_ids.mapped("body"))
        for label in ("Notice Sent", "Claim Filed", "Judgment", "Enforcement", "Settled"):
            self.assertIn(label, story)

    def test_a_filing_date_before_the_reply_deadline_is_refused(self):
        legal = self._legal("court", party_id=self.lawyer.id)
        legal.action_print_notice()
        with self.assertRaisesRegex(ValidationError, "may reply until"):
            legal.write({"filing_date": TODAY + timedelta(days=10)})

    def test_reply_period_follows_the_company_setting(self):
        self.company.collection_legal_reply_days = 14
        legal = self._legal()
        legal.action_print_notice()
        self.assertEqual(legal.reply_deadline, TODAY + timedelta(days=14))

    def test_a_claim_without_a_party_is_refused(self):
        # The manager's decision opens the draft; the party is chosen when the debt is
        # handed over or claimed, the letter before action needs none.
        agency = self.case._start_legal_action("agency")
        with self.assertRaisesRegex(ValidationError, "External Party"):
            agency.action_hand_over()
        court = self.env["collection.legal"].create(
            {"case_id": self.case.id, "legal_type": "court"}
        )
        court.action_send_notice()
        self.assertEqual(court.state, "notice_sent")
        with freeze_time(TODAY + timedelta(days=31)):
            with self.assertRaisesRegex(ValidationError, "External Party"):
                court.action_file_claim()
        self.assertEqual(court.state, "notice_sent")
        self.assertFalse(court.filing_date)
        agency.party_id = self.agency
        agency.action_hand_over()
        self.assertEqual(agency.state, "handed_over")
        with self.assertRaisesRegex(ValidationError, "External Party"):
            agency.party_id = False

    def test_no_filing_without_a_letter_before_action(self):
        legal = self._legal("court", party_id=self.lawyer.id)
        with self.assertRaisesRegex(ValidationError, "letter before action"):
            legal.write({"filing_date": TODAY})

    def test_state_and_notice_date_follow_the_buttons(self):
        legal = self._legal()
        with self.assertRaises(UserError):
            legal.write({"state": "filed"})
        with self.assertRaises(UserError):
            legal.write({"notice_date": TODAY})

    # ----------------------------------------------------------- the letter

    def test_letter_before_action_content(self):
        legal = self._legal("notice", principal_amount=1000, interest_amount=12.5)
        deadline = format_date(self.env, TODAY + timedelta(days=30), date_format="long")
        html = self._html(NOTICE, legal)
        self.assertIn("Letter Before Action", html)
        for invoice in self.old_invoice | self.recent_invoice:
            self.assertIn(invoice.name, html)
        self.assertIn("1,012.50", html)
        self.assertIn("12.50", html)
        self.assertIn(deadline, html)
        self.assertIn("Reply Form", html)
        self.assertIn("Information Sheet", html)
        self.assertIn("How to pay", html)
        reply_form = self._html(REPLY_FORM, legal)
        self.assertIn("I agree that I owe the debt", reply_form)
        self.assertIn("I do not agree that I owe the debt", reply_form)
        self.assertIn(deadline, reply_form)
        self.assertIn(self.case.name, reply_form)
        info_sheet = self._html(INFO_SHEET, legal)
        self.assertIn("advice", info_sheet)
        self.assertIn(deadline, info_sheet)

    def test_us_consumer_gets_a_validation_notice(self):
        self.company.country_id = self.env.ref("base.us")
        self.customer.is_company = False
        legal = self._legal("notice", principal_amount=1000)
        self.assertTrue(legal.is_us_consumer)
        html = self._html(NOTICE, legal)
        self.assertIn("Validation Notice", html)
        self.assertIn("dispute", html)
        self.assertIn(format_date(self.env, TODAY + timedelta(days=30), date_format="long"), html)
        self.assertNotIn("Letter Before Action", html)
        self.assertEqual(len(legal._notice_reports()), 1)

    # ------------------------------------------------------------- the pack

    def test_hand_over_pack(self):
        self.env["collection.contact"].create(
            {
                "case_id": self.case.id,
                "channel": "phone",
                "direction": "outbound",
                "outcome": "refused",
                "note": "<p>Refuses to pay the April invoice</p>",
            }
        )
        self._run()
        sent = self._followups().filtered(lambda f: f.state == "done")
        self.assertTrue(sent.message_id)
        self.env["collection.promise"].create(
            {
                "case_id": self.case.id,
                "amount": 300,
                "date": TODAY + timedelta(days=5),
                "contact_id": self.contact.id,
            }
        )
        self.env["ir.attachment"].create(
            {
                "name": "signed order.txt",
                "raw": b"Signed purchase order",
                "res_model": "collection.case",
                "res_id": self.case.id,
            }
        )
        legal = self._legal("agency", party_id=self.agency.id, principal_amount=1000)
        action = legal.action_build_pack()
        self.assertIn(str(legal.pack_attachment_id.id), action["url"])
        self.assertEqual(legal.pack_attachment_id.res_model, "collection.legal")
        archive = zipfile.ZipFile(io.BytesIO(legal.pack_attachment_id.raw))
        names = archive.namelist()

        self.assertTrue(archive.read("statement.pdf").startswith(b"%PDF"))
        for invoice in self.old_invoice | self.recent_invoice:
            pdf = archive.read(f"invoices/{invoice.name.replace('/', '-')}.pdf")
            self.assertTrue(pdf.startswith(b"%PDF"))

        def rows(name):
            return list(csv.reader(io.StringIO(archive.read(name).decode())))

        contacts = rows("contact_log.csv")
        self.assertEqual(contacts[0][:3], ["Date", "Channel", "Direction"])
        self.assertTrue(any("Refuses to pay the April invoice" in row[-1] for row in contacts[1:]))
        promises = rows("promises.csv")
        self.assertEqual(len(promises), 2)
        self.assertEqual(float(promises[1][2]), 300)
        self.assertEqual(rows("plans.csv")[0][0], "Plan")
        letters = rows("letters/letters_sent.csv")
        self.assertEqual(len(letters), 1 + len(sent))
        self.assertEqual(letters[1][:2], [str(sent.date), "Reminder"])
        self.assertTrue(
            any(name.startswith("letters/") and name.endswith(".html") for name in names)
        )
        self.assertEqual(archive.read("attachments/signed order.txt"), b"Signed purchase order")

        index = rows("index.csv")
        listed = [row[0] for row in index[1:]]
        self.assertEqual(sorted(listed), sorted(names))
        self.assertIn(legal.name, index[1][1])

    # ------------------------------------------------------ money and rights

    def test_agency_commission_on_a_real_payment(self):
        legal = self._legal("agency", party_id=self.agency.id, commission_rate=20)
        # Paid before the hand-over: the agency earns nothing on it.
        self._pay(self.recent_invoice, 100, days_ago_paid=3)
        legal.action_hand_over()
        self.assertEqual(legal.state, "handed_over")
        self.assertEqual(legal.handover_date, TODAY)
        self.assertEqual(legal.commission_amount, 0)
        payment = self._pay(self.old_invoice, 500)
        self.assertTrue(payment.move_id.line_ids.filtered("reconciled"))
        legal.invalidate_recordset(["received_amount", "commission_amount"])
        self.assertEqual(legal.received_amount, 500)
        self.assertEqual(legal.commission_amount, 100)

    def test_agency_commission_starts_at_the_company_rate(self):
        self.company.collection_legal_agency_rate = 15
        legal = self.case._start_legal_action("agency")
        self.assertEqual(legal.commission_rate, 15)
        self.assertEqual(legal.legal_type, "agency")

    def test_payments_still_count_while_in_legal(self):
        self.case._start_legal_action("notice")
        self._pay(self.old_invoice, 600)
        self._refresh()
        self.assertEqual(self.case.state, "legal")
        self.assertEqual(self.case.overdue_amount, 400)
        self._run()
        self.assertFalse(self._followups())
        self._pay(self.recent_invoice, 400)
        self._refresh()
        self.assertEqual(self.case.state, "closed")

    def test_officers_read_but_cannot_file_a_claim(self):
        legal = self._legal("court", party_id=self.lawyer.id)
        legal.action_send_notice()
        as_officer = legal.with_user(self.officer)
        self.assertEqual(as_officer.state, "notice_sent")
        with freeze_time(TODAY + timedelta(days=31)):
            with self.assertRaises(AccessError):
                as_officer.action_file_claim()
            with self.assertRaises(AccessError):
                as_officer.write({"filing_date": TODAY + timedelta(days=31)})
        with self.assertRaises(AccessError):
            self.env["collection.legal"].with_user(self.officer).create(
                {"case_id": self.case.id, "legal_type": "notice"}
            )
        with self.assertRaises(AccessError):
            self.case.with_user(self.officer)._start_legal_action("notice")
        outsider = self.env["res.users"].create(
            {
                "name": "Other officer",
                "login": "co_other_officer",
                "group_ids": [
                    (6, 0, [self.env.ref("collections_officer.group_collections_officer").id])
                ],
            }
        )
        self.assertFalse(
            self.env["collection.legal"].with_user(outsider).search([("id", "=", legal.id)])
        )

    def test_a_case_with_legal_history_cannot_be_deleted(self):
        legal = self._legal()
        legal.action_close()
        self._pay(self.old_invoice | self.recent_invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        with self.assertRaisesRegex(UserError, "legal action"):
            self.case.unlink()
        with self.assertRaises(UserError):
            legal.unlink()

    def test_costs_reinvoiced_as_the_company_chooses(self):
        legal = self._legal("lawyer", party_id=self.lawyer.id, costs_incurred=150)
        with self.assertRaisesRegex(UserError, "does not re-invoice"):
            legal.action_invoice_costs()
        product = self.env["product.product"].create({"name": "Legal costs", "type": "service"})
        self.company.write(
            {
                "collection_legal_cost_invoicing": "draft",
                "collection_legal_cost_product_id": product.id,
            }
        )
        legal.action_invoice_costs()
        invoice = legal.cost_move_ids
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.amount_total, 150)
        self.assertEqual(invoice.invoice_line_ids.product_id, product)
        with self.assertRaisesRegex(UserError, "invoiced already"):
            legal.action_invoice_costs()
        self.company.collection_legal_cost_invoicing = "posted"
        legal.costs_incurred = 200
        legal.action_invoice_costs()
        self.assertEqual(sorted(legal.cost_move_ids.mapped("state")), ["draft", "posted"])
        self.assertEqual(legal.costs_invoiced, 200)
