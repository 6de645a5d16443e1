from datetime import datetime, timedelta
from unittest.mock import patch

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOON = datetime(2026, 6, 30, 12, 0)
# The Sunday before TODAY (a Tuesday), late in the evening: no contact is allowed then.
SUNDAY_NIGHT = datetime.combine(
    TODAY - timedelta(days=TODAY.weekday() + 1), datetime.min.time()
) + timedelta(hours=23)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionContactLog(FollowupCommon):
    """The contact log is evidence: the guard judges what a person logs, the engine alone
    records its own entries and verdicts, and nobody rewrites an entry."""

    def setUp(self):
        super().setUp()
        self.customer.tz = "UTC"
        self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.followup = (
            self.env["collection.followup"]
            .sudo()
            .create({"case_id": self.case.id, "level_id": self.level_1.id, "date": TODAY})
        )

    def _create(self, user=None, **vals):
        """A contact created as an RPC client would: plain values."""
        return (
            self.env["collection.contact"]
            .with_user(user or self.officer)
            .create(
                {
                    "case_id": self.case.id,
                    "channel": "phone",
                    "outcome": "spoke",
                    "date": SUNDAY_NIGHT.strftime("%Y-%m-%d %H:%M:%S"),
                    **vals,
                }
            )
        )

    def _log(self, user=None, **vals):
        wizard = (
            self.env["collection.contact.wizard"]
            .with_user(user or self.officer)
            .create({"case_id": self.case.id, "channel": "phone", "outcome": "spoke", **vals})
        )
        wizard.action_log()
        return self.case.contact_ids.sorted("id")[-1:]

    def test_an_officer_cannot_forge_a_clean_entry(self):
        with self.assertRaises(UserError):
            self._create(
                followup_id=self.followup.id,
                compliance_breach=False,
                compliance_override="ok",
            )
        with self.assertRaisesRegex(UserError, "Follow-up"):
            self._create(followup_id=self.followup.id)
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self._create(compliance_override="ok")
        with self.assertRaisesRegex(UserError, "Compliance Override"):
            self._create(user=self.manager, compliance_override="ok")
        for user in (self.officer, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(UserError, "Compliance Breach"):
                    self._create(user=user, compliance_breach=True)
                for outcome in ("sent", "blocked"):
                    with self.assertRaisesRegex(UserError, "recorded by the follow-up run"):
                        self._create(user=user, outcome=outcome)
        # The same values as defaults of the context, which a JSON client sends too.
        Contact = self.env["collection.contact"].with_user(self.officer)
        for name, value in (
            ("followup_id", self.followup.id),
            ("compliance_override", "ok"),
            ("compliance_breach", True),
            ("outcome", "sent"),
        ):
            with self.subTest(default=name):
                with self.assertRaises(UserError):
                    Contact.with_context(**{f"default_{name}": value}).create(
                        {"case_id": self.case.id, "channel": "phone", "outcome": "spoke"}
                        if name != "outcome"
                        else {"case_id": self.case.id, "channel": "phone"}
                    )
        self.assertFalse(self.case.contact_ids)
        # Without the engine's fields, the guard judges it: a breach, with the reason.
        contact = self._create(compliance_breach=False, blocked_reason=False)
        self.assertTrue(contact.compliance_breach)
        self.assertIn("contact hours", contact.blocked_reason)
        self.assertFalse(contact.followup_id)
        self.assertEqual(contact.user_id, self.officer)

    def test_every_button_of_log_a_contact_is_judged(self):
        promised = self._log(
            date=SUNDAY_NIGHT,
            outcome="promised",
            promise_amount=500,
            promise_date=TODAY + timedelta(days=5),
        )
        self.assertEqual(promised.outcome, "promised")
        self.assertTrue(promised.compliance_breach)
        disputed = self._log(
            date=SUNDAY_NIGHT,
            outcome="disputed",
            dispute_move_ids=[Command.set(self.case.open_line_ids.move_id.ids)],
        )
        self.assertEqual(disputed.outcome, "disputed")
        self.assertTrue(disputed.compliance_breach)
        overridden = self._log(
            self.manager, date=SUNDAY_NIGHT, override_reason="The customer asked us to call"
        )
        self.assertFalse(overridden.compliance_breach)
        self.assertIn("The customer asked us to call", overridden.compliance_override)
        self.assertIn(self.manager.name, overridden.compliance_override)
        with self.assertRaisesRegex(UserError, "Only a collections manager"):
            self._log(date=SUNDAY_NIGHT, override_reason="Trust me")

    def test_nobody_rewrites_a_logged_contact(self):
        contact = self._log(note="<p>Spoke to Jane</p>")
        self._post_invoice(300, due_days_ago=10, partner=self.other_customer)
        self._refresh()
        other_case = self._case(partner=self.other_customer)
        for vals in (
            {"note": "<p>Spoke to nobody</p>"},
            {"outcome": "promised"},
            {"date": "2026-06-29 10:00:00"},
            {"channel": "visit"},
            {"direction": "inbound"},
            {"partner_id": self.contact.id},
            {"case_id": other_case.id},
            {"callback_date": "2026-07-10"},
            {"followup_id": self.followup.id},
            {"compliance_breach": True},
        ):
            for user in (self.officer, self.manager):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaisesRegex(UserError, "cannot be rewritten"):
                        contact.with_user(user).write(vals)
        self.assertEqual(str(contact.note), "<p>Spoke to Jane</p>")
        self.assertEqual(contact.case_id, self.case)
        for user in (self.officer, self.manager):
            with self.assertRaisesRegex(UserError, "never copied"):
                contact.with_user(user).copy()
        self.assertEqual(len(self.case.contact_ids), 1)

    def test_the_contact_form_is_read_only(self):
        view = self.env.ref("collections_officer.collection_contact_view_form")
        arch = etree.fromstring(
            self.env["collection.contact"].with_user(self.officer).get_view(view.id)["arch"]
        )
        self.assertEqual(arch.get("edit"), "False")
        for name in ("note", "date", "outcome", "channel", "direction", "partner_id", "case_id"):
            field = arch.xpath(f"//field[@name='{name}']")[0]
            self.assertIn(field.get("readonly"), ("True", "1"), name)

    def test_the_engine_logs_what_it_sends_under_the_sender(self):
        self.customer.collection_followup_mode = "manual"
        self._run()
        followup = self._followups().filtered(lambda f: f.state == "to_review")
        followup.with_user(self.officer).action_send()
        contact = followup.contact_ids
        self.assertEqual((contact.channel, contact.outcome), ("email", "sent"))
        self.assertEqual(contact.user_id, self.officer)
        self.assertEqual(contact.level_id, self.level_1)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionSendMarkers(FollowupCommon):
    """What lets a send skip the recheck or the re-read of accounting is the engine's
    own doing: a client's context keys change nothing."""

    FORGED = {"collection_rechecked": True, "collection_figures_read": True}

    def setUp(self):
        super().setUp()
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.user_id = self.officer
        self.customer.collection_followup_mode = "manual"
        self._run()
        self.followup = self._followups()
        self.assertEqual(self.followup.state, "to_review")

    def _send(self, **context):
        self.followup.with_user(self.officer).with_context(**context).action_send()

    def _assert_cancelled(self, reason):
        self.assertEqual(self.followup.state, "cancelled")
        self.assertIn(reason, self.followup.blocked_reason)
        self.assertFalse(self._emails(), "nothing reached the customer")
        self.assertFalse(self.followup.contact_ids.filtered(lambda c: c.outcome == "sent"))

    def test_a_case_in_legal_action_is_not_sent_to(self):
        self.case.sudo().state = "legal"
        self._send(**self.FORGED)
        self._assert_cancelled("legal action")

    def test_a_promise_kept_is_not_sent_to(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=5)}
        )
        self._send(**self.FORGED)
        self._assert_cancelled("Promise to pay")

    def test_a_case_paid_meanwhile_is_read_again_from_accounting(self):
        # Paid in a way the case does not hear of at once: only reading accounting shows it.
        with patch.object(
            type(self.env["account.move.line"]), "_refresh_collection_cases", lambda lines: None
        ):
            self._pay(self.invoice, 1000)
        self.assertNotEqual(self.case.state, "closed")
        self._send(collection_figures_read=True)
        self._assert_cancelled("closed")

    def test_an_officer_cannot_override_through_the_context(self):
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=5)}
        )
        self._send(collection_override_reason="I say so", **self.FORGED)
        self._assert_cancelled("Promise to pay")
        with self.assertRaisesRegex(AccessError, "Only a collections manager"):
            self.followup.with_user(self.officer).with_context(
                collection_override_reason="I say so"
            )._execute()

    def test_the_send_wizard_ignores_forged_keys(self):
        self.case.sudo().state = "legal"
        wizard = (
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(active_model="collection.case", active_ids=self.case.ids, **self.FORGED)
            .create({})
        )
        with self.assertRaises(UserError):
            wizard.action_send()
        self.assertFalse(self._emails())
