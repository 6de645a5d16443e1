import logging
from collections import defaultdict

from markupsafe import Markup
from psycopg2.extensions import TransactionRollbackError

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .collection_case_chatter import GUARD_PASSED

_logger = logging.getLogger(__name__)

# Actions that reach the customer, and the compliance channel each one uses.
ACTION_CHANNEL = {"email": "email", "letter": "letter", "sms": "sms", "call": "phone"}


# Put in the context by the code that read the customers' figures from accounting in
# this transaction (the daily run, at the start of its batch), so the send does not read
# them again. An object, not a flag: a client's context (JSON) cannot carry it.
FIGURES_READ = object()


class FollowupRecipients(dict):
    """Who each channel reaches, by case id (see ``collection.case._get_followup_recipients``),
    as the engine read them for the actions it runs: a type of its own, so that a client's
    context (JSON) cannot give one."""


class CallDates(dict):
    """When the guard lets each follow-up's call be made, by follow-up id: a type of its
    own, so that a client's context (JSON) cannot give one."""


class ComposedMails(dict):
    """E-mails an officer read and edited before sending, by case id: ``{case_id:
    {"subject", "body", "attachments", "overdue_amount"}}``, the overdue amount being
    the one the officer saw. Given in the ``collection_composed_mails`` context key: a
    type of its own, so that a client's context (JSON) cannot carry one.
    """


