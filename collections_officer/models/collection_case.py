import io
import logging
from datetime import timedelta

from lxml import html as lxml_html

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, split_every
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

_logger = logging.getLogger(__name__)

STATEMENT_REPORT = "collections_officer.action_report_collection_statement"
# Key of the PostgreSQL advisory lock that serialises refreshes of one company.
REFRESH_LOCK_KEY = 727365
# The accounting figures a refresh writes on a case, all read from move lines.
FIGURE_FIELDS = (
    "total_due",
    "overdue_amount",
    "no_followup_amount",
    "amount_not_due",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_91_120",
    "amount_over_120",
    "oldest_due_date",
    "next_due_date",
    "overdue_invoice_count",
    "last_payment_date",
)
MONETARY_FIGURES = FIGURE_FIELDS[:9]
EMPTY_FIGURES = dict.fromkeys(FIGURE_FIELDS, 0) | {
    "oldest_due_date": False,
    "next_due_date": False,
    "last_payment_date": False,
}


class CollectionCase(models.Model):
    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # Worklist priority: the oldest debt first, then the largest; closed cases
    # have no oldest due date and sort last.
    _order = "oldest_due_date, overdue_amount desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "partner_id"]

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('parent_id', '=', False)]",
        help="The commercial partner who owes the money.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    # Computed, not related: on insert the ORM rounds each monetary value through a
    # related currency by building a new record per value, which dominated opening
    # thousands of cases at once.
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Officer",
        index=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("collection.team", index=True, tracking=True, check_company=True)
    state = fields.Selection(
        [
            ("upcoming", "Due Soon"),
            ("open", "Open"),
            ("promised", "Promised"),
            ("plan", "Payment Plan"),
            ("escalated", "Escalated"),
            ("hold", "On Hold"),
            ("closed", "Closed"),
        ],
        required=True,
        default="open",
        index=True,
        tracking=True,
        help="Due Soon: nothing overdue yet, but a reminder before the due date is due. "
        "Open: in follow-up. Promised / Payment Plan: the customer committed to pay, "
        "follow-up waits while it is kept. Escalated: a manager was alerted. On Hold: no "
        "automated action (dispute, manual hold). Closed: nothing overdue.",
    )
    hold_reason = fields.Char(tracking=True)
    breathing_space_until = fields.Date(
        tracking=True,
        help="No contact and no fees or interest until this date "
        "(e.g. a statutory breathing space).",
    )
    policy_id = fields.Many2one(
        "collection.policy",
        string="Follow-up Policy",
        tracking=True,
        check_company=True,
    )
    level_id = fields.Many2one(
        "collection.level",
        string="Follow-up Level",
        tracking=True,
        check_company=True,
        help="The last follow-up level executed on this case.",
    )
    level_date = fields.Date(help="When the current follow-up level was executed.")
    followup_cycle = fields.Integer(
        default=0, readonly=True, help="Grows each time the case closes: levels restart."
    )
    followup_ids = fields.One2many("collection.followup", "case_id", string="Follow-ups")
    followup_partner_id = fields.Many2one(
        "res.partner",
        string="Follow-up Recipient",
        compute="_compute_followup_partner_id",
        help="Who receives the follow-up: the customer's collections contact, else its "
        "invoice address, else the customer.",
    )
    contact_ids = fields.One2many("collection.contact", "case_id", string="Contacts")
    promise_ids = fields.One2many("collection.promise", "case_id", string="Promises")
    plan_ids = fields.One2many("collection.plan", "case_id", string="Payment Plans")
    promise_count = fields.Integer(compute="_compute_commitments")
    plan_count = fields.Integer(compute="_compute_commitments")
    active_plan_id = fields.Many2one(
        "collection.plan", string="Active Payment Plan", compute="_compute_commitments"
    )
    plan_installment_ids = fields.Many2many(
        "collection.plan.installment", string="Payment Schedule", compute="_compute_commitments"
    )
    next_action_date = fields.Date(tracking=True)
    refresh_date = fields.Datetime(
        string="Last Refresh",
        readonly=True,
        help="When the figures were last read from accounting.",
    )

    # Caches of accounting figures, in company currency, written by the refresh.
    total_due = fields.Monetary(readonly=True, help="All open receivable items, credits deducted.")
    overdue_amount = fields.Monetary(
        readonly=True,
        help="Items past their due date, less unapplied credits; items marked "
        "'No Follow-Up' are left out. This is what follow-up acts on.",
    )
    no_followup_amount = fields.Monetary(
        string="Excluded from Follow-Up",
        readonly=True,
        help="Open items marked 'No Follow-Up' on the invoice.",
    )
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_91_120 = fields.Monetary(string="91-120 Days", readonly=True)
    amount_over_120 = fields.Monetary(string="Over 120 Days", readonly=True)
    oldest_due_date = fields.Date(readonly=True, index=True)
    next_due_date = fields.Date(
        readonly=True, help="The earliest due date of the items not yet due, for reminders."
    )
    days_overdue = fields.Integer(compute="_compute_days_overdue", search="_search_days_overdue")
    aging_bucket = fields.Selection(
        [
            ("1_30", "1-30 Days"),
            ("31_60", "31-60 Days"),
            ("61_90", "61-90 Days"),
            ("91_120", "91-120 Days"),
            ("over_120", "Over 120 Days"),
        ],
        compute="_compute_aging_bucket",
        search="_search_aging_bucket",
        help="The bucket of the oldest overdue item.",
    )
    overdue_invoice_count = fields.Integer(string="Overdue Invoices", readonly=True)
    last_payment_date = fields.Date(readonly=True)
    open_line_ids = fields.Many2many(
        "account.move.line",
        string="Open Items",
        compute="_compute_open_line_ids",
        help="Open receivable items of the customer in this company.",
    )

    _partner_company_open_uniq = models.UniqueIndex(
        "(partner_id, company_id) WHERE state != 'closed'",
        "A customer can only have one open collection case per company.",
    )

    @api.depends("company_id.currency_id")
    def _compute_currency_id(self):
        for case in self:
            case.currency_id = case.company_id.currency_id

    @api.depends("oldest_due_date")
    @api.depends_context("date")
    def _compute_days_overdue(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.days_overdue = (today - case.oldest_due_date).days if case.oldest_due_date else 0

    def _search_days_overdue(self, operator, value):
        if operator not in ("<", "<=", ">", ">=", "=") or not isinstance(value, int):
            return NotImplemented
        # days_overdue > N  <=>  oldest_due_date < today - N
        mirrored = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[operator]
        limit = fields.Date.context_today(self) - timedelta(days=value)
        return Domain("oldest_due_date", mirrored, limit)

    @api.depends("days_overdue")
    def _compute_aging_bucket(self):
        for case in self:
            case.aging_bucket = self._bucket_of(case.days_overdue)

    def _search_aging_bucket(self, operator, value):
        if operator != "in":
            return NotImplemented
        bounds = {
            "1_30": (1, 30),
            "31_60": (31, 60),
            "61_90": (61, 90),
            "91_120": (91, 120),
            "over_120": (121, None),
        }
        domain = Domain.FALSE
        for bucket in value:
            low, high = bounds[bucket]
            part = Domain("days_overdue", ">=", low)
            if high:
                part &= Domain("days_overdue", "<=", high)
            domain |= part
        return domain

    @staticmethod
    def _bucket_of(days):
        if days <= 0:
            return False
        for bucket, high in (("1_30", 30), ("31_60", 60), ("61_90", 90), ("91_120", 120)):
            if days <= high:
                return bucket
        return "over_120"

    def _compute_open_line_ids(self):
        lines = self.env["account.move.line"].search(
            self._open_items_domain(self.partner_id, self.company_id),
            order="date_maturity, id",
        )
        by_key = {}
        for line in lines:
            key = (line.partner_id.commercial_partner_id, line.company_id)
            by_key.setdefault(key, []).append(line.id)
        for case in self:
            case.open_line_ids = by_key.get((case.partner_id, case.company_id), [])

    @api.model
    def _open_items_domain(self, partners, companies):
        """The open receivable items of the commercial partners, in the companies."""
        return Domain(
            [
                ("partner_id.commercial_partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "!=", 0),
            ]
        )

    def _compute_commitments(self):
        promises = dict(
            self.env["collection.promise"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        plans = dict(
            self.env["collection.plan"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        active_plans = self.env["collection.plan"].search(
            [("case_id", "in", self.ids), ("state", "=", "active")]
        )
        active_by_case = {plan.case_id: plan for plan in active_plans}
        for case in self:
            case.promise_count = promises.get(case, 0)
            case.plan_count = plans.get(case, 0)
            case.active_plan_id = active_by_case.get(case, False)
            case.plan_installment_ids = case.active_plan_id.installment_ids

    @api.depends("partner_id.collection_contact_id", "partner_id.child_ids.type")
    def _compute_followup_partner_id(self):
        recipients = self._get_followup_recipients()
        for case in self:
            case.followup_partner_id = recipients[case.id]

    @api.depends("partner_id")
    def _compute_display_name(self):
        for case in self:
            case.display_name = (
                f"{case.name} - {case.partner_id.name}" if case.partner_id else case.name
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        from_refresh = self.env.context.get("collection_case_from_refresh")
        partners = self.env["res.partner"].browse(
            [vals["partner_id"] for vals in vals_list if vals.get("partner_id")]
        )
        commercial = {partner.id: partner.commercial_partner_id.id for partner in partners}
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = commercial[vals["partner_id"]]
        self._check_single_open_case(vals_list)
        if not from_refresh:
            self._check_something_overdue(vals_list)
        unnamed = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        for vals, reference in zip(unnamed, self._next_references(len(unnamed)), strict=True):
            vals["name"] = reference
        cases = super().create(vals_list)
        if not from_refresh:
            cases._refresh_figures()
        return cases

    @api.model
    def _next_references(self, count):
        """`count` references from the case sequence.

        A refresh opens thousands of cases at once: a standard (gapped) sequence
        hands all their numbers out in one query instead of one per case.
        """
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "collection.case"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not count or not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for _index in range(count)]
        rows = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        return [sequence.get_next_char(number) for (number,) in rows]

    def write(self, vals):
        if vals.get("state", "open") != "closed" and {"state", "partner_id", "company_id"} & set(
            vals
        ):
            self._check_single_open_case(
                [
                    {
                        "partner_id": vals.get("partner_id", case.partner_id.id),
                        "company_id": vals.get("company_id", case.company_id.id),
                        "state": vals.get("state", case.state),
                    }
                    for case in self
                ],
                exclude=self,
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_closed(self):
        if any(case.state != "closed" for case in self):
            raise UserError(self.env._("Only closed collection cases can be deleted."))

    def _check_single_open_case(self, vals_list, exclude=None):
        """Refuse a second open case for one customer and company, with a clear message.

        The unique index enforces the same rule in the database; this check only
        gives the user a message that names the existing case.
        """
        default_company = self.env.company.id
        keys = {
            (vals["partner_id"], vals.get("company_id") or default_company)
            for vals in vals_list
            if vals.get("partner_id") and vals.get("state", "open") != "closed"
        }
        if not keys:
            return
        if len(keys) < sum(
            1
            for vals in vals_list
            if vals.get("partner_id") and vals.get("state", "open") != "closed"
        ):
            raise ValidationError(
                self.env._("A customer can only have one open collection case per company.")
            )
        domain = Domain("state", "!=", "closed") & Domain(
            "partner_id", "in", [partner for partner, _company in keys]
        )
        if exclude:
            domain &= Domain("id", "not in", exclude.ids)
        for case in self.sudo().with_context(active_test=False).search(domain):
            if (case.partner_id.id, case.company_id.id) in keys:
                raise ValidationError(
                    self.env._(
                        "%(partner)s already has an open collection case in %(company)s: %(case)s.",
                        partner=case.partner_id.display_name,
                        company=case.company_id.name,
                        case=case.name,
                    )
                )

    def _check_something_overdue(self, vals_list):
        partners = self.env["res.partner"].browse(
            [v["partner_id"] for v in vals_list if v.get("partner_id")]
        )
        companies = self.env["res.company"].browse(
            [v.get("company_id") or self.env.company.id for v in vals_list]
        )
        figures = self._fetch_figures(companies, partners)
        for vals in vals_list:
            key = (vals.get("partner_id"), vals.get("company_id") or self.env.company.id)
            if not self._is_overdue(figures.get(key)):
                partner = partners.browse(key[0])
                raise ValidationError(
                    self.env._(
                        "%(partner)s has nothing overdue in %(company)s: "
                        "there is no debt to collect.",
                        partner=partner.display_name or self.env._("This customer"),
                        company=companies.browse(key[1]).name,
                    )
                )

    # --------------------------------------------------------------- actions

    def action_refresh(self):
        """Re-read the selected cases' customers from accounting."""
        if not self:
            return self.action_refresh_all()
        self._refresh_from_accounting(
            companies=self.company_id, partners=self.partner_id, wait=True
        )
        return True

    def action_refresh_all(self):
        """Refresh the cases of every company the user works in, whatever is selected."""
        self.browse()._refresh_from_accounting(companies=self.env.companies, wait=True)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_view_open_items(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Items of %(partner)s", partner=self.partner_id.name),
            "res_model": "account.move.line",
            "view_mode": "list,form",
            "domain": self._open_items_domain(self.partner_id, self.company_id),
            "context": {"search_default_late": 0, "create": False},
        }

    def action_register_payment(self):
        """Odoo's own payment wizard, for the case's open invoices."""
        self.ensure_one()
        invoices = self.open_line_ids.filtered(lambda line: line.amount_residual > 0).move_id
        invoices = invoices.filtered(lambda move: move.is_invoice(include_receipts=True))
        if not invoices:
            raise UserError(self.env._("The case has no open invoice to pay."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Payment"),
            "res_model": "account.payment.register",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"active_model": "account.move", "active_ids": invoices.ids},
        }

    # ------------------------------------------------------------ scheduled

    @api.model
    def _cron_refresh_cases(self, batch_size=500):
        """Daily refresh of every company's cases, committing after each batch."""
        # Companies are few; each is refreshed in batches of cases.
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            self.with_company(company)._refresh_from_accounting(
                companies=company, batch_size=batch_size, commit=True
            )

    # ---------------------------------------------------------------- refresh

    @api.model
    def _refresh_from_accounting(
        self, companies=None, partners=None, wait=False, batch_size=None, commit=False
    ):
        """Bring the cases in line with accounting, in bulk.

        Opens a case for every customer with something overdue, updates the
        figures of open cases, closes those with nothing overdue any more and
        reopens a customer's closed case when something is overdue again.
        Refreshes of one company are serialised by an advisory lock: a second
        worker skips the company (or, with ``wait``, tells the user).
        Returns the cases it opened, changed, closed or reopened.
        """
        companies = companies or self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        partners = partners.commercial_partner_id if partners else None
        done = self.browse()
        for company in companies:
            if not self._lock_company_refresh(company):
                if wait:
                    raise UserError(
                        self.env._(
                            "The collection cases of %(company)s are being refreshed right now; "
                            "try again in a moment.",
                            company=company.name,
                        )
                    )
                _logger.info("Collection refresh of %s skipped: already running.", company.name)
                continue
            done |= self._refresh_company(company, partners, batch_size, commit)
        return done

    @api.model
    def _lock_company_refresh(self, company):
        return self.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", REFRESH_LOCK_KEY, company.id)
        )[0][0]

    @api.model
    def _refresh_company(self, company, partners, batch_size, commit):
        cases_model = (
            self.sudo()
            .with_company(company)
            .with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                collection_case_from_refresh=True,
            )
        )
        figures = cases_model._fetch_figures(company, partners)
        domain = Domain("company_id", "=", company.id)
        if partners is not None:
            domain &= Domain("partner_id", "in", partners.ids)
        cases = cases_model.search(domain & Domain("state", "!=", "closed"))
        open_by_partner = {case.partner_id.id: case for case in cases}
        due_soon = cases_model._due_soon_partners(company, figures, open_by_partner)
        wanted = [
            partner_id
            for (partner_id, _company), values in figures.items()
            if self._is_overdue(values) or partner_id in due_soon
        ]
        partner_ids = sorted(set(open_by_partner) | set(wanted))
        touched = self.browse()
        batches = list(split_every(batch_size or len(partner_ids) or 1, partner_ids))
        for index, batch in enumerate(batches):
            touched |= cases_model._refresh_batch(
                company, batch, figures, open_by_partner, due_soon
            )
            if commit:
                remaining = sum(len(b) for b in batches[index + 1 :])
                if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                    break
                if remaining and not self._lock_company_refresh(company):
                    break
        return touched

    @api.model
    def _due_soon_partners(self, company, figures, open_by_partner):
        """Customers with nothing overdue whose policy reminds them before a due date now.

        A policy level with a negative delay reminds the customer that many days
        before their earliest item falls due: such customers get a case "Due Soon"
        so the follow-up run can send it. Returns a set of partner ids.
        """
        reach = {
            policy.id: -earliest
            for policy, earliest in self.env["collection.level"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("policy_id.active", "=", True),
                    ("delay_days", "<", 0),
                ],
                ["policy_id"],
                ["delay_days:min"],
            )
        }
        if not reach:
            return set()
        today = fields.Date.context_today(self)
        days_to_due = {
            partner_id: (values["next_due_date"] - today).days
            for (partner_id, _company), values in figures.items()
            if values["next_due_date"] and not self._is_overdue(values)
        }
        farthest = max(reach.values())
        partners = (
            self.env["res.partner"]
            .with_company(company)
            .browse([partner_id for partner_id, days in days_to_due.items() if days <= farthest])
        )
        due_soon = set()
        for partner in partners:
            case = open_by_partner.get(partner.id)
            policy = (
                (case and case.policy_id)
                or partner.collection_policy_id
                or company.collection_policy_id
            )
            if policy.id in reach and days_to_due[partner.id] <= reach[policy.id]:
                due_soon.add(partner.id)
        return due_soon

    def _refresh_batch(self, company, partner_ids, figures, open_by_partner, due_soon=()):
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        to_update, close_ids, to_open = [], [], []
        started = self.browse()
        for partner_id in partner_ids:
            values = figures.get((partner_id, company.id))
            case = open_by_partner.get(partner_id)
            overdue = self._is_overdue(values)
            if case and (overdue or (case.state == "upcoming" and partner_id in due_soon)):
                if overdue and case.state == "upcoming":
                    # The reminder was before the due date; now the debt is overdue.
                    values = values | {"state": "open", "next_action_date": today}
                    started |= case
                if any(case[name] != value for name, value in values.items()):
                    to_update.append((case, values))
            elif case:
                close_ids.append(case.id)
            elif overdue or partner_id in due_soon:
                to_open.append(partner_id)
        to_close = self.browse(close_ids)

        # Writing every figure (not only the changed ones) gives all updated
        # cases the same columns, which the ORM flushes as one UPDATE.
        for case, values in to_update:
            case.write(values | {"refresh_date": now})
        if started:
            started._message_log_batch(
                bodies=dict.fromkeys(
                    started.ids, self.env._("Something is overdue now: follow-up starts.")
                )
            )

        if to_close:
            for case in to_close:
                soon = case.partner_id.id in due_soon
                case.write(
                    figures.get((case.partner_id.id, company.id), EMPTY_FIGURES)
                    | {
                        "state": "upcoming" if soon else "closed",
                        "next_action_date": today if soon else False,
                        "refresh_date": now,
                        # A new cycle: when the case reopens, follow-up starts again.
                        "level_id": False,
                        "level_date": False,
                        "followup_cycle": case.followup_cycle + 1,
                    }
                )
            to_close._message_log_batch(
                bodies={
                    case.id: self.env._(
                        "Nothing is overdue any more, but an item falls due soon: "
                        "follow-up starts again with the reminders before the due date."
                    )
                    if case.state == "upcoming"
                    else self.env._("Nothing is overdue any more: the case is closed.")
                    for case in to_close
                }
            )

        reopened = created = self.browse()
        if to_open:
            closed = self.search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", to_open),
                    ("state", "=", "closed"),
                ],
                order="id desc",
            )
            latest_closed = {}
            for case in closed:
                latest_closed.setdefault(case.partner_id.id, case)
            new_partner_ids = [p for p in to_open if p not in latest_closed]
            officers = self._default_officers(
                self.env["res.partner"].browse(new_partner_ids), company
            )

            def opening_state(partner_id):
                return "open" if self._is_overdue(figures[(partner_id, company.id)]) else "upcoming"

            for partner_id, case in latest_closed.items():
                case.write(
                    figures[(partner_id, company.id)]
                    | {
                        "state": opening_state(partner_id),
                        "next_action_date": today,
                        "refresh_date": now,
                    }
                )
                reopened |= case
            created = self.create(
                [
                    figures[(partner_id, company.id)]
                    | {
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "state": opening_state(partner_id),
                        "next_action_date": today,
                        "refresh_date": now,
                    }
                    | officers.get(partner_id, {})
                    for partner_id in new_partner_ids
                ]
            )
            if reopened:
                reopened._message_log_batch(
                    bodies={
                        case.id: self.env._("Something is overdue again: the case is reopened.")
                        if case.state == "open"
                        else self.env._("An item falls due soon: the case is reopened.")
                        for case in reopened
                    }
                )
            if created:
                created._message_log_batch(
                    bodies={
                        case.id: self.env._("Case opened: the customer has overdue items.")
                        if case.state == "open"
                        else self.env._(
                            "Case opened: an item falls due soon and the follow-up policy "
                            "reminds the customer before the due date."
                        )
                        for case in created
                    }
                )
        return self.browse([case.id for case, _values in to_update]) | to_close | reopened | created

    def _default_officers(self, partners, company):
        """Officer and team of new cases, from the customers' collection officer."""
        officer_by_partner = {
            partner.id: partner.with_company(company).collection_user_id for partner in partners
        }
        officers = self.env["res.users"].union(*officer_by_partner.values())
        teams = self.env["collection.team"].search(
            [("company_id", "=", company.id), ("member_ids", "in", officers.ids)]
        )
        team_by_officer = {}
        for team in teams:
            for member in team.member_ids:
                team_by_officer.setdefault(member.id, team.id)
        return {
            partner_id: {"user_id": officer.id, "team_id": team_by_officer.get(officer.id, False)}
            for partner_id, officer in officer_by_partner.items()
            if officer
        }

    def _refresh_figures(self):
        """Write the current accounting figures on these cases (no opening or closing)."""
        figures = self._fetch_figures(self.company_id, self.partner_id)
        now = fields.Datetime.now()
        for case in self:
            case.write(
                figures.get((case.partner_id.id, case.company_id.id), EMPTY_FIGURES)
                | {"refresh_date": now}
            )

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

    def _invoice_pdf_attachments(self):
        """The PDFs of each case's overdue invoices: ``{case_id: attachments}``.

        A case with nothing overdue yet (a reminder before the due date) gets
        the invoices falling due. Invoices never sent get Odoo's own invoice PDF,
        rendered in one go and kept on the invoice as when it is sent.
        """
        today = fields.Date.context_today(self)
        invoices_by_case = {
            case.id: case.open_line_ids.filtered(
                lambda line, case=case: (
                    line.date_maturity
                    and (line.date_maturity < today or not case.oldest_due_date)
                    and not line.no_followup
                    and line.amount_residual > 0
                )
            ).move_id.filtered(lambda move: move.is_invoice())
            for case in self
        }
        invoices = self.env["account.move"].union(*invoices_by_case.values())
        missing = invoices.filtered(lambda move: not move.invoice_pdf_report_id).sudo()
        send = self.env["account.move.send"].sudo()
        for company_invoices in missing.grouped("company_id").values():
            data = {
                move: {"pdf_report": send._get_default_pdf_report_id(move)}
                for move in company_invoices
            }
            send._prepare_invoice_pdf_report(data)
            send._link_invoice_documents(data)
        return {case_id: moves.invoice_pdf_report_id for case_id, moves in invoices_by_case.items()}

    def _render_statements(self):
        """The customer statement of each case as PDF bytes: ``{case_id: bytes}``.

        One wkhtmltopdf call for all the cases (a process per document costs about a
        second): their pages are rendered as one document and split again at each
        statement's first page, recognised by the case reference it carries. When
        the split is ambiguous, the statements are rendered one by one.
        """
        report = self.env["ir.actions.report"].with_context(debug=False)
        if len(self) > 1:
            pdfs = self._render_statements_together(report)
            if pdfs:
                return pdfs
        return {
            case.id: report._render_qweb_pdf_prepare_streams(
                STATEMENT_REPORT, {}, res_ids=case.ids
            )[case.id]["stream"].getvalue()
            for case in self
        }

    def _render_statements_together(self, report):
        html_content = report._render_qweb_html(STATEMENT_REPORT, self.ids)[0]
        bodies, html_ids, header, footer, paper = report._prepare_html(
            html_content, report_model=self._name
        )
        if html_ids != self.ids:
            return {}
        document = lxml_html.fromstring(str(bodies[0]))
        container = document.find(".//body")
        for body in bodies[1:]:
            container.append(lxml_html.fromstring('<div style="page-break-before: always;"/>'))
            container.extend(lxml_html.fromstring(str(body)).find(".//body"))
        merged = "<!DOCTYPE html>" + lxml_html.tostring(document, encoding="unicode")
        pdf = report._run_wkhtmltopdf(
            [merged],
            report_ref=STATEMENT_REPORT,
            header=header,
            footer=footer,
            specific_paperformat_args=paper,
        )
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if len(reader.pages) == len(self):
            # Each statement starts a page: as many pages as statements, one page each.
            starts = list(range(len(self)))
        else:
            starts, expected = [], list(self)
            for index, page in enumerate(reader.pages):
                if expected and expected[0].name in page.extract_text():
                    starts.append(index)
                    expected.pop(0)
            if expected or not starts or starts[0] != 0:
                return {}
        pdfs = {}
        for case, first, last in zip(self, starts, [*starts[1:], len(reader.pages)], strict=True):
            writer = PdfFileWriter()
            for number in range(first, last):
                writer.add_page(reader.pages[number])
            stream = io.BytesIO()
            writer.write(stream)
            pdfs[case.id] = stream.getvalue()
        return pdfs

    @api.model
    def _is_overdue(self, values):
        return bool(values) and values["overdue_amount"] > 0

    @api.model
    def _fetch_figures(self, companies, partners=None):
        """Accounting figures per (commercial partner id, company id), in two queries.

        Works per receivable move line (each installment of an invoice has its
        own due date), on the amounts residual in company currency. Credits
        (credit notes, unreconciled payments) reduce what is due and what is
        overdue; lines marked 'No Follow-Up' are reported apart.
        """
        today = fields.Date.context_today(self)
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "partner_id",
                "company_id",
                "parent_state",
                "reconciled",
                "amount_residual",
                "date_maturity",
                "date",
                "no_followup",
                "move_id",
                "credit",
            ]
        )
        self.env["account.account"].flush_model(["account_type"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["account.move"].flush_model(["origin_payment_id", "statement_line_id"])
        partner_filter = (
            SQL("AND p.commercial_partner_id = ANY(%s)", partners.ids)
            if partners is not None
            else SQL()
        )
        age = SQL("(%s::date - COALESCE(aml.date_maturity, aml.date))", today)
        overdue_debit = SQL("NOT aml.no_followup AND aml.amount_residual > 0 AND %s > 0", age)
        coming_debit = SQL("NOT aml.no_followup AND aml.amount_residual > 0 AND %s <= 0", age)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT p.commercial_partner_id AS partner_id,
                       aml.company_id,
                       SUM(aml.amount_residual) AS total_due,
                       COALESCE(SUM(aml.amount_residual) FILTER (
                           WHERE NOT aml.no_followup
                             AND (aml.amount_residual < 0 OR %(age)s > 0)), 0) AS overdue_amount,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE aml.no_followup), 0)
                           AS no_followup_amount,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(age)s <= 0), 0)
                           AS amount_not_due,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 1 AND 30), 0)
                           AS amount_1_30,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 31 AND 60), 0)
                           AS amount_31_60,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 61 AND 90), 0)
                           AS amount_61_90,
                       COALESCE(SUM(aml.amount_residual)
                                FILTER (WHERE %(age)s BETWEEN 91 AND 120), 0)
                           AS amount_91_120,
                       COALESCE(SUM(aml.amount_residual) FILTER (WHERE %(age)s > 120), 0)
                           AS amount_over_120,
                       MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(overdue_debit)s)
                           AS oldest_due_date,
                       MIN(COALESCE(aml.date_maturity, aml.date)) FILTER (WHERE %(coming_debit)s)
                           AS next_due_date,
                       COUNT(DISTINCT aml.move_id) FILTER (WHERE %(overdue_debit)s)
                           AS overdue_invoice_count
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.reconciled IS NOT TRUE
                   AND aml.parent_state = 'posted'
                   AND aml.amount_residual != 0
                   AND aml.company_id = ANY(%(companies)s)
                   %(partner_filter)s
              GROUP BY p.commercial_partner_id, aml.company_id
                """,
                age=age,
                overdue_debit=overdue_debit,
                coming_debit=coming_debit,
                companies=companies.ids,
                partner_filter=partner_filter,
            )
        )
        figures = {}
        currency_by_company = {company.id: company.currency_id for company in companies}
        for row in rows:
            currency = currency_by_company[row["company_id"]]
            values = {name: currency.round(float(row[name])) for name in MONETARY_FIGURES}
            values["oldest_due_date"] = row["oldest_due_date"] or False
            values["next_due_date"] = row["next_due_date"] or False
            values["overdue_invoice_count"] = row["overdue_invoice_count"]
            values["last_payment_date"] = False
            figures[(row["partner_id"], row["company_id"])] = values
        if figures:
            self._add_last_payment_dates(figures, companies)
        return figures

    @api.model
    def _add_last_payment_dates(self, figures, companies):
        """Date of the latest payment received, reconciled or not."""
        partner_ids = list({partner_id for partner_id, _company in figures})
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id, aml.company_id, MAX(aml.date)
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.credit > 0
                   AND (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                   AND aml.company_id = ANY(%s)
                   AND p.commercial_partner_id = ANY(%s)
              GROUP BY p.commercial_partner_id, aml.company_id
                """,
                companies.ids,
                partner_ids,
            )
        )
        for partner_id, company_id, last_date in rows:
            if (partner_id, company_id) in figures:
                figures[(partner_id, company_id)]["last_payment_date"] = last_date
