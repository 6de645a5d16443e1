from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError


class CollectionSendWizard(models.TransientModel):
    _name = "collection.send.wizard"
    _description = "Send the Follow-up Level Now"

    case_ids = fields.Many2many(
        "collection.case",
        required=True,
        default=lambda self: self._default_case_ids(),
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
    is_manager = fields.Boolean(default=lambda self: self._default_is_manager())
    override_reason = fields.Char(
        help="Collections managers only: send although the compliance guard would block it. "
        "The reason is logged with the contact."
    )

    @api.model
    def _default_case_ids(self):
        if self.env.context.get("active_model") == "collection.case":
            return self.env["collection.case"].browse(self.env.context.get("active_ids", []))
        return self.env["collection.case"]

    @api.model
    def _default_is_manager(self):
        return self.env.user.has_group("collections_officer.group_collections_manager")

    @api.depends("case_ids")
    def _compute_preview(self):
        for wizard in self:
            plan = wizard._plan()
            rows = Markup("").join(
                Markup("<li><b>%s</b>: %s</li>") % (case.display_name, what)
                for case, (_level, _resend, what) in plan.items()
            )
            wizard.preview = Markup("<ul>%s</ul>") % rows if rows else False

    def _plan(self):
        """What "send now" does per case: ``{case: (level, resend, description)}``."""
        cases = self.case_ids.filtered(lambda c: c.state != "closed")
        due = cases._get_due_levels(ignore_spacing=True)
        plan = {}
        for case in cases:
            level = due.get(case.id)
            if level:
                plan[case] = (level, False, escape(level.name))
            elif case.level_id:
                plan[case] = (
                    case.level_id,
                    True,
                    escape(self.env._("%(level)s again", level=case.level_id.name)),
                )
            else:
                plan[case] = (False, False, escape(self.env._("nothing is due yet")))
        return plan

    def action_send(self):
        self.ensure_one()
        if self.override_reason and not self.is_manager:
            raise UserError(self.env._("Only a collections manager can override the guard."))
        closed = self.case_ids.filtered(lambda c: c.state == "closed")
        if closed:
            raise UserError(
                self.env._(
                    "Closed cases have nothing to send: %(cases)s.",
                    cases=", ".join(closed.mapped("display_name")),
                )
            )
        plan = self._plan()
        nothing = [case.display_name for case, (level, _r, _w) in plan.items() if not level]
        if nothing:
            raise UserError(
                self.env._("No follow-up level is due for %(cases)s yet.", cases=", ".join(nothing))
            )
        # Follow-ups are the engine's records: written as superuser for the cases
        # the user works.
        self.case_ids.check_access("write")
        Followup = self.env["collection.followup"].sudo()
        prepared = Followup.search(
            [
                ("case_id", "in", self.case_ids.ids),
                ("state", "in", ("to_review", "pending", "blocked", "failed")),
                ("resend", "=", False),
            ]
        )
        prepared_by_key = prepared.grouped(lambda f: (f.case_id, f.level_id, f.cycle))
        to_send, values = Followup, []
        for case, (level, resend, _what) in plan.items():
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
        context = (
            {"collection_override_reason": self.override_reason} if self.override_reason else {}
        )
        to_send.with_context(**context)._execute()
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
