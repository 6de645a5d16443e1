from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..models.collection_followup_execution import ACTION_CHANNEL, ComposedMails
from ..report.collection_statement_report import STATEMENT_REPORT

STATEMENT_TEMPLATE = "collections_officer.mail_template_collection_statement"
REPORT_MODEL = "report.collections_officer.report_collection_statement"


class CollectionSendWizard(models.TransientModel):
    """Send the follow-up level now, or the customer's statement.

    On one case, the e-mail is composed here as the customer will get it (the
    level's template, the statement and invoices it attaches) and the officer
    may edit it, as Odoo's own Send & Print; on several, Send follows the plan.
    """

    _name = "collection.send.wizard"
    _description = "Send the Follow-up Level Now"

    mode = fields.Selection(
        [("followup", "Follow-up Level"), ("statement", "Statement")],
        required=True,
        default="followup",
    )
    case_ids = fields.Many2many(
        "collection.case",
        required=True,
        default=lambda self: self._default_case_ids(),
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
    can_send = fields.Boolean(
        compute="_compute_preview",
        help="Send would send something on every case (else it refuses, with the reason).",
    )
    # What the e-mail was composed from: kept from opening to sending (not read-only,
    # so that the client sends them back), Send checks it still holds.
    composed_level_id = fields.Many2one(
        "collection.level", compute="_compute_composed_level_id", store=True, readonly=False
    )
    composed_overdue = fields.Float(compute="_compute_composed_overdue", store=True, readonly=False)
    is_composed = fields.Boolean(compute="_compute_is_composed")
    guard_note = fields.Char(compute="_compute_guard_note")
    # Before go-live the daily follow-up only previews; a send by hand is real (or held).
    dry_run_note = fields.Char(compute="_compute_dry_run_note")
    dry_run_held = fields.Boolean(compute="_compute_dry_run_note")
    mail_to = fields.Char(string="To", compute="_compute_mail_to")
    mail_subject = fields.Char(
        string="Subject", compute="_compute_mail_subject", store=True, readonly=False
    )
    mail_body = fields.Html(
        string="E-mail",
        compute="_compute_mail_body",
        store=True,
        readonly=False,
        sanitize_style=True,
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "collection_send_wizard_ir_attachment_rel",
        "wizard_id",
        "attachment_id",
        string="Attachments",
        compute="_compute_attachment_ids",
        store=True,
        readonly=False,
        bypass_search_access=True,
    )
    attachment_note = fields.Char(compute="_compute_attachment_note")
    is_manager = fields.Boolean(compute="_compute_is_manager")
    override_reason = fields.Char(
        help="Collections managers only: send although the compliance guard, the days "
        "between two levels, a recent agreement, a promise, a plan or a hold would stop it. "
        "The reason is logged on the case and with the contact."
    )

    @api.model
    def _default_case_ids(self):
        if self.env.context.get("active_model") == "collection.case":
            return self.env["collection.case"].browse(self.env.context.get("active_ids", []))
        return self.env["collection.case"]

    def _compute_is_manager(self):
        # Shows the override to managers only; the guard checks the group again when sending.
        self.is_manager = self._is_manager()

    def _is_manager(self):
        # The user's group, not the environment's: stored computes run as superuser.
        return self.env["collection.compliance"]._is_collections_manager(self.env.user)

    @api.depends("case_ids", "mode")
    def _compute_composed_level_id(self):
        for wizard in self:
            wizard.composed_level_id = wizard._mail_level()

    def _mail_level(self):
        """The level whose e-mail Send sends, composed here: on one case only.

        A manager sees the e-mail an override would send; without a reason, Send
        still refuses what the brakes stop.
        """
        case = self.case_ids._origin
        if self.mode != "followup" or len(case) != 1:
            return self.env["collection.level"]
        level, _resend, _reason = case._get_manual_levels(override=self._is_manager())[case.id]
        # An e-mail that will go as a letter or an SMS is not composed.
        if (
            level
            and "email" in level._get_actions()
            and not case._get_email_fallbacks({case.id: level})
        ):
            return level
        return self.env["collection.level"]

    @api.depends("case_ids", "mode")
    def _compute_composed_overdue(self):
        for wizard in self:
            case = wizard.case_ids._origin
            wizard.composed_overdue = case.overdue_amount if len(case) == 1 else 0.0

    @api.depends("case_ids", "mode", "composed_level_id")
    def _compute_is_composed(self):
        for wizard in self:
            wizard.is_composed = len(wizard.case_ids) == 1 and (
                wizard.mode == "statement" or bool(wizard.composed_level_id)
            )

    @api.depends("case_ids", "mode", "override_reason")
    def _compute_guard_note(self):
        """What the compliance guard says of e-mailing the statement (the follow-up's
        preview says it of each channel of the level)."""
        for wizard in self:
            wizard.guard_note = False
            case = wizard.case_ids._origin
            if wizard.mode != "statement" or len(case) != 1:
                continue
            override = wizard._is_overriding()
            kwargs = {"override_reason": wizard.override_reason} if override else {}
            verdict = (
                self.env["collection.compliance"]
                .sudo()
                ._check_contacts(case.sudo(), "email", **kwargs)[case.id]
            )
            if verdict["verdict"] != "allowed":
                wizard.guard_note = self.env._(
                    "The compliance guard does not allow this e-mail: %(reason)s",
                    reason=verdict["reason"],
                )

    @api.depends("case_ids")
    def _compute_dry_run_note(self):
        for wizard in self:
            companies = wizard.case_ids._origin.sudo().company_id
            wizard.dry_run_note = companies._collection_manual_send_note()
            wizard.dry_run_held = any(
                not company.collection_followup_live and company.collection_hold_manual_sends
                for company in companies
            )

    @api.depends("case_ids", "is_composed")
    def _compute_mail_to(self):
        for wizard in self:
            wizard.mail_to = False
            if wizard.is_composed:
                case = wizard.case_ids._origin
                recipient = case._get_followup_recipients()[case.id]["email"]
                wizard.mail_to = recipient.email_formatted or self.env._(
                    "%(partner)s (no e-mail address)", partner=recipient.display_name
                )

    @api.depends("composed_level_id", "mode")
    def _compute_mail_subject(self):
        for wizard in self:
            wizard.mail_subject = wizard._render_mail("subject")

    @api.depends("composed_level_id", "mode")
    def _compute_mail_body(self):
        for wizard in self:
            wizard.mail_body = wizard._render_mail("body_html")

    @api.depends("composed_level_id", "mode")
    def _compute_attachment_ids(self):
        for wizard in self:
            if not wizard.is_composed:
                wizard.attachment_ids = False
                continue
            case = wizard.case_ids._origin
            with_statement, invoices = wizard._mail_documents()
            statement = self.env["ir.attachment"]
            if with_statement:
                # One statement: Odoo's own printing, in this request.
                pdf, _format = (
                    self.env["ir.actions.report"]
                    .with_context(force_report_rendering=True)
                    ._render_qweb_pdf(STATEMENT_REPORT, case.ids)
                )
                # Kept with the case once sent (see _adopt_attachments); until then the
                # officer's own, as Odoo's composer keeps its files.
                statement = self.env["ir.attachment"].create(
                    {
                        "name": self.env[REPORT_MODEL]._statement_file_name(case),
                        "raw": pdf,
                        "res_model": self._name,
                        "res_id": 0,
                        "mimetype": "application/pdf",
                    }
                )
            wizard.attachment_ids = statement | invoices

    @api.depends("attachment_ids", "is_composed")
    def _compute_attachment_note(self):
        """The documents the template's text announces that the officer removed."""
        for wizard in self:
            wizard.attachment_note = False
            if not wizard.is_composed:
                continue
            with_statement, invoices = wizard._mail_documents()
            attached = wizard.attachment_ids._origin
            notes = []
            statement_name = self.env[REPORT_MODEL]._statement_file_name(wizard.case_ids._origin)
            if with_statement and statement_name not in attached.mapped("name"):
                notes.append(
                    self.env._(
                        "The statement was removed: if the text still says it is attached, edit it."
                    )
                )
            if invoices - attached:
                notes.append(
                    self.env._(
                        "Invoices were removed: if the text still says they are attached, edit it."
                    )
                )
            wizard.attachment_note = " ".join(notes) or False

    def _mail_template(self):
        if self.mode == "statement":
            return self.env.ref(STATEMENT_TEMPLATE, raise_if_not_found=False)
        return self.composed_level_id.mail_template_id

    def _mail_documents(self):
        """What the composed e-mail attaches: (the statement?, the invoices' PDFs)."""
        case, level = self.case_ids._origin, self.composed_level_id
        if self.mode == "statement":
            return True, self.env["ir.attachment"]
        invoices = self.env["ir.attachment"]
        if level.attach_invoices:
            invoices = self.env[
                "report.collections_officer.report_collection_statement"
            ]._invoice_pdf_attachments(case)[case.id]
        return level.attach_statement, invoices

    def _render_mail(self, field):
        """The subject or body of the e-mail, rendered as the customer gets it."""
        template = self._mail_template()
        if not self.is_composed or not template:
            return False
        case = self.case_ids._origin
        with_statement, invoices = self._mail_documents()
        # The text says what is attached only when it is (the officer edits it if
        # a file is removed).
        rendered = template.with_context(
            collection_statement_attached=with_statement,
            collection_invoices_attached=bool(invoices),
        )._generate_template(case.ids, (field,))
        return rendered[case.id].get(field) or False

    @api.depends("case_ids", "override_reason", "mode")
    def _compute_preview(self):
        for wizard in self:
            if wizard.mode != "followup":
                wizard.preview = False
                wizard.can_send = not wizard.dry_run_held
                continue
            plan = wizard._plan()
            rows = Markup("").join(
                Markup("<li><b>%s</b>: %s</li>") % (case.display_name, what)
                for case, (_level, _resend, what) in plan.items()
            )
            wizard.preview = Markup("<ul>%s</ul>") % rows if rows else False
            wizard.can_send = (
                bool(plan)
                and all(level for level, _resend, _what in plan.values())
                and not wizard.dry_run_held
            )

    def _plan(self):
        """What "send now" does per case: ``{case: (level, resend, description)}``.

        The cases' own decision (``collection.case._get_manual_levels``), read
        on the saved cases: the preview of an unsaved wizard shows what Send does,
        with what the compliance guard will block or defer on each channel.
        """
        cases = self.case_ids._origin
        override = self._is_overriding()
        decisions = cases._get_manual_levels(override=override)
        guard_notes = self._guard_notes(cases, decisions, override)
        fallbacks = cases._get_email_fallbacks(
            {case.id: decisions[case.id][0] for case in cases if decisions[case.id][0]}
        )
        plan = {}
        for case in cases:
            level, resend, reason = decisions[case.id]
            if not level:
                what = self.env._("nothing is sent: %(reason)s", reason=reason)
            elif resend:
                what = self.env._("%(level)s again", level=level.name)
            else:
                what = level.name
            if case.id in fallbacks:
                what = f"{what} ({fallbacks[case.id][1]})"
            if guard_notes.get(case.id):
                what = f"{what} ({'; '.join(guard_notes[case.id])})"
            plan[case] = (level, resend, escape(what))
        return plan

    def _guard_notes(self, cases, decisions, override):
        """What the compliance guard will say on each channel: ``{case_id: [note]}``."""
        guard = self.env["collection.compliance"]
        labels = dict(
            self.env["collection.contact"]._fields["channel"]._description_selection(self.env)
        )
        recipients = cases._get_followup_recipients()
        notes = {}
        for action, channel in ACTION_CHANNEL.items():
            reached = cases.filtered(
                lambda c, a=action: decisions[c.id][0] and a in decisions[c.id][0]._get_actions()
            )
            if not reached:
                continue
            kwargs = {"override_reason": self.override_reason} if override else {}
            verdicts = guard._check_contacts(reached, channel, recipients=recipients, **kwargs)
            for case in reached:
                verdict = verdicts[case.id]
                if verdict["verdict"] == "blocked":
                    note = self.env._(
                        "%(channel)s blocked: %(reason)s",
                        channel=labels[channel],
                        reason=verdict["reason"],
                    )
                elif verdict["verdict"] == "deferred":
                    note = self.env._(
                        "%(channel)s waits until %(date)s",
                        channel=labels[channel],
                        date=format_datetime(self.env, verdict["defer_until"]),
                    )
                else:
                    continue
                notes.setdefault(case.id, []).append(note)
        return notes

    def _is_overriding(self):
        """A collections manager gave a reason to send what the brakes would stop."""
        return bool((self.override_reason or "").strip()) and self.env.user.has_group(
            "collections_officer.group_collections_manager"
        )

    @api.model
    def default_get(self, fields):
        values = super().default_get(fields)
        if "case_ids" in fields:
            # The e-mail and the statement are composed on the customer's figures as
            # accounting has them now: Send checks them again.
            cases = self.env["collection.case"]
            ids = self.env.context.get("default_case_ids")
            if ids and all(isinstance(case_id, int) for case_id in ids):
                cases = cases.browse(ids)
            else:
                cases = self._default_case_ids()
            if len(cases) == 1:
                cases._refresh_from_accounting(
                    companies=cases.company_id, partners=cases.partner_id
                )
        return values

    def action_send(self):
        self.ensure_one()
        if self.override_reason:
            self.env["collection.compliance"]._check_override(self.override_reason)
        if self.mode == "statement":
            return self._send_statement()
        cases = self.case_ids._origin
        cases.sudo().company_id._collection_check_manual_send()
        override = self._is_overriding()
        decisions = cases._get_manual_levels(override=override)
        nothing = [
            self.env._("%(case)s: %(reason)s", case=case.display_name, reason=reason)
            for case in cases
            for level, _resend, reason in [decisions[case.id]]
            if not level
        ]
        if nothing:
            raise UserError(
                self.env._("Nothing can be sent now to:\n%(cases)s", cases="\n".join(nothing))
            )
        # Follow-ups are the engine's records: written as superuser for the cases
        # the user works.
        self.case_ids.check_access("write")
        Followup = self.env["collection.followup"].sudo()
        prepared = Followup.search(
            [
                ("case_id", "in", cases.ids),
                ("state", "in", ("to_review", "pending", "blocked", "failed", "cancelled")),
                ("resend", "=", False),
            ]
        )
        prepared_by_key = prepared.grouped(lambda f: (f.case_id, f.level_id, f.cycle))
        to_send, values = Followup, []
        for case in cases:
            level, resend, _reason = decisions[case.id]
            followup = prepared_by_key.get((case, level, case.followup_cycle))
            if followup and not resend:
                to_send |= followup
                continue
            values.append(
                {
                    "case_id": case.id,
                    "level_id": level.id,
                    "cycle": case.followup_cycle,
                    "resend": resend,
                    "state": "pending",
                    "date": case.company_id._collection_today(),
                }
            )
        to_send |= Followup.create(values)
        to_send.write({"sent_by_id": self.env.uid})
        # Set either way: only this wizard's own reason, a manager's, overrides.
        context = {"collection_override_reason": self.override_reason if override else False}
        if self.is_composed:
            context["collection_composed_mails"] = self._composed_mails(decisions)
        to_send.with_context(**context)._execute()
        if override:
            to_send._log_on_cases(
                lambda followup: self.env._(
                    "%(level)s sent by %(user)s by a manager's decision: %(reason)s",
                    level=followup.level_id.name,
                    user=self.env.user.name,
                    reason=self.override_reason,
                )
            )
        states = dict(Followup._fields["state"]._description_selection(self.env))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Follow-up sent"),
                "message": "\n".join(
                    f"{f.case_id.display_name}: {f.level_id.name} - {states[f.state]}"
                    + (f" ({f.blocked_reason or f.error})" if f.blocked_reason or f.error else "")
                    for f in to_send
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _composed_mails(self, decisions):
        """The e-mail as the officer edited it, for the engine to send (see ComposedMails)."""
        case = self.case_ids._origin
        level, _resend, _reason = decisions[case.id]
        if level != self.composed_level_id:
            raise UserError(
                self.env._(
                    "What Send does on %(case)s changed since the e-mail was written (now: "
                    "%(level)s): nothing was sent. Close this window and open it again.",
                    case=case.display_name,
                    level=level.name,
                )
            )
        if not (self.mail_subject or "").strip():
            raise UserError(self.env._("Give the e-mail a subject."))
        # Only files the officer may read leave with the e-mail.
        self.attachment_ids.check_access("read")
        return ComposedMails(
            {
                case.id: {
                    "subject": self.mail_subject,
                    "body": self.mail_body or "",
                    "attachments": self.attachment_ids,
                    "overdue_amount": self.composed_overdue,
                }
            }
        )

    def _send_statement(self):
        cases = self.case_ids._origin
        if len(cases) != 1:
            raise UserError(self.env._("Send Statement works on one case at a time."))
        self.attachment_ids.check_access("read")
        cases._send_statement(
            self.mail_subject,
            self.mail_body or "",
            self.attachment_ids,
            self.composed_overdue,
            override_reason=self.override_reason if self._is_overriding() else None,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Statement sent"),
                "message": self.env._(
                    "The statement of %(case)s was e-mailed to %(to)s.",
                    case=cases.display_name,
                    to=self.mail_to,
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.autovacuum
    def _gc_lost_attachments(self):
        """Statements printed and files added for e-mails never sent, a day later (as
        Odoo's composer does): the ones sent were moved to their case."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=1)
        self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", 0),
                ("create_date", "<", limit),
                ("write_date", "<", limit),
            ]
        ).unlink()
