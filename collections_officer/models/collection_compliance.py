from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

# Channels limited to the customer's contact hours: they reach a person at once.
# E-mails too, within hours of their own (the company's e-mail hours).
TIMED_CHANNELS = ("phone", "sms", "visit", "email")
# Outcomes of a call that mean a conversation took place.
CONVERSATIONS = ("spoke", "promised", "refused", "disputed", "paid")
# The company setting capping each channel over the rolling window.
CAP_FIELDS = {
    "phone": "collection_max_calls",
    "sms": "collection_max_sms",
    "email": "collection_max_emails",
    "visit": "collection_max_visits",
}
# The weekdays (Monday is 0) of each choice of contact days.
CONTACT_WEEKDAYS = {
    "mon_fri": (0, 1, 2, 3, 4),
    "mon_sat": (0, 1, 2, 3, 4, 5),
    "all": (0, 1, 2, 3, 4, 5, 6),
}


class CollectionCompliance(models.AbstractModel):
    """The one guard every outbound contact passes, automated or manual."""

    _name = "collection.compliance"
    _description = "Collection Contact Compliance Guard"

    def _check_contacts(self, cases, channel, at=None, override_reason=None, recipients=None):
        """May we contact these cases' customers through ``channel`` at ``at``?

        Returns ``{case_id: {"verdict": "allowed" | "blocked" | "deferred",
        "reason": str | False, "defer_until": datetime | False}}``, batched over
        cases: a few queries whatever their number. ``at`` is a naive UTC datetime
        (default: now). Local hours, days and dates are the recipient's of the
        channel (``recipients``: see ``collection.case._get_followup_recipients``).
        A collections manager may let a blocked or deferred contact through with
        ``override_reason``; the reason is returned.
        """
        at = at or fields.Datetime.now()
        if override_reason is not None:
            self._check_override(override_reason)
        recipients = recipients or cases._get_followup_recipients()
        blockers = cases._get_contact_blockers(channel, at, recipients)
        counts, conversations = self._recent_contacts(cases, channel, at)
        result = {}
        for case in cases:
            verdict, reason, defer_until = "allowed", False, False
            customer = case.partner_id
            company = case.company_id
            key = (customer.id, company.id)
            if case.id in blockers:
                verdict, reason = "blocked", blockers[case.id]
            elif channel == "phone" and conversations.get(key, datetime.min) > at - timedelta(
                days=company.collection_call_quiet_days
            ):
                verdict, reason = (
                    "blocked",
                    self.env._(
                        "No call within %(days)s days after a conversation (last on %(date)s).",
                        days=company.collection_call_quiet_days,
                        date=fields.Date.to_date(conversations[key]),
                    ),
                )
            elif channel in CAP_FIELDS and 0 < company[CAP_FIELDS[channel]] <= counts.get(key, 0):
                verdict, reason = (
                    "blocked",
                    self.env._(
                        "At most %(max)s %(channel)s contacts in %(days)s days: already %(count)s.",
                        max=company[CAP_FIELDS[channel]],
                        channel=channel,
                        days=company.collection_cap_window_days,
                        count=counts[key],
                    ),
                )
            elif channel in TIMED_CHANNELS:
                recipient = recipients[case.id].get(channel, customer)
                defer_until = self._next_contact_time(customer, company, at, recipient, channel)
                if defer_until:
                    verdict, reason = (
                        "deferred",
                        self.env._("Outside the e-mail hours and days in the customer's timezone.")
                        if channel == "email"
                        else self.env._("Outside the customer's contact hours and days."),
                    )
            if verdict != "allowed" and override_reason:
                verdict, defer_until = "allowed", False
                reason = self.env._(
                    "Overridden by %(user)s: %(reason)s (%(guard)s)",
                    user=self.env.user.name,
                    reason=override_reason,
                    guard=reason,
                )
            result[case.id] = {"verdict": verdict, "reason": reason, "defer_until": defer_until}
        return result

    def _check_override(self, override_reason):
        if not (override_reason or "").strip():
            raise UserError(self.env._("Give the reason for overriding the compliance guard."))
        # The user's own rights, even when the caller runs as superuser.
        if not self._is_collections_manager(self.env.user):
            raise AccessError(self.env._("Only a collections manager can override the guard."))

    def _email_refusal(self, case, verdict):
        """Why the guard stops an e-mail to ``case``'s customer, and what the current user
        can do about it: a manager overrides it with a reason, others ask a manager."""
        if self._is_collections_manager(self.env.user):
            advice = self.env._(
                "To send it anyway, give the reason for overriding the guard: it is logged "
                "on the case."
            )
        else:
            advice = self.env._("Ask a collections manager, who may override the guard.")
        return self.env._(
            "The compliance guard does not allow e-mailing %(customer)s now: %(reason)s. "
            "%(advice)s",
            customer=case.partner_id.display_name,
            reason=(verdict["reason"] or "").rstrip(". "),
            advice=advice,
        )

    def _is_collections_manager(self, user=None):
        """Whether ``user`` (default: the current user) may take a collections manager's decisions.

        The superuser (the engine, data files) counts as one: it acts on behalf of the company.
        """
        if user is None:
            if self.env.su:
                return True
            user = self.env.user
        return user._is_superuser() or user.has_group(
            "collections_officer.group_collections_manager"
        )

    def _check_collections_manager(self, message=None):
        """Refuse unless the current user is a collections manager (or the engine)."""
        if not self._is_collections_manager():
            raise AccessError(message or self.env._("Only a collections manager can do this."))

    def _recent_contacts(self, cases, channel, at):
        """Per (customer, company): contacts of the channel in the company's window, and the
        last call conversation within its quiet days."""
        Contact = self.env["collection.contact"].sudo()
        counts = defaultdict(int)
        conversations = {}
        for company, company_cases in cases.grouped("company_id").items():
            base = [
                ("case_id.partner_id", "in", company_cases.partner_id.ids),
                ("case_id.company_id", "=", company.id),
                ("date", "<=", at),
            ]
            window = company.collection_cap_window_days
            if channel in CAP_FIELDS and company[CAP_FIELDS[channel]]:
                for case, count in Contact._read_group(
                    [
                        *base,
                        ("channel", "=", channel),
                        ("direction", "=", "outbound"),
                        ("outcome", "!=", "blocked"),
                        ("date", ">", at - timedelta(days=window)),
                    ],
                    ["case_id"],
                    ["__count"],
                ):
                    counts[case.partner_id.id, company.id] += count
            quiet = company.collection_call_quiet_days
            if channel == "phone" and quiet:
                for case, last in Contact._read_group(
                    [
                        *base,
                        ("channel", "=", "phone"),
                        ("outcome", "in", CONVERSATIONS),
                        ("date", ">", at - timedelta(days=quiet)),
                    ],
                    ["case_id"],
                    ["date:max"],
                ):
                    key = (case.partner_id.id, company.id)
                    conversations[key] = max(last, conversations.get(key, last))
        return counts, conversations

    def _contact_tz(self, partner, company):
        """The timezone of a contact: the partner's, else the company's collections timezone."""
        return pytz.timezone(partner.tz or company._collection_tz())

    def _local_datetime(self, at, partner, company):
        """``at`` (naive UTC) in the contact's timezone (see ``_contact_tz``)."""
        return pytz.utc.localize(at).astimezone(self._contact_tz(partner, company))

    def _next_contact_time(self, customer, company, at, recipient=None, channel=None):
        """False inside the contact hours and days, else the next start of them (naive UTC).

        Hours are the customer's own when set, else the company's (for an e-mail,
        the company's e-mail hours); days are the company's; both in the
        recipient's timezone.
        """
        if channel == "email":
            start, end = company.collection_email_hour_start, company.collection_email_hour_end
        elif customer.collection_window_override:
            start, end = (
                customer.collection_contact_hour_start,
                customer.collection_contact_hour_end,
            )
        else:
            start, end = company.collection_contact_hour_start, company.collection_contact_hour_end
        weekdays = CONTACT_WEEKDAYS[company.collection_contact_days or "mon_fri"]
        tz = self._contact_tz(recipient or customer, company)
        local = pytz.utc.localize(at).astimezone(tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        if start <= hour < end and local.weekday() in weekdays:
            return False
        day = local.date() if hour < start else local.date() + timedelta(days=1)
        while day.weekday() not in weekdays:
            day += timedelta(days=1)
        hours, minutes = divmod(round(start * 60), 60)
        opening = tz.localize(datetime.combine(day, time(hours, minutes)))
        return opening.astimezone(pytz.utc).replace(tzinfo=None)

    def _bank_warnings(self, companies):
        """Why automated dunning should be checked first, per company: ``{company_id: str}``.

        Unreconciled bank statement lines, or no statement line for longer than the
        company allows: customers may already have paid.
        """
        Line = self.env["account.bank.statement.line"].sudo()
        domain = [("company_id", "in", companies.ids), ("journal_id.type", "=", "bank")]
        unreconciled = dict(
            Line._read_group([*domain, ("is_reconciled", "=", False)], ["company_id"], ["__count"])
        )
        latest = dict(Line._read_group(domain, ["company_id"], ["date:max"]))
        with_banks = {
            company
            for [company] in self.env["account.journal"]
            .sudo()
            ._read_group(
                [("company_id", "in", companies.ids), ("type", "=", "bank")], ["company_id"]
            )
        }
        warnings = {}
        for company in companies:
            today = company._collection_today()
            messages = []
            if unreconciled.get(company):
                messages.append(
                    self.env._(
                        "%(count)s bank statement lines are not reconciled.",
                        count=unreconciled[company],
                    )
                )
            last = latest.get(company)
            stale = company.collection_bank_stale_days
            if company in with_banks and stale and (not last or (today - last).days > stale):
                messages.append(
                    self.env._(
                        "No bank statement since %(date)s.", date=format_date(self.env, last)
                    )
                    if last
                    else self.env._("No bank statement imported yet.")
                )
            if messages:
                warnings[company.id] = " ".join(
                    [*messages, self.env._("Customers may already have paid.")]
                )
        return warnings
