from datetime import datetime, timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import TODAY, CollectionsCommon

# 2026-06-30 10:00 UTC: 12:00 in Brussels, 22:00 in Auckland (UTC+12 in June).
NOON_IN_BRUSSELS = datetime(2026, 6, 30, 10, 0)


@freeze_time(NOON_IN_BRUSSELS)
@tagged("post_install", "-at_install")
class TestCollectionCompliance(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.customer.tz = "Europe/Brussels"
        cls.company.write(
            {
                "collection_contact_hour_start": 8.0,
                "collection_contact_hour_end": 21.0,
                "collection_cap_window_days": 7,
                "collection_max_calls": 7,
                "collection_call_quiet_days": 7,
                # Days off have their own test: these reach the customer any day.
                "collection_contact_days": "all",
            }
        )
        cls._post_invoice(1000, due_days_ago=20)
        cls.Guard = cls.env["collection.compliance"]

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _check(self, channel="phone", cases=None, **kwargs):
        cases = cases or self.case
        return self.Guard._check_contacts(cases, channel, **kwargs)[cases[:1].id]

    def _log(self, days_ago, outcome="no_answer", channel="phone", count=1):
        # Blocked attempts are the follow-up run's record: written as the engine writes it.
        self.env["collection.contact"].sudo().create(
            [
                {
                    "case_id": self.case.id,
                    "channel": channel,
                    "direction": "outbound",
                    "outcome": outcome,
                    "date": NOON_IN_BRUSSELS - timedelta(days=days_ago, minutes=index),
                }
                for index in range(count)
            ]
        )

    def test_allowed_within_the_rules(self):
        self.assertEqual(self._check()["verdict"], "allowed")
        self.assertEqual(self._check("email")["verdict"], "allowed")

    def test_do_not_contact_and_cease_communication_block_every_channel(self):
        self.customer.collection_do_not_contact = True
        for channel in ("phone", "email", "letter", "sms", "visit"):
            verdict = self._check(channel)
            self.assertEqual(verdict["verdict"], "blocked")
            self.assertIn("must not be contacted", verdict["reason"])
        self.customer.write(
            {"collection_do_not_contact": False, "collection_cease_communication": True}
        )
        self.assertIn("cease", self._check("letter")["reason"])

    def test_hold_and_breathing_space_block(self):
        self.case.sudo().write({"state": "hold", "hold_reason": "Disputed invoice"})
        self.assertEqual(self._check("email")["reason"], "Disputed invoice")
        self.case.sudo().write(
            {"state": "open", "breathing_space_until": TODAY + timedelta(days=60)}
        )
        self.assertIn("Breathing space", self._check("email")["reason"])
        self.case.breathing_space_until = TODAY - timedelta(days=1)
        self.assertEqual(self._check("email")["verdict"], "allowed", "the pause is over")

    def test_customer_in_another_timezone_is_called_in_their_own_hours(self):
        self.customer.tz = "Pacific/Auckland"
        verdict = self._check("phone")
        self.assertEqual(verdict["verdict"], "deferred")
        # 22:00 in Auckland: next window opens tomorrow 08:00 NZST = 20:00 UTC today.
        self.assertEqual(verdict["defer_until"], datetime(2026, 6, 30, 20, 0))
        self.assertEqual(self._check("sms")["verdict"], "deferred")
        self.assertEqual(self._check("email")["verdict"], "allowed", "e-mails wait in an inbox")
        self.assertEqual(self._check("letter")["verdict"], "allowed")

    def test_early_morning_is_deferred_to_the_same_day(self):
        early = datetime(2026, 6, 30, 4, 0)  # 06:00 in Brussels
        verdict = self._check("phone", at=early)
        self.assertEqual(verdict["verdict"], "deferred")
        self.assertEqual(verdict["defer_until"], datetime(2026, 6, 30, 6, 0))

    def test_customer_contact_hours_override_the_company(self):
        self.customer.write(
            {
                "collection_window_override": True,
                "collection_contact_hour_start": 14.0,
                "collection_contact_hour_end": 18.0,
            }
        )
        verdict = self._check("phone")
        self.assertEqual(verdict["verdict"], "deferred")
        self.assertEqual(verdict["defer_until"], datetime(2026, 6, 30, 12, 0))

    def test_rolling_cap_on_calls(self):
        self._log(days_ago=10, count=5)  # outside the window: not counted
        self._log(days_ago=2, count=6)
        self.assertEqual(self._check()["verdict"], "allowed", "6 calls in 7 days")
        self._log(days_ago=1)
        verdict = self._check()
        self.assertEqual(verdict["verdict"], "blocked")
        self.assertIn("At most 7", verdict["reason"])
        self.assertEqual(self._check("email")["verdict"], "allowed", "caps are per channel")
        with freeze_time(NOON_IN_BRUSSELS + timedelta(days=6)):
            self.assertEqual(self._check()["verdict"], "allowed", "the window rolled on")

    def test_blocked_attempts_do_not_count_towards_the_cap(self):
        self._log(days_ago=1, count=7, outcome="blocked")
        self.assertEqual(self._check()["verdict"], "allowed")

    def test_no_call_within_seven_days_after_a_conversation(self):
        self._log(days_ago=3, outcome="spoke")
        verdict = self._check()
        self.assertEqual(verdict["verdict"], "blocked")
        self.assertIn("after a conversation", verdict["reason"])
        self.assertEqual(self._check("email")["verdict"], "allowed")
        with freeze_time(NOON_IN_BRUSSELS + timedelta(days=5)):
            self.assertEqual(self._check()["verdict"], "allowed")

    def test_manager_override_with_a_reason(self):
        self.customer.collection_do_not_contact = True
        guard = self.Guard.with_user(self.manager)
        verdict = guard._check_contacts(self.case, "email", override_reason="Customer asked")
        self.assertEqual(verdict[self.case.id]["verdict"], "allowed")
        self.assertIn("Customer asked", verdict[self.case.id]["reason"])
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self.Guard.with_user(self.officer)._check_contacts(
                self.case, "email", override_reason="Please"
            )
        with self.assertRaisesRegex(UserError, "reason"):
            guard._check_contacts(self.case, "email", override_reason=" ")

    def test_query_count_does_not_grow_with_cases(self):
        partners = self.env["res.partner"].create([{"name": f"Guarded {i}"} for i in range(6)])
        for partner in partners:
            self._post_invoice(100, due_days_ago=20, partner=partner)
        self._refresh()
        cases = self.Case.search([("partner_id", "in", partners.ids)])

        def queries(guarded):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Guard._check_contacts(guarded, "phone")
            return self.env.cr.sql_log_count - before

        queries(cases)  # warms the caches (access rules, ...)
        self.assertEqual(queries(cases[:1]), queries(cases))

    def test_contact_window_that_ends_before_it_starts_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            self.company.collection_contact_hour_end = 7.0
        with self.assertRaisesRegex(ValidationError, "ends before it starts"):
            self.customer.write(
                {
                    "collection_window_override": True,
                    "collection_contact_hour_start": 18.0,
                    "collection_contact_hour_end": 9.0,
                }
            )
        with self.assertRaisesRegex(ValidationError, "between 0:00 and 24:00"):
            self.company.collection_contact_hour_end = 25.0


@freeze_time(NOON_IN_BRUSSELS)
@tagged("post_install", "-at_install")
class TestBankWarnings(CollectionsCommon):
    def _statement_line(self, days_ago, amount=100):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "payment_ref": "Transfer",
                "amount": amount,
                "date": TODAY - timedelta(days=days_ago),
            }
        )

    def _warning(self):
        return self.env["collection.compliance"]._bank_warnings(self.company).get(self.company.id)

    def test_no_statement_at_all(self):
        self.assertIn("No bank statement", self._warning())

    def test_unreconciled_statement_lines(self):
        self._statement_line(days_ago=1)
        self.assertIn("1 bank statement lines are not reconciled", self._warning())

    def test_stale_statements(self):
        self._statement_line(days_ago=12)
        self.company.collection_bank_stale_days = 7
        self.assertIn("No bank statement since", self._warning())
        self.company.collection_bank_stale_days = 0
        self.assertNotIn("since", self._warning() or "")

    def test_stale_is_counted_on_the_companys_day(self):
        # The last statement is 7 days before the server's (and the user's) day: 8 days
        # on the company's day in Auckland and on Kiritimati, 6 in Los Angeles.
        self.env.user.tz = "UTC"
        self._statement_line(days_ago=7)
        for zone, moment, stale_days, stale in (
            ("Pacific/Kiritimati", NOON_IN_BRUSSELS, 7, True),
            ("Pacific/Auckland", datetime(2026, 6, 30, 20, 0), 7, True),
            ("America/Los_Angeles", datetime(2026, 6, 30, 3, 0), 6, False),
            ("Europe/Brussels", NOON_IN_BRUSSELS, 7, False),
        ):
            with self.subTest(zone=zone), freeze_time(moment):
                self.company.write(
                    {"collection_timezone": zone, "collection_bank_stale_days": stale_days}
                )
                warning = self._warning() or ""
                self.assertEqual("No bank statement since" in warning, stale, warning)
