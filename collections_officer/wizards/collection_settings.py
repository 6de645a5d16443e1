from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_date

from ..models.res_company import _format_hour

# How many of the company's latest runs the go-live screen lists.
RUN_LIST_LIMIT = 20


class CollectionSettings(models.TransientModel):
    """The collections settings of a company, for its collections managers.

    Odoo's Settings are for administrators; the collections managers run the
    desk (go-live, limits, hours, write-offs) without being administrators.
    Each field is the company's own: opening the screen reads them, saving
    writes them to the company, once a collections manager is checked.
    """

    _name = "collection.settings"
    _description = "Collections Settings"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

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
    collection_hold_manual_sends = fields.Boolean(
        related="company_id.collection_hold_manual_sends", readonly=False
    )
    left_out_count = fields.Integer(string="Items Left Out", compute="_compute_left_out")
    left_out_amount = fields.Monetary(string="Amount Left Out", compute="_compute_left_out")
    next_run_note = fields.Char(compute="_compute_next_run_note")
    run_ids = fields.Many2many(
        "collection.run", string="Follow-up Runs", compute="_compute_run_ids"
    )

    # The company's collections day.
    collection_timezone = fields.Selection(related="company_id.collection_timezone", readonly=False)
    collection_day_start_hour = fields.Float(
        related="company_id.collection_day_start_hour", readonly=False
    )
    collection_policy_id = fields.Many2one(
        related="company_id.collection_policy_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
    collection_bank_stale_days = fields.Integer(
        related="company_id.collection_bank_stale_days", readonly=False
    )
    # What is followed up.
    collection_tolerance = fields.Monetary(
        related="company_id.collection_tolerance", currency_field="currency_id", readonly=False
    )
    collection_include_misc_debits = fields.Boolean(
        related="company_id.collection_include_misc_debits", readonly=False
    )
    collection_case_per_branch = fields.Boolean(
        related="company_id.collection_case_per_branch", readonly=False
    )
    collection_aging_buckets = fields.Char(
        related="company_id.collection_aging_buckets", readonly=False
    )
    # Compliance guard.
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
    collection_contact_days = fields.Selection(
        related="company_id.collection_contact_days", readonly=False
    )
    collection_agreement_quiet_days = fields.Integer(
        related="company_id.collection_agreement_quiet_days", readonly=False
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
    # Disputes and write-offs.
    collection_dispute_days = fields.Integer(
        related="company_id.collection_dispute_days", readonly=False
    )
    collection_writeoff_account_id = fields.Many2one(
        related="company_id.collection_writeoff_account_id",
        readonly=False,
        domain="[('company_ids', 'parent_of', company_id), "
        "('account_type', 'in', ('expense', 'expense_other'))]",
    )
    collection_writeoff_journal_id = fields.Many2one(
        related="company_id.collection_writeoff_journal_id",
        readonly=False,
        domain="[('company_id', 'parent_of', company_id), ('type', '=', 'general')]",
    )
    collection_writeoff_limit = fields.Monetary(
        related="company_id.collection_writeoff_limit",
        currency_field="currency_id",
        readonly=False,
    )
    writeoff_setup_note = fields.Char(compute="_compute_writeoff_setup_note")
    # Legal action.
    collection_legal_reply_days = fields.Integer(
        related="company_id.collection_legal_reply_days", readonly=False
    )
    collection_legal_agency_rate = fields.Float(
        related="company_id.collection_legal_agency_rate", readonly=False
    )
    collection_legal_cost_invoicing = fields.Selection(
        related="company_id.collection_legal_cost_invoicing", readonly=False
    )
    collection_legal_cost_product_id = fields.Many2one(
        related="company_id.collection_legal_cost_product_id", readonly=False
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

    @api.depends("company_id")
    @api.depends_context("collection_settings_status")
    def _compute_display_name(self):
        for settings in self:
            if self.env.context.get("collection_settings_status"):
                settings.display_name = self.env._(
                    "Follow-up of %(company)s", company=settings.company_id.name
                )
            else:
                settings.display_name = self.env._("Collections Settings")

    @api.depends("company_id", "collection_followup_from")
    def _compute_left_out(self):
        for settings in self:
            count, amount = settings.company_id._collection_left_out(
                settings.collection_followup_from
            )
            settings.left_out_count = count
            settings.left_out_amount = amount

    @api.depends("company_id", "collection_followup_live")
    def _compute_next_run_note(self):
        """When the next scheduled run comes: the runs are hourly, each company's once a
        day from the start of its collections day."""
        for settings in self:
            company = settings.company_id
            if not company:
                settings.next_run_note = False
                continue
            now = company._collection_now()
            today = now.date()
            hour = _format_hour(company.collection_day_start_hour)
            tz = company._collection_tz()
            if company.collection_run_day and company.collection_run_day >= today:
                settings.next_run_note = self.env._(
                    "The next follow-up run starts on %(date)s from %(hour)s (%(tz)s).",
                    date=format_date(self.env, today + timedelta(days=1)),
                    hour=hour,
                    tz=tz,
                )
            elif now.hour + now.minute / 60 >= company.collection_day_start_hour:
                settings.next_run_note = self.env._("Today's follow-up run starts within the hour.")
            else:
                settings.next_run_note = self.env._(
                    "The next follow-up run starts today from %(hour)s (%(tz)s).",
                    hour=hour,
                    tz=tz,
                )

    @api.depends("company_id")
    def _compute_run_ids(self):
        for settings in self:
            settings.run_ids = self.env["collection.run"].search(
                [("company_id", "=", settings.company_id.id)], limit=RUN_LIST_LIMIT
            )

    @api.depends("company_id", "collection_writeoff_account_id", "collection_writeoff_journal_id")
    def _compute_writeoff_setup_note(self):
        for settings in self:
            settings.writeoff_setup_note = settings.company_id._collection_writeoff_setup_note()

    # ------------------------------------------------------------------ CRUD

    @api.model
    def _company_field_names(self):
        """The company's settings this screen writes: its fields the manager may change."""
        return [
            name
            for name, field in self._fields.items()
            if field.related and field.related.startswith("company_id.") and not field.readonly
        ]

    @api.model_create_multi
    def create(self, vals_list):
        names = self._company_field_names()
        company_values = [
            {name: vals.pop(name) for name in names if name in vals} for vals in vals_list
        ]
        records = super().create(vals_list)
        for settings, values in zip(records, company_values, strict=True):
            settings._write_company(values)
        return records

    def write(self, vals):
        names = self._company_field_names()
        values = {name: vals.pop(name) for name in names if name in vals}
        result = super().write(vals) if vals else True
        for settings in self:
            settings._write_company(values)
        return result

    def _write_company(self, values):
        """Write ``values`` to the company: a collections manager of the company only,
        whoever calls (the form, an RPC client)."""
        self.ensure_one()
        self._check_manager()
        if values:
            self.company_id.sudo().write(values)

    def _check_manager(self):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can change the collections settings.")
        )
        for settings in self:
            if settings.company_id not in self.env.user.company_ids:
                raise AccessError(
                    self.env._(
                        "You cannot change the collections settings of %(company)s.",
                        company=settings.company_id.name,
                    )
                )

    # --------------------------------------------------------------- actions

    @api.model
    def _action_open(self, status=False):
        """The settings of the current company, or its follow-up status (after go-live):
        a screen of its own, in place of the breadcrumbs."""
        settings = self.create({})
        settings._check_manager()
        if status:
            view = self.env.ref("collections_officer.collection_settings_view_form_status")
        else:
            view = self.env.ref("collections_officer.collection_settings_view_form")
        context = {"collection_settings_status": True} if status else {}
        return {
            "type": "ir.actions.act_window",
            "name": settings.with_context(**context).display_name,
            "res_model": self._name,
            "res_id": settings.id,
            "view_mode": "form",
            "views": [(view.id, "form")],
            "target": "main",
            "context": context,
        }

    def action_followup_off(self):
        """Back to dry runs: nothing more is sent until a manager goes live again."""
        self.ensure_one()
        self._check_manager()
        self.company_id._check_collection_live_switch()
        self.company_id.sudo().collection_followup_live = False
        return self._action_open()

    def action_writeoff_setup(self):
        """Set up the write-off account and journal now, rather than at the first write-off."""
        self.ensure_one()
        self._check_manager()
        self.company_id._collection_writeoff_setup()
        return self._action_open()

    def action_open_settings(self):
        return self._action_open()

    def action_view_runs(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_run_action"
        )
