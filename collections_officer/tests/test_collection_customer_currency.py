import re
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.addons.collections_officer.models.collection_ledger import CollectionLedger
from odoo.tests import Form, freeze_time, tagged
from odoo.tools import format_amount

from .common import TODAY
from .test_collection_followup import FollowupCommon

LETTER = "collections_officer.action_report_collection_letter"
STATEMENT = "collections_officer.action_report_collection_statement"
NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


def plain(text):
    """``text`` with its non-breaking and narrow spaces as plain spaces."""
    return (
        str(text)
        .replace("&nbsp;", " ")
        .replace("\N{NO-BREAK SPACE}", " ")
        .replace("\N{NARROW NO-BREAK SPACE}", " ")
        .replace("\N{ZERO WIDTH NO-BREAK SPACE}", "")
    )


def words(html):
    """The text of ``html``, its tags removed and its spaces collapsed."""
    return " ".join(re.sub("<[^>]+>", " ", html).split())


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionCustomerCurrency(FollowupCommon):
    """A company in pounds whose customers are invoiced in euros and dollars: what
    the customer is told they owe is in their invoices' currencies, never the
    pounds the company books them at."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        return super().setup_independent_company(
            currency_id=cls._enable_currency("GBP").id, **kwargs
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # €1,000 are booked as £860.00, $250 as £200.00.
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 1 / 0.86)])
        cls.usd = cls.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        cls.level_1.write(
            {
                "mail_template_id": cls.env.ref(
                    "collections_officer.mail_template_collection_reminder"
                ).id,
                "attach_statement": False,
            }
        )
        cls.level_3.sms_template_id = cls.env.ref(
            "collections_officer.sms_template_collection_reminder"
        )

    def _open_case(self, partner=None):
        self._refresh()
        case = self._case(partner)
        case.write({"user_id": self.officer.id, "team_id": self.team.id})
        return case

    def _followup(self, case, level):
        return (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": case.id, "level_id": level.id})
        )

    def _render(self, xmlid, case):
        template = self.env.ref(xmlid)
        return plain(template._render_field("body_html", case.ids, compute_lang=True)[case.id])

    def _html(self, report, records):
        return plain(
            self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0].decode()
        )

    def test_the_level_email_states_the_invoice_currency(self):
        self._post_invoice(1000, due_days_ago=10, currency_id=self.eur.id)
        case = self._open_case()
        self.assertEqual(self.company.currency_id.name, "GBP")
        self.assertEqual(case.overdue_amount, 860.0, "the desk counts it in pounds")
        self._run(case)
        email = self._emails(case)
        self.assertEqual(len(email), 1)
        body = plain(email.body)
        self.assertIn("Overdue: <strong>1,000.00 €</strong>", body)
        self.assertNotIn("860.00", body)  # an amount: the link's random token may hold "860"
        self.assertNotIn("£", body)

    def test_the_sms_states_the_invoice_currency(self):
        self._post_invoice(1000, due_days_ago=40, currency_id=self.eur.id)
        case = self._open_case()
        self._followup(case, self.level_3)._action_sms()
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("1,000.00 € is overdue on your account", plain(sms.body))
        self.assertNotIn("860.00", sms.body)

    def test_the_letter_states_the_invoice_currency(self):
        invoice = self._post_invoice(1000, due_days_ago=40, currency_id=self.eur.id)
        case = self._open_case()
        html = self._html(LETTER, self._followup(case, self.level_3))
        self.assertIn(invoice.name, html)
        self.assertIn("Total due 1,000.00 € Overdue 1,000.00 €", words(html))
        self.assertNotIn("860.00", html, "no figure in pounds, on a line or in the totals")
        self.assertNotIn("£", html)

    def test_the_statement_totals_one_figure_per_currency(self):
        self._post_invoice(1000, due_days_ago=40, currency_id=self.eur.id)
        self._post_invoice(250, due_days_ago=10, currency_id=self.usd.id)
        self._post_invoice(400, due_days_ago=-5, currency_id=self.usd.id)
        case = self._open_case()
        self.assertEqual(case.total_due, 1380.0, "860 + 200 + 320 in pounds")
        html = self._html(STATEMENT, case)
        totals = html[html.index('name="total_due"') :]
        totals = words(totals[: totals.index("</td>")])
        self.assertEqual(totals, 'name="total_due"> 1,000.00 € $ 650.00')
        overdue = html[html.index('name="overdue"') :]
        overdue = words(overdue[: overdue.index("</td>")])
        self.assertEqual(
            overdue, 'name="overdue"> 1,000.00 € $ 250.00', "the dollars not yet due are not"
        )
        aging = words(html[html.index("<h5>Aging</h5>") :])
        self.assertIn(
            "0.00 € 0.00 € 1,000.00 € 0.00 € 0.00 € 0.00 €"
            " $ 400.00 $ 250.00 $ 0.00 $ 0.00 $ 0.00 $ 0.00",
            aging,
            "a row per currency",
        )
        for pounds in ("1,380.00", "1,060.00", "860.00", "£"):
            self.assertNotIn(pounds, html)

    def test_two_currencies_read_as_two_figures(self):
        self._post_invoice(1000, due_days_ago=10, currency_id=self.eur.id)
        self._post_invoice(250, due_days_ago=10, currency_id=self.usd.id)
        case = self._open_case()
        self.assertEqual(case.overdue_amount, 1060.0)
        self.assertEqual(case._customer_amount_text("overdue"), "1,000.00\xa0€ and $\xa0250.00")
        self._run(case)
        body = plain(self._emails(case).body)
        self.assertIn("Overdue: <strong>1,000.00 € and $ 250.00</strong>", body)
        self.assertNotIn("1,060.00", body)
        self._followup(case, self.level_3)._action_sms()
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertIn("1,000.00 € and $ 250.00 is overdue", plain(sms.body))

    def test_a_company_currency_customer_reads_what_they_read_before(self):
        self._post_invoice(500, due_days_ago=10)
        case = self._open_case()
        before = plain(format_amount(self.env, case.overdue_amount, case.currency_id))
        self.assertEqual(before, "£ 500.00")
        self._run(case)
        self.assertIn(f"Overdue: <strong>{before}</strong>", plain(self._emails(case).body))
        self._followup(case, self.level_3)._action_sms()
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertIn(f"{before} is overdue", plain(sms.body))

    def test_the_amount_speaks_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self._post_invoice(1000, due_days_ago=10, currency_id=self.eur.id)
        self._post_invoice(250, due_days_ago=10, currency_id=self.usd.id)
        case = self._open_case()
        self.assertEqual(plain(case._customer_amount_text("overdue")), "1 000,00 € et $ 250,00")
        self._run(case)
        self.assertIn("1 000,00 € et $ 250,00", plain(self._emails(case).body))

    def test_the_amounts_set_apart_as_the_case_does(self):
        """Disputed parts and invoices not yet due are not overdue; an unapplied credit in
        another currency is deducted in words, never converted."""
        disputed = self._post_invoice(1000, due_days_ago=10, currency_id=self.eur.id)
        self._post_invoice(200, due_days_ago=-5, currency_id=self.eur.id)
        case = self._open_case()
        self.env["collection.dispute"].with_user(self.officer).create(
            {"case_id": case.id, "move_id": disputed.id, "amount": 300}
        )
        self.assertEqual(case.overdue_amount, 602.0, "€700 at 0.86")
        self.assertEqual(case._customer_amount_text("overdue"), "700.00\xa0€")
        self.assertEqual(case._customer_amount_text("total"), "1,200.00\xa0€")
        self.assertEqual(case._customer_amount_text("not_due"), "200.00\xa0€")
        self._receive_unallocated(100, days_ago_paid=3)
        self._refresh()
        self.assertEqual(
            plain(case._customer_amount_text("overdue")), "700.00 €, less £ 100.00 in your favour"
        )
        upcoming = self._render("collections_officer.mail_template_collection_upcoming", case)
        self.assertIn("Coming due: <strong>200.00 €</strong>", upcoming)
        statement = self._render("collections_officer.mail_template_collection_statement", case)
        self.assertIn("Total due: <strong>1,200.00 €, less £ 100.00 in your favour", statement)

    def test_send_statement_states_the_invoice_currency(self):
        self._post_invoice(1000, due_days_ago=10, currency_id=self.eur.id)
        case = self._open_case()
        form = Form(
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(
                active_model="collection.case",
                active_ids=case.ids,
                default_case_ids=case.ids,
                default_mode="statement",
            )
        )
        body = plain(form.mail_body)
        self.assertIn("Total due: <strong>1,000.00 €</strong>", body)
        self.assertIn("of which <strong>1,000.00 €</strong> is overdue", body)
        self.assertNotIn("860.00", body)  # an amount: the link's random token may hold "860"

    def test_one_read_of_accounting_for_all_the_cases(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Customer {n}", "email": f"c{n}@example.com"} for n in range(1, 4)]
        )
        for number, customer in enumerate(customers, start=1):
            self._post_invoice(100 * number, 10, partner=customer, currency_id=self.eur.id)
        self._refresh()
        cases = self.Case.search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(cases), 3)
        self.env.invalidate_all()
        template = self.env.ref("collections_officer.mail_template_collection_reminder")
        original = CollectionLedger._fetch_figures_by_currency
        with patch.object(
            CollectionLedger, "_fetch_figures_by_currency", autospec=True, side_effect=original
        ) as fetch:
            bodies = template.with_context(collection_render_batch=True)._generate_template(
                cases.ids, ("body_html",)
            )
        self.assertEqual(fetch.call_count, 1, "one query for the batch, not one per case")
        for number, customer in enumerate(customers, start=1):
            case = cases.filtered(lambda c, customer=customer: c.partner_id == customer)
            self.assertIn(
                f"Overdue: <strong>{100 * number}.00 €</strong>",
                plain(bodies[case.id]["body_html"]),
            )
