from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date
from odoo.tools.misc import clean_context

from .collection_case_chatter import GUARD_PASSED

# What was promised: fixed once recorded.
PROMISED_FIELDS = ("case_id", "amount", "date", "start_date")
# Written by action_approve only; a caller's value is dropped at creation.
APPROVAL_ACTIVITY = "collections_officer.mail_activity_type_promise_approval"
APPROVAL_FIELDS = ("needs_approval", "approval_reason", "approved_by_id", "approval_date")
# Put in the context by the customer page recording the customer's own promise: nobody
# approved it by recording it. An object, not a flag: a client's context (JSON) cannot
# carry it.
CUSTOMER_PROMISE = object()


class CollectionPromise(models.Model):
    """A promise to pay: the customer's word to pay an amount by a date.

    This file holds the promise, its recording (which replaces the open promise of
    the case and logs the contact), its approval beyond the company's limits and its
    cancellation; its judging is in ``collection_promise_judge.py``, what it shares
    with a payment plan in ``collection_commitment.py``.
    """

    _name = "collection.promise"
    _description = "Promise to Pay"
    # The fields declared read-only are written by the judging, the buttons and the
    # creation only (as superuser), or computed: the promise-kept rate a target is judged
    # on reads the state, the judging date and the amount; the deadline, the scope and
    # the customer decide what keeps the promise; the approval is a manager's action and
    # the contact log entry is the one Log a Contact has just recorded.
    _inherit = ["collection.commitment"]
    _order = "date desc, id desc"
    _commitment_date_field = "start_date"
    _commitment_amount_field = "amount"
    _judged_state = "open"

    currency_id = fields.Many2one(
        help="The invoices' currency when they all share one, else the company's: the "
        "promise is judged in it.",
    )
    line_ids = fields.Many2many(
        help="What was overdue when the promise was made (and the debt falling due, for a "
        "promise of more): money applied to it, or left unapplied, keeps the promise; "
        "payments of other invoices and credit notes do not.",
    )
    amount = fields.Monetary(required=True, help="In the promise's currency.")
    date = fields.Date(string="Promised Date", required=True)
    start_date = fields.Date(
        string="Counted From",
        required=True,
        readonly=True,
        default=lambda self: self.env.company._collection_today(),
        help="Money received from this day on counts toward the promise.",
    )
    deadline = fields.Date(
        compute="_compute_deadline",
        store=True,
        index=True,
        help="The promised date plus the company's tolerance days; the promise is judged "
        "the day after.",
    )
    contact_id = fields.Many2one(help="Who made the promise at the customer.")
    channel = fields.Selection(selection="_selection_channel", required=True, default="phone")
    state = fields.Selection(
        [
            ("open", "Open"),
            ("kept", "Kept"),
            ("partial", "Partly Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="open",
        readonly=True,
        index=True,
        copy=False,
    )
    amount_received = fields.Monetary(
        compute="_compute_amount_received",
        help="Payments and bank lines of the customer booked between the start of the "
        "promise and its deadline, applied to the debt it covers or left unapplied, in "
        "the promise's currency; read from accounting. A credit note lowers the debt "
        "but is no money received.",
    )
    contact_log_id = fields.Many2one(
        "collection.contact", string="Contact", readonly=True, copy=False, index="btree_not_null"
    )
    # Beyond the company's limits a promise holds follow-up only once a manager approves it.
    needs_approval = fields.Boolean(
        help="Further away or smaller than the company's limits: follow-up goes on until a "
        "collections manager approves the promise.",
    )
    approval_reason = fields.Char(compute="_compute_needs_approval", store=True)

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "The promised amount must be positive."
    )

    @api.model
    def _selection_channel(self):
        # The contact log owns the list of channels: a promise is made through one of them.
        return self.env["collection.contact"]._fields["channel"]._description_selection(self.env)

    @api.depends("date", "company_id")
    def _compute_deadline(self):
        for promise in self:
            tolerance = promise.company_id.collection_promise_tolerance_days
            promise.deadline = promise.date and promise.date + timedelta(days=tolerance)

    @api.depends(
        "amount",
        "start_date",
        "deadline",
        "judged_date",
        "partner_id",
        "company_id",
        "line_ids",
        "currency_id",
    )
    @api.depends_context("date")
    def _compute_amount_received(self):
        # Cash only: a credit note (an accepted dispute) does not keep a promise.
        received = self._money_received()
        for promise in self:
            promise.amount_received = received.get(promise, 0)

    def _received_until(self):
        # Up to the deadline, or to today (or the cancellation) when that comes first.
        self.ensure_one()
        if not self.deadline:
            return None
        return min(self.deadline, self.judged_date or self.company_id._collection_today())

    @api.depends("amount", "date", "start_date", "case_id", "currency_id")
    def _compute_needs_approval(self):
        # Judged once, when the promise is made: amount and dates do not change afterwards.
        for promise in self:
            company = promise.company_id or promise.case_id.company_id
            reasons = []
            horizon = company.collection_promise_max_days
            if (
                horizon
                and promise.date
                and promise.start_date
                and (promise.date - promise.start_date).days > horizon
            ):
                reasons.append(
                    self.env._("the promised date is more than %(days)s days away", days=horizon)
                )
            share = company.collection_promise_min_percent
            # The case's overdue amount is in its (company) currency, the promise in its own.
            overdue = promise.case_id.overdue_amount
            currency = promise.case_id.currency_id or company.currency_id
            amount = promise.amount
            if promise.currency_id and promise.currency_id != currency:
                amount = promise.currency_id._convert(
                    amount,
                    currency,
                    company,
                    promise.start_date or (company or self.env.company)._collection_today(),
                )
            if (
                share
                and currency.compare_amounts(overdue, 0) > 0
                and currency.compare_amounts(amount, overdue * share / 100) < 0
            ):
                reasons.append(
                    self.env._(
                        "%(amount)s is less than %(share)s%% of the %(overdue)s overdue",
                        amount=(promise.currency_id or currency).format(promise.amount),
                        share=f"{share:g}",
                        overdue=currency.format(overdue),
                    )
                )
            promise.needs_approval = bool(reasons)
            promise.approval_reason = "; ".join(reasons) or False

    @api.depends("case_id", "amount", "date")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(case)s: %(amount)s by %(date)s",
                case=promise.case_id.name or "",
                amount=promise.currency_id.format(promise.amount) if promise.currency_id else "",
                date=format_date(self.env, promise.date) if promise.date else "",
            )

    @api.constrains("date", "start_date")
    def _check_date(self):
        for promise in self:
            if promise.date and promise.start_date and promise.date < promise.start_date:
                raise ValidationError(
                    self.env._(
                        "The promised date %(date)s is in the past: a promise is for a day "
                        "to come.",
                        date=format_date(self.env, promise.date),
                    )
                )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        logged = context.get("collection_contact_logged") is GUARD_PASSED
        if logged and context != clean_context(context):
            # Log a Contact's own call: the defaults of its context are the contact's.
            # Replaced, not updated: the default keys must go.
            return self.with_context(clean_context(context)).create(vals_list)  # pylint: disable=context-overridden
        # The database refuses it too; this says it clearly.
        if any((vals.get("amount") or 0) <= 0 for vals in vals_list):
            raise ValidationError(self.env._("The promised amount must be positive."))
        if not self.env.su:
            for vals in vals_list:
                self._check_new_promise(vals)
        # Dropped below rather than refused; Log a Contact links the contact it logged.
        dropped = {*APPROVAL_FIELDS, "start_date"} | ({"contact_log_id"} if logged else set())
        self._check_engine_fields(
            [
                {name: value for name, value in vals.items() if name not in dropped}
                for vals in vals_list
            ],
            creating=True,
        )
        # Money counts from the day the promise is recorded: no back-dating, no approval
        # given by the caller. Recorded on the case's company's day.
        Case = self.env["collection.case"].sudo()
        vals_list = [
            {
                **{name: value for name, value in vals.items() if name not in APPROVAL_FIELDS},
                "start_date": (
                    Case.browse(vals.get("case_id")).company_id or self.env.company
                )._collection_today(),
            }
            for vals in vals_list
        ]
        cases = self.env["collection.case"].browse([v.get("case_id") for v in vals_list])
        if closed := cases.filtered(lambda c: c.state == "closed"):
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: nothing is overdue to promise.",
                    case=closed[0].name,
                )
            )
        # The plan's installments already say what is due when: a promise on top would
        # count the same payments twice.
        planned = (
            self.env["collection.plan"]
            .sudo()
            .search([("case_id", "in", cases.ids), ("state", "=", "active")], limit=1)
        )
        if planned:
            raise UserError(
                self.env._(
                    "Case %(case)s follows the payment plan %(plan)s: its installments are the "
                    "customer's promises. Cancel the plan first to take a promise instead.",
                    case=planned.case_id.name,
                    plan=planned.display_name,
                )
            )
        # A new promise replaces the open one of the case: the customer gave a new word.
        previous = self.search([("case_id", "in", cases.ids), ("state", "=", "open")])
        promises = super().create(vals_list)
        if previous:
            for company, replaced in previous.sudo().grouped("company_id").items():
                replaced.write({"state": "cancelled", "judged_date": company._collection_today()})
            previous._log_on_cases(
                lambda promise: self.env._(
                    "Promise %(promise)s replaced by a new one.", promise=promise.display_name
                )
            )
        promises._log_contacts()
        to_approve = promises.filtered("needs_approval")
        if (
            to_approve
            and self.env.context.get("collection_customer_promise") is not CUSTOMER_PROMISE
            and self.env["collection.compliance"]._is_collections_manager()
        ):
            # A manager who records a promise beyond the limits approves it by doing so.
            to_approve._approve()
            to_approve = self.browse()
        (promises - to_approve).case_id.sudo().filtered(
            lambda c: c.state in ("open", "escalated")
        ).write({"state": "promised"})
        if to_approve:
            # The promise it replaced may have held the case: it is back in follow-up.
            self._release_cases(to_approve.case_id, broken=False)
            to_approve._request_approval()
        promises._log_on_cases(
            lambda promise: (
                self.env._(
                    "Promise to pay recorded: %(promise)s. It needs a collections "
                    "manager's approval (%(reason)s): follow-up goes on until then.",
                    promise=promise.display_name,
                    reason=promise.approval_reason,
                )
                if promise in to_approve
                else self.env._(
                    "Promise to pay recorded: %(promise)s.", promise=promise.display_name
                )
            )
        )
        return promises

    def write(self, vals):
        # What was promised, and from when, is history; approval comes from action_approve.
        if not self.env.su:
            frozen = [
                name
                for name in PROMISED_FIELDS
                if name in vals
                and any(
                    self._fields[name].convert_to_write(promise[name], promise) != vals[name]
                    for promise in self
                )
            ]
            if frozen:
                raise UserError(
                    self.env._(
                        "A recorded promise's %(fields)s cannot change: record a new promise "
                        "instead (it replaces the open one).",
                        fields=", ".join(self._fields[name].string for name in frozen),
                    )
                )
        self._check_engine_fields([vals])
        waiting = self.filtered(
            lambda p: p.state == "open" and p.needs_approval and not p.approved_by_id
        )
        result = super().write(vals)
        if vals.get("state", "open") != "open" and waiting:
            # Nothing left to approve once the promise is judged, cancelled or replaced.
            waiting.case_id.sudo().activity_unlink([APPROVAL_ACTIVITY])
        return result

    def _check_new_promise(self, vals):
        """A promise a user records starts open: only the judging says whether it was kept."""
        if vals.get("state", "open") != "open":
            raise UserError(
                self.env._(
                    "A new promise is open: whether it is kept, partly kept or broken is "
                    "judged from the payments once its deadline passes, and cancelling is "
                    "a button. Record it without a state."
                )
            )
        # Log a Contact links the contact it has just logged on the same case.
        contact = self.env["collection.contact"].sudo().browse(vals.get("contact_log_id"))
        if contact and contact.case_id.id != vals.get("case_id"):
            raise UserError(
                self.env._("A promise can only be linked to a contact logged on its own case.")
            )

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of a promise are set when it is recorded, approved, cancelled or "
            "judged against the payments received: they cannot be set by hand.",
            fields=fields,
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if any(promise.state != "cancelled" for promise in self):
            raise UserError(
                self.env._("Promises are history: cancel a promise instead of deleting it.")
            )

    def _log_contacts(self):
        """The promise is a contact's outcome: log it in the case's contact log."""
        # The contact log wizard creates its own contact and links it.
        todo = self.filtered(lambda p: not p.contact_log_id)
        values = [
            {
                "case_id": promise.case_id.id,
                "partner_id": promise.contact_id.id,
                "channel": promise.channel,
                "direction": "outbound",
                "date": fields.Datetime.now(),
                "outcome": "promised",
                "note": promise.note
                or self.env._("Promised %(promise)s.", promise=promise.display_name),
                "user_id": promise.user_id.id,
            }
            for promise in todo
        ]
        Contact = self.env["collection.contact"]
        # A promise a person records is a contact they made now, on its channel: judged
        # by the guard like Log a Contact's. The engine's own (data, migrations) are not.
        contacts = (
            Contact.with_context(collection_guard_passed=GUARD_PASSED).create(values)
            if self.env.is_superuser()
            else Contact._log_reported(values)
        )
        for promise, contact in zip(todo.sudo(), contacts, strict=True):
            promise.contact_log_id = contact

    # --------------------------------------------------------------- actions

    def action_cancel(self):
        if any(promise.state != "open" for promise in self):
            raise UserError(self.env._("Only open promises can be cancelled."))
        self.check_access("write")
        for company, promises in self.sudo().grouped("company_id").items():
            promises.write({"state": "cancelled", "judged_date": company._collection_today()})
        self._log_on_cases(
            lambda promise: self.env._(
                "Promise %(promise)s cancelled.", promise=promise.display_name
            )
        )
        self._release_cases(self.case_id, broken=False)
        return True

    def action_approve(self):
        """A collections manager lets promises beyond the limits hold follow-up."""
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can approve a promise.")
        )
        if any(p.state != "open" or not p.needs_approval or p.approved_by_id for p in self):
            raise UserError(self.env._("Only open promises waiting for approval can be approved."))
        self._approve()
        self.case_id.sudo().filtered(lambda c: c.state in ("open", "escalated")).write(
            {"state": "promised"}
        )
        self._log_on_cases(
            lambda promise: self.env._(
                "Promise %(promise)s approved by %(user)s: follow-up waits for it.",
                promise=promise.display_name,
                user=self.env.user.name,
            )
        )
        return True

    def _approve(self):
        self.sudo().write({"approved_by_id": self.env.uid, "approval_date": fields.Datetime.now()})
        self.case_id.sudo().activity_feedback(
            [APPROVAL_ACTIVITY],
            feedback=self.env._("Approved by %(user)s.", user=self.env.user.name),
        )

    def _request_approval(self):
        """Give the team manager (else the collections managers) the approval to do."""
        for promise in self:
            # The promise has no chatter of its own: the approval is to do on its case.
            for approver in promise._approvers():
                promise.case_id.sudo().activity_schedule(
                    APPROVAL_ACTIVITY,
                    date_deadline=promise.company_id._collection_today(),
                    summary=self.env._("Approve the promise to pay"),
                    note=self.env._(
                        "%(officer)s recorded %(promise)s beyond the company's limits "
                        "(%(reason)s): approve it to let follow-up wait for it.",
                        officer=self.env.user.name,
                        promise=promise.display_name,
                        reason=promise.approval_reason,
                    ),
                    user_id=approver.id,
                )
