from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_date

OFFICERS = "collections_officer.group_collections_officer"
# Decide how hard and how often a customer is chased: only collections managers change them
# (officers set the protective flags through the flag wizard, which logs why).
MANAGED_FIELDS = (
    "collection_policy_id",
    "collection_followup_mode",
    "collection_do_not_contact",
    "collection_cease_communication",
    "collection_credit_hold",
    "collection_window_override",
    "collection_contact_hour_start",
    "collection_contact_hour_end",
    "collection_credit_hold_reason",
    "collection_credit_hold_date",
    "collection_credit_hold_user_id",
)
# What a credit hold is and who put it: written with the hold, cleared when it is lifted.
CREDIT_HOLD_DETAILS = (
    "collection_credit_hold_reason",
    "collection_credit_hold_date",
    "collection_credit_hold_user_id",
)
# Who works the customer and whom we write to: read by anyone who sees the case (the
# follow-up recipient is computed from them), changed by collections officers.
OFFICER_FIELDS = ("collection_user_id", "collection_contact_id")
# The flags that protect a customer: officers may raise them, only managers lift them.
PROTECTIVE_FLAGS = (
    "collection_do_not_contact",
    "collection_cease_communication",
    "collection_credit_hold",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_user_id = fields.Many2one(
        "res.users",
        string="Collection Officer",
        company_dependent=True,
        domain="[('share', '=', False)]",
        help="Officer given the customer's collection cases when they open.",
        copy=False,
    )
    collection_policy_id = fields.Many2one(
        "collection.policy",
        string="Follow-up Policy",
        company_dependent=True,
        help="Overrides the company's default follow-up policy for this customer.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_followup_mode = fields.Selection(
        [("auto", "Automatic"), ("manual", "Reviewed by an Officer")],
        string="Follow-up Sending",
        default="auto",
        required=True,
        help="Automatic: the daily run sends the follow-ups. Reviewed: the run prepares them "
        "and an officer sends them from the To Review list.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_contact_id = fields.Many2one(
        "res.partner",
        string="Collections Contact",
        domain="[('commercial_partner_id', '=', commercial_partner_id), ('id', '!=', id)]",
        help="The person who receives the collection e-mails, letters and SMS of this customer.",
        copy=False,
    )
    collection_do_not_contact = fields.Boolean(
        string="Do Not Contact",
        help="No outbound collection contact of any kind.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_cease_communication = fields.Boolean(
        string="Cease Communication",
        help="The customer asked in writing that collection communications stop.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_window_override = fields.Boolean(
        string="Own Contact Hours",
        help="Use these contact hours instead of the company's, in the customer's timezone.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_contact_hour_start = fields.Float(
        string="Contact From", default=8.0, groups=OFFICERS, copy=False, tracking=True
    )
    collection_contact_hour_end = fields.Float(
        string="Contact Until", default=21.0, groups=OFFICERS, copy=False, tracking=True
    )
    # Per company: a customer shared by two companies may owe one and not the other. Kept in
    # the company whose cases follow the debt up (the head office for its branches).
    collection_credit_hold = fields.Boolean(
        string="Credit Hold",
        company_dependent=True,
        help="Set by a follow-up level or from the collection case: no new credit for this "
        "customer in this company. Posting an invoice warns; with Sales, confirming an order "
        "is refused. Only a collections manager lifts it.",
        groups=OFFICERS,
        copy=False,
        tracking=True,
    )
    collection_credit_hold_reason = fields.Char(
        string="Credit Hold Reason",
        company_dependent=True,
        index=False,
        help="Why the customer is on credit hold in this company.",
        groups=OFFICERS,
        copy=False,
    )
    collection_credit_hold_date = fields.Datetime(
        string="On Credit Hold Since",
        company_dependent=True,
        index=False,
        groups=OFFICERS,
        copy=False,
    )
    collection_credit_hold_user_id = fields.Many2one(
        "res.users",
        string="Credit Hold Put By",
        company_dependent=True,
        groups=OFFICERS,
        copy=False,
    )
    collection_case_ids = fields.One2many(
        "collection.case",
        "partner_id",
        string="Collection Cases",
        groups=OFFICERS,
    )
    collection_is_manager = fields.Boolean(
        compute="_compute_collection_is_manager",
        groups=OFFICERS,
        help="The current user may change how this customer is chased.",
    )
    collection_contact_editable = fields.Boolean(
        compute="_compute_collection_contact_editable",
        groups=OFFICERS,
        help="The current user may edit the contact: the collections settings are edited on "
        "the form itself, else in their own dialog.",
    )
    collection_case_count = fields.Integer(
        compute="_compute_collection_case", groups="collections_officer.group_collections_officer"
    )
    collection_case_id = fields.Many2one(
        "collection.case",
        string="Open Collection Case",
        compute="_compute_collection_case",
        groups="collections_officer.group_collections_officer",
        help="The customer's open case in the current company.",
    )
    collection_overdue_amount = fields.Monetary(
        string="Overdue (Collections)",
        compute="_compute_collection_case",
        currency_field="collection_currency_id",
        groups="collections_officer.group_collections_officer",
    )
    collection_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_collection_case",
        groups="collections_officer.group_collections_officer",
    )

    collection_promise_kept_count = fields.Integer(
        string="Promises Kept",
        compute="_compute_collection_reliability",
        groups="collections_officer.group_collections_officer",
    )
    collection_promise_broken_count = fields.Integer(
        string="Promises Broken",
        compute="_compute_collection_reliability",
        groups="collections_officer.group_collections_officer",
    )
    collection_reliability = fields.Integer(
        string="Reliability (%)",
        compute="_compute_collection_reliability",
        groups="collections_officer.group_collections_officer",
        help="Share of the customer's judged promises and payment plans that were kept "
        "(a partly kept promise counts half); 100 without history.",
    )
    collection_case_history_ids = fields.Many2many(
        "collection.case",
        string="Case History",
        compute="_compute_collection_case_history_ids",
        groups=OFFICERS,
        help="The customer's collection cases the user may read, closed ones included, the "
        "latest first.",
    )

    @api.depends_context("uid")
    def _compute_collection_is_manager(self):
        self.collection_is_manager = self.env["collection.compliance"]._is_collections_manager()

    @api.depends_context("uid")
    def _compute_collection_contact_editable(self):
        # A contact being created is the creator's to fill in.
        editable = self._origin._filtered_access("write")
        for partner in self:
            partner.collection_contact_editable = not partner._origin or partner._origin in editable

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_collection_case(self):
        commercial = self.commercial_partner_id
        counts = dict(
            self.env["collection.case"]._read_group(
                [("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"]
            )
        )
        cases = self.env["collection.case"]
        # Working in a branch, the customer's case is the head office's (unless per branch).
        ledger = self.env["collection.ledger"]
        found = ledger._find_cases(commercial, self.env.company)
        for partner in self:
            partner.collection_case_count = counts.get(partner.commercial_partner_id, 0)
            case = found.get(ledger._case_key(partner, self.env.company), cases)
            if case.state == "closed":
                case = cases
            partner.collection_case_id = case
            partner.collection_overdue_amount = case.overdue_amount
            partner.collection_currency_id = case.currency_id or self.env.company.currency_id

    @api.depends("commercial_partner_id")
    def _compute_collection_reliability(self):
        # Read from the judged promises and plans: judging them is enough to update it.
        domain = [("partner_id", "in", self.commercial_partner_id.ids)]
        promises = {
            (partner, state): count
            for partner, state, count in self.env["collection.promise"]._read_group(
                domain, ["partner_id", "state"], ["__count"]
            )
        }
        plans = {
            (partner, state): count
            for partner, state, count in self.env["collection.plan"]._read_group(
                domain, ["partner_id", "state"], ["__count"]
            )
        }
        for partner in self:
            customer = partner.commercial_partner_id
            kept, partial, broken = (
                promises.get((customer, s), 0) for s in ("kept", "partial", "broken")
            )
            completed, failed = (plans.get((customer, s), 0) for s in ("completed", "broken"))
            judged = kept + partial + broken + completed + failed
            partner.collection_promise_kept_count = kept
            partner.collection_promise_broken_count = broken
            partner.collection_reliability = (
                round(100 * (kept + completed + partial / 2) / judged) if judged else 100
            )

    @api.depends("commercial_partner_id")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_collection_case_history_ids(self):
        # One search for the batch: the record rules decide which cases the reader sees.
        cases = self.env["collection.case"].search(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            order="opened_date desc, id desc",
        )
        by_customer = defaultdict(list)
        for case in cases:
            by_customer[case.partner_id].append(case.id)
        for partner in self:
            partner.collection_case_history_ids = by_customer.get(partner.commercial_partner_id, [])

    @api.constrains(
        "collection_window_override", "collection_contact_hour_start", "collection_contact_hour_end"
    )
    def _check_collection_contact_hours(self):
        for partner in self.filtered("collection_window_override"):
            self._check_contact_window(
                partner.collection_contact_hour_start,
                partner.collection_contact_hour_end,
                partner.display_name,
            )

    @api.model
    def _check_contact_window(self, start, end, owner):
        if not (0 <= start <= 24 and 0 <= end <= 24):
            raise ValidationError(
                self.env._(
                    "Contact hours of %(owner)s must be between 0:00 and 24:00.", owner=owner
                )
            )
        if end <= start:
            raise ValidationError(
                self.env._(
                    "The contact window of %(owner)s ends before it starts: it must end after "
                    "%(start)s.",
                    owner=owner,
                    start=f"{int(start):02d}:{round(start % 1 * 60):02d}",
                )
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        # A default is no decision: dropped here, it comes back as the default. Users
        # (whose partner gets every default) and sales staff can then create partners.
        given = [name for name in MANAGED_FIELDS if any(name in vals for vals in vals_list)]
        defaults = self.default_get(given) if given else {}
        vals_list = [
            {
                name: value
                for name, value in vals.items()
                if name not in given or (value or False) != (defaults.get(name) or False)
            }
            for vals in vals_list
        ]
        # A new customer may start protected (a hold with its reason); anything else needs
        # a manager.
        for vals in vals_list:
            held = bool(vals.get("collection_credit_hold"))
            self._check_collection_rules_change(
                [
                    name
                    for name, value in vals.items()
                    if name in MANAGED_FIELDS
                    and not (name in PROTECTIVE_FLAGS and value)
                    and not (held and name in CREDIT_HOLD_DETAILS)
                ]
            )
        vals_list = [
            self._credit_hold_details(True) | vals if vals.get("collection_credit_hold") else vals
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        changed = [
            name
            for name in (*OFFICER_FIELDS, *MANAGED_FIELDS)
            if name in vals
            and any(
                self._fields[name].convert_to_write(partner[name], partner) != vals[name]
                for partner in self.sudo()
            )
        ]
        if (
            set(changed) & set(OFFICER_FIELDS)
            and not self.env.su
            and not self.env.user.has_group(OFFICERS)
        ):
            raise AccessError(
                self.env._("Only collections officers assign a customer's officer and contact.")
            )
        self._check_collection_rules_change([n for n in changed if n in MANAGED_FIELDS])
        partners = self._collection_settings_writer(vals)
        if "collection_credit_hold" not in vals:
            return super(ResPartner, partners).write(vals)
        # When and by whom: stamped on the customers whose hold changes only, so that
        # saving a form again keeps the date of the hold.
        hold = bool(vals["collection_credit_hold"])
        moving = self.sudo().filtered(lambda partner: partner.collection_credit_hold != hold)
        details = self._credit_hold_details(hold)
        if moving == self.sudo():
            return super(ResPartner, partners).write(details | vals)
        res = super(ResPartner, partners).write(vals)
        if moving:
            super(ResPartner, moving).write(
                {name: value for name, value in details.items() if name not in vals}
            )
        return res

    def _collection_settings_writer(self, vals):
        """The partners to write ``vals`` with: as superuser when ``vals`` holds collections
        settings only and the user is a collections user, else ``self``.

        Who works a customer and how it is chased are the collections desk's decisions,
        not the contact's: a collections manager who may not edit contacts still sets
        them (an officer the officer and contact, the only ones ``write`` lets an officer
        change). Reading the customer is still required; the superuser keeps the user,
        who remains the author of the tracking. Any other field needs the usual rights.
        """
        if (
            self.env.su
            or not vals
            or not set(vals) <= {*OFFICER_FIELDS, *MANAGED_FIELDS}
            or not self.env.user.has_group(OFFICERS)
        ):
            return self
        self.check_access("read")
        return self.sudo()

    def _credit_hold_details(self, hold):
        """The details written with a hold put (``hold``) or lifted."""
        if not hold:
            return dict.fromkeys(CREDIT_HOLD_DETAILS, False)
        return {
            "collection_credit_hold_date": fields.Datetime.now(),
            "collection_credit_hold_user_id": self.env.uid,
        }

    @api.model
    def _check_collection_rules_change(self, changed):
        """Only collections managers (and the engine) change how a customer is chased.

        Sales staff could otherwise lift a credit hold or a do-not-contact flag by import
        or RPC, and officers soften a customer's policy. ``changed``: the managed fields
        whose value would change.
        """
        if changed and not self.env["collection.compliance"]._is_collections_manager():
            raise AccessError(
                self.env._(
                    "Only a collections manager can change %(fields)s of a customer. Officers "
                    "set Do Not Contact, Cease Communication and Credit Hold from the case.",
                    fields=", ".join(self._fields[name].string for name in changed),
                )
            )

    # ------------------------------------------------------------------ credit hold

    def _credit_hold_in(self, company):
        """The commercial partners of ``self`` as their credit hold applies to documents of
        ``company``: read as superuser in the company that keeps it, the one whose cases
        follow up ``company``'s receivables (a branch's customers are held at the head
        office unless cases are per branch)."""
        case_company = self.env["collection.ledger"]._case_company(company)
        return self.commercial_partner_id.sudo().with_company(case_company)

    def _credit_hold_message(self, company):
        """What to tell whoever extends new credit to this customer in ``company``: empty when
        the customer is not on credit hold there."""
        self.ensure_one()
        customer = self._credit_hold_in(company)
        if not customer.collection_credit_hold:
            return ""
        return self.env._(
            "%(customer)s is on credit hold in %(company)s since %(date)s. Reason: %(reason)s.",
            customer=customer.display_name,
            company=customer.env.company.name,
            date=format_date(self.env, customer.collection_credit_hold_date) or "-",
            reason=customer.collection_credit_hold_reason or self.env._("none recorded"),
        )

    def _put_credit_hold(self, company, reason):
        """Put the customers of ``self`` on credit hold in ``company`` (a case's company),
        as the engine: returns those that were not on hold there already (the others keep
        their hold, its reason and date)."""
        customers = self.sudo().with_company(company)
        customers = customers.filtered(lambda partner: not partner.collection_credit_hold)
        customers.write({"collection_credit_hold": True, "collection_credit_hold_reason": reason})
        return customers

    def _lift_credit_hold(self, company):
        """Lift the credit hold of the customers of ``self`` in ``company``, as the engine:
        the caller checked that a collections manager asks it."""
        customers = self.sudo().with_company(company).filtered("collection_credit_hold")
        customers.write({"collection_credit_hold": False})
        return customers

    def action_edit_collection_settings(self):
        """The customer's collections settings in a dialog of their own: a collections user
        who may not edit the contact saves them there (see ``_collection_settings_writer``)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        customer.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Collections Settings of %(customer)s", customer=customer.name),
            "res_model": "res.partner",
            "res_id": customer.id,
            "views": [
                (self.env.ref("collections_officer.res_partner_view_form_collections").id, "form")
            ],
            "target": "new",
        }

    def action_view_collection_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_case_action"
        )
        cases = self.commercial_partner_id.collection_case_ids
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        if len(cases) == 1:
            action.update(views=[(False, "form")], res_id=cases.id)
        return action
