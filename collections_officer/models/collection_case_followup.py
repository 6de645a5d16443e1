from odoo import fields, models


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions.
class CollectionCase(models.Model):
    """The follow-up decisions on cases: blockers, policy, due level, recipients, documents."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def _get_followup_blockers(self):
        """Why automated follow-up must wait, per case: ``{case_id: reason}``.

        The one place that knows every reason to leave a case alone (hold,
        breathing space, kept promises and plans, ...); batched over ``self``.
        """
        today = fields.Date.context_today(self)
        blockers = {}
        for case in self:
            if case.state == "closed":
                blockers[case.id] = self.env._("The case is closed.")
            elif case.state == "hold":
                blockers[case.id] = case.hold_reason or self.env._("The case is on hold.")
            elif case.breathing_space_until and case.breathing_space_until >= today:
                blockers[case.id] = self.env._(
                    "Breathing space until %(date)s.", date=case.breathing_space_until
                )
        # A promise not yet due or a plan on track: the customer keeps their word, wait.
        waiting = self - self.browse(blockers)
        promises = self.env["collection.promise"].search(
            self.env["collection.promise"]._open_promise_domain(waiting, today)
        )
        for promise in promises:
            blockers.setdefault(
                promise.case_id.id,
                self.env._("Promise to pay %(promise)s.", promise=promise.display_name),
            )
        plans = self.env["collection.plan"].search(
            [("case_id", "in", waiting.ids), ("state", "=", "active")]
        )
        for plan in plans._filtered_on_track():
            blockers.setdefault(
                plan.case_id.id,
                self.env._("Payment plan %(plan)s on track.", plan=plan.display_name),
            )
        return blockers

    # ---------------------------------------------------------------- follow-up

    def _get_followup_policies(self):
        """The policy each case follows: its own, its customer's, else its company's default."""
        policies = {}
        for company, cases in self.grouped("company_id").items():
            for case in cases.with_company(company):
                policies[case.id] = (
                    case.policy_id
                    or case.partner_id.collection_policy_id
                    or company.collection_policy_id
                )
        return policies

    def _get_due_levels(self, ignore_spacing=False):
        """The level each case should get now: ``{case_id: level}`` (cases with none omitted).

        The next level of the policy after the case's current one fires when the
        oldest overdue item reached its delay and, unless ``ignore_spacing``, the
        days between the two levels have passed since the current one fired. A
        case moves one level at a time and never back. Levels with a negative
        delay remind before the earliest due date of a case with nothing overdue
        yet; once something is overdue they are past and left out.
        """
        today = fields.Date.context_today(self)
        due, levels_of = {}, {}
        for case, policy in self._get_followup_policies().items():
            case = self.browse(case)
            reference = case.oldest_due_date or case.next_due_date
            if not policy or not reference:
                continue
            if policy not in levels_of:
                all_levels = policy._get_levels()
                levels_of[policy] = (
                    all_levels,
                    all_levels.filtered(lambda level: level.delay_days >= 0),
                )
            levels = levels_of[policy][1 if case.oldest_due_date else 0]
            current = case.level_id
            if current and current not in levels:
                # The policy changed: carry on after the levels with a shorter delay.
                previous = levels.filtered(lambda lvl, c=current: lvl.delay_days <= c.delay_days)
                current = previous[-1:] if previous else current.browse()
            position = list(levels).index(current) + 1 if current else 0
            if position >= len(levels):
                continue
            level = levels[position]
            if (today - reference).days < level.delay_days:
                continue
            if current and case.level_date and not ignore_spacing:
                if (today - case.level_date).days < level.delay_days - current.delay_days:
                    continue
            due[case.id] = level
        return due

    def _get_followup_recipients(self):
        """Who receives the follow-up: ``{case_id: partner}``.

        The customer's dedicated collections contact, else its invoice address,
        else the customer itself.
        """
        invoice_addresses = {}
        for address in self.env["res.partner"].search(
            [("parent_id", "in", self.partner_id.ids), ("type", "=", "invoice")], order="id desc"
        ):
            invoice_addresses[address.parent_id.id] = address
        return {
            case.id: case.partner_id.collection_contact_id
            or invoice_addresses.get(case.partner_id.id)
            or case.partner_id
            for case in self
        }

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
