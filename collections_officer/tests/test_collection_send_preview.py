from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestSendPreview(FollowupCommon):
    """Send Follow-up Now on one case: the e-mail is read and edited before it goes;
    Send Statement sends the statement alone."""

    def setUp(self):
        super().setUp()
        self.level_1.attach_invoices = True
        self.invoice = self._post_invoice(1000, due_days_ago=10)
        self._refresh()
        self.case = self._case()
        self.case.write({"user_id": self.officer.id, "team_id": self.team.id})

    def _form(self, user=None, cases=None, mode="followup"):
        # As the web client opens it from the case: composed on the unsaved wizard.
        cases = cases or self.case
        return Form(
            self.env["collection.send.wizard"]
            .with_user(user or self.officer)
            .with_context(
                active_model="collection.case",
                active_ids=cases.ids,
                default_case_ids=cases.ids,
                default_mode=mode,
            )
        )

    def _files(self, form):
        return self.env["ir.attachment"].union(*form.attachment_ids)

    def _age(self, attachments, hours):
        # The database stamps records with the transaction's time, whatever the frozen clock.
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE ir_attachment SET create_date = %(date)s, write_date = %(date)s "
                "WHERE id IN %(ids)s",
                date=NOON - timedelta(hours=hours),
                ids=tuple(attachments.ids),
            )
        )
        attachments.invalidate_recordset()

    def _mails(self):
        return (
            self.env["mail.mail"]
            .search([("model", "=", "collection.case")])
            .filtered(lambda mail: mail.res_id == self.case.id)
        )

    def test_one_case_composes_the_level_template_with_its_documents(self):
        form = self._form()
        self.assertEqual(form.mail_to, '"Acme Debtor" <acme@example.com>')
        self.assertEqual(form.mail_subject, f"Reminder {self.case.name}")
        self.assertIn("You owe", str(form.mail_body))
        self.assertIn("1000", str(form.mail_body))
        names = self._files(form).mapped("name")
        self.assertEqual(len(names), 2, names)
        self.assertTrue(any(name.startswith("Statement") for name in names), names)
        self.assertIn(self.invoice.invoice_pdf_report_id.name, names)
        statement = self._files(form).filtered(lambda a: a.name.startswith("Statement"))
        self.assertEqual(statement.mimetype, "application/pdf")
        self.assertTrue(statement.raw.startswith(b"%PDF"))
        self.assertIn("Reminder", str(form.preview))

    def test_the_edited_email_is_what_the_customer_gets_and_the_engine_records_it(self):
        form = self._form()
        statement = self._files(form).filtered(lambda a: a.name.startswith("Statement"))
        form.mail_subject = "As agreed on the phone"
        form.mail_body = "<p>Dear Jane, as agreed: 1000 by Friday.</p>"
        self.assertFalse(form.attachment_note)
        form.attachment_ids.remove(id=self.invoice.invoice_pdf_report_id.id)
        # The template's text said the invoices were attached: the officer is told.
        self.assertIn("Invoices were removed", form.attachment_note)
        self.assertNotIn("statement", form.attachment_note)
        note = (
            self.env["ir.attachment"]
            .with_user(self.officer)
            .create(
                {
                    "name": "Delivery note.txt",
                    "raw": b"Delivered on time",
                    "res_model": "collection.send.wizard",
                    "res_id": 0,
                }
            )
        )
        form.attachment_ids.add(note)
        form.save().action_send()

        email = self._emails()
        self.assertEqual(len(email), 1)
        self.assertEqual(email.subject, "As agreed on the phone")
        self.assertIn("as agreed: 1000 by Friday", str(email.body))
        self.assertNotIn("You owe", str(email.body))
        self.assertEqual(email.attachment_ids, statement | note, "the invoice PDF was removed")
        self.assertEqual(
            {(a.res_model, a.res_id) for a in email.attachment_ids},
            {("collection.case", self.case.id)},
            "kept with the case as evidence",
        )
        mail = self._mails()
        self.assertEqual(mail.subject, "As agreed on the phone")
        self.assertIn("as agreed: 1000 by Friday", mail.body_html)
        statements = self.env["ir.attachment"].search(
            [("name", "=like", "Statement%"), ("res_model", "=", "collection.case")]
        )
        self.assertEqual(statements, statement, "the statement was not printed again")
        followup = self._followups()
        self.assertEqual((followup.level_id, followup.state), (self.level_1, "done"))
        self.assertEqual(followup.message_id, email)
        self.assertEqual(followup.sent_by_id, self.officer)
        contact = followup.contact_ids
        self.assertEqual((contact.channel, contact.outcome), ("email", "sent"))
        self.assertEqual(self.case.level_id, self.level_1)

    def test_the_guard_still_blocks_a_do_not_contact_customer(self):
        self.customer.collection_do_not_contact = True
        form = self._form()
        self.assertIn("blocked", str(form.preview))
        form.mail_subject = "Edited"
        form.save().action_send()
        self.assertFalse(self._emails())
        followup = self._followups()
        self.assertEqual(followup.state, "blocked")
        self.assertIn("must not be contacted", followup.blocked_reason)
        self.assertEqual(followup.contact_ids.outcome, "blocked")
        self.assertFalse(self.case.level_id)

    def test_a_manager_overrides_the_guard_with_the_edited_email(self):
        self.customer.collection_do_not_contact = True
        form = self._form(user=self.manager)
        form.mail_subject = "Copy you asked for"
        form.override_reason = "The customer asked for it by phone"
        form.save().action_send()
        email = self._emails()
        self.assertEqual(email.subject, "Copy you asked for")
        followup = self._followups()
        self.assertEqual(followup.state, "done")
        self.assertEqual(
            followup.contact_ids.compliance_override, "The customer asked for it by phone"
        )
        self.assertEqual(self.case.level_id, self.level_1)

    def test_send_is_offered_to_a_manager_once_the_override_is_given(self):
        self.case.sudo().write({"state": "hold", "hold_reason": "Waiting for the lawyer"})
        self.assertFalse(self._form().can_send, "the officer: the hold stops it")
        form = self._form(user=self.manager)
        self.assertFalse(form.can_send, "the manager, before saying why")
        self.assertIn("Waiting for the lawyer", form.preview)
        form.override_reason = "The lawyer agreed"
        self.assertTrue(form.can_send)
        form.save().action_send()
        self.assertEqual(len(self._emails()), 1)

    def test_an_officer_cannot_forge_the_override(self):
        with self.assertRaises(AccessError):
            self.env["collection.send.wizard"].with_user(self.officer).create(
                {"case_ids": self.case.ids, "override_reason": "I say so"}
            ).action_send()

    def test_figures_changed_since_the_email_was_written_are_refused(self):
        form = self._form()
        form.mail_subject = "Edited"
        wizard = form.save()
        self._pay(self.invoice, 300)
        # Refused as the request would be: nothing it did is kept.
        with self.assertRaises(UserError) as refused:
            wizard.action_send()
        self.assertIn("changed since the e-mail was written", str(refused.exception))
        self.assertFalse(self._emails())
        # Opened again, it is composed on the new figures and goes.
        form = self._form()
        self.assertIn("700", str(form.mail_body))
        form.save().action_send()
        self.assertEqual(len(self._emails()), 1)
        self.assertEqual(self._followups().overdue_amount, 700)

    def test_removing_the_statement_warns_that_the_text_announces_it(self):
        self.level_1.mail_template_id = self.env.ref(
            "collections_officer.mail_template_collection_reminder"
        )
        form = self._form()
        self.assertIn("statement of account is attached", str(form.mail_body))
        statement = self._files(form).filtered(lambda a: a.name.startswith("Statement"))
        form.attachment_ids.remove(id=statement.id)
        self.assertIn("The statement was removed", form.attachment_note)
        form.attachment_ids.add(statement)
        self.assertFalse(form.attachment_note, "attached again")

    def test_several_cases_keep_the_plan_without_editing(self):
        self._post_invoice(400, due_days_ago=10, partner=self.other_customer)
        self.other_customer.email = "globex@example.com"
        self._refresh()
        cases = self.case | self._case(self.other_customer)
        form = self._form(cases=cases)
        self.assertFalse(form.is_composed)
        self.assertFalse(form.mail_subject)
        self.assertFalse(form.attachment_ids)
        form.save().action_send()
        for case in cases:
            email = self._emails(case)
            self.assertEqual(email.subject, f"Reminder {case.name}", "the level's own template")
            self.assertEqual(case.level_id, self.level_1)

    def test_an_officer_is_not_shown_an_email_the_brakes_stop(self):
        first = self._form()
        self.assertTrue(first.can_send)
        first.save().action_send()
        # Sent a moment ago: sending again is the manager's decision.
        form = self._form()
        self.assertIn("nothing is sent", form.preview)
        self.assertFalse(form.can_send, "no Send button for what Send would refuse")
        self.assertFalse(form.is_composed, "no e-mail to edit that Send would refuse")
        self.assertFalse(form.mail_subject)
        self.assertFalse(form.attachment_ids)
        # Its stored fields computed as superuser, as when the browser opens it.
        wizard = (
            self.env["collection.send.wizard"]
            .with_user(self.officer)
            .with_context(active_model="collection.case", active_ids=self.case.ids)
            .new({})
        )
        self.assertFalse(wizard.composed_level_id)
        self.assertFalse(wizard.sudo()._is_manager(), "the officer, not the superuser")

    def test_a_level_without_email_is_not_composed(self):
        self.level_1.write({"send_email": False, "schedule_call": True})
        form = self._form()
        self.assertFalse(form.is_composed)
        form.save().action_send()
        self.assertFalse(self._emails())
        self.assertEqual(self._followups().state, "done")

    def test_send_statement_sends_it_alone(self):
        form = self._form(mode="statement")
        self.assertTrue(form.is_composed)
        self.assertFalse(form.guard_note)
        self.assertIn("statement of account", form.mail_subject)
        self.assertIn("1,000.00", str(form.mail_body))
        self.assertEqual(len(form.attachment_ids), 1)
        self.assertTrue(self._files(form).name.startswith("Statement"))
        form.mail_subject = "Your statement, as asked"
        form.save().action_send()
        email = self._emails()
        self.assertEqual(email.subject, "Your statement, as asked")
        self.assertEqual(email.partner_ids, self.customer)
        self.assertTrue(email.attachment_ids.name.startswith("Statement"))
        self.assertEqual(email.attachment_ids.res_id, self.case.id)
        self.assertTrue(self._mails(), "the e-mail is queued")
        contact = self.case.contact_ids
        self.assertEqual(
            (contact.channel, contact.outcome, contact.partner_id),
            ("email", "statement_sent", self.customer),
        )
        self.assertFalse(self._followups(), "no follow-up")
        self.assertFalse(self.case.level_id, "the level does not move")
        # The level is still to be sent.
        self.assertEqual(self.case._get_manual_levels()[self.case.id][0], self.level_1)

    def test_send_statement_passes_the_guard(self):
        self.customer.collection_do_not_contact = True
        form = self._form(mode="statement")
        self.assertIn("must not be contacted", form.guard_note)
        wizard = form.save()
        with self.assertRaises(UserError) as refused:
            wizard.action_send()
        self.assertIn("must not be contacted", str(refused.exception))
        self.assertFalse(self._emails())
        form = self._form(user=self.manager, mode="statement")
        self.assertIn("must not be contacted", form.guard_note)
        form.override_reason = "Asked by their accountant"
        self.assertFalse(form.guard_note, "the manager's reason lets it through")
        form.save().action_send()
        self.assertEqual(len(self._emails()), 1)
        contact = self.case.contact_ids
        self.assertEqual(contact.compliance_override, "Asked by their accountant")
        self.assertIn("must not be contacted", contact.blocked_reason)
        self.assertIn("Asked by their accountant", self.case.message_ids.mapped("body")[0])

    def test_send_statement_refuses_stale_figures(self):
        wizard = self._form(mode="statement").save()
        self._pay(self.invoice, 250)
        # Refused as the request would be: nothing it did is kept.
        with self.assertRaises(UserError) as refused:
            wizard.action_send()
        self.assertIn("changed since the e-mail was written", str(refused.exception))
        self.assertFalse(self._emails())

    def test_send_statement_is_among_the_case_actions_of_officers_only(self):
        sales = new_test_user(self.env, login="co_stmt_sales", groups="base.group_user")
        action = self.env.ref("collections_officer.collection_send_statement_action")
        for user, offered in ((self.officer, True), (self.manager, True), (sales, False)):
            bindings = (
                self.env["ir.actions.actions"].with_user(user).get_bindings("collection.case")
            )
            ids = [binding["id"] for binding in bindings.get("action", [])]
            self.assertEqual(action.id in ids, offered, user.login)
        self.assertEqual(action.binding_view_types, "form")

    def test_a_sales_user_cannot_send(self):
        sales = new_test_user(self.env, login="co_send_sales", groups="base.group_user")
        for mode in ("followup", "statement"):
            with self.assertRaises(AccessError):
                self.env["collection.send.wizard"].with_user(sales).create(
                    {"case_ids": self.case.ids, "mode": mode}
                )
        with self.assertRaises(AccessError):
            self.case.with_user(sales)._send_statement(
                "Statement", "<p>Hello</p>", self.env["ir.attachment"], 1000
            )
        self.assertFalse(self._emails())

    def test_files_of_emails_never_sent_are_cleaned_up_a_day_later(self):
        unsent = self._files(self._form()).filtered(lambda a: a.name.startswith("Statement"))
        sent_form = self._form()
        sent = self._files(sent_form).filtered(lambda a: a.name.startswith("Statement"))
        sent_form.save().action_send()
        self._age(unsent | sent, hours=48)
        recent = self._files(self._form(mode="statement"))
        self._age(recent, hours=2)
        self.env["collection.send.wizard"]._gc_lost_attachments()
        self.assertFalse(unsent.exists())
        self.assertTrue(self.invoice.invoice_pdf_report_id.exists(), "the invoice's own PDF stays")
        self.assertTrue(sent.exists(), "the statement sent stays with its case")
        self.assertTrue(recent.exists())
