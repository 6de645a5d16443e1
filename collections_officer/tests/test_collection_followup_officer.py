from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from ..models.collection_case import FROM_REFRESH
from .common import TODAY
from .test_collection_followup import FollowupCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestSendNow(FollowupCommon):
    """Send Follow-up Now: its preview tells what Send does, and manual sending has brakes."""

    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=150)
        self._refresh()
        self.case = self._case()

    def _wizard(self, user=None, **values):
        return (
            self.env["collection.send.wizard"]
            .with_user(user or self.officer)
            .with_context(active_model="collection.case", active_ids=self.case.ids)
            .create(values)
        )

    def _preview(self, user=None):
        # As the web client shows it: computed on the unsaved wizard.
        wizard_model = (
            self.env["collection.send.wizard"]
            .with_user(user or self.officer)
            .with_context(active_model="collection.case", active_ids=self.case.ids)
        )
        with Form(wizard_model) as wizard:
            return str(wizard.preview)

    def test_the_preview_shows_the_level_send_executes(self):
        self.assertIn("Reminder", self._preview())
        self.assertNotIn("nothing", self._preview())
        self._wizard().action_send()
        self.assertEqual(self.case.level_id, self.level_1)
        with freeze_time(NOON + timedelta(days=14)):
            preview = self._preview()
            self.assertIn("Second", preview)
            self.assertNotIn("again", preview)
            self._wizard().action_send()
            self.assertEqual(self.case.level_id, self.level_2)
            self.assertFalse(self._followups().filtered("resend"), "the next level, not a resend")

    def test_three_quick_clicks_send_one_level(self):
        self._wizard().action_send()
        for minutes in (1, 5):
            with freeze_time(NOON + timedelta(minutes=minutes)):
                self.assertIn("less than 10 minutes", self._preview())
                with self.assertRaisesRegex(UserError, "less than 10 minutes"):
                    self._wizard().action_send()
        self.assertEqual(len(self._followups()), 1)
        self.assertEqual(len(self._emails()), 1)
        self.assertEqual(self.case.level_id, self.level_1)

    def test_a_level_sent_by_hand_waits_for_the_spacing_unless_a_manager_overrides(self):
        self._wizard().action_send()
        with freeze_time(NOON + timedelta(days=1)):
            self.assertIn("not due before", self._preview())
            with self.assertRaisesRegex(UserError, "Second is not due before"):
                self._wizard().action_send()
            with self.assertRaisesRegex(UserError, "Only a collections manager"):
                self._wizard(override_reason="Customer asked for it").action_send()
            with self.assertRaisesRegex(UserError, "Only a collections manager"):
                # Over RPC the wizard's own flag proves nothing.
                self._wizard(is_manager=True, override_reason="I say so").action_send()
            self.assertEqual(self.case.level_id, self.level_1)
            self._wizard(
                self.manager, override_reason="Agreed with the customer's CFO"
            ).action_send()
            self.assertEqual(self.case.level_id, self.level_2)
            notes = "".join(str(body) for body in self.case.message_ids.mapped("body"))
            self.assertIn("Agreed with the customer's CFO", notes)

    def test_nothing_sent_by_hand_after_an_agreement(self):
        self.company.collection_promise_tolerance_days = 0
        promise = self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=1)}
        )
        with freeze_time(NOON + timedelta(days=2)):
            # The promised day is past (not judged yet): only the agreement stops sending.
            self.assertEqual(promise.state, "open")
            self.assertNotIn(self.case.id, self.case._get_followup_blockers())
            with self.assertRaisesRegex(UserError, "within 7 days of an agreement"):
                self._wizard().action_send()
            self._wizard(
                self.manager, override_reason="The customer asked for a copy"
            ).action_send()
            self.assertEqual(self.case.level_id, self.level_1)

    def test_nothing_sent_by_hand_after_a_plan_is_agreed(self):
        wizard = self.env["collection.plan.wizard"].create(
            {"case_id": self.case.id, "installment_count": 2, "first_date": TODAY}
        )
        plan = wizard._create_plan()
        plan.action_activate()
        self.assertIn("on track", self._preview())
        with self.assertRaisesRegex(UserError, "on track"):
            self._wizard().action_send()
        self.assertFalse(self._followups())

    def test_the_preview_says_what_the_guard_will_block_or_defer(self):
        self.case.breathing_space_until = TODAY + timedelta(days=30)
        preview = self._preview()
        self.assertIn("Reminder", preview)
        self.assertIn("Email blocked: Breathing space", preview)
        self.case.sudo().write({"breathing_space_until": False, "level_id": self.level_2.id})
        self.case.sudo().level_date = TODAY - timedelta(days=20)
        with freeze_time(NOON + timedelta(hours=10)):
            # 22:00: the SMS of the final notice waits for the morning.
            preview = self._preview()
            self.assertIn("Final notice", preview)
            self.assertIn("SMS waits until", preview)

    def test_a_closed_case_has_nothing_to_send(self):
        self._pay(self.invoice, 1000)
        self._refresh()
        with self.assertRaisesRegex(UserError, "The case is closed"):
            self._wizard().action_send()


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestOldDebt(FollowupCommon):
    """A policy may start old debt at the level its age reaches."""

    def setUp(self):
        super().setUp()
        self.policy.first_level_by_age = True

    def _open_case(self, days):
        self._post_invoice(1000, due_days_ago=days)
        self._refresh()
        return self._case()

    def test_old_debt_starts_at_the_level_its_age_reaches(self):
        self.case = self._open_case(40)
        self._run()
        self.assertEqual(self.case.level_id, self.level_3, "35 days reached, 50 not")
        self.assertEqual(len(self._followups()), 1, "the levels before are not sent")
        with freeze_time(NOON + timedelta(days=14)):
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_3, "then one level at a time")
        with freeze_time(NOON + timedelta(days=15)):
            self._refresh()
            self._run()
            self.assertEqual(self.case.level_id, self.level_4)

    def test_old_debt_never_skips_a_level_required_before_the_next(self):
        self.level_3.required_before_next = True
        self.case = self._open_case(150)
        self._run()
        self.assertEqual(self.case.level_id, self.level_3, "the final notice comes first")
        self.assertFalse(self.customer.collection_credit_hold)

    def test_send_now_starts_old_debt_at_its_level_too(self):
        self.level_3.required_before_next = True
        self.case = self._open_case(150)
        wizard = (
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .create({"case_ids": self.case.ids})
        )
        self.assertIn("Final notice", wizard.preview)
        wizard.action_send()
        self.assertEqual(self.case.level_id, self.level_3)

    def test_the_run_the_form_and_the_next_action_name_the_same_level(self):
        self.case = self._open_case(40)
        self.case._update_priority()
        self.assertEqual(self.case._get_due_levels(), {self.case.id: self.level_3})
        self.assertEqual(self.case.next_level_id, self.level_3, "the form")
        self.assertEqual(self.case.next_level_date, TODAY - timedelta(days=5))
        self.assertEqual(self.case.next_action_label, f"Follow-up: {self.level_3.name}")
        self.assertEqual(self.case.next_action_date, TODAY - timedelta(days=5))
        self._run()
        self.case._update_priority()
        self.assertEqual(self.case.next_level_id, self.level_4, "then one level at a time")
        self.assertEqual(self.case.next_action_label, f"Follow-up: {self.level_4.name}")

    def test_an_archived_customer_policy_falls_back_to_the_company_default(self):
        self.case = self._open_case(40)
        other = self.policy.copy({"name": "Customer's own"})
        self.customer.with_company(self.company).collection_policy_id = other
        self.assertEqual(self.case.effective_policy_id, other)
        other.active = False
        self.case.invalidate_recordset(["effective_policy_id"])
        self.assertEqual(self.case.effective_policy_id, self.policy)
        self.assertEqual(
            self.Case._resolve_policy(self.case.policy_id, self.customer, self.company),
            self.policy,
        )

    def test_without_the_option_the_first_contact_is_the_first_level(self):
        self.policy.first_level_by_age = False
        self.case = self._open_case(150)
        self._run()
        self.assertEqual(self.case.level_id, self.level_1)


