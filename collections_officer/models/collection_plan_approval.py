from odoo import api, fields, models
from odoo.exceptions import UserError

APPROVAL_ACTIVITY = "collections_officer.mail_activity_type_plan_approval"


class CollectionPlan(models.Model):
    """The approval of payment plans above the company's limits.

    A plan larger or longer than the company allows needs an approver (the manager
    of the case's team, else a collections manager): the officer requests it, the
    approver approves or refuses with a reason, or approves by acting on a plan nobody
    submitted. While the request waits, nobody sends or activates the plan; a refused
    plan stays refused, the officer builds a new one. Changing the terms takes the
    approval back.
    """

    _inherit = "collection.plan"  # pylint: disable=consider-merging-classes-inherited

    approval_state = fields.Selection(
        [("requested", "Requested"), ("approved", "Approved"), ("refused", "Refused")],
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Plans above the company's limits: the officer requests the approval, the team "
        "manager (else a collections manager) approves or refuses it.",
    )
    approved_by_id = fields.Many2one(tracking=True)
    refusal_reason = fields.Char(readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve", help="The current user may approve or refuse the plan."
    )
    approval_blocker = fields.Char(
        compute="_compute_approval_blocker",
        help="Why the current user cannot send or activate the plan now (empty: they can).",
    )

    @api.depends("amount_total", "currency_id", "duration_months", "company_id")
    def _compute_needs_approval(self):
        for plan in self:
            plan.needs_approval = bool(
                plan._approval_reasons(
                    plan.company_id, plan.amount_total, plan.currency_id, plan.duration_months
                )
            )

    @api.depends("case_id.team_id.manager_id")
    @api.depends_context("uid")
    def _compute_can_approve(self):
        manager = self.env.user.has_group("collections_officer.group_collections_manager")
        for plan in self:
            plan.can_approve = manager or plan.sudo().case_id.team_id.manager_id == self.env.user

    @api.depends("approval_state", "needs_approval", "can_approve", "refusal_reason")
    @api.depends_context("uid")
    def _compute_approval_blocker(self):
        for plan in self:
            plan.approval_blocker = plan._approval_blocker()

    @api.model
    def _approval_reasons(self, company, amount, currency, months):
        """Why a plan of ``amount`` in ``currency`` over ``months`` needs a manager's
        approval in ``company``: the limits it exceeds, in words (empty: none)."""
        if not company:
            return []
        company_currency = company.currency_id
        # The limit is in company currency; a plan in another currency at today's rate.
        if currency and currency != company_currency:
            amount = currency._convert(
                amount, company_currency, company, company._collection_today()
            )
        reasons = []
        limit = company.collection_plan_max_amount
        if limit and company_currency.compare_amounts(amount, limit) > 0:
            reasons.append(
                self.env._(
                    "%(amount)s is above %(limit)s",
                    amount=company_currency.format(amount),
                    limit=company_currency.format(limit),
                )
            )
        max_months = company.collection_plan_max_months
        if max_months and months > max_months:
            reasons.append(
                self.env._(
                    "%(months)s months is longer than %(limit)s months",
                    months=months,
                    limit=max_months,
                )
            )
        return reasons

    @api.model
    def _approval_limits(self, company):
        """The company's approval limits, as the officer reads them before making a plan."""
        amount = company.collection_plan_max_amount and company.currency_id.format(
            company.collection_plan_max_amount
        )
        months = company.collection_plan_max_months
        if amount and months:
            return self.env._(
                "Plans above %(amount)s or longer than %(months)s months need a manager's "
                "approval.",
                amount=amount,
                months=months,
            )
        if amount:
            return self.env._("Plans above %(amount)s need a manager's approval.", amount=amount)
        if months:
            return self.env._(
                "Plans longer than %(months)s months need a manager's approval.", months=months
            )
        return self.env._("No approval limit is set: payment plans need no manager's approval.")

    def _approval_blocker(self):
        """Why the plan cannot be sent to the customer or activated by the current user
        now, in words (False: it can). A refused plan is closed to both; a requested one
        waits for the approver's decision; an approver sending or activating a plan that
        was not submitted approves it by acting."""
        self.ensure_one()
        if self.approval_state == "refused":
            return self.env._(
                "%(plan)s was refused by a manager (%(reason)s): it cannot be sent or "
                "activated. Build a new plan for the case.",
                plan=self.display_name,
                reason=self.refusal_reason or self.env._("no reason given"),
            )
        if not self.needs_approval or self.approval_state == "approved":
            return False
        if self.approval_state == "requested":
            return self.env._(
                "%(plan)s is awaiting approval by a manager: it can be sent to the customer "
                "or activated once approved.",
                plan=self.display_name,
            )
        if not self._is_approver():
            return self.env._(
                "%(plan)s needs a manager's approval (%(reasons)s): request the approval first.",
                plan=self.display_name,
                reasons=", ".join(
                    self._approval_reasons(
                        self.company_id, self.amount_total, self.currency_id, self.duration_months
                    )
                ),
            )
        return False

    def _reset_approval(self):
        reset = self.filtered(lambda plan: plan.approval_state in ("approved", "refused"))
        if not reset:
            return
        reset.sudo().write(
            {
                "approval_state": False,
                "approved_by_id": False,
                "approval_date": False,
                "refusal_reason": False,
            }
        )
        for plan in reset:
            plan._message_log(
                body=self.env._("The amount or schedule changed: the plan needs a new approval.")
            )

    # --------------------------------------------------------------- actions

    def action_request_approval(self):
        """Ask the team manager (else the collections managers) to approve the plan."""
        self.check_access("write")
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(
                self.env._("Only draft or proposed plans can be submitted for approval.")
            )
        if self.filtered(lambda plan: not plan.needs_approval):
            raise UserError(
                self.env._("Within the company's limits, a payment plan needs no approval.")
            )
        if self.filtered(lambda plan: plan.approval_state == "approved"):
            raise UserError(self.env._("This payment plan is approved already."))
        self._check_not_refused()
        self.sudo().write({"approval_state": "requested", "refusal_reason": False})
        for plan in self:
            for approver in plan._approvers():
                plan.sudo().activity_schedule(
                    APPROVAL_ACTIVITY,
                    date_deadline=plan.company_id._collection_today(),
                    summary=self.env._("Approve the payment plan"),
                    note=self.env._(
                        "%(officer)s asks you to approve %(plan)s: %(amount)s over "
                        "%(months)s months.",
                        officer=self.env.user.name,
                        plan=plan.display_name,
                        amount=plan.currency_id.format(plan.amount_total),
                        months=plan.duration_months,
                    ),
                    user_id=approver.id,
                )
            plan.message_post(
                body=self.env._("Approval requested by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_approve(self):
        self._check_approver()
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(self.env._("Only draft or proposed plans can be approved."))
        self._check_not_refused()
        self._approve()
        for plan in self:
            plan.message_post(
                body=self.env._("Plan approved by %(user)s.", user=self.env.user.name),
                partner_ids=(plan.user_id | plan.case_id.user_id).partner_id.ids,
            )
        return True

    def action_refuse(self):
        """Refuse the approval, with a reason the officer reads."""
        self._check_approver()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse the Payment Plan"),
            "res_model": "collection.plan.refuse.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_plan_ids": self.ids},
        }

    def _refuse(self, reason):
        self._check_approver()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the payment plan is refused."))
        if any(plan.state not in ("draft", "proposed") for plan in self):
            raise UserError(self.env._("Only draft or proposed plans can be refused."))
        self.sudo().write(
            {
                "approval_state": "refused",
                "approved_by_id": False,
                "approval_date": False,
                "refusal_reason": reason,
            }
        )
        self._close_approval_activities(self.env._("Refused: %(reason)s", reason=reason))
        for plan in self:
            plan.message_post(
                body=self.env._(
                    "Plan refused by %(user)s: %(reason)s", user=self.env.user.name, reason=reason
                ),
                partner_ids=(plan.user_id | plan.case_id.user_id).partner_id.ids,
            )
        return True

    def action_new_plan(self):
        """A refused plan stays as the manager left it: the officer builds a new one."""
        self.ensure_one()
        if self.case_id.state == "closed":
            raise UserError(
                self.env._("Case %(case)s is closed: nothing to plan.", case=self.case_id.name)
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_plan_wizard_action"
        )
        action["context"] = {"default_case_id": self.case_id.id}
        return action

    def _approve(self):
        self.sudo().write(
            {
                "approval_state": "approved",
                "approved_by_id": self.env.user.id,
                "approval_date": fields.Datetime.now(),
                "refusal_reason": False,
            }
        )
        self._close_approval_activities(self.env._("Approved."))

    def _close_approval_activities(self, feedback):
        plans = self.sudo()
        plans.activity_feedback([APPROVAL_ACTIVITY], user_id=self.env.uid, feedback=feedback)
        plans.activity_unlink([APPROVAL_ACTIVITY])

    def _is_approver(self, user=None):
        """Collections managers approve every plan; a team's manager, the plans of its cases."""
        user = user or self.env.user
        if user.has_group("collections_officer.group_collections_manager"):
            return True
        return bool(self) and all(plan.sudo().case_id.team_id.manager_id == user for plan in self)

    def _check_approver(self):
        if not self._is_approver():
            raise UserError(
                self.env._(
                    "Only a collections manager or the manager of the case's team can approve "
                    "or refuse a payment plan."
                )
            )

    def _check_approval(self):
        """Plans above the company's limits need an approver; an approver approves by acting."""
        for plan in self:
            blocker = plan._approval_blocker()
            if blocker:
                raise UserError(blocker)
        to_approve = self.filtered(lambda p: p.needs_approval and p.approval_state != "approved")
        if to_approve:
            to_approve._approve()

    def _check_not_refused(self):
        refused = self.filtered(lambda plan: plan.approval_state == "refused")
        if refused:
            raise UserError(refused[0]._approval_blocker())
