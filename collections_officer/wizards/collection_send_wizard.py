from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..models.collection_followup import ACTION_CHANNEL


class CollectionSendWizard(models.TransientModel):
    _name = "collection.send.wizard"
    _description = "Send the Follow-up Level Now"

    case_ids = fields.Many2many(
        "collection.case",
        required=True,
        default=lambda self: self._default_case_ids(),
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
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
        self.is_manager = self.env["collection.compliance"]._is_collections_manager()

    @api.depends("case_ids", "override_reason")
    def _compute_preview(self):
        for wizard in self:
            rows = Markup("").join(
                Markup("<li><b>%s</b>: %s</li>") % (case.display_name, what)
                for case, (_level, _resend, what) in wizard._plan().items()
            )
            wizard.preview = Markup("<ul>%s</ul>") % rows if rows else False

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
        plan = {}
        for case in cases:
            level, resend, reason = decisions[case.id]
            if not level:
                what = self.env._("nothing is sent: %(reason)s", reason=reason)
            elif resend:
                what = self.env._("%(level)s again", level=level.name)
            else:
                what = level.name
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

    def action_send(self):
        self.ensure_one()
        if self.override_reason:
            self.env["collection.compliance"]._check_override(self.override_reason)
        cases = self.case_ids._origin
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
                }
            )
        to_send |= Followup.create(values)
        to_send.write({"sent_by_id": self.env.uid})
        context = {"collection_override_reason": self.override_reason} if override else {}
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