@tagged("post_install", "-at_install")
class TestRecheckBeforeActing(FollowupCommon):
    """Deferred, reviewed and re-sent follow-ups look at the case again before acting."""

    def setUp(self):
        super().setUp()
        self.level_3.print_letter = False  # SMS only: deferred whole
        with freeze_time(TODAY):
            self.invoice = self._post_invoice(1000, due_days_ago=10)
            self._refresh()
        self.case = self._case()
        self.night = datetime.combine(TODAY + timedelta(days=30), datetime.min.time())

    def _defer_the_sms(self):
        self.case.sudo().write(
            {"level_id": self.level_2.id, "level_date": TODAY - timedelta(days=30)}
        )
        with freeze_time(self.night + timedelta(hours=3)):
            self._refresh()
            self._run()
        followup = self._followups().filtered(lambda f: f.level_id == self.level_3)
        self.assertEqual(followup.state, "pending")
        return followup

    def _send_deferred(self):
        cron = self.env.ref("collections_officer.ir_cron_collection_followup_deferred")
        with freeze_time(self.night + timedelta(hours=8, minutes=5)):
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()

    def test_a_deferred_sms_after_a_payment_is_cancelled(self):
        followup = self._defer_the_sms()
        with freeze_time(self.night + timedelta(hours=6)):
            # Paid in the early morning: no refresh has run since.
            self._pay(self.invoice, 1000, days_ago_paid=-30)
        self._send_deferred()
        self.assertEqual(followup.state, "cancelled")
        self.assertIn("closed", followup.blocked_reason)
        self.assertEqual(self.case.state, "closed", "figures read again from accounting")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.customer.id)]))
        self.assertIn("cancelled before it was sent", self.case.message_ids[0].body)

    def test_a_deferred_sms_after_a_promise_is_cancelled_then_sent_when_it_breaks(self):
        followup = self._defer_the_sms()
        with freeze_time(self.night + timedelta(hours=6)):
            self.env["collection.promise"].create(
                {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=32)}
            )
        self._send_deferred()
        self.assertEqual(followup.state, "cancelled")
        self.assertIn("Promise to pay", followup.blocked_reason)
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.customer.id)]))
        judge = self.env.ref("collections_officer.ir_cron_collection_commitment_judge")
        # A Tuesday at noon, the promised day and its tolerance past.
        with freeze_time(self.night + timedelta(days=12, hours=12)):
            # The day's refresh is done: the hourly judging takes the company.
            self._day_prepared(day=(self.night + timedelta(days=12)).date(), judged=False)
            with self.enter_registry_test_mode():
                judge.method_direct_trigger()
            self._refresh()
            self._run()
            self.assertEqual(followup.state, "done", "the level goes on once the promise broke")

    def test_a_reviewed_follow_up_is_not_sent_on_a_case_put_on_hold(self):
        self.customer.collection_followup_mode = "manual"
        with freeze_time(TODAY):
            self._run()
            followup = self._followups()
            self.assertEqual(followup.state, "to_review")
            self.case.sudo().write({"state": "hold", "hold_reason": "Invoice disputed"})
            followup.with_user(self.officer).action_send()
        self.assertEqual(followup.state, "cancelled")
        self.assertEqual(followup.blocked_reason, "Invoice disputed")
        self.assertFalse(self._emails())

    def test_a_level_no_longer_due_is_cancelled(self):
        self.customer.collection_followup_mode = "manual"
        with freeze_time(TODAY):
            self._run()
            followup = self._followups()
            # Paid, while a newer invoice falls overdue: nothing overdue is old enough
            # for the level any more (the payment refreshes the case at once, so the
            # newer invoice comes first or the case would simply close).
            self._post_invoice(200, due_days_ago=2)
            self._pay(self.invoice, 1000)
            followup.action_send()
        self.assertEqual(followup.state, "cancelled")
        self.assertIn("no longer due", followup.blocked_reason)
        self.assertFalse(self._emails())


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestBlockersAndRecipients(FollowupCommon):
    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()

    def test_a_case_on_hold_draws_no_charge(self):
        self.level_1.charge_rule_id = self.env["collection.charge.rule"].create(
            {"name": "Fee", "fee_amount": 40}
        )
        self.case.sudo().write({"state": "hold", "hold_reason": "Invoice disputed"})
        wizard = (
            self.env["collection.send.wizard"]
            .with_user(self.manager)
            .create({"case_ids": self.case.ids, "override_reason": "Copy of the statement asked"})
        )
        wizard.action_send()
        followup = self._followups()
        self.assertEqual(len(self._emails()), 1, "the manager let the e-mail through")
        self.assertFalse(followup.charge_move_ids)
        self.assertFalse(self.env["collection.charge"].search([("case_id", "=", self.case.id)]))
        self.assertEqual(followup.state, "blocked")
        self.assertIn("Invoice disputed", followup.blocked_reason)

    def test_each_channel_goes_to_the_first_contact_that_can_receive_it(self):
        self.customer.collection_contact_id = self.contact
        self.contact.write({"phone": "+32470111111", "email": False})
        self._run()
        self.assertEqual(self._followups().state, "done")
        self.assertEqual(self._emails().partner_ids, self.customer, "no e-mail at the contact")
        self.case.sudo().write(
            {"level_id": self.level_2.id, "level_date": TODAY - timedelta(days=30)}
        )
        self.level_3.print_letter = False
        with freeze_time(NOON + timedelta(days=30)):
            self._refresh()
            self._run()
        sms = self.env["sms.sms"].search([("partner_id", "in", (self.customer | self.contact).ids)])
        self.assertEqual(sms.partner_id, self.contact, "the collections contact has a phone")

    def test_an_archived_policy_stops(self):
        self.assertEqual(self.case.effective_policy_id, self.policy, "the company's default")
        own = self.env["collection.policy"].create({"name": "Own"})
        self.case.policy_id = own
        self.assertEqual(self.case.effective_policy_id, own)
        own.active = False
        self.assertEqual(
            self.case.effective_policy_id, self.policy, "an archived policy is skipped"
        )
        self.policy.active = False
        self.assertFalse(self.case.effective_policy_id)
        self._run()
        self.assertFalse(self._followups(), "archived policies send nothing")


