from datetime import datetime, timedelta

from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def days_ahead(days):
    return days_ago(-days)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPortalActions(CollectionsCommon):
    """What the customer does on the case's page: each action within and beyond the
    company's limits, every bad input refused with nothing written, the link's life."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "collection_promise_max_days": 30,
                "collection_promise_min_percent": 10,
                "collection_portal_link_days": 60,
                "collection_portal_rate_limit": 20,
                "collection_portal_plan_max_amount": 5000,
                "collection_portal_plan_max_months": 6,
                "collection_portal_plan_min_down_percent": 10,
            }
        )
        cls.customer.email = "ap@acme.example"
        cls.invoice = cls._post_invoice(1000, due_days_ago=30)
        cls.not_due = cls._post_invoice(300, due_days_ago=-10)
        cls.other_invoice = cls._post_invoice(400, due_days_ago=30, partner=cls.other_customer)
        cls.Contact = cls.env["collection.contact"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer

    # ---------------------------------------------------------------- helpers

    def _portal(self):
        """The case as the page calls it: as the superuser, after the access check."""
        return self.case.sudo().with_context(collection_portal=True)

    def _written(self):
        """What a customer action may write on the case, to compare before and after."""
        case = self.case.sudo()
        return (
            self.Contact.sudo().search_count([("case_id", "=", case.id)]),
            self.env["collection.promise"].sudo().search_count([("case_id", "=", case.id)]),
            self.env["collection.plan"].sudo().search_count([("case_id", "=", case.id)]),
            self.env["collection.dispute"].sudo().search_count([("case_id", "=", case.id)]),
            self.env["ir.attachment"]
            .sudo()
            .search_count([("res_model", "=", "collection.dispute")]),
            self.env["res.partner"].sudo().search_count([("parent_id", "=", self.customer.id)]),
            self.customer.collection_contact_id,
            self.customer.collection_channel_preference,
        )

    def assertRefused(self, exception, call, *args, **kwargs):
        before = self._written()
        with self.assertRaises(exception) as caught:
            call(*args, **kwargs)
        self.assertEqual(self._written(), before, "nothing is written on bad input")
        return str(caught.exception)

    def _portal_contacts(self, outcome=None):
        domain = [
            ("case_id", "=", self.case.id),
            ("channel", "=", "portal"),
            ("direction", "=", "inbound"),
        ]
        if outcome:
            domain.append(("outcome", "=", outcome))
        return self.Contact.sudo().search(domain)

    def _officer_todos(self):
        return self.case.sudo().activity_ids.filtered(
            lambda a: a.user_id == self.officer and a.summary.startswith("Customer page")
        )

    def _customer_mails(self, plan):
        return plan.sudo().message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )

    # ----------------------------------------------------------------- the link

    def test_granting_the_link_extends_it_and_never_shortens_it(self):
        case = self.case.sudo()
        # A case has its token and code from the start, not a working link.
        token, code = case.access_token, case.portal_short_code
        self.assertFalse(case.portal_link_expiry)
        self.assertFalse(self.case._portal_check_token(token))
        self.case._portal_grant_link()
        self.assertEqual((case.access_token, case.portal_short_code), (token, code))
        self.assertTrue(token)
        self.assertEqual(len(code), 10)
        self.assertEqual(case.portal_link_expiry, datetime(2026, 8, 29))
        self.assertEqual(
            self.case._portal_link_url(),
            f"{self.case.get_base_url()}/my/collections/{self.case.id}?access_token={token}",
        )
        self.assertEqual(self.case._portal_short_url(), f"{self.case.get_base_url()}/pay/{code}")
        self.assertEqual(self.case.access_url, f"/my/collections/{self.case.id}")
        # A company that shortens its links later shortens none already given.
        self.company.collection_portal_link_days = 10
        self.case._portal_grant_link()
        self.assertEqual(case.portal_link_expiry, datetime(2026, 8, 29))
        self.assertEqual((case.access_token, case.portal_short_code), (token, code))
        with freeze_time(TODAY + timedelta(days=55)):
            self.company.collection_portal_link_days = 60
            self.case._portal_grant_link()
        self.assertEqual(case.portal_link_expiry, datetime(2026, 10, 23))
        self.assertEqual(case.access_token, token, "the link sent before still works")

    def test_the_token_opens_the_case_until_the_link_expires(self):
        self.assertFalse(self.case._portal_check_token(False), "no link granted yet")
        self.case._portal_grant_link()
        token = self.case.sudo().access_token
        self.assertTrue(self.case._portal_check_token(token))
        for forged in (None, "", token[:-1] + ("0" if token[-1] != "0" else "1"), token + "x"):
            self.assertFalse(self.case._portal_check_token(forged), forged)
        other = self._case(partner=self.other_customer)
        other._portal_grant_link()
        self.assertFalse(self.case._portal_check_token(other.sudo().access_token))
        with freeze_time(TODAY + timedelta(days=59, hours=23)):
            self.assertTrue(self.case._portal_check_token(token))
        with freeze_time(TODAY + timedelta(days=60, seconds=1)):
            self.assertFalse(self.case._portal_check_token(token), "the link has expired")

    def test_revoking_refuses_the_old_links_at_once(self):
        self.case._portal_grant_link()
        case = self.case.sudo()
        token, code = case.access_token, case.portal_short_code
        self.case.with_user(self.officer).action_portal_revoke()
        self.assertNotEqual(case.access_token, token)
        self.assertNotEqual(case.portal_short_code, code)
        self.assertFalse(case.portal_link_expiry)
        self.assertFalse(self.case._portal_check_token(token))
        self.assertFalse(self.case._portal_check_token(case.access_token), "not granted yet")
        self.assertIn("revoked", case.message_ids[0].body)
        # The next message sent gives a new link.
        self.case._portal_grant_link()
        self.assertTrue(self.case._portal_check_token(case.access_token))
        clerk = new_test_user(self.env, login="co_clerk", groups="base.group_user")
        with self.assertRaises(UserError):
            self.case.with_user(clerk).action_portal_revoke()

    def test_nobody_sets_the_link_by_hand(self):
        for values in (
            {"access_token": "known-token"},
            {"portal_link_expiry": "2030-01-01 00:00:00"},
            {"portal_short_code": "abcdefghjk"},
            {"portal_visit_count": 99},
        ):
            with self.subTest(values=values), self.assertRaises(UserError):
                self.case.with_user(self.manager).write(values)
        self.assertNotEqual(self.case.sudo().access_token, "known-token")
        self.assertFalse(self.case.sudo().portal_link_expiry)
        with self.assertRaises(UserError):
            self.env["collection.case"].with_user(self.manager).create(
                {"partner_id": self.case.partner_id.id, "access_token": "known-token"}
            )

    def test_visits_are_counted(self):
        self.case._portal_record_visit()
        self.case._portal_record_visit()
        self.assertEqual(self.case.portal_visit_count, 2)
        self.assertEqual(self.case.portal_last_visit, datetime.combine(TODAY, datetime.min.time()))

    def test_the_chatter_of_the_page_opens_only_while_the_link_works(self):
        self.case._portal_grant_link()
        token = self.case.sudo().access_token
        Case = self.env["collection.case"].with_user(self.env.ref("base.public_user"))
        self.assertEqual(Case._get_thread_with_access(self.case.id, token=token), self.case)
        with freeze_time(TODAY + timedelta(days=61)):
            self.assertFalse(Case._get_thread_with_access(self.case.id, token=token))

    # ---------------------------------------------------------------- promise

    def test_a_promise_within_the_limits_holds_at_once(self):
        promise = self._portal()._portal_promise(500, days_ahead(10), note="Paid by Friday")
        self.assertEqual(promise.channel, "portal")
        self.assertFalse(promise.needs_approval)
        self.assertEqual(promise.state, "open")
        self.assertEqual(self.case.state, "promised")
        contact = self._portal_contacts("promised")
        self.assertEqual(len(contact), 1)
        self.assertEqual(promise.contact_log_id, contact)
        self.assertEqual(contact.user_id, self.officer)
        self.assertIn("Paid by Friday", contact.note)
        self.assertEqual(len(self._officer_todos()), 1)
        self.assertFalse(
            self.Contact.sudo().search(
                [("case_id", "=", self.case.id), ("direction", "=", "outbound")]
            ),
            "the customer promised: the desk contacted nobody",
        )

    def test_a_promise_beyond_the_limits_waits_for_a_manager(self):
        promise = self._portal()._portal_promise(50, days_ahead(10))
        self.assertTrue(promise.needs_approval)
        self.assertFalse(promise.approved_by_id, "nobody approved it by recording it")
        self.assertEqual(self.case.state, "open", "follow-up goes on until it is approved")
        approvals = self.case.sudo().activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("collections_officer.mail_activity_type_promise_approval")
            )
        )
        self.assertTrue(approvals)
        promise.with_user(self.manager).action_approve()
        self.assertEqual(self.case.state, "promised")
        far = self._portal()._portal_promise(500, days_ahead(45))
        self.assertTrue(far.needs_approval)
        self.assertFalse(far.approved_by_id)

    def test_bad_promises_are_refused_and_nothing_is_written(self):
        portal = self._portal()
        self.assertIn(
            "in the past",
            self.assertRefused(ValidationError, portal._portal_promise, 500, days_ago(1)),
        )
        self.assertIn(
            "at most",
            self.assertRefused(ValidationError, portal._portal_promise, 1000.01, days_ahead(5)),
        )
        self.assertRefused(ValidationError, portal._portal_promise, 0, days_ahead(5))
        self.assertRefused(ValidationError, portal._portal_promise, -5, days_ahead(5))
        self.assertRefused(ValidationError, portal._portal_promise, "lots", days_ahead(5))
        self.assertRefused(ValidationError, portal._portal_promise, 100, "next week")
        self.assertRefused(ValidationError, portal._portal_promise, 100, None)

    # ------------------------------------------------------------------- plan

    def test_a_plan_within_the_self_service_limits_starts_at_once(self):
        plan = self._portal()._portal_propose_plan(3, 200, days_ahead(30), note="Three months")
        self.assertTrue(plan.portal_requested)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.amount_total, 1000, "all that is overdue, not what is not due")
        self.assertEqual(plan.approval_state, "approved")
        self.assertEqual(plan.approved_by_id.id, SUPERUSER_ID)
        self.assertEqual(plan.installment_count, 4, "the down payment and three installments")
        self.assertEqual(self.case.state, "plan")
        self.assertEqual(len(self._portal_contacts("plan_proposed")), 1)
        self.assertEqual(len(self._officer_todos()), 1)
        self.assertFalse(self._customer_mails(plan), "the customer sees it on the page")

    def test_a_plan_beyond_the_limits_waits_and_the_customer_learns_it_is_accepted(self):
        # 5% down: below the 10% the customer may choose alone.
        plan = self._portal()._portal_propose_plan(3, 50, days_ahead(30))
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.approval_state, "requested")
        self.assertTrue(plan.needs_approval)
        self.assertEqual(self.case.state, "open")
        self.assertIn(
            "Your proposal",
            self.assertRefused(
                UserError, self._portal()._portal_propose_plan, 3, 200, days_ahead(30)
            ),
        )
        plan.with_user(self.manager).action_approve()
        self.assertEqual(plan.state, "active", "the customer agreed already: it starts")
        self.assertEqual(self.case.state, "plan")
        mails = self._customer_mails(plan)
        self.assertEqual(len(mails), 1)
        self.assertIn("accepted", mails.subject)
        sent = self.Contact.sudo().search(
            [("case_id", "=", self.case.id), ("outcome", "=", "message_sent")]
        )
        self.assertEqual(sent.message_id, mails)

    def test_the_customer_learns_why_their_plan_is_refused(self):
        plan = self._portal()._portal_propose_plan(10, 200, days_ahead(30))
        self.assertEqual(plan.approval_state, "requested", "ten months is beyond six")
        self.env["collection.plan.refuse.wizard"].with_user(self.manager).create(
            {"plan_ids": [(6, 0, plan.ids)], "reason": "Ten months is too long for us"}
        ).action_refuse()
        mails = self._customer_mails(plan)
        self.assertEqual(len(mails), 1)
        self.assertIn("Ten months is too long for us", mails.body)
        # Refused, the customer may propose another one.
        other = self._portal()._portal_propose_plan(5, 200, days_ahead(30))
        self.assertEqual(other.state, "active")

    def test_no_email_for_a_plan_the_officer_made(self):
        wizard = (
            self.env["collection.plan.wizard"]
            .with_user(self.officer)
            .create(
                {"case_id": self.case.id, "installment_count": 24, "first_date": days_ahead(15)}
            )
        )
        plan = wizard._create_plan()
        plan.action_request_approval()
        plan.with_user(self.manager).action_approve()
        self.assertEqual(plan.state, "draft", "the officer's plan still needs the customer")
        self.assertFalse(self._customer_mails(plan))
        plan.with_user(self.officer).action_activate()
        self.assertFalse(self._customer_mails(plan))

    def test_bad_plans_are_refused_and_nothing_is_written(self):
        portal = self._portal()
        self.assertIn(
            "in the past",
            self.assertRefused(ValidationError, portal._portal_propose_plan, 3, 200, days_ago(1)),
        )
        self.assertRefused(ValidationError, portal._portal_propose_plan, 3, 1000, days_ahead(30))
        self.assertRefused(ValidationError, portal._portal_propose_plan, 3, -10, days_ahead(30))
        self.assertRefused(ValidationError, portal._portal_propose_plan, 0, 200, days_ahead(30))
        self.assertRefused(ValidationError, portal._portal_propose_plan, 2.5, 200, days_ahead(30))
        self.assertIn(
            "too many",
            self.assertRefused(
                ValidationError, portal._portal_propose_plan, 500, 200, days_ahead(30)
            ),
        )
        self.assertRefused(
            ValidationError, portal._portal_propose_plan, 3, 200, days_ahead(30), "daily"
        )
        portal._portal_propose_plan(3, 200, days_ahead(30))
        self.assertIn(
            "already follow a payment plan",
            self.assertRefused(UserError, portal._portal_promise, 100, days_ahead(5)),
        )
        self.assertRefused(UserError, portal._portal_propose_plan, 3, 200, days_ahead(30))

    # ---------------------------------------------------------------- dispute

    def test_a_dispute_with_its_documents(self):
        dispute = self._portal()._portal_dispute(
            self.invoice.id,
            "paid",
            None,
            "Paid on the 3rd",
            [("remittance.pdf", PDF), ("receipt.png", PNG)],
        )
        self.assertEqual(dispute.reason, "already_paid")
        self.assertEqual(dispute.amount, 1000)
        self.assertEqual(dispute.channel, "portal")
        self.assertEqual(dispute.owner_id, self.officer)
        self.assertEqual(dispute.deadline, days_ahead(self.company.collection_dispute_days))
        self.assertEqual(dispute.attachment_count, 2)
        self.assertEqual(len(self._portal_contacts("disputed")), 1)
        self.assertEqual(len(self._officer_todos()), 1)
        self.assertEqual(self.case.disputed_amount, 1000)
        self.assertIn(
            "disputed already",
            self.assertRefused(
                UserError, self._portal()._portal_dispute, self.invoice.id, "price", 1, "", []
            ),
        )

    def test_bad_disputes_are_refused_and_nothing_is_written(self):
        portal = self._portal()
        company_b = self.setup_other_company(name="Company B")["company"]
        invoice_b = self._create_invoice_one_line(
            price_unit=70,
            tax_ids=self.env["account.tax"],
            partner_id=self.customer,
            invoice_date=days_ago(40),
            invoice_date_due=days_ago(40),
            company_id=company_b.id,
            post=True,
        )
        for move in (self.other_invoice, invoice_b, self.not_due.id + 10**6):
            message = self.assertRefused(
                ValidationError,
                portal._portal_dispute,
                getattr(move, "id", move),
                "price",
                10,
                "",
                [],
            )
            self.assertIn("not an open invoice of your account", message)
            self.assertNotIn(self.other_invoice.name, message, "another customer's invoice")
        self.assertRefused(
            ValidationError, portal._portal_dispute, self.invoice.id, "x", 10, "", []
        )
        self.assertRefused(
            ValidationError, portal._portal_dispute, self.invoice.id, "price", 1000.01, "", []
        )
        self.assertRefused(
            ValidationError, portal._portal_dispute, self.invoice.id, "price", 0, "", []
        )
        for name, data in (
            ("invoice.exe", b"MZ\x90\x00" + b"\x00" * 64),
            ("remittance.pdf.exe", PDF),
            ("page.html", b"<html><body>paid</body></html>"),
            ("remittance.pdf", b""),
            ("remittance.pdf", PDF + b"0" * (10 * 1024 * 1024)),
        ):
            with self.subTest(file=name):
                self.assertRefused(
                    ValidationError,
                    portal._portal_dispute,
                    self.invoice.id,
                    "price",
                    10,
                    "",
                    [(name, data)],
                )
        message = self.assertRefused(
            ValidationError,
            portal._portal_dispute,
            self.invoice.id,
            "price",
            10,
            "",
            [(f"page{i}.pdf", PDF) for i in range(6)],
        )
        self.assertIn("at most 5 files", message)

    def test_accepted_documents(self):
        documents = self.case._portal_check_documents(
            [
                ("a.pdf", PDF),
                ("b.PNG", PNG),
                ("c.txt", b"Paid 1,000 on the 3rd\n"),
                ("d.csv", b"a,b\n1,2\n"),
            ]
        )
        self.assertEqual(len(documents), 4)

    # ------------------------------------------------------------ preferences

    def test_the_customer_gives_their_accounts_payable_contact(self):
        self._portal()._portal_update_preferences("Paula Payables", "paula@acme.example", "letter")
        contact = self.customer.collection_contact_id
        self.assertEqual(contact.parent_id, self.customer)
        self.assertEqual(contact.email, "paula@acme.example")
        self.assertEqual(self.customer.collection_channel_preference, "letter")
        self.assertEqual(self.case.followup_partner_id, contact)
        self.assertEqual(len(self._portal_contacts("preferences_updated")), 1)
        # Again: the same contact is updated, not a second one made.
        self._portal()._portal_update_preferences("Paula P.", "paula.p@acme.example", "")
        self.assertEqual(self.customer.collection_contact_id, contact)
        self.assertEqual(contact.name, "Paula P.")
        self.assertFalse(self.customer.collection_channel_preference)

    def test_bad_preferences_are_refused_and_nothing_is_written(self):
        portal = self._portal()
        for email in ("paula", "paula@", "@acme.example", "paula at acme.example"):
            with self.subTest(email=email):
                self.assertIn(
                    "not a valid e-mail address",
                    self.assertRefused(
                        ValidationError, portal._portal_update_preferences, "Paula", email, "email"
                    ),
                )
        self.assertRefused(
            ValidationError, portal._portal_update_preferences, "Paula", "p@acme.example", "fax"
        )

    def test_only_officers_record_the_preference(self):
        clerk = new_test_user(
            self.env, login="co_clerk2", groups="base.group_partner_manager,base.group_user"
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).write({"collection_channel_preference": "letter"})
        self.customer.with_user(self.officer).write({"collection_channel_preference": "letter"})
        self.assertEqual(self.customer.collection_channel_preference, "letter")

    # -------------------------------------------------------------------- pay

    def test_what_the_customer_pays_online(self):
        portal = self._portal()
        amount, invoices, installment = portal._portal_pay_scope("overdue")
        self.assertEqual((amount, invoices), (1000, self.invoice))
        self.assertFalse(installment)
        amount, invoices, _installment = portal._portal_pay_scope(
            "invoices", [self.invoice.id, self.not_due.id]
        )
        self.assertEqual((amount, invoices), (1300, self.invoice | self.not_due))
        for moves in ([self.other_invoice.id], [self.invoice.id, self.other_invoice.id], [], None):
            with self.subTest(moves=moves), self.assertRaises(ValidationError):
                portal._portal_pay_scope("invoices", moves)
        with self.assertRaises(UserError):
            portal._portal_pay_scope("installment")
        with self.assertRaises(ValidationError):
            portal._portal_pay_scope("everything")
        plan = portal._portal_propose_plan(3, 200, days_ahead(30))
        amount, invoices, installment = portal._portal_pay_scope("installment")
        self.assertEqual(amount, 200)
        self.assertTrue(installment.is_down_payment)
        self.assertEqual(invoices, plan.line_ids.move_id)
        self._pay(self.invoice, 200)
        amount, _invoices, installment = portal._portal_pay_scope("installment")
        self.assertEqual(installment, plan.installment_ids.sorted("date")[1])
        self.assertEqual(amount, 266.66)

    def test_money_in_two_currencies_is_paid_one_currency_at_a_time(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        euro_invoice = self._post_invoice(100, due_days_ago=20, currency_id=eur.id)
        with self.assertRaisesRegex(UserError, "different currencies"):
            self._portal()._portal_pay_scope("overdue")
        amount, invoices, _installment = self._portal()._portal_pay_scope(
            "invoices", [euro_invoice.id]
        )
        self.assertEqual((amount, invoices.currency_id), (100, eur))

    # ------------------------------------------------------------------ limits

    def test_the_hourly_limit(self):
        self.company.collection_portal_rate_limit = 2
        portal = self._portal()
        portal._portal_update_preferences("", "", "email")
        portal._portal_update_preferences("", "", "letter")
        self.assertIn(
            "try again later",
            self.assertRefused(UserError, portal._portal_promise, 500, days_ahead(5)),
        )
        with freeze_time(datetime.combine(TODAY, datetime.min.time()) + timedelta(minutes=61)):
            portal._portal_update_preferences("", "", "email")

    def test_a_closed_case_takes_nothing(self):
        self._pay(self.invoice, 1000)
        self._refresh()
        self.assertEqual(self.case.state, "closed")
        self.assertRefused(UserError, self._portal()._portal_promise, 100, days_ahead(5))
        self.assertRefused(UserError, self._portal()._portal_propose_plan, 3, 0, days_ahead(5))

    def test_a_customer_who_asked_us_to_stop_writing_still_acts(self):
        self.customer.collection_cease_communication = True
        promise = self._portal()._portal_promise(500, days_ahead(10))
        self.assertEqual(promise.state, "open")
        promise.action_cancel()
        plan = self._portal()._portal_propose_plan(3, 50, days_ahead(30))
        plan.with_user(self.manager).action_approve()
        self.assertEqual(plan.state, "active")
        self.assertFalse(self._customer_mails(plan), "the guard blocks the e-mail")
        blocked = self.Contact.sudo().search(
            [("case_id", "=", self.case.id), ("outcome", "=", "blocked")]
        )
        self.assertEqual(len(blocked), 1)
        self.assertEqual(blocked.channel, "email")
        self.assertTrue(blocked.blocked_reason)
