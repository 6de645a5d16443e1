from odoo import api, fields, models
from odoo.exceptions import UserError

APPROVAL_ACTIVITY = "collections_officer.mail_activity_type_plan_approval"


class CollectionPlan(models.Model):
    """The approval of payment plans above the company's limits.

    A plan larger or longer than the company allows needs an approver (the manager
    of the case's team, else a collections manager): the officer requests it, the
    approver approves or refuses with a reason, or approves by acting. Changing the
    terms takes the approval back.
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

    @api.depends("amount_total", "currency_id", "duration_months", "company_id")
    def _compute_needs_approval(self):
        for plan in self:
            company = plan.company_id
            # The limit is in company currency; a plan in another currency at today's rate.
            amount = (
                plan.currency_id._convert(
                    plan.amount_total,
                    company.currency_id,
                    company,
                    company._collection_today(),
                )
                if plan.currency_id and company
                else plan.amount_total
            )
            plan.needs_approval = bool(
                (
                    company.collection_plan_max_amount
                    and company.currency_id.compare_amounts(
                        amount, company.collection_plan_max_amount
                    )
                    > 0
                )
                or (
                    company.collection_plan_max_months
                    and plan.duration_months > company.collection_plan_max_months
                )
            )

    @api.depends("case_id.team_id.manager_id")
    @api.depends_context("uid")
    def _compute_can_approve(self):
        manager = self.env.user.has_group("collections_officer.group_collections_manager")
        for plan in self:
            plan.can_approve = manager or plan.sudo().case_id.team_id.manager_id == self.env.user

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
        self.sudo().write({"approval_state": "requested", "refusal_reason": False})
        for plan in self:
            for approver in plan._approvers():
                plan.sudo().activity_schedule(
                    APPROVAL_ACTIVITY,
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
        to_approve = self.filtered(lambda p: p.needs_approval and p.approval_state != "approved")
        if not to_approve:
            return
        if not to_approve._is_approver():
            company = to_approve[0].company_id
            raise UserError(
                self.env._(
                    "%(plan)s needs a manager's approval: it is above the limits of "
                    "%(amount)s or %(months)s months. Request the approval first.",
                    plan=to_approve[0].display_name,
                    amount=company.currency_id.format(company.collection_plan_max_amount),
                    months=company.collection_plan_max_months,
                )
            )
        to_approve._approve()
