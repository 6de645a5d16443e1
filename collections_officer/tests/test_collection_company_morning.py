from datetime import date, datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import CollectionsCommon

REFRESH = "collections_officer.ir_cron_collection_case_refresh"
JUDGE = "collections_officer.ir_cron_collection_commitment_judge"
RUN = "collections_officer.ir_cron_collection_followup_run"
DEFERRED = "collections_officer.ir_cron_collection_followup_deferred"
# 14:00 UTC on Tuesday 30 June 2026: 07:00 in Los Angeles, 15:00 in London and
# 02:00 on Wednesday 1 July in Auckland. The night that follows is every company's.
START = datetime(2026, 6, 30, 14, 0)
# Each company's Wednesday 1 July starts at 06:00 local: the UTC hour it comes.
MORNINGS = {
    "Pacific/Auckland": datetime(2026, 6, 30, 18, 0),
    "Europe/London": datetime(2026, 7, 1, 5, 0),
    "America/Los_Angeles": datetime(2026, 7, 1, 13, 0),
}
# 08:00 local on 1 July, when the e-mail window opens for a customer in that timezone.
EMAIL_OPENINGS = {
    "Pacific/Auckland": datetime(2026, 6, 30, 20, 0),
    "Europe/London": datetime(2026, 7, 1, 7, 0),
    "America/Los_Angeles": datetime(2026, 7, 1, 15, 0),
}
DUE = date(2026, 6, 20)


