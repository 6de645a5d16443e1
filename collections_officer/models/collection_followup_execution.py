import logging
from collections import defaultdict

from markupsafe import Markup
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models

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
    """The execution of follow-ups: the case looked at again, then each action of the
    level through the compliance guard, each one recorded once it succeeded, and the
    case moved on to the level."""

    _inherit = "collection.followup"  # pylint: disable=consider-merging-classes-inherited

    channel_note = fields.Char(
        string="Sent Otherwise",
        readonly=True,
        help="How the level's e-mail goes when the customer cannot or does not want to be "
        "e-mailed: as a letter, or an SMS.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        followups = super().create(vals_list)
        # Prepared or previewed: it says now how its e-mail will go.
        followups._get_level_actions()
        return followups

    def _get_level_actions(self, recipients=None):
        """The actions each follow-up executes: ``{followup_id: [action]}``, the level's
        with its e-mail replaced by a letter or an SMS when the customer's address fails
        or the customer asked for paper (``collection.case._get_email_fallbacks``, the one
        decision), which ``channel_note`` says on the follow-up."""
        todo = self.filtered(lambda f: f.state not in ("done", "cancelled"))
        fallbacks = todo.case_id._get_email_fallbacks(
            {followup.case_id.id: followup.level_id for followup in todo}, recipients
        )
        actions = {}
        for followup in self:
            level_actions = followup.level_id._get_actions()
            fallback = fallbacks.get(followup.case_id.id) if followup in todo else None
            note = False
            if fallback and "email" in level_actions:
                replaced = "email" in (followup.done_actions or "").split(",")
                if not replaced:
                    action, note = fallback
                    level_actions = [a for a in level_actions if a != "email"]
                    if action not in level_actions:
                        level_actions.append(action)
            if followup in todo and (followup.channel_note or False) != note:
                followup.channel_note = note
            actions[followup.id] = level_actions
        return actions

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
        level_actions = self._get_level_actions(recipients)
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
                lambda f, a=action: a in level_actions[f.id] and a not in done[f.id]
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
        # The level's e-mail went as a letter or an SMS this time: the chatter says so.
        sent_otherwise = self.filtered(
            lambda f: (
                f.channel_note
                and {"letter", "sms"} & (done[f.id] - set((f.done_actions or "").split(",")))
            )
        )
        self._record_outcome(done, deferred, blocked, errors, level_actions)
        sent_otherwise._log_on_cases(
            lambda followup: self.env._(
                "Follow-up %(level)s: %(note)s.",
                level=followup.level_id.name,
                note=followup.channel_note,
            )
        )

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

    def _record_outcome(self, done, deferred, blocked, errors, level_actions=None):
        """Write what became of each follow-up: one write per outcome, not per follow-up
        (a run records thousands of identical outcomes). ``level_actions``: the actions
        each one executes (see ``_get_level_actions``)."""
        advanced, outcomes = [], defaultdict(list)
        level_actions = level_actions or self._get_level_actions()
        for followup in self:
            actions = level_actions[followup.id]
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
                date_deadline=case.company_id._collection_today(),
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