@tagged("post_install", "-at_install")
class TestLocalTimeAndDays(FollowupCommon):
    def setUp(self):
        super().setUp()
        self.company.partner_id.tz = "UTC"
        with freeze_time(TODAY):
            self._post_invoice(1000, due_days_ago=25)
            self._refresh()
        self.case = self._case()
        self.guard = self.env["collection.compliance"]

    def test_a_deferred_call_is_due_on_the_customers_day(self):
        # The customer has no timezone: the company's (Sydney) applies, not the user's.
        self.env.user.tz = "UTC"
        self.company.partner_id.tz = "Australia/Sydney"
        self.case.sudo().write(
            {"level_id": self.level_1.id, "level_date": TODAY - timedelta(days=14)}
        )
        # 21:00 UTC is 07:00 in Sydney the next day: the call waits for 08:00 there.
        with freeze_time(datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=21)):
            self._run()
        call = self.case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(call.date_deadline, TODAY + timedelta(days=1))

    def test_no_call_or_sms_on_a_day_off(self):
        saturday_noon = datetime(2026, 7, 4, 12, 0)
        verdict = self.guard._check_contacts(self.case, "sms", at=saturday_noon)[self.case.id]
        self.assertEqual(verdict["verdict"], "deferred")
        self.assertEqual(verdict["defer_until"], datetime(2026, 7, 6, 8, 0), "Monday morning")
        # E-mails keep the contact days too, within their own hours.
        self.company.write({"collection_email_hour_start": 8.0, "collection_email_hour_end": 20.0})
        email = self.guard._check_contacts(self.case, "email", at=saturday_noon)[self.case.id]
        self.assertEqual(email["verdict"], "deferred")
        self.assertEqual(email["defer_until"], datetime(2026, 7, 6, 8, 0), "Monday morning")
        self.company.collection_contact_days = "mon_sat"
        verdict = self.guard._check_contacts(self.case, "sms", at=saturday_noon)[self.case.id]
        self.assertEqual(verdict["verdict"], "allowed")
        email = self.guard._check_contacts(self.case, "email", at=saturday_noon)[self.case.id]
        self.assertEqual(email["verdict"], "allowed")

    def test_the_breathing_space_ends_on_the_customers_day(self):
        self.env.user.tz = "UTC"
        self.customer.tz = "America/New_York"
        self.case.breathing_space_until = TODAY
        # 02:00 UTC on July 1st is still June 30th in New York.
        at = datetime(2026, 7, 1, 2, 0)
        verdict = self.guard._check_contacts(self.case, "email", at=at)[self.case.id]
        self.assertEqual(verdict["verdict"], "blocked")
        self.customer.tz = "Europe/Brussels"
        verdict = self.guard._check_contacts(self.case, "email", at=at)[self.case.id]
        self.assertEqual(verdict["verdict"], "allowed")

    def test_the_recipient_timezone_sets_the_hours(self):
        self.customer.collection_contact_id = self.contact
        self.contact.write({"phone": "+64210000000", "tz": "Pacific/Auckland"})
        # 10:00 UTC on a Wednesday is 22:00 in Auckland: the call waits for 08:00 there.
        at = datetime(2026, 7, 1, 10, 0)
        verdict = self.guard._check_contacts(self.case, "phone", at=at)[self.case.id]
        self.assertEqual(verdict["verdict"], "deferred")
        self.assertEqual(verdict["defer_until"], datetime(2026, 7, 1, 20, 0))

    def test_contact_caps_are_counted_per_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self.company.collection_max_calls = 2
        company_b.collection_max_calls = 2
        case_b = (
            self.Case.sudo()
            .with_context(collection_case_from_refresh=FROM_REFRESH)
            .create({"partner_id": self.customer.id, "company_id": company_b.id, "state": "open"})
        )
        at = datetime(2026, 7, 1, 12, 0)
        self.env["collection.contact"].create(
            [
                {
                    "case_id": self.case.id,
                    "channel": "phone",
                    "direction": "outbound",
                    "outcome": "no_answer",
                    "date": at - timedelta(hours=index + 1),
                }
                for index in range(2)
            ]
        )
        verdicts = self.guard._check_contacts(self.case | case_b, "phone", at=at)
        self.assertEqual(verdicts[self.case.id]["verdict"], "blocked")
        self.assertEqual(verdicts[case_b.id]["verdict"], "allowed", "company B's calls: none")