@tagged("post_install", "-at_install")
class TestCollectionCompanyMorning(CollectionsCommon):
    """Three companies on the same UTC night: each one's work runs in its own morning,
    on its own day, once; its e-mails leave inside the window of the customer's timezone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Morning reminder",
                "model_id": cls.env["ir.model"]._get_id("collection.case"),
                "subject": "Reminder {{ object.name }}",
                "body_html": "<p>You owe <t t-out='object.overdue_amount'/>.</p>",
            }
        )
        cls.companies = {}
        cls.customers = {}
        with freeze_time(START):
            for tz in MORNINGS:
                company = cls.setup_other_company(name=f"Company {tz}")["company"]
                policy = cls.env["collection.policy"].create(
                    {"name": f"Policy {tz}", "company_id": company.id}
                )
                cls.env["collection.level"].create(
                    {
                        "name": "Reminder",
                        "policy_id": policy.id,
                        "delay_days": 7,
                        "send_email": True,
                        "mail_template_id": cls.template.id,
                    }
                )
                company.write(
                    {
                        "collection_timezone": tz,
                        "collection_policy_id": policy.id,
                        "collection_followup_live": True,
                        "collection_contact_days": "all",
                    }
                )
                customer = cls.env["res.partner"].create(
                    {"name": f"Debtor {tz}", "email": "debtor@example.com", "tz": tz}
                )
                cls._create_invoice_one_line(
                    price_unit=500,
                    tax_ids=cls.env["account.tax"],
                    partner_id=customer,
                    invoice_date=DUE,
                    invoice_date_due=DUE,
                    company_id=company.id,
                    post=True,
                )
                cls.companies[tz] = company
                cls.customers[tz] = customer

    def _call(self, xmlid, method, at):
        """One call of the scheduled action at ``at`` (naive UTC), as the scheduler makes it."""
        model = self.env.ref(xmlid).model_id.model
        self.env.flush_all()
        with freeze_time(at), self._cron_call(xmlid) as (env, _progress):
            getattr(env[model], method)()

    def _hour(self, at):
        self._call(REFRESH, "_cron_refresh_cases", at)
        self._call(JUDGE, "_cron_judge", at)
        self._call(RUN, "_cron_run_followup", at)
        self._call(DEFERRED, "_cron_send_deferred", at)
        self.env.invalidate_all()

    def _state(self):
        return {
            tz: (
                company.collection_refreshed_day,
                company.collection_judged_day,
                company.collection_run_day,
            )
            for tz, company in self.companies.items()
        }

    def _case_of(self, tz):
        return self._case(self.customers[tz], self.companies[tz])

    def _followups(self, tz):
        return self.env["collection.followup"].search([("company_id", "=", self.companies[tz].id)])

    def _emails(self, tz):
        return self._case_of(tz).message_ids.filtered(
            lambda m: m.message_type == "comment" and m.partner_ids
        )

    def test_each_company_is_worked_once_in_its_own_morning(self):
        # Tuesday's work of every company was done (in Auckland, it is already
        # Wednesday, before 06:00): each waits for its Wednesday morning.
        for company in self.companies.values():
            day = date(2026, 6, 30)
            company.write(
                {
                    "collection_refreshed_day": day,
                    "collection_judged_day": day,
                    "collection_run_day": day,
                }
            )
        changed, sent = {}, {}
        before = self._state()
        for hour in range(27):
            at = START + timedelta(hours=hour)
            self._hour(at)
            # Called again within the hour: nothing is done twice.
            self._hour(at + timedelta(minutes=20))
            after = self._state()
            for tz in self.companies:
                if after[tz] != before[tz]:
                    changed.setdefault(tz, []).append(at)
                if self._emails(tz) and tz not in sent:
                    sent[tz] = at
            before = after
        wednesday = date(2026, 7, 1)
        for tz, morning in MORNINGS.items():
            with self.subTest(tz=tz):
                self.assertEqual(changed[tz], [morning], "worked once, at 06:00 local")
                self.assertEqual(before[tz], (wednesday, wednesday, wednesday))
                run = self.env["collection.run"].search(
                    [("company_id", "=", self.companies[tz].id)]
                )
                self.assertEqual(run.date, wednesday, "the run of the company's own day")
                self.assertFalse(run.dry_run)
                followup = self._followups(tz)
                self.assertEqual(len(followup), 1)
                self.assertEqual(followup.state, "done")
                # Due on 20 June: 11 days overdue on Wednesday 1 July, local.
                self.assertEqual(followup.days_overdue, 11)
                self.assertEqual(self._case_of(tz).opened_date, wednesday)
                self.assertEqual(len(self._emails(tz)), 1, "sent once")
                self.assertEqual(sent[tz], EMAIL_OPENINGS[tz], "at 08:00 local, not at 06:00")

    def test_a_company_not_refreshed_today_is_neither_judged_nor_run(self):
        company = self.companies["Europe/London"]
        morning = MORNINGS["Europe/London"] + timedelta(hours=3)
        self._call(JUDGE, "_cron_judge", morning)
        self._call(RUN, "_cron_run_followup", morning)
        self.env.invalidate_all()
        self.assertFalse(company.collection_judged_day)
        self.assertFalse(company.collection_run_day)
        self.assertFalse(self._followups("Europe/London"))
        self._call(REFRESH, "_cron_refresh_cases", morning)
        self._call(JUDGE, "_cron_judge", morning)
        self._call(RUN, "_cron_run_followup", morning)
        self.env.invalidate_all()
        self.assertEqual(company.collection_run_day, date(2026, 7, 1))
        self.assertTrue(self._followups("Europe/London"))

    def test_an_email_at_night_for_the_customer_waits_for_their_window(self):
        # A London company's customer in Los Angeles: its run at 11:00 in London is
        # 03:00 there; the e-mail leaves at 08:00 in Los Angeles (15:00 UTC).
        company = self.companies["Europe/London"]
        customer = self.customers["Europe/London"]
        customer.tz = "America/Los_Angeles"
        company.collection_day_start_hour = 11.0
        at = datetime(2026, 7, 1, 10, 0)
        self._hour(at)
        followup = self._followups("Europe/London")
        self.assertEqual(followup.run_id.date, date(2026, 7, 1))
        self.assertEqual(followup.state, "pending")
        self.assertEqual(followup.defer_until, datetime(2026, 7, 1, 15, 0))
        self.assertFalse(self._emails("Europe/London"))
        self._call(DEFERRED, "_cron_send_deferred", datetime(2026, 7, 1, 14, 30))
        self.assertEqual(followup.state, "pending", "not before 08:00 in Los Angeles")
        self._call(DEFERRED, "_cron_send_deferred", datetime(2026, 7, 1, 15, 0))
        self.env.invalidate_all()
        self.assertEqual(followup.state, "done")
        self.assertEqual(len(self._emails("Europe/London")), 1)
        self._call(DEFERRED, "_cron_send_deferred", datetime(2026, 7, 1, 16, 0))
        self.assertEqual(len(self._emails("Europe/London")), 1, "sent once")

    def test_email_hours_and_day_start_are_validated(self):
        company = self.companies["Europe/London"]
        with self.assertRaisesRegex(ValidationError, "end before they start"):
            company.write({"collection_email_hour_start": 20.0, "collection_email_hour_end": 8.0})
        with self.assertRaisesRegex(ValidationError, "between 0:00 and 24:00"):
            company.collection_email_hour_end = 25.0
        with self.assertRaisesRegex(ValidationError, "must start between"):
            company.collection_day_start_hour = 24.0

    def test_the_settings_show_the_collections_day_and_email_hours(self):
        company = self.companies["Europe/London"]
        settings = self.env["res.config.settings"].with_company(company).create({})
        self.assertEqual(settings.collection_timezone, "Europe/London")
        self.assertEqual(settings.collection_day_start_hour, 6.0)
        self.assertEqual(
            (settings.collection_email_hour_start, settings.collection_email_hour_end), (8.0, 20.0)
        )
