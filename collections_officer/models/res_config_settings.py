from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Go-live: switched on by the Go Live wizard only, which asks for the date and logs it.
    collection_followup_live = fields.Boolean(related="company_id.collection_followup_live")
    collection_followup_live_date = fields.Datetime(
        related="company_id.collection_followup_live_date"
    )
    collection_followup_live_user_id = fields.Many2one(
        related="company_id.collection_followup_live_user_id"
    )
    collection_followup_from = fields.Date(
        related="company_id.collection_followup_from", readonly=False
    )
    # The company's collections day: its timezone, and the hour its scheduled work starts.
    collection_timezone = fields.Selection(related="company_id.collection_timezone", readonly=False)
    collection_day_start_hour = fields.Float(
        related="company_id.collection_day_start_hour", readonly=False
    )
    collection_tolerance = fields.Monetary(
        related="company_id.collection_tolerance", currency_field="currency_id", readonly=False
    )
    # What the ledger counts as debt.
    collection_include_misc_debits = fields.Boolean(
        related="company_id.collection_include_misc_debits", readonly=False
    )
    collection_aging_buckets = fields.Char(
        related="company_id.collection_aging_buckets", readonly=False
    )
    collection_case_per_branch = fields.Boolean(
        related="company_id.collection_case_per_branch", readonly=False
    )
    # Follow-up and compliance guard.
    collection_policy_id = fields.Many2one(
        related="company_id.collection_policy_id", readonly=False
    )
    collection_bank_stale_days = fields.Integer(
        related="company_id.collection_bank_stale_days", readonly=False
    )
    collection_contact_hour_start = fields.Float(
        related="company_id.collection_contact_hour_start", readonly=False
    )
    collection_contact_hour_end = fields.Float(
        related="company_id.collection_contact_hour_end", readonly=False
    )
    collection_email_hour_start = fields.Float(
        related="company_id.collection_email_hour_start", readonly=False
    )
    collection_email_hour_end = fields.Float(
        related="company_id.collection_email_hour_end", readonly=False
    )
    collection_cap_window_days = fields.Integer(
        related="company_id.collection_cap_window_days", readonly=False
    )
    collection_max_calls = fields.Integer(related="company_id.collection_max_calls", readonly=False)
    collection_max_sms = fields.Integer(related="company_id.collection_max_sms", readonly=False)
    collection_max_emails = fields.Integer(
        related="company_id.collection_max_emails", readonly=False
    )
    collection_max_visits = fields.Integer(
        related="company_id.collection_max_visits", readonly=False
    )
    collection_call_quiet_days = fields.Integer(
        related="company_id.collection_call_quiet_days", readonly=False
    )
    collection_contact_days = fields.Selection(
        related="company_id.collection_contact_days", readonly=False
    )
    collection_agreement_quiet_days = fields.Integer(
        related="company_id.collection_agreement_quiet_days", readonly=False
    )

    # Promises and payment plans.
    collection_promise_tolerance_days = fields.Integer(
        related="company_id.collection_promise_tolerance_days", readonly=False
    )
    collection_promise_max_days = fields.Integer(
        related="company_id.collection_promise_max_days", readonly=False
    )
    collection_promise_min_percent = fields.Float(
        related="company_id.collection_promise_min_percent", readonly=False
    )
    collection_installment_grace_days = fields.Integer(
        related="company_id.collection_installment_grace_days", readonly=False
    )
    collection_plan_missed_limit = fields.Integer(
        related="company_id.collection_plan_missed_limit", readonly=False
    )
    collection_plan_max_amount = fields.Monetary(
        related="company_id.collection_plan_max_amount",
        currency_field="currency_id",
        readonly=False,
    )
    collection_plan_max_months = fields.Integer(
        related="company_id.collection_plan_max_months", readonly=False
    )
    collection_broken_action = fields.Selection(
        related="company_id.collection_broken_action", readonly=False
    )
    # Priority score weights.
    collection_priority_amount = fields.Integer(
        related="company_id.collection_priority_amount", readonly=False
    )
    collection_priority_amount_share = fields.Float(
        related="company_id.collection_priority_amount_share", readonly=False
    )
    collection_priority_days = fields.Integer(
        related="company_id.collection_priority_days", readonly=False
    )
    collection_priority_broken = fields.Integer(
        related="company_id.collection_priority_broken", readonly=False
    )
    collection_priority_dispute = fields.Integer(
        related="company_id.collection_priority_dispute", readonly=False
    )
    collection_priority_history = fields.Integer(
        related="company_id.collection_priority_history", readonly=False
    )
    collection_priority_contact = fields.Integer(
        related="company_id.collection_priority_contact", readonly=False
    )
    collection_priority_credit_hold = fields.Integer(
        related="company_id.collection_priority_credit_hold", readonly=False
    )
    collection_priority_prediction = fields.Integer(
        related="company_id.collection_priority_prediction", readonly=False
    )
    # Write-offs.
    collection_writeoff_account_id = fields.Many2one(
        related="company_id.collection_writeoff_account_id", readonly=False
    )
    collection_writeoff_journal_id = fields.Many2one(
        related="company_id.collection_writeoff_journal_id", readonly=False
    )
    collection_writeoff_limit = fields.Monetary(
        related="company_id.collection_writeoff_limit",
        currency_field="currency_id",
        readonly=False,
    )

    collection_dispute_days = fields.Integer(
        related="company_id.collection_dispute_days", readonly=False
    )

    def action_collection_followup_off(self):
        """Back to dry runs: nothing more is sent until a manager goes live again."""
        self.company_id.collection_followup_live = False
        return {"type": "ir.actions.client", "tag": "soft_reload"}
