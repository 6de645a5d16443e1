from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date

# A second click on "Send Follow-up Now" within these minutes sends nothing.
MANUAL_SEND_COOLDOWN = 10
# The address each channel needs on its recipient.
RECIPIENT_ADDRESS = {
    "email": "email",
    "sms": "phone",
    "phone": "phone",
    "letter": "street",
    "visit": "street",
}


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions.
class CollectionCase(models.Model):
    """The follow-up decisions on cases: blockers, policy, due level, recipients, documents."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    effective_policy_id = fields.Many2one(
        "collection.policy",
        compute="_compute_effective_policy_id",
        help="The policy the case follows: its own, else its customer's, else the company's "
        "default; archived policies are skipped.",
    )

    @api.depends(
        "policy_id.active",
        "partner_id.collection_policy_id.active",
        "company_id.collection_policy_id.active",
    )
    def _compute_effective_policy_id(self):
        policies = self._get_followup_policies()
        for case in self:
            case.effective_policy_id = policies.get(case.id, False)

    def _get_contact_blockers(self, channel=None, at=None, recipients=None):
        """Why no action of a level may reach these cases now: ``{case_id: reason}``.

        Insolvency or death, hold and breathing space stop every action, charges included; the
        customer's do-not-contact and cease-communication flags stop the actions
        that reach them (``channel`` set). The breathing space is judged on the
        recipient's own day at ``at`` (naive UTC, default now). Used by the
        engine and the compliance guard alike.
        """
        today_of = self._get_local_today(at, channel or "email", recipients)
        blockers = {}
        for case in self:
            customer = case.partner_id
            if channel and customer.collection_do_not_contact:
                blockers[case.id] = self.env._("The customer must not be contacted.")
            elif channel and customer.collection_cease_communication:
                blockers[case.id] = self.env._("The customer asked that communications cease.")
            elif case.insolvency_type:
                # Insolvency or death: the debt is claimed from the practitioner or the
                # estate, never chased from the customer, and accrues no charges.
                blockers[case.id] = case._insolvency_blocker()
            elif case.state == "hold":
                blockers[case.id] = case.hold_reason or self.env._("The case is on hold.")
            elif case.breathing_space_until and case.breathing_space_until >= today_of[case.id]:
                blockers[case.id] = self.env._(
                    "Breathing space until %(date)s.",
                    date=format_date(self.env, case.breathing_space_until),
                )
        return blockers

    def _get_local_today(self, at=None, channel="email", recipients=None):
        """Each case recipient's date at ``at`` (naive UTC, default now): ``{case_id: date}``."""
        at = at or fields.Datetime.now()
        guard = self.env["collection.compliance"]
        recipients = recipients or self._get_followup_recipients()
        return {
            case.id: guard._local_datetime(
                at, recipients[case.id].get(channel, case.partner_id), case.company_id
            ).date()
            for case in self
        }

    def _get_legal_blockers(self):
        """Cases a legal action took out of follow-up: ``{case_id: reason}``.

        The lawyer, the agency or the court speaks to the customer now; the
        follow-up levels would contradict them.
        """
        return {
            case.id: self.env._(
                "The case is in legal action: no automated follow-up until it is settled or closed."
            )
            for case in self
            if case.state == "legal"
        }

    def _get_commitment_blockers(self, today=None):
        """Cases whose customer keeps their word: ``{case_id: reason}``.

        An open promise not yet due, or a payment plan on track. ``today``: by
        default each case's company's day.
        """
        blockers = {}
        Promise = self.env["collection.promise"]
        promises = Promise.union(
            *(
                Promise.search(
                    Promise._open_promise_domain(cases, today or company._collection_today())
                )
                for company, cases in self.grouped("company_id").items()
            )
        )
        for promise in promises:
            blockers.setdefault(
                promise.case_id.id,
                self.env._("Promise to pay %(promise)s.", promise=promise.display_name),
            )
        plans = self.env["collection.plan"].search(
            [("case_id", "in", self.ids), ("state", "=", "active")]
        )
        for plan in plans._filtered_on_track():
            blockers.setdefault(
                plan.case_id.id,
                self.env._("%(plan)s on track.", plan=plan.display_name),
            )
        return blockers

    def _get_send_blockers(self, override=False, every_channel=False):
        """Why nothing may be sent to these cases now, whoever sends: ``{case_id: reason}``.

        The one list of reasons not to send, for the run, "Send Follow-up Now" and
        the last check before sending: closed, legal action, an escalation awaiting
        a manager's decision, a customer's reply not read yet, hold, a promise or a plan
        kept; batched over ``self``.
        A manager's ``override`` lifts all but the first. The compliance guard
        judges, channel by channel, do-not-contact, insolvency and breathing
        space (``_get_contact_blockers``); with ``every_channel`` those that stop
        every channel count here too.
        """
        blockers = {
            case.id: self.env._("The case is closed.") for case in self if case.state == "closed"
        }
        if override:
            return blockers
        blockers.update((self - self.browse(blockers))._get_legal_blockers())
        if every_channel:
            blockers.update((self - self.browse(blockers))._get_contact_blockers())
        blockers.update((self - self.browse(blockers))._get_escalation_blockers())
        blockers.update((self - self.browse(blockers))._get_reply_blockers())
        blockers.update(
            (case.id, case.hold_reason or self.env._("The case is on hold."))
            for case in self - self.browse(blockers)
            if case.state == "hold"
        )
        blockers.update((self - self.browse(blockers))._get_commitment_blockers())
        return blockers

    def _get_followup_blockers(self):
        """Why the automated run leaves a case alone: ``{case_id: reason}`` (see
        ``_get_send_blockers``): the run prepares nothing for these cases."""
        return self._get_send_blockers(every_channel=True)

    def _get_recent_agreements(self, today=None):
        """Cases whose customer agreed a promise or a plan in the company's quiet days.

        ``{case_id: reason}``: nothing is sent to them by hand meanwhile (a manager
        may override). A cancelled promise or plan does not count. ``today``: by
        default the company's day.
        """
        agreements = {}
        for company, cases in self.grouped("company_id").items():
            days = company.collection_agreement_quiet_days
            if not days:
                continue
            since = (today or company._collection_today()) - timedelta(days=days - 1)
            promises = self.env["collection.promise"].search(
                [
                    ("case_id", "in", cases.ids),
                    ("state", "!=", "cancelled"),
                    ("start_date", ">=", since),
                ],
                order="start_date desc",
            )
            for promise in promises:
                agreements.setdefault(
                    promise.case_id.id,
                    self.env._(
                        "The customer promised to pay on %(date)s: nothing is sent by hand "
                        "within %(days)s days of an agreement.",
                        date=format_date(self.env, promise.start_date),
                        days=days,
                    ),
                )
            plans = self.env["collection.plan"].search(
                [
                    ("case_id", "in", cases.ids),
                    ("state", "!=", "cancelled"),
                    ("activation_date", ">=", since),
                ],
                order="activation_date desc",
            )
            for plan in plans:
                agreements.setdefault(
                    plan.case_id.id,
                    self.env._(
                        "The customer agreed a payment plan on %(date)s: nothing is sent by "
                        "hand within %(days)s days of an agreement.",
                        date=format_date(self.env, plan.activation_date),
                        days=days,
                    ),
                )
        return agreements

    # ---------------------------------------------------------------- follow-up

    @api.model
    def _resolve_policy(self, policy, partner, company):
        """The policy a case of ``partner`` in ``company`` with its own ``policy`` follows
        (see ``_case_policies``, the one resolver)."""
        row = {"id": 0, "policy_id": policy.id, "partner_id": partner.id, "company_id": company.id}
        return self.env["collection.policy"].browse(self._case_policies([row]).get(0))

    def _get_followup_policies(self):
        """The policy each case follows: ``{case_id: policy}`` (see ``_case_policies``)."""
        rows = [
            {
                "id": case.id,
                "policy_id": case.policy_id.id,
                "partner_id": case.partner_id.id,
                "company_id": case.company_id.id,
            }
            for case in self
        ]
        Policy = self.env["collection.policy"]
        return {
            case_id: Policy.browse(policy_id)
            for case_id, policy_id in self._case_policies(rows).items()
        }

    def _get_next_levels(self, with_awaiting=False):
        """The level each case reaches next, once reached: ``{case_id: (level, not_before)}``.

        Cases with none reached omitted; ``not_before`` is the day the spacing
        between two levels allows it (see ``_level_schedule``, the one computation
        of the next level; ``with_awaiting``: also for the cases awaiting a
        manager's decision).
        """
        steps = {}
        schedules = self._get_level_schedules(with_awaiting=with_awaiting)
        for case_id, (level, _due_day, not_before) in schedules.items():
            case = self.browse(case_id)
            reference = case.oldest_due_date or case.next_due_date
            if (case.company_id._collection_today() - reference).days >= level.delay_days:
                steps[case_id] = (level, not_before)
        return steps

    def _get_due_levels(self, ignore_spacing=False, with_awaiting=False):
        """The level each case should get now: ``{case_id: level}`` (cases with none omitted).

        See ``_get_next_levels``; unless ``ignore_spacing``, the days between
        the current level and the next must have passed.
        """
        return {
            case_id: level
            for case_id, (level, not_before) in self._get_next_levels(with_awaiting).items()
            if ignore_spacing
            or not not_before
            or not_before <= self.browse(case_id).company_id._collection_today()
        }

    def _get_manual_levels(self, override=False):
        """What sending by hand does on each case now: ``{case_id: (level, resend, reason)}``.

        The one decision behind "Send Follow-up Now": its preview shows it and
        its button executes it. ``level`` is the level sent (False: nothing is
        sent, ``reason`` says why); ``resend`` when it is the current level again
        because no other is due. Brakes: a level sent by hand minutes ago, an
        agreement of the last days, a promise or plan kept, a hold and the level
        spacing stop it; a manager's ``override`` (with a logged reason) lifts
        all but the first.
        """
        now = fields.Datetime.now()
        live = self.filtered(lambda c: c.state != "closed")
        recent = {
            followup.case_id.id: followup
            for followup in self.env["collection.followup"].search(
                [
                    ("case_id", "in", live.ids),
                    ("sent_date", ">", now - timedelta(minutes=MANUAL_SEND_COOLDOWN)),
                ],
                order="sent_date",
            )
        }
        # Breathing space and do-not-contact are the compliance guard's to judge
        # and log, channel by channel.
        holds = live._get_send_blockers(override)
        agreements = {} if override else live._get_recent_agreements()
        # An escalation awaiting a decision stops an officer (``holds``), not a manager.
        steps = live._get_next_levels(with_awaiting=True)
        result = {}
        for case in self:
            level, resend, reason = False, False, False
            if case.state == "closed":
                reason = self.env._("The case is closed.")
            elif case.id in recent:
                reason = self.env._(
                    "%(level)s was sent by hand less than %(minutes)s minutes ago.",
                    level=recent[case.id].level_id.name,
                    minutes=MANUAL_SEND_COOLDOWN,
                )
            elif case.id in holds:
                reason = holds[case.id]
            elif case.id in agreements:
                reason = agreements[case.id]
            elif case.id in steps:
                level, not_before = steps[case.id]
                if (
                    not override
                    and not_before
                    and not_before > case.company_id._collection_today(now)
                ):
                    reason = self.env._(
                        "%(level)s is not due before %(date)s (the days between two levels).",
                        level=level.name,
                        date=format_date(self.env, not_before),
                    )
                    level = False
            elif case.level_id:
                level, resend = case.level_id, True
            else:
                reason = self.env._("Nothing is due yet.")
            result[case.id] = (level, resend, reason)
        return result

    def _get_followup_recipients(self):
        """Who receives each channel of the follow-up: ``{case_id: {channel: partner}}``.

        Per channel, the first of the customer's dedicated collections contact,
        its invoice address and the customer itself that has the address the
        channel needs (e-mail, phone for SMS and calls, street for letters); the
        first of them when none has it, so that the failure names someone.
        """
        invoice_addresses = {}
        for address in self.env["res.partner"].search(
            [("parent_id", "in", self.partner_id.ids), ("type", "=", "invoice")], order="id desc"
        ):
            invoice_addresses[address.parent_id.id] = address
        recipients = {}
        for case in self:
            candidates = [
                partner
                for partner in (
                    case.partner_id.collection_contact_id,
                    invoice_addresses.get(case.partner_id.id),
                    case.partner_id,
                )
                if partner
            ]
            recipients[case.id] = {
                channel: next((p for p in candidates if p[address]), candidates[0])
                for channel, address in RECIPIENT_ADDRESS.items()
            }
        return recipients

    def _collection_email_layout(self, body, recipient):
        """``body`` in the light e-mail layout, as ``message_post`` would send it to
        ``recipient`` (a customer: no access button)."""
        self.ensure_one()
        layout = "mail.mail_notification_light"
        message = self.env["mail.message"].new({"body": body, "email_add_signature": False})
        msg_vals = {"email_layout_xmlid": layout, "model": self._name, "res_id": self.id}
        lang = recipient.lang or self.env.lang
        recipient_data = {
            "active": True,
            "email_normalized": False,
            "id": recipient.id,
            "is_follower": False,
            "lang": lang,
            "name": False,
            "groups": [],
            "notif": "email",
            "share": True,
            "type": "customer",
            "uid": False,
            "ushare": False,
        }
        for _lang, render_values, group in self._notify_get_classified_recipients_iterator(
            message, [recipient_data], msg_vals=msg_vals, force_email_lang=lang
        ):
            return self._notify_by_email_render_layout(
                message, group, msg_vals=msg_vals, render_values=render_values
            )
        return body