class CollectionFollowup(models.Model):
    """One execution of a follow-up level on a case.

    The record is what makes the engine idempotent: a case gets a level once
    per follow-up cycle (a unique index says so), and each action of the level
    is recorded in ``done_actions`` as it succeeds, so a retry or a second
    worker never repeats it.
    """

    _name = "collection.followup"
    _description = "Collection Follow-up"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    user_id = fields.Many2one(related="case_id.user_id", string="Officer")
    currency_id = fields.Many2one(related="case_id.currency_id")
    # The case's figures as this follow-up went out (when it was prepared, then
    # when it was executed): what the customer was told, whatever happens later.
    overdue_amount = fields.Monetary(readonly=True)
    total_due = fields.Monetary(readonly=True)
    days_overdue = fields.Integer(readonly=True)
    oldest_due_date = fields.Date(readonly=True)
    level_id = fields.Many2one(
        "collection.level", required=True, index=True, ondelete="restrict", check_company=True
    )
    policy_id = fields.Many2one(related="level_id.policy_id")
    date = fields.Date(
        required=True, default=lambda self: self.env.company._collection_today(), index=True
    )
    cycle = fields.Integer(
        required=True, default=0, help="The case's follow-up cycle (it grows each time it closes)."
    )
    resend = fields.Boolean(
        readonly=True, help="A level sent again by an officer, outside the automatic sequence."
    )
    state = fields.Selection(
        [
            ("preview", "Preview"),
            ("to_review", "To Review"),
            ("pending", "Partly Deferred"),
            ("done", "Done"),
            ("blocked", "Blocked"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="to_review",
        index=True,
    )
    done_actions = fields.Char(readonly=True, help="Actions already executed, comma-separated.")
    done_actions_label = fields.Char(
        string="Done", compute="_compute_done_actions_label", help="What was already done."
    )
    defer_until = fields.Datetime(
        readonly=True, help="When the deferred actions may run (next contact window)."
    )
    blocked_reason = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    retry_count = fields.Integer(
        readonly=True, help="Times the daily run tried this follow-up again after it failed."
    )
    bank_warning = fields.Char(
        readonly=True, help="Bank statements not reconciled when the follow-up was prepared."
    )
    letter_to_print = fields.Boolean(readonly=True, index=True)
    letter_printed = fields.Boolean(readonly=True)
    run_id = fields.Many2one("collection.run", index="btree_not_null", ondelete="set null")
    sent_by_id = fields.Many2one("res.users", readonly=True)
    sent_date = fields.Datetime(
        readonly=True, index="btree_not_null", help="When an officer last sent it by hand."
    )
    contact_ids = fields.One2many("collection.contact", "followup_id", string="Contacts")
    charge_move_ids = fields.Many2many(
        "account.move", string="Charge Invoices", readonly=True, copy=False
    )
    message_id = fields.Many2one("mail.message", string="E-mail", readonly=True)

    # A preview (dry run) only shows what the run would do: it never holds a level's place.
    _level_once_per_cycle = models.UniqueIndex(
        "(case_id, level_id, cycle) WHERE resend IS NOT TRUE AND state != 'preview'",
        "A follow-up level is executed once per case and cycle.",
    )

    def write(self, vals):
        # Sent by hand now: what keeps a second click from sending again.
        if vals.get("sent_by_id"):
            vals = vals | {"sent_date": fields.Datetime.now()}
        return super().write(vals)

    @api.depends("done_actions")
    def _compute_done_actions_label(self):
        labels = {
            "email": self.env._("E-mail"),
            "letter": self.env._("Letter"),
            "sms": self.env._("SMS"),
            "call": self.env._("Call planned"),
            "manager": self.env._("Manager alerted"),
            "charge": self.env._("Charge"),
            "legal": self.env._("Legal action proposed"),
            "credit_hold": self.env._("Credit hold"),
        }
        for followup in self:
            done = filter(None, (followup.done_actions or "").split(","))
            followup.done_actions_label = ", ".join(labels.get(action, action) for action in done)

    @api.depends("case_id", "level_id")
    def _compute_display_name(self):
        for followup in self:
            followup.display_name = f"{followup.case_id.name} - {followup.level_id.name}"

    @api.model_create_multi
    def create(self, vals_list):
        cases = self.env["collection.case"].browse(
            [vals["case_id"] for vals in vals_list if vals.get("case_id")]
        )
        figures = {case.id: self._case_figures(case) for case in cases}
        for vals in vals_list:
            if vals.get("case_id"):
                vals.update(
                    {
                        name: value
                        for name, value in figures[vals["case_id"]].items()
                        if name not in vals
                    }
                )
        return super().create(vals_list)

    @api.model
    def _case_figures(self, case):
        """The case's figures a follow-up keeps: at preparation, then at execution."""
        return {
            "overdue_amount": case.overdue_amount,
            "total_due": case.total_due,
            "days_overdue": case.days_overdue,
            "oldest_due_date": case.oldest_due_date,
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        # The record of what was sent, and what keeps a level from being sent twice.
        # Only a dry run's previews, which sent nothing, give way to the next dry run.
        if self.filtered(lambda followup: followup.state != "preview"):
            raise UserError(self.env._("Follow-ups are history: they cannot be deleted."))

    # ---------------------------------------------------------------- actions

    def action_send(self):
        """Send prepared follow-ups (the "To Review" list), through the compliance guard."""
        to_send = self.filtered(lambda f: f.state in ("to_review", "blocked", "failed"))
        if not to_send:
            raise UserError(self.env._("Only follow-ups to review, blocked or failed can be sent."))
        # Follow-ups are the engine's records: officers read them and act through
        # here, on the cases they work; the engine writes them.
        to_send.case_id.check_access("write")
        # No override here: a manager's override goes through Send Follow-up Now, which
        # asks for the reason and logs it on the case.
        to_send = to_send.sudo().with_context(collection_override_reason=False)
        to_send.write({"sent_by_id": self.env.uid, "error": False})
        to_send._execute()
        return True

    def action_cancel(self):
        """Skip the level: nothing is sent, and the case moves on to the next one."""
        if self.filtered(lambda f: f.state not in ("to_review", "blocked", "failed")):
            raise UserError(self.env._("Only follow-ups not sent yet can be cancelled."))
        self.case_id.check_access("write")
        self.sudo().write({"state": "cancelled"})
        self._advance_cases()
        self._log_on_cases(
            lambda followup: self.env._(
                "Follow-up level %(level)s cancelled by %(user)s.",
                level=followup.level_id.name,
                user=self.env.user.name,
            )
        )
        return True

    def _log_on_cases(self, body_of):
        """A note per follow-up on its case's chatter, all in one insert."""
        bodies = {}
        for followup in self:
            body = body_of(followup)
            if body:
                case_id = followup.case_id.id
                bodies[case_id] = (
                    bodies[case_id] + Markup("<br/>") + body if case_id in bodies else body
                )
        if bodies:
            self.case_id.browse(list(bodies))._log_notes(bodies)

    def action_print_letters(self):
        """One PDF with the letter of every selected follow-up, each with its own level."""
        letters = self.filtered("letter_to_print")
        if not letters:
            raise UserError(self.env._("None of these follow-ups has a letter to print."))
        letters.sudo().letter_printed = True
        return self.env.ref("collections_officer.action_report_collection_letter").report_action(
            letters
        )

    # -------------------------------------------------------------- execution

    def _execute(self, now=None):
        """Execute what is left of these follow-ups' levels, action by action.

        Actions are batched across follow-ups (one statement rendering, one
        contact creation, ...). An action that succeeded is recorded and never
        repeated; one that fails is logged on its case and does not stop the
        others.
        """
        now = now or fields.Datetime.now()
        override = self.env.context.get("collection_override_reason")
        if override:
            # Only a collections manager's reason counts, whoever put it in the context.
            self.env["collection.compliance"]._check_override(override)
        # Whoever acts (the run, the deferred cron, an officer), the case may have
        # changed since the follow-up was prepared: look again first, always.
        self._recheck_cases(bool(override))._execute_actions(now, override)

    def _execute_actions(self, now, override):
        """Run the actions of follow-ups ``_recheck_cases`` just kept (see ``_execute``)."""
        guard = self.env["collection.compliance"]
        done = {f.id: set(filter(None, (f.done_actions or "").split(","))) for f in self}
        recipients = self.case_id._get_followup_recipients()
        # Hold and breathing space stop the level's other actions too (charges...).
        case_blockers = self.case_id._get_contact_blockers(at=now, recipients=recipients)
        deferred, blocked, errors = {}, defaultdict(list), defaultdict(list)
        contacts, call_dates = [], {}
        for action in (
            "email",
            "letter",
            "sms",
            "call",
            "manager",
            "charge",
            "legal",
            "credit_hold",
        ):
            todo = self.filtered(
                lambda f, a=action: a in f.level_id._get_actions() and a not in done[f.id]
            )
            if not todo:
                continue
            channel = ACTION_CHANNEL.get(action)
            allowed = todo
            if not channel:
                allowed = todo.filtered(lambda f: f.case_id.id not in case_blockers)
                for followup in todo - allowed:
                    blocked[followup.id].append(case_blockers[followup.case_id.id])
            else:
                kwargs = {"override_reason": override} if override else {}
                verdicts = guard._check_contacts(
                    todo.case_id, channel, at=now, recipients=recipients, **kwargs
                )
                allowed = self.browse()
                for followup in todo:
                    verdict = verdicts[followup.case_id.id]
                    if verdict["verdict"] == "allowed":
                        allowed |= followup
                    elif verdict["verdict"] == "deferred" and action != "call":
                        deferred.setdefault(followup.id, verdict["defer_until"])
                    elif verdict["verdict"] == "deferred":
                        # The officer makes the call: schedule it at the next window.
                        allowed |= followup
                        call_dates[followup.id] = verdict["defer_until"]
                    else:
                        blocked[followup.id].append(verdict["reason"])
                        if verdict["reason"] not in (followup.blocked_reason or "").split("; "):
                            contacts.append(
                                followup._contact_values(recipients, channel, "blocked", verdict)
                            )
            allowed = allowed.with_context(
                collection_call_dates=CallDates(call_dates),
                collection_recipients=FollowupRecipients(recipients),
            )
            for followup, error in allowed._run_action(action).items():
                if error:
                    errors[followup.id].append(error)
                else:
                    done[followup.id].add(action)
                    if channel and action != "call":
                        contacts.append(followup._contact_values(recipients, channel, "sent"))
        if contacts:
            # The engine's own entries: the guard judged each contact above.
            self.env["collection.contact"].with_context(
                collection_contact_skip_chatter=True, collection_guard_passed=GUARD_PASSED
            ).create(contacts)
        self._record_outcome(done, deferred, blocked, errors)

    def _recheck_cases(self, override=False):
        """Cancel, with the reason, the follow-ups whose case no longer wants them.

        The customers' figures are read again from accounting first, unless the
        caller did it in this transaction (see ``_with_figures_read``; a transaction
        sees no entry posted after it started). A case closed (or paid and reopened
        since), on hold, under a promise or a plan kept, or whose level is no longer
        due cancels its follow-up; a manager's ``override`` sends despite a hold, a
        promise or a plan. Returns the follow-ups still to execute.
        """
        cases = self.case_id
        if not cases:
            return self
        if self.env.context.get("collection_figures_read") is not FIGURES_READ:
            cases.env["collection.case"]._refresh_from_accounting(
                companies=cases.company_id.sudo(), partners=cases.partner_id
            )
        composed = self._composed_mails()
        if composed:
            cases.filtered(lambda case: case.id in composed)._check_overdue_as_composed(
                {case_id: mail["overdue_amount"] for case_id, mail in composed.items()}
            )
        blockers = cases._get_send_blockers(override)
        reasons = {}
        for followup in self:
            case, level = followup.case_id, followup.level_id
            if case.state == "closed" or followup.cycle != case.followup_cycle:
                reasons[followup] = self.env._("The case was closed: nothing is overdue any more.")
            elif case.id in blockers:
                reasons[followup] = blockers[case.id]
            elif not followup.resend and not followup._is_level_due(
                case.company_id._collection_today()
            ):
                reasons[followup] = self.env._(
                    "%(level)s is no longer due: the oldest item is %(days)s days overdue.",
                    level=level.name,
                    days=case.days_overdue,
                )
        cancelled = self.browse([followup.id for followup in reasons])
        for followup, reason in reasons.items():
            followup.write({"state": "cancelled", "blocked_reason": reason, "defer_until": False})
        cancelled._log_on_cases(
            lambda followup: self.env._(
                "Follow-up %(level)s cancelled before it was sent: %(reason)s",
                level=followup.level_id.name,
                reason=reasons[followup],
            )
        )
        return self - cancelled

    def _with_figures_read(self):
        """These follow-ups, for a caller that read their customers' figures from
        accounting in this transaction: sending them does not read them again."""
        return self.with_context(collection_figures_read=FIGURES_READ)

    def _recipients(self):
        """Who each channel reaches (see ``FollowupRecipients``): as ``_execute`` read them,
        else read now."""
        recipients = self.env.context.get("collection_recipients")
        if isinstance(recipients, FollowupRecipients):
            return recipients
        return self.case_id._get_followup_recipients()

    def _call_dates(self):
        dates = self.env.context.get("collection_call_dates")
        return dates if isinstance(dates, CallDates) else CallDates()

    def _composed_mails(self):
        """The e-mails an officer composed for these follow-ups' cases (see ``ComposedMails``)."""
        mails = self.env.context.get("collection_composed_mails")
        return mails if isinstance(mails, ComposedMails) else ComposedMails()

    def _is_level_due(self, today):
        """Does the age of the case's debt still reach the level's delay?"""
        self.ensure_one()
        case, delay = self.case_id, self.level_id.delay_days
        if delay >= 0:
            return bool(case.oldest_due_date) and (today - case.oldest_due_date).days >= delay
        # A reminder before the due date: only while nothing is overdue.
        return (
            not case.oldest_due_date
            and bool(case.next_due_date)
            and (today - case.next_due_date).days >= delay
        )

    def _run_action(self, action):
        """Run one action on these follow-ups: ``{followup: error message or False}``.

        The batch runs in one savepoint; only if it fails is the action run again
        follow-up by follow-up, so one bad record fails alone.
        """
        if not self:
            return {}
        try:
            with self.env.cr.savepoint():
                return getattr(self, f"_action_{action}")()
        except TransactionRollbackError:
            raise
        except Exception as error:
            if len(self) == 1:
                _logger.warning("Follow-up %s: %s failed", self.display_name, action, exc_info=True)
                message = self.env._("%(action)s failed: %(error)s", action=action, error=error)
                return {self: message}
        results = {}
        for followup in self:
            results.update(followup._run_action(action))
        return results

    def _record_outcome(self, done, deferred, blocked, errors):
        """Write what became of each follow-up: one write per outcome, not per follow-up
        (a run records thousands of identical outcomes)."""
        advanced, outcomes = [], defaultdict(list)
        for followup in self:
            actions = followup.level_id._get_actions()
            finished = done[followup.id]
            if errors.get(followup.id):
                state = "failed"
            elif set(actions) <= finished:
                state = "done"
            elif followup.id in deferred:
                state = "pending"
            else:
                state = "blocked"
            vals = {
                "state": state,
                "done_actions": ",".join(a for a in actions if a in finished),
                "defer_until": deferred.get(followup.id, False),
                "blocked_reason": "; ".join(dict.fromkeys(blocked.get(followup.id, []))) or False,
                "error": "\n".join(errors.get(followup.id, [])) or False,
            }
            if finished and not followup.done_actions:
                # The first actions to go out fix the figures the customer was told
                # (written when they moved since the follow-up was prepared).
                figures = self._case_figures(followup.case_id)
                moved = {name: value for name, value in figures.items() if followup[name] != value}
                if moved:
                    followup.write(moved)
            outcomes[tuple(vals.items())].append(followup.id)
            if finished:
                advanced.append(followup.id)
        for vals, followup_ids in outcomes.items():
            self.browse(followup_ids).write(dict(vals))
        self._log_on_cases(
            lambda followup: Markup("<br/>").join(
                self.env._(
                    "Follow-up %(level)s: %(error)s", level=followup.level_id.name, error=error
                )
                for error in errors.get(followup.id, [])
            )
        )
        self.browse(advanced)._advance_cases()

    def _ask_officer_to_look(self):
        """Failed again and again: the officer decides (send by hand or cancel)."""
        for followup in self:
            case = followup.case_id
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Follow-up failed: %(case)s", case=case.display_name),
                note=self.env._(
                    "Follow-up level %(level)s failed %(count)s times: %(error)s",
                    level=followup.level_id.name,
                    count=followup.retry_count + 1,
                    error=followup.error,
                ),
                user_id=(case.user_id or case.team_id.manager_id or self.env.user).id,
            )

    def _advance_cases(self):
        """The case's level is now this one (the sequence never goes back).

        Logged as one note per case in one insert, not as tracking: a message and
        its tracking value per case would cost the daily run about five queries a case.
        """
        advanced = self.browse()
        for (level, date), followups in self.grouped(lambda f: (f.level_id, f.date)).items():
            followups = followups.filtered(
                lambda f, lvl=level: not f.resend and f.case_id.level_id != lvl
            )
            # The case's level is the engine's: written as superuser whoever sends.
            followups.case_id.sudo().with_context(tracking_disable=True).write(
                {"level_id": level.id, "level_date": date}
            )
            advanced |= followups
        advanced._log_on_cases(
            lambda followup: self.env._("Follow-up level: %(level)s.", level=followup.level_id.name)
        )

    def _contact_values(self, recipients, channel, outcome, verdict=None):
        self.ensure_one()
        recipient = recipients[self.case_id.id][channel]
        return {
            "case_id": self.case_id.id,
            "partner_id": recipient.id,
            "channel": channel,
            "direction": "outbound",
            "outcome": outcome,
            "level_id": self.level_id.id,
            "followup_id": self.id,
            "user_id": self.env.uid,
            "blocked_reason": (verdict and verdict["reason"]) or False,
            "compliance_override": self.env.context.get("collection_override_reason") or False,
        }

    # ------------------------------------------------------------ the actions

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

    def _attach_to_messages(self, attachment_by_message):
        """Add an attachment to each message: ``{message_id: attachment_id}``.

        One INSERT for the batch: the ORM writes a many2many record by record when
        each record gets its own attachment.
        """
        if not attachment_by_message:
            return
        messages = self.env["mail.message"].browse(list(attachment_by_message))
        messages.flush_recordset(["attachment_ids"])
        self.env.execute_query(
            SQL(
                """INSERT INTO message_attachment_rel (message_id, attachment_id)
                   SELECT * FROM unnest(%s::int[], %s::int[])
                   ON CONFLICT DO NOTHING""",
                list(attachment_by_message),
                list(attachment_by_message.values()),
            )
        )
        messages.invalidate_recordset(["attachment_ids"])
        self.env["mail.mail"].invalidate_model(["attachment_ids"])

    def _statement_attachments(self):
        """Start printing the customer statements of these follow-ups' cases; returns a
        function that waits for them and stores them as attachments of the cases:
        ``{case_id: attachment}``. The caller prepares its e-mails meanwhile.

        Only for the cases whose e-mail can go out: a statement nobody receives
        is neither rendered nor stored. The ones sent stay with their message,
        as evidence of what the customer was sent.
        """
        recipients = self._recipients()
        wanted = self.filtered(
            lambda f: f.level_id.attach_statement and recipients[f.case_id.id]["email"].email
        ).case_id
        if not wanted:
            return dict
        statements = self.env["report.collections_officer.report_collection_statement"]
        printing = statements._start_statements(wanted, to_filestore=True)

        def attach():
            pdfs = printing()
            attachments = self.env["ir.attachment"].create(
                [
                    {
                        "name": statements._statement_file_name(case),
                        "raw": pdfs[case.id],
                        "res_model": "collection.case",
                        "res_id": case.id,
                        "mimetype": "application/pdf",
                    }
                    for case in wanted
                ]
            )
            return {attachment.res_id: attachment for attachment in attachments}

        return attach

    def _action_letter(self):
        self.write({"letter_to_print": True, "letter_printed": False})
        return dict.fromkeys(self, False)

    def _action_sms(self):
        results = {}
        recipients = self._recipients()
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
