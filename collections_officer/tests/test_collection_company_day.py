from datetime import date, datetime, timedelta

from odoo.tests import freeze_time, tagged

from .common import CollectionsCommon

# 05:00 UTC on 10 March 2026: 22:00 on 9 March in Los Angeles, 05:00 on 10 March in
# London, 18:00 on 10 March in Auckland.
LA_EVENING = datetime(2026, 3, 10, 5, 0)
# 12:00 UTC on 10 March 2026: 05:00 on 10 March in Los Angeles, noon in London, 01:00
# on 11 March in Auckland.
AUCKLAND_AHEAD = datetime(2026, 3, 10, 12, 0)
# 03:00 UTC on 1 April 2026: still 31 March (20:00) in Los Angeles, 1 April in London.
MONTH_END = datetime(2026, 4, 1, 3, 0)
DUE = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestCollectionCompanyDay(CollectionsCommon):
    """Every "today" of the desk is the day of the record's company, never UTC's, for
    the scheduled jobs (run as the root user, who has no timezone) and for users
    without a timezone alike."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.la = cls.company
        cls.london = cls.setup_other_company(name="London Desk")["company"]
        cls.auckland = cls.setup_other_company(name="Auckland Desk")["company"]
        for company, tz in (
            (cls.la, "America/Los_Angeles"),
            (cls.london, "Europe/London"),
            (cls.auckland, "Pacific/Auckland"),
        ):
            company.sudo().write({"collection_timezone": tz, "collection_followup_live": True})
        cls.companies = cls.la | cls.london | cls.auckland
        # The scheduler's user: no timezone of its own.
        cls.env.ref("base.user_root").sudo().tz = False
        cls.officer.sudo().tz = False

    def _root(self):
        """The environment of the scheduled jobs: the root user, no timezone in context."""
        context = {key: value for key, value in self.env.context.items() if key != "tz"}
        return self.env(user=self.env.ref("base.user_root"), context=context)

    def _post_in(self, company, amount=100, due=DUE, partner=None):
        return self._create_invoice_one_line(
            price_unit=amount,
            tax_ids=self.env["account.tax"],
            partner_id=partner or self.customer,
            invoice_date=due - timedelta(days=30),
            invoice_date_due=due,
            company_id=company.id,
            post=True,
        )

    def _open_cases(self, companies=None, at=LA_EVENING):
        """Overdue invoices in each company, refreshed by the scheduled job at ``at``."""
        companies = companies or self.companies
        for company in companies:
            self._post_in(company)
        with freeze_time(at):
            self._root()["collection.case"]._refresh_from_accounting(companies=companies)
        return {company: self._case(company=company) for company in companies}

    # ---------------------------------------------------------------- refresh

    def test_refresh_counts_days_on_each_company_day(self):
        cases = self._open_cases()
        Case = self._root()["collection.case"]
        with freeze_time(LA_EVENING):
            self.assertEqual(
                {company.name: case.opened_date for company, case in cases.items()},
                {
                    self.la.name: date(2026, 3, 9),
                    self.london.name: date(2026, 3, 10),
                    self.auckland.name: date(2026, 3, 10),
                },
            )
            days = {
                company.name: Case.browse(case.id).days_overdue for company, case in cases.items()
            }
            self.assertEqual(days, {self.la.name: 8, self.london.name: 9, self.auckland.name: 9})
            late = Case.search(
                [("days_overdue", ">=", 9), ("id", "in", [c.id for c in cases.values()])]
            )
            self.assertEqual(late.company_id, self.london | self.auckland)
        with freeze_time(AUCKLAND_AHEAD):
            Case.invalidate_model(["days_overdue"])
            days = {
                company.name: Case.browse(case.id).days_overdue for company, case in cases.items()
            }
            self.assertEqual(days, {self.la.name: 9, self.london.name: 9, self.auckland.name: 10})

    def test_due_today_is_not_overdue_in_los_angeles_yet(self):
        """An invoice due on 9 March is not late on the evening of 9 March in Los Angeles."""
        for company in self.la | self.london:
            self._post_in(company, due=date(2026, 3, 9))
        with freeze_time(LA_EVENING):
            self._root()["collection.case"]._refresh_from_accounting(
                companies=self.la | self.london
            )
        self.assertFalse(self._case(company=self.la, state="open"), "not overdue in LA")
        london = self._case(company=self.london)
        self.assertRecordValues(london, [{"state": "open", "overdue_amount": 100.0}])

    def test_run_is_the_company_day_run(self):
        Run = self._root()["collection.run"]
        with freeze_time(LA_EVENING):
            self.assertEqual(Run._get_run(self.la).date, date(2026, 3, 9))
            self.assertEqual(Run._get_run(self.london).date, date(2026, 3, 10))
        with freeze_time(AUCKLAND_AHEAD):
            self.assertEqual(Run._get_run(self.auckland).date, date(2026, 3, 11))
            self.assertEqual(Run._get_run(self.la).date, date(2026, 3, 10))

    # ------------------------------------------------------ promises and disputes

    def test_promise_counts_its_day_in_the_company(self):
        """An officer without a timezone takes a promise for today in Los Angeles at
        22:00: recorded on 9 March, it holds follow-up all that day."""
        cases = self._open_cases(self.la | self.london)
        for company in self.la | self.london:
            company.sudo().collection_promise_tolerance_days = 0
        with freeze_time(LA_EVENING):
            la_promise = (
                self.env["collection.promise"]
                .with_user(self.officer)
                .create({"case_id": cases[self.la].id, "amount": 100, "date": "2026-03-09"})
            )
            self.assertEqual(la_promise.start_date, date(2026, 3, 9))
        with freeze_time(datetime(2026, 3, 5, 12)):
            london_promise = self.env["collection.promise"].create(
                {"case_id": cases[self.london].id, "amount": 100, "date": "2026-03-09"}
            )
        both = cases[self.la] | cases[self.london]
        with freeze_time(LA_EVENING):
            blockers = self._root()["collection.case"].browse(both.ids)._get_commitment_blockers()
            self.assertIn(cases[self.la].id, blockers, "the LA promise is due today: it holds")
            self.assertNotIn(cases[self.london].id, blockers, "London's deadline has passed")
            (la_promise | london_promise).with_env(self._root())._judge()
        self.assertEqual(la_promise.judged_date, date(2026, 3, 9))
        self.assertEqual(london_promise.judged_date, date(2026, 3, 10))

    def test_my_day_lists_the_promises_due_on_the_company_day(self):
        cases = self._open_cases(self.la | self.london)
        with freeze_time(datetime(2026, 3, 5, 12)):
            self.env["collection.promise"].create(
                [
                    {"case_id": cases[company].id, "amount": 100, "date": "2026-03-09"}
                    for company in self.la | self.london
                ]
            )
        with freeze_time(LA_EVENING):
            due = self._root()["collection.my.day"].search([("reason", "=", "3_promise")])
            # Read while frozen: the rows of My Day are those of the day.
            self.assertEqual(due.case_id, cases[self.la])

    def test_dispute_deadline_counts_from_the_company_day(self):
        cases = self._open_cases(self.la | self.london)
        Dispute = self._root()["collection.dispute"]
        with freeze_time(LA_EVENING):
            disputes = {
                company: Dispute.create(
                    {
                        "case_id": case.id,
                        "move_id": case.open_line_ids.move_id[:1].id,
                        "amount": 10,
                    }
                )
                for company, case in cases.items()
            }
        self.assertEqual(
            disputes[self.la].deadline,
            date(2026, 3, 9) + timedelta(days=self.la.collection_dispute_days),
        )
        self.assertEqual(
            disputes[self.london].deadline,
            date(2026, 3, 10) + timedelta(days=self.london.collection_dispute_days),
        )
        # Both due on 9 March: at 23:30 on 9 March in Los Angeles (06:30 on 10 March in
        # London), only London's is late.
        for dispute in disputes.values():
            dispute.sudo().deadline = date(2026, 3, 9)
        with freeze_time(datetime(2026, 3, 10, 6, 30)):
            late = Dispute._cron_alert_deadlines()
        self.assertEqual(late, disputes[self.london].with_env(late.env))

    # ------------------------------------------------------------ charges, legal

    def _charging_followup(self, case):
        """A follow-up of ``case`` at a level that charges a late fee in its company."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=case.company_id.ids))
        rule = env["collection.charge.rule"].create({"name": "Late fee", "fee_amount": 25})
        policy = env["collection.policy"].create({"name": "Fees"})
        level = env["collection.level"].create(
            {"name": "Fee", "policy_id": policy.id, "delay_days": 1, "charge_rule_id": rule.id}
        )
        return (
            env["collection.followup"]
            .sudo()
            .create({"case_id": case.id, "level_id": level.id, "cycle": case.followup_cycle})
        )

    def test_charge_is_dated_on_the_company_day(self):
        cases = self._open_cases(self.la | self.auckland)
        followups = {company: self._charging_followup(case) for company, case in cases.items()}
        Followup = self._root()["collection.followup"]
        with freeze_time(LA_EVENING):
            Followup.browse(followups[self.la].ids)._action_charge()
        with freeze_time(AUCKLAND_AHEAD):
            Followup.browse(followups[self.auckland].ids)._action_charge()
        charges = self.env["collection.charge"].search(
            [("case_id", "in", [c.id for c in cases.values()])]
        )
        self.assertEqual(
            {charge.company_id.name: charge.date for charge in charges},
            {self.la.name: date(2026, 3, 9), self.auckland.name: date(2026, 3, 11)},
        )
        self.assertEqual(followups[self.la].charge_move_ids.invoice_date, date(2026, 3, 9))

    def test_legal_reply_deadline_counts_from_the_company_day(self):
        cases = self._open_cases(self.la | self.london)
        with freeze_time(LA_EVENING):
            for company, day in ((self.la, date(2026, 3, 9)), (self.london, date(2026, 3, 10))):
                legal = (
                    self._root()["collection.legal"]
                    .create({"case_id": cases[company].id, "legal_type": "notice"})
                    .sudo()
                )
                reply_days = timedelta(days=company.collection_legal_reply_days)
                self.assertEqual(legal._notice_dates(), (day, day + reply_days), company.name)

    # ------------------------------------------------------------------- KPIs

    def test_kpis_date_contacts_and_escalations_on_the_company_day(self):
        """At 03:00 UTC on 1 April, a call in Los Angeles is made on 31 March."""
        cases = self._open_cases(self.la | self.london, at=datetime(2026, 3, 20, 12))
        Kpi = self._root()["collection.kpi"]
        self.env.flush_all()
        self.env.cr.precommit.run()
        with freeze_time(MONTH_END):
            for case in cases.values():
                self.env["collection.contact"].sudo().create(
                    {
                        "case_id": case.id,
                        "channel": "phone",
                        "outcome": "spoke",
                        "date": MONTH_END,
                        "direction": "inbound",
                    }
                )
                case.sudo().with_context(tracking_disable=False, mail_notrack=False).write(
                    {"state": "escalated"}
                )
            self.env.flush_all()
            self.env.cr.precommit.run()
            la_month = Kpi._scope(self.la, self.la._collection_today())
            self.assertEqual(
                (la_month["start"], la_month["end"]), (date(2026, 3, 1), date(2026, 3, 31))
            )
            scopes = [
                la_month,
                Kpi._scope(self.la, date(2026, 4, 1)),
                Kpi._scope(self.london, date(2026, 3, 1)),
                Kpi._scope(self.london, date(2026, 4, 1)),
            ]
            counts = [count["contact_count"] for count in Kpi._contact_counts(scopes)]
            self.assertEqual(counts, [1, 0, 0, 1])
            escalations = Kpi._escalation_dates(cases[self.la] | cases[self.london])
        self.assertEqual(escalations[cases[self.la].id], [date(2026, 3, 31)])
        self.assertEqual(escalations[cases[self.london].id], [date(2026, 4, 1)])
