from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date


class CollectionCase(models.Model):
    """Hold and breathing space: a manager's decision to stop the follow-up of a case.

    On hold, no automated action until the hold ends: on its end date, in the
    company's morning, or when a manager lifts it; in a breathing space, no
    contact, fees or interest. Who may set them is one of the case's write rules
    (``_check_hold_change``).
    """

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    hold_reason = fields.Char(tracking=True)
    hold_until = fields.Date(
        string="On Hold Until",
        tracking=True,
        help="The day the hold ends: that morning the case is back in follow-up. "
        "Empty: until a collections manager lifts it.",
    )
    breathing_space_from = fields.Date(
        tracking=True,
        help="First day of the breathing space: interest is frozen from this day to its end "
        "(included) and runs again after it. Empty: frozen from the due date.",
    )
    breathing_space_until = fields.Date(
        tracking=True,
        help="No contact and no fees or interest until this date "
        "(e.g. a statutory breathing space).",
    )

    @api.constrains("breathing_space_from", "breathing_space_until")
    def _check_breathing_space(self):
        for case in self:
            if (
                case.breathing_space_from
                and case.breathing_space_until
                and case.breathing_space_from > case.breathing_space_until
            ):
                raise ValidationError(
                    self.env._(
                        "%(case)s: a breathing space cannot end before it starts.",
                        case=case.display_name,
                    )
                )

    # ------------------------------------------------------------ actions

    def action_lift_hold(self):
        """Ask the reason for lifting the hold (``collection.case.hold.lift.wizard``)."""
        self.ensure_one()
        self._check_hold_lifter()
        if self.state != "hold":
            raise UserError(self.env._("%(case)s is not on hold.", case=self.display_name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lift the Hold"),
            "res_model": "collection.case.hold.lift.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    # ----------------------------------------------------------- business

    def _check_hold_lifter(self):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can lift a hold.")
        )

    def _lift_hold(self, reason=None):
        """Put these held cases back in follow-up.

        With ``reason``, a manager lifts the hold; without, it ended on its end
        date (the company's morning job). Each case takes the state its active
        plan or kept promise gives it, else Open, and is then refreshed from
        accounting like any case: closed when nothing is overdue any more.
        """
        self._check_hold_lifter()
        if not self.env.su:
            self.check_access("write")
        if reason is not None:
            if not reason.strip():
                raise UserError(self.env._("Say why the hold is lifted: it is logged on the case."))
            not_held = self.filtered(lambda case: case.state != "hold")
            if not_held:
                raise UserError(
                    self.env._("%(case)s is not on hold.", case=not_held[0].display_name)
                )
        held = self.filtered(lambda case: case.state == "hold").sudo()
        if not held:
            return held
        ends = {case.id: case.hold_until for case in held}
        for state, cases in held._state_after_hold().items():
            cases.write({"state": state, "hold_reason": False, "hold_until": False})
        if reason is not None:
            body = self.env._(
                "Hold lifted by %(user)s: %(reason)s. The case is back in follow-up.",
                user=self.env.user.name,
                reason=reason.strip().rstrip("."),
            )
            bodies = dict.fromkeys(held.ids, body)
        else:
            bodies = {
                case.id: self.env._(
                    "The hold ended on %(date)s: the case is back in follow-up.",
                    date=format_date(self.env, ends[case.id]),
                )
                for case in held
            }
        held._message_log_batch(bodies=bodies)
        held._refresh_from_accounting(companies=held.company_id, partners=held.partner_id)
        return held

    def _state_after_hold(self):
        """``{state: cases}``: where each held case goes once its hold ends.

        An active payment plan or a promise that holds follow-up keeps the case
        waiting for it, as when they were made (``_release_cases`` likewise).
        """
        planned = {
            case
            for [case] in self.env["collection.plan"]
            .sudo()
            ._read_group([("case_id", "in", self.ids), ("state", "=", "active")], ["case_id"])
        }
        Promise = self.env["collection.promise"].sudo()
        promised = {
            case
            for [case] in Promise._read_group(
                Domain("case_id", "in", self.ids)
                & Domain("state", "=", "open")
                & Promise._holding_domain(),
                ["case_id"],
            )
        }
        by_state = {}
        for case in self:
            state = "plan" if case in planned else "promised" if case in promised else "open"
            by_state[state] = by_state.get(state, self.browse()) | case
        return by_state

    @api.model
    def _lift_ended_holds(self, company):
        """The holds of ``company`` whose end date has come, lifted in its morning
        (its own today)."""
        ended = (
            self.sudo()
            .with_company(company)
            .search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "hold"),
                    ("hold_until", "!=", False),
                    ("hold_until", "<=", company._collection_today()),
                ]
            )
        )
        return ended._lift_hold()
