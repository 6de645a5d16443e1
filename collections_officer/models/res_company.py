import logging

import pytz

from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

_logger = logging.getLogger(__name__)

# Shipped as examples for every company: copied to each company that lacks them.
DEFAULT_POLICY = "collections_officer.collection_policy_default"
EXAMPLE_CHARGE_RULES = (
    "collections_officer.charge_rule_uk_late_payment",
    "collections_officer.charge_rule_eu_late_payment",
)


def _format_hour(hour):
    hours, minutes = divmod(round(hour * 60), 60)
    return f"{hours:02d}:{minutes:02d}"


class ResCompany(models.Model):
    _inherit = "res.company"

    # Go-live: nothing is sent for a company until a manager switches follow-up on.
    collection_followup_live = fields.Boolean(
        string="Follow-up Live",
        copy=False,
        help="The daily follow-up run sends for this company only once a manager has "
        "switched follow-up on; before that it can only be previewed (dry run).",
    )
    collection_followup_from = fields.Date(
        string="Follow Up Items Due After",
        help="Items due on or before this date are shown on the cases but not chased "
        "(no level, no charge). Empty: every overdue item is followed up.",
    )
    collection_followup_live_date = fields.Datetime(
        string="Follow-up Live Since", readonly=True, copy=False
    )
    collection_followup_live_user_id = fields.Many2one(
        "res.users", string="Follow-up Switched On By", readonly=True, copy=False
    )
    # Send Follow-up Now and Send Statement are an officer's own decision: before go-live
    # they send for real (the dialogs say so), unless the company holds them too.
    collection_hold_manual_sends = fields.Boolean(
        string="Hold Manual Sends until Go-Live",
        help="Before go-live, Send Follow-up Now and Send Statement send nothing either. "
        "Unticked, they send for real while the daily follow-up is still a dry run.",
    )
    # The company's own day: every "today" of the desk is read in it, never the server's.
    collection_timezone = fields.Selection(
        _tz_get,
        string="Collections Timezone",
        default=lambda self: self._default_collection_timezone(),
        help="The timezone of the company's collections day.",
    )
    # The scheduled jobs run hourly; each company's comes once a day, in its own morning.
    collection_day_start_hour = fields.Float(
        string="Start of the Collections Day",
        default=6.0,
        help="Local time (collections timezone) from which the day's scheduled work runs "
        "for the company: the refresh of the cases, then the judging of promises and "
        "plans, then the follow-up run.",
    )
    collection_refreshed_day = fields.Date(
        string="Cases Refreshed On",
        readonly=True,
        copy=False,
        help="The last local day whose scheduled refresh of the cases is complete.",
    )
    collection_scored_day = fields.Date(
        string="Cases Scored On",
        readonly=True,
        copy=False,
        help="The last local day on which the scheduled refresh scored every active case "
        "(priority, predicted pay date, next action). A refresh asked again that day "
        "scores only the cases it changes.",
    )
    collection_priority_book = fields.Monetary(
        string="Overdue Book at Scoring",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="What the company's open cases had overdue when the scheduled refresh scored "
        "them on the day of 'Cases Scored On': every case scored that day reads the share "
        "of the overdue book its amount earns points for against this one total.",
    )
    collection_judged_day = fields.Date(
        string="Commitments Judged On",
        readonly=True,
        copy=False,
        help="The last local day whose scheduled judging of promises and plans is complete.",
    )
    collection_run_day = fields.Date(
        string="Follow-up Run On",
        readonly=True,
        copy=False,
        help="The last local day whose scheduled follow-up run is complete.",
    )
    collection_refresh_requested = fields.Integer(
        string="Refresh Requests",
        readonly=True,
        copy=False,
        help="How many refreshes of every case were asked for (Refresh All, or a refresh "
        "another transaction held): while some are not answered, the scheduled refresh takes "
        "the company at once, whatever its local time.",
    )
    collection_refresh_answered = fields.Integer(
        string="Refresh Requests Answered",
        readonly=True,
        copy=False,
        help="The requests the last complete refresh answered: those made before it started.",
    )
    collection_run_asked = fields.Boolean(
        string="Follow-up Run Asked",
        readonly=True,
        copy=False,
        help="A manager asked for the follow-up run now (Run Now): the scheduled run "
        "takes the company at once, whatever its local time.",
    )
    collection_tolerance = fields.Monetary(
        string="Follow-up Tolerance",
        currency_field="currency_id",
        default=1.0,
        help="Residuals below this amount (converted to each item's currency) are not "
        "debt: they open no case and draw no level and no charge.",
    )
    # What the ledger counts as debt.
    collection_include_misc_debits = fields.Boolean(
        string="Follow Up Miscellaneous Debits",
        help="Open debits of miscellaneous-journal entries (e.g. opening balances migrated "
        "as journal entries) are followed up, although Odoo marks them 'No Follow-Up'. "
        "Credits are always deducted, whatever their journal.",
    )
    # Aged receivables report.
    collection_aging_buckets = fields.Char(
        string="Aging Buckets (days)",
        default="30,60,90,120",
        help="Upper limits of the overdue buckets of the aged receivables, in days, "
        "comma-separated and increasing: 30,60,90,120 gives not due, 1-30, 31-60, 61-90, "
        "91-120 and over 120.",
    )
    collection_case_per_branch = fields.Boolean(
        string="Cases per Branch",
        help="Set on the head office: each branch keeps its own cases. Otherwise a "
        "customer invoiced by the head office and its branches has one case, at the "
        "head office.",
    )
    # Follow-up.
    collection_policy_id = fields.Many2one(
        "collection.policy",
        string="Default Follow-up Policy",
        domain="[('company_id', '=', id)]",
    )
    collection_bank_stale_days = fields.Integer(
        string="Bank Statements Stale After (days)",
        default=7,
        help="Warn before automated follow-up when the last bank statement line is older.",
    )
    # Compliance guard.
    collection_contact_hour_start = fields.Float(string="Contact From", default=8.0)
    collection_contact_hour_end = fields.Float(string="Contact Until", default=21.0)
    # E-mails reach a person too: they leave within these hours, on the contact days.
    collection_email_hour_start = fields.Float(string="E-mails From", default=8.0)
    collection_email_hour_end = fields.Float(string="E-mails Until", default=20.0)
    collection_cap_window_days = fields.Integer(
        string="Contact Cap Window (days)",
        default=7,
        help="Rolling window over which contact attempts are counted per channel.",
    )
    collection_max_calls = fields.Integer(string="Calls per Window", default=7, help="0: no limit.")
    collection_max_sms = fields.Integer(string="SMS per Window", default=7, help="0: no limit.")
    collection_max_emails = fields.Integer(
        string="E-mails per Window", default=0, help="0: no limit."
    )
    collection_max_visits = fields.Integer(
        string="Visits per Window", default=0, help="0: no limit."
    )
    collection_call_quiet_days = fields.Integer(
        string="No Call After a Conversation (days)", default=7
    )
    collection_contact_days = fields.Selection(
        [
            ("mon_fri", "Monday to Friday"),
            ("mon_sat", "Monday to Saturday"),
            ("all", "Every Day"),
        ],
        string="Contact Days",
        default="mon_fri",
        required=True,
        help="Days on which customers are called, sent SMS or e-mails, or visited, in their "
        "timezone; "
        "other contacts wait for the next of these days.",
    )
    collection_agreement_quiet_days = fields.Integer(
        string="No Follow-up After an Agreement (days)",
        default=7,
        help="Nothing is sent by hand to a customer who agreed a promise or a payment plan "
        "within these days, unless a collections manager overrides it (0: no limit).",
    )

    # Promises and payment plans.
    collection_promise_tolerance_days = fields.Integer(
        string="Promise Tolerance (days)",
        default=3,
        help="Days after the promised date for the money to arrive before the promise is judged.",
    )
    collection_promise_max_days = fields.Integer(
        string="Promise Approval Beyond (days)",
        default=30,
        help="A promise for a later date needs a manager's approval before it holds "
        "follow-up (0: no limit).",
    )
    collection_promise_min_percent = fields.Float(
        string="Promise Approval Below (% of overdue)",
        default=10.0,
        help="A promise of less than this share of the overdue amount needs a manager's "
        "approval before it holds follow-up (0: no limit).",
    )
    collection_installment_grace_days = fields.Integer(
        string="Installment Grace (days)",
        default=5,
        help="Days after an installment's date before it counts as missed.",
    )
    collection_plan_missed_limit = fields.Integer(
        string="Missed Installments Breaking a Plan",
        default=2,
    )
    collection_plan_max_amount = fields.Monetary(
        string="Plan Approval Above",
        currency_field="currency_id",
        default=10000,
        help="Plans of a larger amount need a manager's approval (0: no limit).",
    )
    collection_plan_max_months = fields.Integer(
        string="Plan Approval Beyond (months)",
        default=12,
        help="Plans lasting longer need a manager's approval (0: no limit).",
    )
    collection_broken_action = fields.Selection(
        [("open", "Back to Follow-Up"), ("escalate", "Escalate")],
        string="After a Broken Promise or Plan",
        default="open",
        required=True,
    )
    # Write-offs: a native journal entry on the bad-debt expense account.
    collection_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Bad-Debt Expense Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="The expense account debited when a collections manager writes a debt off.",
    )
    collection_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Write-Off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="The miscellaneous journal of the write-off entries.",
    )
    collection_writeoff_limit = fields.Monetary(
        string="Second Manager Above",
        currency_field="currency_id",
        help="Write-offs of a larger amount (company currency) need a second collections "
        "manager's approval before they are posted (0: no limit).",
    )

    # Priority score: the most points each input gives (see collection.case priority).
    collection_priority_amount = fields.Integer(
        string="Points for the Amount Overdue",
        default=25,
        help="Given in full to a case holding the share of the company's overdue book set "
        "below, in proportion under it.",
    )
    collection_priority_amount_share = fields.Float(
        string="Full Points at (% of overdue book)",
        default=5.0,
        help="The share of the company's overdue amount, over all open cases, that gives "
        "the amount's full points.",
    )
    collection_priority_days = fields.Integer(
        string="Points for Days Overdue",
        default=25,
        help="In proportion to the days overdue, in full at 120 days.",
    )
    collection_priority_broken = fields.Integer(
        string="Points for Broken Commitments",
        default=15,
        help="Broken promises, broken plans and missed installments of the case: a third "
        "for each, in full from three.",
    )
    collection_priority_dispute = fields.Integer(string="Points for an Open Dispute", default=10)
    collection_priority_history = fields.Integer(
        string="Points for Payment History",
        default=10,
        help="Half for the share of the customer's invoices paid late, half for their "
        "average delay (in full at 60 days late).",
    )
    collection_priority_contact = fields.Integer(
        string="Points for Days Since Last Contact",
        default=10,
        help="In proportion to the days since the last contact (or since the case "
        "opened), in full at 30 days.",
    )
    collection_priority_credit_hold = fields.Integer(string="Points for a Credit Hold", default=5)
    collection_priority_prediction = fields.Integer(
        string="Points for an Unlikely Payment",
        default=0,
        help="In proportion to the predicted chance that the customer does not pay within "
        "30 days, when the company's payment prediction model is in use. 0: off.",
    )

    _collection_commitment_days_positive = models.Constraint(
        "CHECK(collection_promise_tolerance_days >= 0 AND collection_installment_grace_days >= 0"
        " AND collection_plan_max_months >= 0 AND collection_plan_max_amount >= 0)",
        "Tolerance, grace days and plan limits cannot be negative.",
    )
    _collection_promise_limits_positive = models.Constraint(
        "CHECK(collection_promise_max_days >= 0 AND collection_promise_min_percent >= 0"
        " AND collection_promise_min_percent <= 100)",
        "Promise limits cannot be negative, and the share of the overdue amount is at most 100%.",
    )
    _collection_priority_points_positive = models.Constraint(
        "CHECK(collection_priority_amount >= 0 AND collection_priority_days >= 0"
        " AND collection_priority_broken >= 0 AND collection_priority_dispute >= 0"
        " AND collection_priority_history >= 0 AND collection_priority_contact >= 0"
        " AND collection_priority_credit_hold >= 0 AND collection_priority_prediction >= 0"
        " AND collection_priority_amount_share > 0"
        " AND collection_priority_amount_share <= 100)",
        "Priority points cannot be negative, and the share of the overdue book giving the "
        "amount's full points is above 0% and at most 100%.",
    )
    _collection_compliance_numbers_positive = models.Constraint(
        "CHECK(collection_cap_window_days >= 0 AND collection_max_calls >= 0"
        " AND collection_max_sms >= 0 AND collection_max_emails >= 0"
        " AND collection_max_visits >= 0 AND collection_call_quiet_days >= 0"
        " AND collection_bank_stale_days >= 0 AND collection_agreement_quiet_days >= 0)",
        "Contact caps, windows and days cannot be negative.",
    )
    _collection_writeoff_limit_positive = models.Constraint(
        "CHECK(collection_writeoff_limit >= 0)",
        "The write-off approval limit cannot be negative.",
    )
    _collection_plan_missed_limit_positive = models.Constraint(
        "CHECK(collection_plan_missed_limit >= 1)",
        "A plan breaks after at least one missed installment.",
    )
    collection_dispute_days = fields.Integer(
        string="Dispute Deadline (days)",
        default=14,
        help="Days to investigate a dispute; past them, the team manager is alerted.",
    )
    _collection_dispute_days_positive = models.Constraint(
        "CHECK(collection_dispute_days >= 0)", "The dispute deadline cannot be negative."
    )

    @api.model
    def _default_collection_timezone(self):
        """The timezone of whoever sets the company up, else UTC."""
        return self.env.user.tz or "UTC"

    def _collection_tz(self):
        self.ensure_one()
        return self.collection_timezone or self.partner_id.tz or "UTC"

    def _collection_now(self, at=None):
        """``at`` (naive UTC, default now) as an aware datetime in the company's timezone."""
        self.ensure_one()
        at = at or fields.Datetime.now()
        return pytz.utc.localize(at).astimezone(pytz.timezone(self._collection_tz()))

    def _collection_today(self, at=None):
        """The company's date at ``at`` (naive UTC, default now): its collections day."""
        return self._collection_now(at).date()

    def _collection_morning_due(self, done_field=None, at=None):
        """The companies whose collections day has started at ``at`` (naive UTC, default
        now) and whose scheduled job recorded in ``done_field`` (if any) has not yet been
        done that day: ``{company: its local date}``."""
        due = {}
        for company in self:
            local = company._collection_now(at)
            started = local.hour + local.minute / 60 >= company.collection_day_start_hour
            done = done_field and company[done_field]
            if started and (not done or done < local.date()):
                due[company] = local.date()
        return due

    def _collection_mark_day(self, done_field, day):
        """Record that the scheduled job of ``done_field`` is done for the local ``day``."""
        self.sudo().write({done_field: day})

    def _collection_ask_refresh(self):
        """Ask for a refresh of every case of these companies, as soon as the scheduler runs.

        Requests are counted rather than flagged: a refresh answers those made before
        it started (see ``_collection_refresh_answer``), never one made while it ran,
        whose customers its earlier batches may have read before.
        """
        companies = self.sudo()
        # Counted from what is committed, not from a cache an earlier transaction filled.
        companies.invalidate_recordset(["collection_refresh_requested"])
        for company in companies:
            company.collection_refresh_requested += 1

    def _collection_refresh_pending(self):
        """Whether a refresh was asked for that no complete refresh has answered yet."""
        self.ensure_one()
        return self.collection_refresh_requested > self.collection_refresh_answered

    def _collection_refresh_answer(self, requested):
        """Record that a complete refresh answered the requests counted when it started."""
        self.ensure_one()
        if requested > self.collection_refresh_answered:
            self.sudo().collection_refresh_answered = requested

    @api.constrains("collection_aging_buckets")
    def _check_collection_aging_buckets(self):
        for company in self:
            self.env["collection.aging.report"]._parse_buckets(company.collection_aging_buckets)

    @api.constrains("collection_contact_hour_start", "collection_contact_hour_end")
    def _check_collection_contact_hours(self):
        for company in self:
            self.env["res.partner"]._check_contact_window(
                company.collection_contact_hour_start,
                company.collection_contact_hour_end,
                company.name,
            )

    @api.constrains("collection_email_hour_start", "collection_email_hour_end")
    def _check_collection_email_hours(self):
        for company in self:
            if not (
                0 <= company.collection_email_hour_start <= 24
                and 0 <= company.collection_email_hour_end <= 24
            ):
                raise ValidationError(
                    self.env._(
                        "The e-mail hours of %(company)s must be between 0:00 and 24:00.",
                        company=company.name,
                    )
                )
            if company.collection_email_hour_end <= company.collection_email_hour_start:
                raise ValidationError(
                    self.env._(
                        "The e-mail hours of %(company)s end before they start: they must "
                        "end after %(start)s.",
                        company=company.name,
                        start=_format_hour(company.collection_email_hour_start),
                    )
                )

    @api.constrains("collection_day_start_hour")
    def _check_collection_day_start_hour(self):
        for company in self:
            if not 0 <= company.collection_day_start_hour < 24:
                raise ValidationError(
                    self.env._(
                        "The collections day of %(company)s must start between 0:00 and 23:59.",
                        company=company.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._collection_copy_examples()
        return companies

    def write(self, vals):
        if "collection_followup_live" in vals:
            live = bool(vals["collection_followup_live"])
            switching = self.filtered(lambda c: c.collection_followup_live != live)
            if switching:
                switching._check_collection_live_switch()
                # Who switched follow-up on, and when, stays on the company.
                super(ResCompany, switching).write(
                    {
                        "collection_followup_live_date": live and fields.Datetime.now(),
                        "collection_followup_live_user_id": live and self.env.uid,
                    }
                )
                for company in switching:
                    _logger.info(
                        "Collections follow-up of %s switched %s by user %s",
                        company.name,
                        "on" if live else "off",
                        self.env.uid,
                    )
        return super().write(vals)

    def _check_collection_live_switch(self):
        # Switching follow-up on starts real e-mails, letters and charges: a collections
        # manager decides it, whatever the path (settings, go-live wizard, RPC).
        if self.env.su or self.env.user.has_group("collections_officer.group_collections_manager"):
            return
        raise AccessError(self.env._("Only a collections manager can switch follow-up on or off."))

    def _collection_left_out(self, followup_from):
        """What following up only the items due after ``followup_from`` leaves out: the
        open debits the follow-up would chase otherwise, due on or before that date.
        ``(count, amount in company currency)``."""
        self.ensure_one()
        if not followup_from:
            return 0, 0.0
        scope = self.env["collection.ledger"]._company_scope(self)
        followed = Domain("no_followup", "=", False)
        if self.collection_include_misc_debits:
            followed |= Domain("journal_id.type", "=", "general")
        due = Domain("date_maturity", "<=", followup_from) | (
            Domain("date_maturity", "=", False) & Domain("date", "<=", followup_from)
        )
        domain = (
            Domain(
                [
                    ("company_id", "in", list(scope)),
                    ("partner_id", "!=", False),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", ">", 0),
                    ("move_id.payment_state", "not in", ("blocked", "in_payment")),
                ]
            )
            & followed
            & due
        )
        [(count, amount)] = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(domain, aggregates=["__count", "amount_residual:sum"])
        )
        return count, amount or 0.0

    def _collection_manual_send_note(self):
        """What an officer must know before sending by hand for these companies, or False:
        not live yet, the send is real, or held until go-live."""
        not_live = self.filtered(lambda company: not company.collection_followup_live)
        if not not_live:
            return False
        held = not_live.filtered("collection_hold_manual_sends")
        if held:
            return self.env._(
                "%(companies)s is not live yet and holds manual sends until it goes live: "
                "nothing can be sent now.",
                companies=", ".join(held.mapped("name")),
            )
        return self.env._(
            "%(companies)s is not live yet: the daily follow-up only makes dry runs, but "
            "Send sends this to the customer for real.",
            companies=", ".join(not_live.mapped("name")),
        )

    def _collection_check_manual_send(self):
        """Refuse a send by hand for a company that holds them until it goes live."""
        held = self.filtered(
            lambda company: (
                not company.collection_followup_live and company.collection_hold_manual_sends
            )
        )
        if held:
            raise UserError(
                self.env._(
                    "Nothing is sent by hand for %(companies)s until it goes live: a "
                    "collections manager chose to hold manual sends during the dry runs.",
                    companies=", ".join(held.mapped("name")),
                )
            )

    def _collection_go_live(self, followup_from):
        """Switch follow-up on from now, for items due after ``followup_from``."""
        self._check_collection_live_switch()
        self.sudo().write(
            {"collection_followup_live": True, "collection_followup_from": followup_from}
        )
        # The dry runs showed what the run would do before go-live; from now on it does it.
        dry_runs = (
            self.env["collection.run"]
            .sudo()
            .search([("company_id", "in", self.ids), ("dry_run", "=", True)])
        )
        dry_runs.followup_ids.unlink()
        dry_runs.unlink()
        return True

    @api.model
    def _collection_install_defaults(self):
        """At install: every existing company gets the examples the main company ships with."""
        # pylint: disable-next=no-search-all
        self.sudo().search([])._collection_copy_examples()

    def _collection_copy_examples(self):
        """Give companies without any a copy of the default policy (with its levels, as
        their default) and of the example charge rules (inactive). Nothing is sent before
        the company goes live."""
        Policy = self.env["collection.policy"].sudo().with_context(active_test=False)
        Rule = self.env["collection.charge.rule"].sudo().with_context(active_test=False)
        policy = self.env.ref(DEFAULT_POLICY, raise_if_not_found=False)
        examples = Rule.browse(
            rule.id
            for rule in (self.env.ref(x, raise_if_not_found=False) for x in EXAMPLE_CHARGE_RULES)
            if rule
        )
        with_policy = {
            c for (c,) in Policy._read_group([("company_id", "in", self.ids)], ["company_id"])
        }
        with_rules = {
            c for (c,) in Rule._read_group([("company_id", "in", self.ids)], ["company_id"])
        }
        for company in self.sudo():
            if policy and company not in with_policy:
                copy = policy.sudo().copy({"company_id": company.id})
                # A charge rule belongs to its company: the copied levels charge nothing.
                policy.sudo().level_ids.copy({"policy_id": copy.id, "charge_rule_id": False})
                company.collection_policy_id = copy
            if company not in with_rules:
                for rule in examples:
                    rule.copy({"company_id": company.id, "journal_id": False, "active": False})
