from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import html2plaintext

from .collection_case_chatter import GUARD_PASSED

# Put in the context by the customer page activating a plan within the self-service
# limits: the customer sees it on the page, no e-mail tells them. An object, not a flag:
# a client's context (JSON) cannot carry it.
SELF_SERVICE = object()
DECISION_TEMPLATES = {
    "accepted": "collections_officer.mail_template_collection_plan_portal_accepted",
    "refused": "collections_officer.mail_template_collection_plan_portal_refused",
}


class CollectionPlan(models.Model):
    """Payment plans the customer proposes on the customer page.

    Within the company's self-service limits they start at once; beyond them they
    wait for the approval of a manager like an officer's plan above the limits, and
    the customer is told by e-mail when it is approved (the plan starts: the customer
    has agreed to it already) or refused, with the reason.
    """

    _inherit = "collection.plan"  # pylint: disable=consider-merging-classes-inherited

    portal_requested = fields.Boolean(
        string="Proposed by the Customer",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The customer proposed this plan on the customer page.",
    )

    @api.depends(
        "amount_total",
        "currency_id",
        "duration_months",
        "company_id",
        "portal_requested",
        "down_payment",
    )
    def _compute_needs_approval(self):
        result = super()._compute_needs_approval()
        for plan in self.filtered(lambda plan: plan.portal_requested and not plan.needs_approval):
            plan.needs_approval = bool(
                self._portal_plan_reasons(
                    plan.company_id,
                    plan.amount_total,
                    plan.down_payment,
                    plan.currency_id,
                    plan.duration_months,
                )
            )
        return result

    @api.model
    def _portal_plan_reasons(self, company, amount, down_payment, currency, months):
        """Why a plan the customer proposes is beyond the company's self-service limits,
        in words (empty: it starts at once)."""
        if not company:
            return []
        company_currency = company.currency_id
        amount_company = amount
        if currency and currency != company_currency:
            amount_company = currency._convert(
                amount, company_currency, company, company._collection_today()
            )
        reasons = []
        limit = company.collection_portal_plan_max_amount
        if limit and company_currency.compare_amounts(amount_company, limit) > 0:
            reasons.append(
                self.env._(
                    "%(amount)s is above the %(limit)s customers may plan themselves",
                    amount=company_currency.format(amount_company),
                    limit=company_currency.format(limit),
                )
            )
        max_months = company.collection_portal_plan_max_months
        if max_months and months > max_months:
            reasons.append(
                self.env._(
                    "%(months)s months is longer than the %(limit)s months customers may plan "
                    "themselves",
                    months=months,
                    limit=max_months,
                )
            )
        share = company.collection_portal_plan_min_down_percent
        currency = currency or company_currency
        if share and currency.compare_amounts(down_payment or 0.0, amount * share / 100) < 0:
            reasons.append(
                self.env._(
                    "a down payment of %(down)s is less than %(share)s%% of the amount",
                    down=currency.format(down_payment or 0.0),
                    share=f"{share:g}",
                )
            )
        return reasons

    # --------------------------------------------------------------- actions

    def action_approve(self):
        result = super().action_approve()
        # The customer proposed it: approving it is accepting it, the plan starts.
        self.filtered(
            lambda plan: plan.portal_requested and plan.state in ("draft", "proposed")
        ).action_activate()
        return result

    def action_activate(self):
        result = super().action_activate()
        if self.env.context.get("collection_portal_self_service") is not SELF_SERVICE:
            self.filtered("portal_requested")._portal_notify_decision("accepted")
        return result

    def _refuse(self, reason):
        result = super()._refuse(reason)
        self.filtered("portal_requested")._portal_notify_decision("refused")
        return result

    # ------------------------------------------------------- business methods

    def _portal_notify_decision(self, decision):
        """E-mail the customers who proposed these plans the manager's ``decision``
        ("accepted" or "refused"), through the compliance guard like every e-mail to a
        customer: a blocked one is logged as blocked, a deferred one waits in the queue
        for the customer's next contact hours."""
        if not self:
            return
        template = self.env.ref(DECISION_TEMPLATES[decision])
        plans = self.sudo()
        cases = plans.case_id
        recipients = cases._get_followup_recipients()
        verdicts = (
            self.env["collection.compliance"]
            .sudo()
            ._check_contacts(cases, "email", recipients=recipients)
        )
        Contact = self.env["collection.contact"]
        blocked = []
        for plan in plans:
            case = plan.case_id
            recipient = recipients[case.id]["email"]
            verdict = verdicts[case.id]
            if not recipient.email:
                verdict = {
                    "verdict": "blocked",
                    "reason": self.env._(
                        "%(partner)s has no e-mail address.", partner=recipient.display_name
                    ),
                }
            if verdict["verdict"] == "blocked":
                blocked.append(
                    {
                        "case_id": case.id,
                        "partner_id": recipient.id,
                        "channel": "email",
                        "direction": "outbound",
                        "outcome": "blocked",
                        "user_id": self.env.uid,
                        "blocked_reason": verdict["reason"],
                        "note": Markup("<p>%s</p>")
                        % self.env._(
                            "The customer was not told by e-mail that %(plan)s was %(decision)s.",
                            plan=plan.display_name,
                            decision=self._portal_decision_word(decision),
                        ),
                    }
                )
                continue
            message = plan.with_context(mail_notify_force_send=False).message_post_with_source(
                template, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            if verdict["verdict"] == "deferred" and verdict.get("defer_until"):
                # The e-mail leaves in the customer's next contact hours.
                self.env["mail.mail"].sudo().search([("mail_message_id", "in", message.ids)]).write(
                    {"scheduled_date": verdict["defer_until"]}
                )
            Contact.sudo()._log_sent(
                [
                    {
                        "case_id": case.id,
                        "partner_id": recipient.id,
                        "channel": "email",
                        "outcome": "message_sent",
                        "note": Markup("<p>%s</p>")
                        % (message.subject or html2plaintext(message.body or "")),
                        "message_id": message.id,
                    }
                ],
                post_on_case=True,
            )
        if blocked:
            Contact.sudo().with_context(collection_guard_passed=GUARD_PASSED).create(blocked)

    def _portal_decision_word(self, decision):
        return self.env._("accepted") if decision == "accepted" else self.env._("refused")
