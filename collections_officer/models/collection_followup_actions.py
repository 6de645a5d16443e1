from odoo import Command, models

from .collection_case_chatter import GUARD_PASSED


class CollectionFollowup(models.Model):
    """The actions of a follow-up level, one method per action: e-mail, letter, SMS,
    call, manager alert, charge, legal action proposed, credit hold."""

    _inherit = "collection.followup"  # pylint: disable=consider-merging-classes-inherited

    def _action_email(self):
        """E-mail the level's template to each case's customer, for the batch at once.

        One ``mail.mail`` per case, created together with its chatter message, then
        their notifications, as Odoo's mass mailing does: one ``message_post`` per
        case costs the daily run about eleven queries a case. What ``message_post``
        would add is given here: the layout, the reply-to, the headers, the customer
        as the only notified partner (followers get no copy). The e-mails are queued.
        """
        results = {}
        cases = self.case_id
        # The link in the e-mail opens the customer's page from now on.
        cases._portal_grant_link()
        customers = cases._mail_get_partners(introspect_fields=False)
        self.env["res.partner"].union(*customers.values())._collection_signup_prepare()
        recipients = self._recipients()
        # An e-mail the officer composed goes as it was read: its text, its documents.
        composed = self._composed_mails()
        templated = self.filtered(lambda f: f.case_id.id not in composed)
        # The statements print in the background while the e-mails are prepared.
        attach_statements = templated._statement_attachments()
        invoice_pdfs = self.env[
            "report.collections_officer.report_collection_statement"
        ]._invoice_pdf_attachments(templated.filtered("level_id.attach_invoices").case_id)
        alias_domains = cases.sudo()._mail_get_alias_domains(default_company=self.env.company)
        companies = cases._mail_get_companies(default=self.env.company)
        subtype = self.env.ref("collections_officer.mt_collection_followup_sent")
        mail_values, sent = [], self.browse()
        for (template, with_statement, with_invoices), followups in self.grouped(
            lambda f: (
                f.level_id.mail_template_id,
                f.level_id.attach_statement,
                f.level_id.attach_invoices and bool(invoice_pdfs.get(f.case_id.id)),
            )
        ).items():
            # The text says what is attached only when it is.
            # The body compiled once for the batch, not once per case.
            rendered = template.with_context(
                collection_render_batch=True,
                collection_statement_attached=with_statement,
                collection_invoices_attached=with_invoices,
            )._generate_template(
                followups.case_id.ids, ("subject", "body_html", "email_from", "reply_to")
            )
            # The customer hears from its officer or the company, never from whoever
            # runs the job (the scheduler's user is OdooBot).
            authors = {
                case.id: case.user_id.partner_id or case.company_id.partner_id
                for case in followups.case_id
            }
            senders = {
                case_id: rendered[case_id].get("email_from") or author.email_formatted
                for case_id, author in authors.items()
            }
            reply_tos = followups.case_id._notify_get_reply_to_batch(
                defaults=senders,
                author_ids={case_id: author.id for case_id, author in authors.items()},
            )
            for followup in followups:
                case, recipient = followup.case_id, recipients[followup.case_id.id]["email"]
                if not recipient.email:
                    results[followup] = self.env._(
                        "%(partner)s has no e-mail address.", partner=recipient.display_name
                    )
                    continue
                attachments = self.env["ir.attachment"]
                if followup.level_id.attach_invoices and case.id in invoice_pdfs:
                    attachments = invoice_pdfs[case.id]
                values = rendered[case.id]
                if mail := composed.get(case.id):
                    values = values | {"subject": mail["subject"], "body_html": mail["body"]}
                    attachments = case._adopt_attachments(mail["attachments"])
                cc = ",".join(followup.policy_id._get_cc_emails()) or False
                mail_values.append(
                    {
                        "model": case._name,
                        "res_id": case.id,
                        "message_type": "comment",
                        "subtype_id": subtype.id,
                        "subject": values.get("subject"),
                        "body": values.get("body_html"),
                        "body_html": case._collection_email_layout(
                            values.get("body_html"), recipient
                        ),
                        "author_id": authors[case.id].id,
                        "email_from": senders[case.id],
                        "reply_to": values.get("reply_to") or reply_tos[case.id],
                        "partner_ids": [Command.link(recipient.id)],
                        "recipient_ids": [Command.link(recipient.id)],
                        "outgoing_email_to": cc,
                        "email_to": cc,
                        "attachment_ids": attachments,
                        "record_alias_domain_id": alias_domains[case.id].id,
                        "record_company_id": companies[case.id].id,
                        "headers": repr(case._notify_by_email_get_headers()),
                        "is_notification": True,
                        "auto_delete": True,
                        "email_layout_xmlid": "mail.mail_notification_light",
                    }
                )
                sent |= followup
        for values in mail_values:
            values["attachment_ids"] = [Command.set(values["attachment_ids"].ids)]
        # The e-mails are written while the batch's last statements print; the statements
        # join their messages afterwards. One bad e-mail fails alone: _run_action tries
        # the follow-ups one by one when the batch fails, so the common path pays no
        # savepoint.
        try:
            mails = self.env["mail.mail"].sudo().create(mail_values)
            self.env["mail.notification"].sudo().create(
                [
                    values | {"res_partner_id": mail.recipient_ids.id}
                    for mail, values in zip(mails, mails._get_notification_values(), strict=True)
                ]
            )
        finally:
            statements = attach_statements()
        self._attach_to_messages(
            {
                mail.mail_message_id.id: statements[values["res_id"]].id
                for mail, values in zip(mails, mail_values, strict=True)
                if values["res_id"] in statements
            }
        )
        for followup, mail in zip(sent, mails, strict=True):
            followup.message_id = mail.mail_message_id
            results[followup] = False
        return results

    def _action_letter(self):
        # The letter's short link and QR code open the page from the day it is prepared.
        self.case_id._portal_grant_link()
        self.write({"letter_to_print": True, "letter_printed": False})
        return dict.fromkeys(self, False)

    def _action_sms(self):
        results = {}
        recipients = self._recipients()
        self.case_id._portal_grant_link()
        for followup in self:
            recipient = recipients[followup.case_id.id]["sms"]
            if not recipient.phone:
                results[followup] = self.env._(
                    "%(partner)s has no phone number for the SMS.", partner=recipient.display_name
                )
                continue
            followup.case_id.with_context(
                collection_guard_passed=GUARD_PASSED
            )._message_sms_with_template(
                template=followup.level_id.sms_template_id,
                partner_ids=recipient.ids,
                put_in_queue=True,
            )
            results[followup] = False
        return results

    def _action_call(self):
        for followup in self:
            when = self._call_dates().get(followup.id)
            followup.case_id.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=followup._local_date(when)
                if when
                else followup.company_id._collection_today(),
                summary=self.env._("Collections call: %(level)s", level=followup.level_id.name),
                user_id=(followup.case_id.user_id or self.env.user).id,
            )
        return dict.fromkeys(self, False)

    def _local_date(self, utc_datetime):
        """The date at the person called: the call's recipient's timezone (see the guard)."""
        recipients = self._recipients()
        return (
            self.env["collection.compliance"]
            ._local_datetime(
                utc_datetime, recipients[self.case_id.id]["phone"], self.case_id.company_id
            )
            .date()
        )

    def _action_manager(self):
        results = {}
        for followup in self:
            case = followup.case_id
            manager = case.team_id.manager_id or case.user_id or self.env.user
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=self.env._("Escalated: %(case)s", case=case.display_name),
                note=self.env._(
                    "Follow-up level %(level)s: %(amount)s overdue for %(days)s days.",
                    level=followup.level_id.name,
                    amount=case.overdue_amount,
                    days=case.days_overdue,
                ),
                user_id=manager.id,
            )
            results[followup] = False
        self.case_id.sudo().filtered(lambda c: c.state == "open").write({"state": "escalated"})
        return results

    def _action_charge(self):
        results = {}
        for rule, followups in self.grouped(lambda f: f.level_id.charge_rule_id).items():
            invoices = rule._charge_cases(followups.case_id, rule.company_id._collection_today())
            by_partner = invoices.grouped("commercial_partner_id")
            for followup in followups:
                followup.charge_move_ids = by_partner.get(
                    followup.case_id.partner_id, self.env["account.move"]
                )
                results[followup] = False
        return results

    def _action_legal(self):
        for followup in self:
            case = followup.case_id
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=self.env._("Propose legal action: %(case)s", case=case.display_name),
                user_id=(case.team_id.manager_id or case.user_id or self.env.user).id,
            )
        self._log_on_cases(
            lambda followup: self.env._(
                "Level %(level)s proposes escalating the case to legal action.",
                level=followup.level_id.name,
            )
        )
        return dict.fromkeys(self, False)

    def _action_credit_hold(self):
        # A level decides it, whoever runs it (officers need not manage partners), in its
        # case's company: the customer may owe nothing to the others.
        for (company, level), followups in self.grouped(
            lambda f: (f.case_id.company_id, f.level_id)
        ).items():
            followups.case_id.partner_id._put_credit_hold(
                company, self.env._("Follow-up level %(level)s", level=level.name)
            )
        self._log_on_cases(
            lambda followup: self.env._(
                "Level %(level)s put %(partner)s on credit hold.",
                level=followup.level_id.name,
                partner=followup.case_id.partner_id.display_name,
            )
        )
        return dict.fromkeys(self, False)
