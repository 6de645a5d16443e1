from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

from .collection_ledger import EMPTY_FIGURES

# Written by the engine only (refresh, follow-up, promises and plans, wizards), as
# superuser: an officer who set them by hand would skip or repeat follow-up levels, or
# set the opening, closing and money received the KPIs and targets are judged on.
ENGINE_FIELDS = frozenset(EMPTY_FIGURES) | {
    "state",
    "level_id",
    "level_date",
    "followup_cycle",
    "refresh_date",
    "opened_date",
    "opening_amount",
    "closed_date",
    "collected_amount",
    "credited_amount",
    "level_reached_id",
    "collection_error",
    "currency_id",
    "last_contact_id",
    "last_contact_date",
    "last_contact_channel",
    "last_contact_outcome",
    # The reference, from the case sequence: letters, statements and claims quote it.
    "name",
}
# What every new case starts with: stating it is no engine's value.
NEW_CASE_VALUES = {"state": "open", "name": "/"}
# A manager's decisions on a case: no automated action while on hold, no contact, fees
# or interest during a breathing space. Officers ask for them by escalating the case.
HOLD_FIELDS = frozenset(
    {"hold_reason", "hold_until", "breathing_space_from", "breathing_space_until"}
)
# Written by the priority computation only.
PRIORITY_FIELDS = frozenset(
    {
        "priority_score",
        "priority_detail",
        "predicted_pay_date",
        "predicted_pay_basis",
        "next_action_label",
    }
)
# Put in the context by the refresh from accounting, which opens cases with their
# figures, officers and next action already decided. An object, not a flag: a
# client's context (JSON) cannot carry it.
FROM_REFRESH = object()
OFFICERS = "collections_officer.group_collections_officer"
# The history a case keeps: a case with any of it is archived, never deleted.
HISTORY_MODELS = (
    "collection.contact",
    "collection.followup",
    "collection.promise",
    "collection.plan",
    "collection.charge",
    "collection.dispute",
)


