import re
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .browser_common import CollectionsBrowserCase

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestCollectionPortalPage(CollectionsBrowserCase):
    """The customer's page of a case, as a browser reaches it: with the signed link
    of the messages or logged in, and refused to anyone else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.case = cls._overdue_case("Portal Debtor", 300, days=40)
        cls.customer = cls.case.partner_id
        cls.first_invoice = cls.case.open_line_ids.move_id
        cls.second_invoice = cls._invoice(cls.customer, 200, days=20)
        cls.other_case = cls._overdue_case("Other Debtor", 999, days=50)
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.company)
        (cls.case | cls.other_case)._portal_grant_link()

    def setUp(self):
        super().setUp()
        # The demo provider takes the payments, in test mode, published, the company's.
        provider = self.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True, "company_id": self.company.id})
        self.env.flush_all()

    @classmethod
    def _invoice(cls, customer, amount, days):
        due = cls._today() - timedelta(days=days)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        return invoice

    # ---------------------------------------------------------------- helpers

    def _link(self, case=None):
        case = case or self.case
        return f"{case.access_url}?access_token={case.access_token}"

    def _open(self, url):
        self.env.flush_all()
        return self.url_open(url)

    def _csrf(self, response):
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _post(self, form, data, files=None, case=None):
        case = case or self.case
        page = self._open(self._link(case))
        data = {"csrf_token": self._csrf(page), "access_token": case.access_token, **data}
        response = self.url_open(f"{case.access_url}/{form}", data=data, files=files)
        self.env.invalidate_all()
        return response

    def _jsonrpc(self, route, params):
        self.env.flush_all()
        response = self.url_open(
            route, json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": params}
        )
        self.env.invalidate_all()
        return response.json()

    def _assert_nothing_of(self, response, case):
        for text in (case.name, case.partner_id.name, *case.open_line_ids.move_id.mapped("name")):
            self.assertNotIn(text, response.text)

    # ------------------------------------------------------------------ page

    def test_page_with_the_link_shows_the_case(self):
        response = self._open(self._link())
        self.assertEqual(response.status_code, 200)
        for text in (self.case.name, "Portal Debtor", self.first_invoice.name):
            self.assertIn(text, response.text)
        self.assertIn(self.second_invoice.name, response.text)
        self.assertIn("300.00", response.text)
        self.assertIn("500.00", response.text, "the total overdue")
        self.assertIn("o_collection_late", response.text, "overdue items stand out")
        self.assertNotIn("Other Debtor", response.text)
        self.assertEqual(self.case.portal_visit_count, 1)
        self.assertTrue(self.case.portal_last_visit)

    def test_short_code_redirects_to_the_signed_link(self):
        response = self._open(f"/pay/{self.case.portal_short_code}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.case.name, response.text)
        self.assertNotIn(self.case.name, self._open("/pay/notacode99").text)

    def test_refused_links_show_nothing_of_the_case(self):
        self.env.flush_all()
        another_token = f"{self.case.access_url}?access_token={self.other_case.access_token}"
        forged_id = (
            f"/my/collections/{self.other_case.id + 1000}?access_token={self.case.access_token}"
        )
        for url in (another_token, forged_id, self.case.access_url):
            with self.subTest(url=url):
                response = self._open(url)
                self._assert_nothing_of(response, self.case)
                self._assert_nothing_of(response, self.other_case)
                self.assertNotIn("expired", response.text)

    def test_expired_link_asks_for_a_new_one(self):
        link = self._link()
        self.case.sudo().portal_link_expiry = fields.Datetime.now() - timedelta(minutes=1)
        response = self._open(link)
        self.assertEqual(response.status_code, 403)
        self.assertIn("This link has expired", response.text)
        self.assertIn(self.company.name, response.text)
        self._assert_nothing_of(response, self.case)

    def test_revoked_link_is_refused(self):
        link = self._link()
        self.case.with_user(
            self._browser_user("portal_revoker", manager=True)
        ).action_portal_revoke()
        response = self._open(link)
        self._assert_nothing_of(response, self.case)
        self.assertNotIn("expired", response.text)
        self.assertIn("This link has expired", self._open(self._link()).text)
        # The next message sent gives the customer the new link.
        self.case._portal_grant_link()
        self.assertIn(self.case.name, self._open(self._link()).text)

    def test_portal_user_sees_only_their_company_cases(self):
        contact = self.env["res.partner"].create(
            {"name": "Payables Clerk", "parent_id": self.customer.id, "email": "ap@debtor.test"}
        )
        portal_user = new_test_user(
            self.env,
            login="portal_debtor",
            password="portal_debtor",
            groups="base.group_portal",
            partner_id=contact.id,
        )
        self.assertEqual(portal_user.partner_id, contact)
        self.authenticate("portal_debtor", "portal_debtor")
        response = self._open("/my/collections")
        self.assertIn(self.case.name, response.text)
        self.assertNotIn(self.other_case.name, response.text)
        self.assertIn(self.first_invoice.name, self._open(self.case.access_url).text)
        self._assert_nothing_of(self._open(self.other_case.access_url), self.other_case)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["collection_count"]})
        self.assertEqual(counters["collection_count"], 1)
        home = self._open("/my/home")
        self.assertIn("/my/collections", home.text)

    # ----------------------------------------------------------------- forms

    def test_promise_good_and_bad(self):
        Promise = self.env["collection.promise"]
        yesterday = fields.Date.to_string(self._today() - timedelta(days=1))
        response = self._post("promise", {"amount": "150", "date": yesterday, "note": "soon"})
        self.assertIn("in the past", response.text)
        self.assertIn('value="150"', response.text, "the values typed are kept")
        self.assertFalse(Promise.search([("case_id", "=", self.case.id)]))
        in_a_week = fields.Date.to_string(self._today() + timedelta(days=7))
        response = self._post("promise", {"amount": "150", "date": in_a_week, "note": ""})
        self.assertIn("your promise to pay is recorded", response.text)
        promise = Promise.search([("case_id", "=", self.case.id)])
        self.assertEqual((promise.amount, promise.channel), (150, "portal"))

    def test_plan_good_and_bad(self):
        Plan = self.env["collection.plan"]
        first = fields.Date.to_string(self._today() + timedelta(days=30))
        bad = {"installment_count": "0", "down_payment": "50", "first_date": first}
        response = self._post("plan", {**bad, "frequency": "monthly"})
        self.assertIn("at least one installment", response.text)
        self.assertFalse(Plan.search([("case_id", "=", self.case.id)]))
        good = {"installment_count": "3", "down_payment": "50", "first_date": first}
        response = self._post("plan", {**good, "frequency": "monthly"})
        self.assertIn("your payment plan proposal is recorded", response.text)
        plan = Plan.search([("case_id", "=", self.case.id)])
        self.assertEqual(
            (plan.state, plan.portal_requested, plan.amount_total), ("active", True, 500)
        )
        self.assertIn("Installments of the payment plan", response.text)

    def test_dispute_good_and_bad(self):
        Dispute = self.env["collection.dispute"]
        values = {"move_id": str(self.first_invoice.id), "reason": "quality", "note": "Broken"}
        files = [("attachments", ("tool.exe", b"MZ\x90\x00binary", "application/octet-stream"))]
        response = self._post("dispute", {**values, "amount": "100"}, files=files)
        self.assertIn("is not a document we accept", response.text)
        self.assertFalse(Dispute.search([("case_id", "=", self.case.id)]))
        other = {**values, "move_id": str(self.other_case.open_line_ids.move_id.id)}
        response = self._post("dispute", {**other, "amount": "100"})
        self.assertIn("not an open invoice of your account", response.text)
        self.assertFalse(Dispute.search([]).filtered(lambda d: d.case_id == self.other_case))
        files = [("attachments", ("proof.pdf", PDF, "application/pdf"))]
        response = self._post("dispute", {**values, "amount": "100"}, files=files)
        self.assertIn("your dispute is recorded", response.text)
        dispute = Dispute.search([("case_id", "=", self.case.id)])
        self.assertEqual((dispute.amount, dispute.reason, dispute.state), (100, "quality", "open"))
        self.assertEqual(dispute.attachment_count, 1)

    def test_preferences_good_and_bad(self):
        data = {"name": "Accounts Payable", "email": "not an address", "channel_preference": ""}
        response = self._post("preferences", data)
        self.assertIn("is not a valid e-mail address", response.text)
        self.assertFalse(self.customer.collection_contact_id)
        data = {**data, "email": "ap@debtor.test", "channel_preference": "letter"}
        response = self._post("preferences", data)
        self.assertIn("your contact details are saved", response.text)
        self.assertEqual(self.customer.collection_contact_id.email, "ap@debtor.test")
        self.assertEqual(self.customer.collection_channel_preference, "letter")

    def test_forms_refuse_a_bad_token(self):
        page = self._open(self._link())
        in_a_week = fields.Date.to_string(self._today() + timedelta(days=7))
        response = self.url_open(
            f"{self.case.access_url}/promise",
            data={
                "csrf_token": self._csrf(page),
                "access_token": self.other_case.access_token,
                "amount": "100",
                "date": in_a_week,
            },
        )
        self._assert_nothing_of(response, self.case)
        self.assertFalse(self.env["collection.promise"].search([("case_id", "=", self.case.id)]))

    # -------------------------------------------------------------- payment

    def test_transaction_amount_is_the_server_one(self):
        provider = self.env.ref("payment.payment_provider_demo")
        method = provider.payment_method_ids[:1]
        params = {
            "access_token": self.case.access_token,
            "provider_id": provider.id,
            "payment_method_id": method.id,
            "token_id": None,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "https://elsewhere.test/",
            "is_validation": False,
        }
        route = f"{self.case.access_url}/transaction/overdue"
        error = self._jsonrpc(route, {**params, "amount": 1.0})["error"]
        self.assertIn("changed since the page was opened", error["data"]["message"])
        refused = {**params, "amount": 500.0, "access_token": self.other_case.access_token}
        error = self._jsonrpc(route, refused)["error"]
        self.assertIn("does not work any more", error["data"]["message"])
        self.assertFalse(
            self.env["payment.transaction"].search([]).invoice_ids & self.first_invoice
        )
        values = self._jsonrpc(route, {**params, "amount": 500.0})["result"]
        tx = self.env["payment.transaction"].search([("reference", "=", values["reference"])])
        self.assertEqual(tx.amount, 500)
        self.assertEqual(tx.invoice_ids, self.first_invoice | self.second_invoice)
        self.assertEqual(tx.landing_route, self._link())
        # Payments started count against the page's hourly limit like any action.
        self.company.collection_portal_rate_limit = 1
        error = self._jsonrpc(route, {**params, "amount": 500.0})["error"]
        self.assertIn("many requests", error["data"]["message"])
        self.assertEqual(self.env["payment.transaction"].search_count([("id", ">", tx.id)]), 0)

    def test_paid_transaction_closes_the_case_and_is_logged_once(self):
        provider = self.env.ref("payment.payment_provider_demo")
        invoices = self.first_invoice | self.second_invoice
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "amount": 500,
                "currency_id": invoices.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "PORTAL-TEST-1",
                "invoice_ids": [Command.set(invoices.ids)],
            }
        )
        tx._set_done()
        tx._post_process()
        tx._post_process()
        self.assertEqual(self.case.state, "closed")
        self.assertTrue(tx.payment_id)
        paid = self.case.contact_ids.filtered(lambda c: c.outcome == "paid")
        self.assertEqual(len(paid), 1)
        self.assertEqual((paid.channel, paid.direction), ("portal", "inbound"))

    def test_a_plan_agreed_after_midnight_counts_its_down_payment_paid_online(self):
        # The company's day is not the server's (chosen again: the class may have been
        # set up before the server's midnight): the plan starts on the company's day, and
        # so is the payment of its down payment dated.
        self.company.collection_timezone = self._zone_on_another_day()
        today = self.company._collection_today()
        self.assertNotEqual(today, fields.Date.today())
        plan = self.case._portal_propose_plan(4, 100, today + timedelta(days=30))
        self.assertEqual((plan.state, plan.date_start), ("active", today))
        due, invoices, installment = self.case._portal_pay_scope("installment")
        self.assertEqual((due, installment.is_down_payment), (100, True))
        provider = self.env.ref("payment.payment_provider_demo")
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "amount": due,
                "currency_id": invoices.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "PORTAL-DOWN-1",
                "invoice_ids": [Command.set(invoices.ids)],
            }
        )
        # Processed by someone whose day is the server's.
        tx = tx.with_context(tz="UTC")
        tx._set_done()
        tx._post_process()
        self.assertEqual(tx.payment_id.date, today)
        plan._invalidate_allocation()
        self.assertEqual((plan.amount_received, installment.state), (100, "paid"))

    def test_a_payment_of_a_customer_without_a_case_keeps_the_date_odoo_gives(self):
        customer = self.env["res.partner"].create({"name": "Prompt Payer", "is_company": True})
        invoice = self._invoice(customer, 80, days=-10)
        self.company.collection_timezone = self._zone_on_another_day()
        provider = self.env.ref("payment.payment_provider_demo")
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "amount": 80,
                "currency_id": invoice.currency_id.id,
                "partner_id": customer.id,
                "reference": "NO-CASE-1",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx = tx.with_context(tz="UTC")
        tx._set_done()
        tx._post_process()
        # Dated as Odoo dates it, on the processing user's day: not a collections matter.
        self.assertEqual(tx.payment_id.date, fields.Date.today())
        self.assertNotEqual(tx.payment_id.date, self.company._collection_today())

    def test_statement_download(self):
        response = self._open(
            f"{self.case.access_url}/statement?access_token={self.case.access_token}"
        )
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertIn("Statement", response.headers["Content-Disposition"])
        # Test mode renders reports as HTML: the statement of this case, no other.
        self.assertIn(self.customer.name.encode(), response.content)
        self.assertNotIn(b"Other Debtor", response.content)
        refused = self._open(
            f"{self.case.access_url}/statement?access_token={self.other_case.access_token}"
        )
        self.assertFalse(refused.content.startswith(b"%PDF"))

    # ----------------------------------------------------------------- tours

    def test_tour_pay_two_invoices(self):
        self.start_tour(self._link(), "collections_portal_pay")
        self.assertEqual(self.case.state, "closed")
        self.assertEqual(
            self.case.contact_ids.filtered(lambda c: c.outcome == "paid").channel, "portal"
        )

    def test_tour_plan_and_first_installment(self):
        self.start_tour(self._link(), "collections_portal_plan")
        plan = self.env["collection.plan"].search([("case_id", "=", self.case.id)])
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.installment_ids[:1].state, "paid")

    def test_tour_dispute(self):
        self.start_tour(self._link(), "collections_portal_dispute")
        dispute = self.env["collection.dispute"].search([("case_id", "=", self.case.id)])
        self.assertEqual((dispute.move_id, dispute.reason), (self.first_invoice, "quality"))

    def test_a_french_customer_reads_the_page_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["collections_officer"], ["fr_FR"])
        self.customer.lang = "fr_FR"
        response = self._open(self._link())
        self.assertEqual(response.status_code, 200)
        for french in ("Ce que vous devez aujourd'hui", "Payer en ligne", "Contester une facture"):
            self.assertIn(french, response.text.replace("&#39;", "'"))
        for english in ("What you owe today", "Pay online", "Dispute an invoice"):
            self.assertNotIn(english, response.text)
        # Amounts are written the French way.
        self.assertIn("500,00", response.text)


@tagged("post_install", "-at_install")
class TestCollectionPortalPagePhone(CollectionsBrowserCase):
    """The page on a phone, 390 px wide: nothing wider than the screen, every field
    named for a screen reader."""

    browser_size = "390x844"

    def test_the_page_fits_a_phone_and_names_its_fields(self):
        case = self._overdue_case("Phone Debtor", 1234.56, days=40)
        case._portal_grant_link()
        self.env.flush_all()
        check = """
            const overflow = document.documentElement.scrollWidth - window.innerWidth;
            const unnamed = [...document.querySelectorAll("input, select, textarea")]
                .filter((el) => el.type !== "hidden" && !el.labels?.length
                    && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
                .map((el) => el.name);
            const headings = [...document.querySelectorAll("main h1, main h2, main h3")]
                .map((h) => Number(h.tagName[1]));
            const skipped = headings.some((level, i) => i && level > headings[i - 1] + 1);
            if (overflow > 0) {
                console.error(`the page is ${overflow} px wider than the phone`);
            } else if (unnamed.length) {
                console.error(`fields without a label: ${unnamed.join(", ")}`);
            } else if (!headings.length || headings[0] !== 1 || skipped) {
                console.error(`headings out of order: ${headings.join(" ")}`);
            } else {
                console.log("test successful");
            }
        """
        self.browser_js(
            f"{case.access_url}?access_token={case.access_token}",
            check,
            ready="document.readyState === 'complete'",
        )
