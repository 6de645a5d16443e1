from odoo import api, fields, models
from odoo.fields import Domain


class CollectionDispute(models.Model):
    """Who is asked to act on a dispute: the owner investigates by the deadline, an
    accountant looks for a payment the customer claims, the team manager is alerted
    once the deadline is past; the activities are done when the dispute is resolved."""

    _inherit = "collection.dispute"  # pylint: disable=consider-merging-classes-inherited

    deadline_alerted = fields.Boolean(readonly=True, copy=False)

    def _schedule_owner_activities(self):
        for dispute in self:
            dispute.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=dispute.deadline,
                summary=self.env._("Investigate the dispute"),
                user_id=dispute.owner_id.id,
            )

    def _ask_accountant(self):
        """The customer says they paid: an accountant looks for the payment."""
        accountants = self.env.ref("account.group_account_invoice").sudo().all_user_ids
        for dispute in self:
            accountant = accountants.filtered(
                lambda user, d=dispute: (
                    user.active
                    and not user.share
                    and not user._is_superuser()
                    and d.company_id in user.company_ids
                    and not user.has_group("collections_officer.group_collections_officer")
                )
            )[:1]
            dispute.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=dispute.company_id._collection_today(),
                summary=self.env._("Look for the customer's payment"),
                note=self.env._(
                    "The customer says %(invoice)s is paid: find the payment and reconcile it "
                    "with the invoice; the dispute then closes itself.",
                    invoice=dispute.move_id.name,
                ),
                user_id=(accountant or dispute.owner_id).id,
            )

    def _close_activities(self):
        self.activity_ids.sudo().action_feedback(feedback=self.env._("Dispute resolved."))

    @api.model
    def _cron_alert_deadlines(self):
        """Hourly: tell the team manager, once, of each open dispute past its deadline,
        once the collections day of the dispute's company has started."""
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        started = list(companies._collection_morning_due())
        # Past its deadline on the day of the dispute's company.
        late = self.sudo().search(
            self.env["collection.ledger"]._company_day_domain("deadline", "<")
            & Domain([("state", "=", "open"), ("deadline_alerted", "=", False)])
            & Domain("company_id", "in", [company.id for company in started])
        )
        for dispute in late:
            manager = dispute.case_id.team_id.manager_id or dispute.owner_id
            dispute.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=dispute.company_id._collection_today(),
                summary=self.env._("Dispute past its deadline"),
                note=self.env._(
                    "The dispute of %(invoice)s on %(case)s was due to be resolved by "
                    "%(deadline)s.",
                    invoice=dispute.move_id.name,
                    case=dispute.case_id.name,
                    deadline=dispute.deadline,
                ),
                user_id=manager.id,
            )
        late.write({"deadline_alerted": True})
        return late