class CollectionCase(models.Model):
    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # Worklist priority: the oldest debt first, then the largest; closed cases
    # have no oldest due date and sort last.
    _order = "oldest_due_date, overdue_amount desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "partner_id"]
    # Each follow-up letter is its own conversation: posting it need not search the
    # case's history for a message to reply to (two queries per case in the daily run).
    _mail_flat_thread = False

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    active = fields.Boolean(
        default=True, help="Archived cases are closed cases kept as history, out of the worklist."
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
    # thousands of cases at once. Stored: grouped lists and kanban columns can only
    # sum monetary amounts whose currency the database can group.
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="Officer",
        index=True,
        tracking=True,
        check_company=True,
        domain=lambda self: [
            ("share", "=", False),
            ("all_group_ids", "in", self.env.ref(OFFICERS).ids),
        ],
    )
    team_id = fields.Many2one("collection.team", index=True, tracking=True, check_company=True)
    state = fields.Selection(
        [
            ("upcoming", "Due Soon"),
            ("open", "Open"),
            ("promised", "Promised"),
            ("plan", "Payment Plan"),
            ("escalated", "Escalated"),
            ("legal", "Legal Action"),
            ("hold", "On Hold"),
            ("closed", "Closed"),
        ],
        required=True,
        default="open",
        readonly=True,
        index=True,
        tracking=True,
        help="Due Soon: nothing overdue yet, but a reminder before the due date is due. "
        "Open: in follow-up. Promised / Payment Plan: the customer committed to pay, "
        "follow-up waits while it is kept. Escalated: a manager was alerted. On Hold: no "
        "automated action (dispute, manual hold). Legal Action: a letter before action, an "
        "agency, a lawyer or a court has the debt; no automated follow-up, payments still "
        "count. Closed: nothing overdue.",
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
        readonly=True,
        tracking=True,
        check_company=True,
        help="The last follow-up level executed on this case.",
    )
    level_date = fields.Date(readonly=True, help="When the current follow-up level was executed.")
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
    next_action_date = fields.Date(
        index=True,
        help="The earliest of: the deadline of an open promise, the next installment of the "
        "active plan (plus its grace days), the date of the next follow-up level, a "
        "dispute's deadline, the earliest open activity and the callback agreed.",
    )
    refresh_date = fields.Datetime(
        string="Last Refresh",
        readonly=True,
        help="When the figures were last read from accounting.",
    )
    collection_error = fields.Text(
        string="Scheduled Work Error",
        readonly=True,
        help="Why the last refresh or follow-up run failed on this case; "
        "cleared when it next goes through.",
    )

    _partner_company_open_uniq = models.UniqueIndex(
        "(partner_id, company_id) WHERE state != 'closed'",
        "A customer can only have one open collection case per company.",
    )

    @api.depends("company_id.currency_id")
    def _compute_currency_id(self):
        for case in self:
            case.currency_id = case.company_id.currency_id

    @api.depends("partner_id.collection_contact_id", "partner_id.child_ids.type")
    def _compute_followup_partner_id(self):
        recipients = self._get_followup_recipients()
        for case in self:
            case.followup_partner_id = recipients[case.id]["email"]

    @api.depends("partner_id")
    def _compute_display_name(self):
        for case in self:
            case.display_name = (
                f"{case.name} - {case.partner_id.name}" if case.partner_id else case.name
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        from_refresh = self._from_refresh()
        self._check_priority_fields(vals_list)
        self._check_policy_change([name for vals in vals_list for name in vals if vals[name]])
        self._check_hold_change([name for vals in vals_list for name in vals if vals[name]])
        # The officer the caller gives is checked; those the assignment rules pick are the
        # team's members, chosen by a manager.
        self._check_officers(vals_list)
        self._assign_new_cases(vals_list)
        self._check_engine_fields(vals_list)
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
        today = {}
        for vals in vals_list:
            company_id = vals.get("company_id") or self.env.company.id
            if company_id not in today:
                today[company_id] = self.env["res.company"].browse(company_id)._collection_today()
            vals.setdefault("opened_date", today[company_id])
        cases = super().create(vals_list)
        if not from_refresh:
            cases._refresh_figures()
            for case in cases.sudo():
                case.opening_amount = case.overdue_amount
            cases._update_priority()
        return cases

    def write(self, vals):
        self._check_priority_fields([vals])
        if "next_action_date" in vals and not self.env.su:
            # A date the officer sets by hand is a callback: the sources still decide.
            vals = dict(vals)
            vals["callback_date"] = vals.pop("next_action_date")
        self._check_engine_fields([vals], writing=True)
        self._check_owner_kept(vals)
        self._check_policy_change(
            ["policy_id"]
            if "policy_id" in vals and any(case.policy_id.id != vals["policy_id"] for case in self)
            else []
        )
        self._check_hold_change(list(vals))
        self._check_officers([vals])
        if "active" in vals and not vals["active"]:
            self._check_archivable()
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
        result = super().write(vals)
        if {"state", "level_id", "callback_date"} & set(vals) and not self._from_refresh():
            # A promise, a plan, a level sent or a callback moves the next action at once.
            self._update_priority()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_closed(self):
        if any(case.state != "closed" for case in self):
            raise UserError(self.env._("Only closed collection cases can be deleted."))

    @api.ondelete(at_uninstall=False)
    def _unlink_without_history(self):
        for model in HISTORY_MODELS:
            history = self.env[model].sudo().with_context(active_test=False)
            if history.search_count([("case_id", "in", self.ids)], limit=1):
                raise UserError(
                    self.env._(
                        "A collection case with contacts, follow-ups, promises, payment plans, "
                        "charges or disputes is history: archive it instead of deleting it."
                    )
                )

    def _check_engine_fields(self, vals_list, writing=False):
        """Refuse the engine's fields to anyone but the engine.

        Like posted entries in accounting, the state, the follow-up level and
        cycle and the figures read from accounting change only through the
        refresh, the follow-up run, promises, plans and the wizards, which write
        them as superuser. A new case may only start open.
        """
        if self.env.su:
            return
        for vals in vals_list:
            touched = ENGINE_FIELDS & set(vals)
            if not writing:
                touched = {
                    name
                    for name in touched
                    if vals[name] and vals[name] != NEW_CASE_VALUES.get(name)
                }
            if touched:
                raise UserError(
                    self.env._(
                        "%(fields)s of a collection case follow accounting and the follow-up "
                        "engine: they cannot be set by hand.",
                        fields=", ".join(
                            sorted(
                                self._fields[name]._description_string(self.env) for name in touched
                            )
                        ),
                    )
                )

    def _check_priority_fields(self, vals_list):
        if self.env.su:
            return
        for vals in vals_list:
            touched = PRIORITY_FIELDS & {name for name, value in vals.items() if value}
            if touched:
                raise UserError(
                    self.env._(
                        "%(fields)s of a collection case are computed from its figures and "
                        "history: they cannot be set by hand.",
                        fields=", ".join(
                            sorted(
                                self._fields[name]._description_string(self.env) for name in touched
                            )
                        ),
                    )
                )

    def _from_refresh(self):
        """Whether the refresh from accounting is creating or writing these cases."""
        return self.env.context.get("collection_case_from_refresh") is FROM_REFRESH

    def _check_policy_change(self, changed):
        """A case's own policy decides how hard the customer is chased: like the
        customer's, only a collections manager (or the engine) sets it."""
        compliance = self.env["collection.compliance"]
        if "policy_id" in changed and not compliance._is_collections_manager():
            raise UserError(
                self.env._(
                    "Only a collections manager can choose the follow-up policy of a case: "
                    "ask one to change it."
                )
            )

    def _check_hold_change(self, changed):
        """A hold or a breathing space stops the follow-up of a case: a collections
        manager's decision (or the engine's, deciding an escalation)."""
        if self.env.su or not HOLD_FIELDS.intersection(changed):
            return
        if not self.env["collection.compliance"]._is_collections_manager():
            raise UserError(
                self.env._(
                    "Only a collections manager can put a case on hold, change or lift its "
                    "hold, or give it a breathing space: escalate the case to ask for it."
                )
            )

    def _check_officers(self, vals_list):
        """A case is worked by a collections officer: anyone else could not open it."""
        if self.env.su:
            return
        user_ids = {vals["user_id"] for vals in vals_list if vals.get("user_id")}
        if not user_ids:
            return
        officers = self.env.ref(OFFICERS).sudo()
        others = (
            self.env["res.users"]
            .sudo()
            .browse(user_ids)
            .filtered(lambda user: user.share or officers not in user.all_group_ids)
        )
        if others:
            raise ValidationError(
                self.env._(
                    "%(users)s cannot be given collection cases: only collections officers "
                    "and managers work them.",
                    users=", ".join(others.mapped("name")),
                )
            )

    def _check_owner_kept(self, vals):
        """A case's history belongs to its customer and company: they never change."""
        if self.env.su:
            return
        for name in ("partner_id", "company_id"):
            if name in vals and any(case[name].id != vals[name] for case in self):
                raise UserError(
                    self.env._(
                        "The customer and company of a collection case cannot change: its "
                        "contacts, promises and plans are theirs."
                    )
                )

    def _check_archivable(self):
        if self.filtered(lambda case: case.state != "closed"):
            raise UserError(
                self.env._("Only closed collection cases can be archived: they are history.")
            )
        if not self.env.su and not self.env.user.has_group(
            "collections_officer.group_collections_manager"
        ):
            raise UserError(self.env._("Only a collections manager can archive collection cases."))

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
        figures = self.env["collection.ledger"]._fetch_figures(companies, partners)
        for vals in vals_list:
            key = (vals.get("partner_id"), vals.get("company_id") or self.env.company.id)
            if not self.env["collection.ledger"]._is_overdue(
                figures.get(key), companies.browse(key[1])
            ):
                partner = partners.browse(key[0])
                raise ValidationError(
                    self.env._(
                        "%(partner)s has nothing overdue in %(company)s: "
                        "there is no debt to collect.",
                        partner=partner.display_name or self.env._("This customer"),
                        company=companies.browse(key[1]).name,
                    )
                )
