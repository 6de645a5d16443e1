from datetime import date, datetime

from lxml import html

from odoo import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon

MAY = date(2026, 5, 1)
JUNE = date(2026, 6, 1)


def _text(element):
    return " ".join("".join(element.itertext()).replace("\xa0", " ").split())


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionKpiPortal(CollectionsCommon):
    """What the customer page brings, on a small book computed by hand.

    The company's day is Brussels' (UTC+2 in summer). Both customers are in
    collection since April and were reminded by letter on 8 May and 3 June.

    Acme (the officer's case) used the page and paid online:
      I1  1,000  invoiced 1 April, due 1 May, paid online on 10 June (visited the
                 page that day, 00:30 in Brussels: still 9 June in UTC)
      I3    300  invoiced 1 April, due 1 May, 200 paid online on 20 May
    Globex (another officer's case) paid by bank:
      I2    500  invoiced 1 April, due 1 May, paid by bank transfer on 20 June
    Company B, Acme's case there: 700 invoiced 1 April, paid online on 15 June.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_timezone = "Europe/Brussels"
        cls.officer_2 = new_test_user(
            cls.env,
            login="co_portal_officer_2",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company_b.collection_timezone = "Europe/Brussels"
        cls.provider = cls._online_provider(cls.company, cls.bank_journal, first=True)
        cls.provider_b = cls._online_provider(
            cls.company_b,
            cls.env["account.journal"].search(
                [("company_id", "=", cls.company_b.id), ("type", "=", "bank")], limit=1
            ),
        )
        april = date(2026, 4, 1)
        cls.inv_1 = cls._invoice(1000, april)
        cls.inv_3 = cls._invoice(300, april)
        cls.inv_2 = cls._invoice(500, april, partner=cls.other_customer)
        cls.inv_b = cls._invoice(700, april, company=cls.company_b)
        cls.Case._refresh_from_accounting(companies=cls.company | cls.company_b)
        cls.case = cls._case_of(cls.customer, cls.company)
        cls.other_case = cls._case_of(cls.other_customer, cls.company)
        cls.case_b = cls._case_of(cls.customer, cls.company_b)
        cls.case.sudo().write({"user_id": cls.officer.id, "opened_date": april})
        cls.other_case.sudo().write({"user_id": cls.officer_2.id, "opened_date": april})
        cls.case_b.sudo().write({"opened_date": april})
        cls.levels = cls._levels(cls.company)
        for case in (cls.case, cls.other_case):
            cls._followup(case, cls.levels[0], date(2026, 5, 8))
            cls._followup(case, cls.levels[1], date(2026, 6, 3))
        cls._pay_online(cls.inv_3, 200, date(2026, 5, 20), cls.provider)
        cls._log_portal(cls.case, datetime(2026, 5, 20, 8))
        cls._pay_online(cls.inv_1, 1000, date(2026, 6, 10), cls.provider)
        cls._log_portal(cls.case, datetime(2026, 6, 10, 8))
        cls.case.sudo().write(
            {"portal_last_visit": datetime(2026, 6, 9, 22, 30), "portal_visit_count": 3}
        )
        cls._register_payment(cls.inv_2, amount=500, payment_date=date(2026, 6, 20))
        cls._pay_online(cls.inv_b, 700, date(2026, 6, 15), cls.provider_b)
        cls.Kpi = cls.env["collection.kpi"]

    # ------------------------------------------------------------ the book

    @classmethod
    def _invoice(cls, amount, invoice_date, partner=None, company=None):
        return cls._create_invoice_one_line(
            price_unit=amount,
            tax_ids=cls.env["account.tax"],
            partner_id=partner or cls.customer,
            invoice_date=invoice_date,
            invoice_date_due=date(2026, 5, 1),
            company_id=(company or cls.company).id,
            post=True,
        )

    @classmethod
    def _case_of(cls, partner, company):
        case = cls.Case.search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
        assert len(case) == 1, (partner.name, company.name)
        return case

    @classmethod
    def _online_provider(cls, company, journal, first=False):
        """A payment provider of the company paying into its bank journal."""
        unknown = cls.env.ref("payment.payment_method_unknown").with_context(active_test=False)
        provider = cls.env["payment.provider"].create(
            {
                "name": f"Online payments {company.name}",
                "code": "none",
                "state": "test",
                "company_id": company.id,
                "payment_method_ids": [Command.set(unknown.ids)],
            }
        )
        # A payment method is enabled once a provider offers it.
        unknown.active = True
        if first:
            cls._create_dummy_payment_method_for_provider(provider, journal)
        else:
            with cls.mocked_get_payment_method_information(cls, "none"):
                provider.journal_id = journal
        return provider

    @classmethod
    def _pay_online(cls, invoice, amount, day, provider):
        """The customer pays the invoice online: a transaction done, its payment
        posted and matched with the invoice, as the payment provider's return does."""
        transaction = (
            cls.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "reference": f"{invoice.name}-{day}",
                    "operation": "online_redirect",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        )
        transaction._set_done()
        payment = transaction._create_payment(date=day)
        assert payment.state in ("in_process", "paid"), payment.state
        return payment

    @classmethod
    def _levels(cls, company):
        policy = cls.env["collection.policy"].create({"name": "Letters", "company_id": company.id})
        return cls.env["collection.level"].create(
            [
                {
                    "name": name,
                    "policy_id": policy.id,
                    "delay_days": delay,
                    "print_letter": True,
                    "letter_title": name,
                }
                for name, delay in (("Reminder", 7), ("Second", 21), ("Third", 35))
            ]
        )

    @classmethod
    def _followup(cls, case, level, day, done_actions="letter"):
        """A follow-up that went out, as the run records it."""
        return (
            cls.env["collection.followup"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "level_id": level.id,
                    "date": day,
                    "state": "done",
                    "done_actions": done_actions,
                }
            )
        )

    @classmethod
    def _log_portal(cls, case, when, outcome="paid"):
        """An action of the customer on the page, as the page logs it."""
        return (
            cls.env["collection.contact"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "channel": "portal",
                    "direction": "inbound",
                    "outcome": outcome,
                    "date": when,
                }
            )
        )

    def _kpis(self, month, user=None, company=None):
        return self.Kpi._kpis([self.Kpi._scope(company or self.company, month, user)])[0]

    def _portal(self, kpis):
        return {
            key: kpis[key]
            for key in (
                "portal_cases",
                "reminded_cases",
                "portal_case_share",
                "paid_online",
                "paid_online_share",
                "portal_payment_days",
                "portal_paid_invoices",
                "other_payment_days",
                "other_paid_invoices",
            )
        }

    # --------------------------------------------------------------- KPIs

    def test_the_company_in_june(self):
        kpis = self._kpis(JUNE)
        # I1 online and I2 by bank: Company B's 700 and May's 200 are not June's.
        self.assertEqual(kpis["collected"], 1500.0)
        self.assertEqual(
            self._portal(kpis),
            {
                # Acme visited and paid on the page; both were reminded on 3 June.
                "portal_cases": 1,
                "reminded_cases": 2,
                "portal_case_share": 50.0,
                "paid_online": 1000.0,
                "paid_online_share": 1000 / 1500 * 100,
                # I1: reminded 8 May, paid 10 June (23 + 10 days), online.
                "portal_payment_days": 33.0,
                "portal_paid_invoices": 1,
                # I2: reminded 8 May, paid 20 June (23 + 20 days), by bank, no visit.
                "other_payment_days": 43.0,
                "other_paid_invoices": 1,
            },
        )

    def test_the_company_in_may(self):
        self.assertEqual(
            self._portal(self._kpis(MAY)),
            {
                # Acme paid 200 of I3 on the page on 20 May; both reminded on 8 May.
                "portal_cases": 1,
                "reminded_cases": 2,
                "portal_case_share": 50.0,
                "paid_online": 200.0,
                "paid_online_share": 100.0,
                # No invoice paid in full in May: nothing to measure.
                "portal_payment_days": None,
                "portal_paid_invoices": 0,
                "other_payment_days": None,
                "other_paid_invoices": 0,
            },
        )

    def test_each_officer_sees_their_own_customers(self):
        own = self.Kpi.with_user(self.officer)
        kpis = own._kpis([own._scope(self.company, JUNE, self.officer)])[0]
        self.assertEqual(
            self._portal(kpis),
            {
                "portal_cases": 1,
                "reminded_cases": 1,
                "portal_case_share": 100.0,
                "paid_online": 1000.0,
                "paid_online_share": 100.0,
                "portal_payment_days": 33.0,
                "portal_paid_invoices": 1,
                "other_payment_days": None,
                "other_paid_invoices": 0,
            },
        )
        kpis = self._kpis(JUNE, user=self.officer_2)
        self.assertEqual(
            self._portal(kpis),
            {
                "portal_cases": 0,
                "reminded_cases": 1,
                "portal_case_share": 0.0,
                "paid_online": 0.0,
                "paid_online_share": 0.0,
                "portal_payment_days": None,
                "portal_paid_invoices": 0,
                "other_payment_days": 43.0,
                "other_paid_invoices": 1,
            },
        )

    def test_another_company_counts_its_own_online_money(self):
        kpis = self._kpis(JUNE, company=self.company_b)
        self.assertEqual(kpis["paid_online"], 700.0)
        self.assertEqual(kpis["paid_online_share"], 100.0)
        # Nobody was reminded there, nor used the page: nothing to measure.
        self.assertEqual(kpis["portal_cases"], 0)
        self.assertIsNone(kpis["portal_case_share"])
        self.assertIsNone(kpis["portal_payment_days"])
        self.assertIsNone(kpis["other_payment_days"])

    def test_a_visit_counts_on_the_companys_day_and_only_before_paying(self):
        # 22:30 UTC on 31 May is 00:30 on 1 June in Brussels: a June visit, before
        # Globex paid I2 on 20 June.
        self.other_case.sudo().portal_last_visit = datetime(2026, 5, 31, 22, 30)
        june = self._portal(self._kpis(JUNE))
        self.assertEqual((june["portal_cases"], june["portal_case_share"]), (2, 100.0))
        self.assertEqual((june["portal_payment_days"], june["portal_paid_invoices"]), (38.0, 2))
        self.assertEqual((june["other_payment_days"], june["other_paid_invoices"]), (None, 0))
        self.assertEqual(self._kpis(MAY)["portal_cases"], 1)
        # A visit after paying by bank: the page did not bring that payment.
        self.other_case.sudo().portal_last_visit = datetime(2026, 6, 25, 9)
        june = self._portal(self._kpis(JUNE))
        self.assertEqual(june["portal_cases"], 2)
        self.assertEqual((june["portal_payment_days"], june["other_payment_days"]), (33.0, 43.0))

    def test_only_a_message_to_the_customer_is_a_reminder(self):
        # Globex's June follow-up only planned a call: the customer was not reminded.
        self.other_case.followup_ids.filtered(lambda f: f.date == date(2026, 6, 3)).sudo().write(
            {"done_actions": "call"}
        )
        june = self._portal(self._kpis(JUNE))
        self.assertEqual((june["reminded_cases"], june["portal_case_share"]), (1, 100.0))
        # Nor did it cover I2: the first reminder is still 8 May's.
        self.assertEqual(june["other_payment_days"], 43.0)
        # An invoice no reminder covered is not measured.
        self.other_case.followup_ids.sudo().write({"state": "failed"})
        june = self._portal(self._kpis(JUNE))
        self.assertEqual((june["other_payment_days"], june["other_paid_invoices"]), (None, 0))

    def test_many_scopes_cost_what_one_costs(self):
        Kpi = self.Kpi.sudo()
        one = [Kpi._scope(self.company, JUNE, self.officer)]
        many = [
            Kpi._scope(company, month, user)
            for company in (self.company, self.company_b)
            for month in (MAY, JUNE)
            for user in (None, self.officer, self.officer_2)
        ]
        counts = []
        for scopes in (one, one, many):
            cases = Kpi._scope_cases(scopes)
            collected = Kpi._collected(scopes, cases)[0]
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Kpi._portal_kpis(scopes, cases, collected)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[2], counts[1], "a query per KPI, not per scope")

    # ---------------------------------------------------------- dashboard

    def test_the_officers_dashboard_has_a_customer_page_section(self):
        Card = self.env["collection.kpi.card"].with_user(self.officer)
        action = Card.action_open_dashboard()
        cards = Card.search([("owner", "=", self.officer.name)])
        figures = {
            card.kpi: (
                card.value if card.has_value else None,
                card.last_value if card.has_last_value else None,
            )
            for card in cards.filtered(lambda card: card.section == "portal")
        }
        self.assertEqual(
            figures,
            {
                "portal_cases": (1.0, 1.0),
                "portal_case_share": (100.0, 100.0),
                "paid_online": (1000.0, 200.0),
                "paid_online_share": (100.0, 100.0),
                "portal_payment_days": (33.0, None),
                "other_payment_days": (None, None),
            },
        )
        board = self.env["collection.kpi.board"].with_user(self.officer).search(action["domain"])
        report = html.fromstring(board.report)
        [section] = report.xpath("//section[@data-section='portal']")
        self.assertEqual(_text(section.xpath("h5")[0]), "Customer Page")
        rows = {row.get("data-kpi"): row for row in section.xpath(".//tr[@data-kpi]")}
        self.assertEqual(
            list(rows),
            [
                "portal_cases",
                "portal_case_share",
                "paid_online",
                "paid_online_share",
                "portal_payment_days",
            ],
        )
        paid = rows["paid_online"]
        self.assertEqual(_text(paid.xpath(".//td[hasclass('o_kpi_value')]")[0]), "$ 1,000.00")
        self.assertEqual(_text(paid.xpath(".//td[hasclass('o_kpi_last_value')]")[0]), "$ 200.00")
        # May had no invoice paid in full: the month says why, not a dash.
        days = rows["portal_payment_days"]
        self.assertEqual(_text(days.xpath(".//td[hasclass('o_kpi_value')]")[0]), "33.00")
        self.assertEqual(
            _text(days.xpath(".//td[hasclass('o_kpi_last_value')]")[0]),
            "no reminded invoice paid in the month by a customer who used the page",
        )
        self.assertIn(
            "Reminder to Payment, Page Not Used (days) (no reminded invoice paid in the month "
            "by a customer who did not use the page)",
            _text(section.xpath(".//p[hasclass('o_kpi_unmeasured')]")[0]),
        )
