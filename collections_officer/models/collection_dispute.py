from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools.misc import clean_context

from .collection_case_chatter import GUARD_PASSED, SentAs

# Written by the resolution actions only (accept, reject, withdraw, the refresh): a
# caller's value is dropped at creation, a dispute starts open.
RESOLUTION_FIELDS = ("state", "accepted_amount", "credit_note_id", "resolved_date")


class CollectionDispute(models.Model):
    """A customer contests part or all of one invoice.

    While open, the disputed amount is set apart in the ledger: it is shown on the
    case and never chased, charged or aged; the rest of the invoice and the other
    invoices are still followed up.
    """

    _name = "collection.dispute"
    _description = "Collection Dispute"
    _inherit = ["collection.engine.fields", "mail.thread", "mail.activity.mixin"]
    # What is disputed is stated when the dispute is recorded, then fixed: a dispute
    # too broad is withdrawn and a narrower one recorded, so the ledger, the KPIs and
    # the credit note read what the customer contested.
    _user_create_fields = frozenset({"case_id", "move_id", "amount", "installment_id", "channel"})
    _collection_history = True
    _order = "deadline, id desc"
    _check_company_auto = True
    _rec_names_search = ["move_id", "partner_id"]

    case_id = fields.Many2one(
        "collection.case",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", string="Customer", store=True, index=True
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    invoice_residual = fields.Monetary(related="move_id.amount_residual", string="Invoice Residual")
    installment_id = fields.Many2one(
        "collection.plan.installment",
        string="Plan Installment",
        readonly=True,
        domain="[('plan_id.case_id', '=', case_id)]",
        help="The installment of the case's payment plan the dispute is about, if any.",
    )
    amount = fields.Monetary(
        string="Disputed Amount",
        required=True,
        readonly=True,
        tracking=True,
        help="Part or all of the invoice's residual, in the invoice's currency.",
    )
    reason = fields.Selection(
        [
            ("price", "Price"),
            ("quantity", "Quantity"),
            ("quality", "Quality"),
            ("not_received", "Not Received"),
            ("duplicate", "Duplicate"),
            ("already_paid", "Already Paid"),
            ("other", "Other"),
        ],
        required=True,
        default="other",
        tracking=True,
    )
    channel = fields.Selection(
        selection=lambda self: (
            self.env["collection.contact"]._fields["channel"]._description_selection(self.env)
        ),
        string="Raised By",
        required=True,
        readonly=True,
        default="phone",
        help="How the customer said so: the contact logged with the dispute.",
    )
    description = fields.Text()
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
        help="Who investigates: the officer, sales or another colleague.",
    )
    deadline = fields.Date(
        required=True,
        index=True,
        tracking=True,
        default=lambda self: (
            self.env.company._collection_today()
            + timedelta(days=self.env.company.collection_dispute_days)
        ),
        help="When the investigation should be over; an overdue deadline alerts the team manager.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("accepted", "Accepted"),
            ("partly_accepted", "Partly Accepted"),
            ("rejected", "Rejected"),
            ("withdrawn", "Withdrawn"),
        ],
        required=True,
        default="open",
        readonly=True,
        index=True,
        tracking=True,
    )
    resolution_note = fields.Text(tracking=True)
    resolved_date = fields.Date(readonly=True)
    accepted_amount = fields.Monetary(readonly=True)
    credit_note_id = fields.Many2one(
        "account.move", readonly=True, copy=False, index="btree_not_null"
    )
    amount_set_apart = fields.Monetary(
        compute="_compute_amount_set_apart",
        store=True,
        help="What the ledger does not chase: the disputed amount while the dispute is "
        "open, the accepted amount until its credit note is posted.",
    )
    deadline_alerted = fields.Boolean(readonly=True, copy=False)
    attachment_count = fields.Integer(string="Evidence", compute="_compute_attachment_count")

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)", "The disputed amount must be positive."
    )

    @api.depends("state", "amount", "accepted_amount", "credit_note_id.state")
    def _compute_amount_set_apart(self):
        for dispute in self:
            if dispute.state == "open":
                dispute.amount_set_apart = dispute.amount
            elif (
                dispute.state in ("accepted", "partly_accepted")
                and dispute.credit_note_id.state == "draft"
            ):
                # Granted, not yet credited: still not owed.
                dispute.amount_set_apart = dispute.accepted_amount
            else:
                dispute.amount_set_apart = 0.0

    def _compute_attachment_count(self):
        counts = dict(
            self.env["ir.attachment"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for dispute in self:
            dispute.attachment_count = counts.get(dispute.id, 0)

    @api.depends("move_id", "amount", "currency_id")
    def _compute_display_name(self):
        for dispute in self:
            dispute.display_name = self.env._(
                "%(invoice)s: %(amount)s disputed",
                invoice=dispute.move_id.name or "",
                amount=dispute.currency_id.format(dispute.amount) if dispute.currency_id else "",
            )

    @api.constrains("move_id", "amount", "case_id", "state")
    def _check_invoice(self):
        ledger = self.env["collection.ledger"]
        checked = self.filtered(lambda d: d.state == "open")
        # What open disputes of the same invoices set apart, read once for the batch.
        disputed = {
            move.id: total
            for move, total in self.sudo()._read_group(
                [("move_id", "in", checked.move_id.ids), ("state", "=", "open")],
                ["move_id"],
                ["amount:sum"],
            )
        }
        for dispute in checked:
            move = dispute.move_id.sudo()
            if (
                move.move_type != "out_invoice"
                or move.state != "posted"
                or ledger._case_key(move.commercial_partner_id, move.company_id)
                != (dispute.case_id.partner_id, dispute.case_id.company_id)
            ):
                raise ValidationError(
                    self.env._(
                        "%(invoice)s is not a posted customer invoice of %(customer)s.",
                        invoice=move.display_name,
                        customer=dispute.case_id.partner_id.display_name,
                    )
                )
            available = move.amount_residual - (disputed.get(move.id, 0.0) - dispute.amount)
            if move.currency_id.compare_amounts(dispute.amount, available) > 0:
                raise ValidationError(
                    self.env._(
                        "%(amount)s cannot be disputed on %(invoice)s: at most %(available)s "
                        "of its residual is left to dispute.",
                        amount=move.currency_id.format(dispute.amount),
                        invoice=move.name,
                        available=move.currency_id.format(max(available, 0.0)),
                    )
                )

    @api.constrains("installment_id", "case_id")
    def _check_installment(self):
        for dispute in self.filtered("installment_id"):
            if dispute.installment_id.sudo().plan_id.case_id != dispute.case_id:
                raise ValidationError(
                    self.env._(
                        "%(installment)s is not an installment of a payment plan of %(case)s.",
                        installment=dispute.installment_id.sudo().display_name,
                        case=dispute.case_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        if context.get("collection_contact_logged") is GUARD_PASSED and context != clean_context(
            context
        ):
            # Log a Contact's own call: the defaults of its context are the contact's.
            # Replaced, not updated: the default keys must go.
            return self.with_context(clean_context(context)).create(vals_list)  # pylint: disable=context-overridden
        if any((vals.get("amount") or 0) <= 0 for vals in vals_list):
            raise ValidationError(self.env._("The disputed amount must be positive."))
        vals_list = [
            {name: value for name, value in vals.items() if name not in RESOLUTION_FIELDS}
            for vals in vals_list
        ]
        self._check_engine_fields(vals_list, creating=True)
        if not self.env.su:
            self._check_case_open(vals_list)
        for vals in vals_list:
            case = self.env["collection.case"].browse(vals.get("case_id"))
            if case and "deadline" not in vals:
                vals["deadline"] = case.company_id._collection_today() + timedelta(
                    days=case.company_id.collection_dispute_days
                )
        disputes = super().create(vals_list)
        # A person recording disputes made a contact; Log a Contact logs its own. The
        # engine's disputes (data, migrations) are no contact.
        if not self.env.is_superuser() and (
            self.env.context.get("collection_contact_logged") is not GUARD_PASSED
        ):
            disputes._log_contacts()
        disputes._schedule_owner_activities()
        disputes.filtered(lambda d: d.reason == "already_paid")._ask_accountant()
        disputes.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute recorded: %(dispute)s (%(reason)s). It is not chased until it "
                    "is resolved.",
                    dispute=dispute.display_name,
                    reason=dict(self._fields["reason"]._description_selection(self.env))[
                        dispute.reason
                    ],
                )
                for dispute in disputes
            }
        )
        disputes._refresh_cases()
        return disputes

    def write(self, vals):
        self._check_engine_fields([vals])
        res = super().write(vals)
        if {"amount", "move_id"} & set(vals):
            self._refresh_cases()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_open(self):
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Resolved disputes are history: they cannot be deleted."))

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of a dispute are stated when it is recorded, or change only by "
            "accepting, rejecting or withdrawing it: withdraw it and record another one "
            "to dispute something else.",
            fields=fields,
        )

    def _check_case_open(self, vals_list):
        """As Log a Contact: nothing is chased on a closed case, nothing to dispute."""
        default = self.env.context.get("default_case_id")
        cases = self.env["collection.case"].browse(
            {vals.get("case_id") or default for vals in vals_list} - {None, False}
        )
        if closed := cases.filtered(lambda case: case.state == "closed"):
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: nothing is chased, nothing to dispute.",
                    case=closed[0].name,
                )
            )

    # --------------------------------------------------------------- actions

    def action_accept(self, amount=None, note=None):
        """The customer is right: a draft credit note for the accepted amount.

        ``amount`` (default: the whole disputed amount) below the disputed amount
        accepts the dispute in part; the rest is chased again. The credit note is
        prepared through Odoo's own reversal and left in draft for an accountant.
        """
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can accept a dispute.")
        )
        for dispute in self:
            dispute._check_open()
            accepted = dispute.amount if amount is None else amount
            currency = dispute.currency_id
            if currency.compare_amounts(accepted, 0) <= 0 or (
                currency.compare_amounts(accepted, dispute.amount) > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The accepted amount must be positive and at most the disputed %(amount)s.",
                        amount=currency.format(dispute.amount),
                    )
                )
            credit_note = dispute._prepare_credit_note(accepted)
            partly = currency.compare_amounts(accepted, dispute.amount) < 0
            dispute.sudo().write(
                {
                    "state": "partly_accepted" if partly else "accepted",
                    "accepted_amount": accepted,
                    "credit_note_id": credit_note.id,
                    "resolved_date": dispute.company_id._collection_today(),
                    "resolution_note": note or dispute.resolution_note,
                }
            )
            dispute._close_activities()
            dispute.case_id._message_log(
                body=self.env._(
                    "Dispute %(dispute)s %(verdict)s by %(user)s: %(accepted)s accepted, "
                    "draft credit note %(credit_note)s for an accountant to post.%(note)s",
                    dispute=dispute.move_id.name,
                    verdict=self.env._("partly accepted") if partly else self.env._("accepted"),
                    user=self.env.user.name,
                    accepted=currency.format(accepted),
                    credit_note=credit_note.display_name,
                    note=f" {note}" if note else "",
                )
            )
        self._refresh_cases()
        return True

    def action_reject(self, note=None):
        """The customer is wrong: chasing resumes and the customer is told why."""
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can reject a dispute.")
        )
        for dispute in self:
            dispute._check_open()
            note = note or dispute.resolution_note
            if not (note or "").strip():
                raise UserError(
                    self.env._("Say why the dispute is rejected: the customer is told.")
                )
            # The customer is told first: a message the guard refuses leaves it open.
            dispute.sudo().resolution_note = note
            dispute._send_to_customer(
                "collections_officer.mail_template_collection_dispute_rejected",
                "dispute_rejected",
            )
            dispute.sudo().write(
                {"state": "rejected", "resolved_date": dispute.company_id._collection_today()}
            )
            dispute._close_activities()
            dispute.case_id._message_log(
                body=self.env._(
                    "Dispute %(dispute)s rejected by %(user)s: %(note)s The invoice is "
                    "chased again.",
                    dispute=dispute.move_id.name,
                    user=self.env.user.name,
                    note=note,
                )
            )
        self._refresh_cases()
        return True

    def action_withdraw(self):
        """The customer drops the dispute: the invoice is chased again."""
        self.check_access("write")
        for dispute in self:
            dispute._check_open()
        for company, disputes in self.sudo().grouped("company_id").items():
            disputes.write({"state": "withdrawn", "resolved_date": company._collection_today()})
        self._close_activities()
        self.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute %(dispute)s withdrawn by the customer: the invoice is chased again.",
                    dispute=dispute.move_id.name,
                )
                for dispute in self
            }
        )
        self._refresh_cases()
        return True

    def action_request_remittance(self):
        """Ask the customer who says they paid for their remittance advice."""
        self.check_access("write")
        for dispute in self:
            dispute._check_open()
            dispute._send_to_customer(
                "collections_officer.mail_template_collection_dispute_remittance",
                "remittance_requested",
            )
        return True

    def action_view_credit_note(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.credit_note_id.id,
            "view_mode": "form",
        }

    def action_view_attachments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Evidence"),
            "res_model": "ir.attachment",
            "view_mode": "kanban,list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }

    # ------------------------------------------------------- business methods

    def _check_open(self):
        if self.state != "open":
            raise UserError(
                self.env._("Dispute %(dispute)s is already resolved.", dispute=self.display_name)
            )

    def _refresh_cases(self):
        cases = self.case_id.sudo()
        if cases:
            cases._refresh_from_accounting(companies=cases.company_id, partners=cases.partner_id)

    def _prepare_credit_note(self, accepted):
        """A draft reversal of the invoice for ``accepted`` (in the invoice's currency).

        Odoo's own reversal copies the invoice; for less than its total, its
        lines are scaled down to the accepted amount.
        """
        self.ensure_one()
        move = self.move_id.sudo()
        credit_note = move._reverse_moves(
            [
                {
                    "ref": self.env._(
                        "Dispute of %(invoice)s: %(reason)s",
                        invoice=move.name,
                        reason=dict(self._fields["reason"]._description_selection(self.env))[
                            self.reason
                        ],
                    ),
                    "invoice_date": self.company_id._collection_today(),
                    "date": self.company_id._collection_today(),
                }
            ],
            cancel=False,
        )
        if move.currency_id.compare_amounts(accepted, credit_note.amount_total) != 0:
            ratio = accepted / credit_note.amount_total
            products = credit_note.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            )
            for line in products:
                line.price_unit = line.price_unit * ratio
        return credit_note

    def _send_to_customer(self, template_xmlid, sent_as):
        """A message to the customer from a template, posted on the case through the
        compliance guard, like every other customer message, and logged in the contact
        log as ``sent_as`` (a contact outcome)."""
        self.ensure_one()
        template = self.env.ref(template_xmlid).sudo()
        case = self.case_id
        recipient = case.followup_partner_id or case.partner_id
        if not recipient.email:
            raise UserError(
                self.env._(
                    "%(partner)s has no email address: the message cannot be sent.",
                    partner=recipient.display_name,
                )
            )
        subject = template._render_field("subject", self.ids)[self.id]
        body = template._render_field("body_html", self.ids)[self.id]
        case.with_context(
            mail_notify_force_send=False, collection_sent_as=SentAs(sent_as)
        ).message_post(
            body=body,
            subject=subject,
            partner_ids=recipient.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _log_contacts(self):
        """The customer disputing is a contact: log it, judged by the compliance guard
        like every contact a person logs, one per case and channel."""
        reasons = dict(self._fields["reason"]._description_selection(self.env))
        self.env["collection.contact"]._log_reported(
            [
                {
                    "case_id": case.id,
                    "channel": channel,
                    "direction": "outbound",
                    "date": fields.Datetime.now(),
                    "outcome": "disputed",
                    "note": self.env._(
                        "Disputed: %(disputes)s.",
                        disputes=", ".join(
                            f"{dispute.move_id.name} {dispute.currency_id.format(dispute.amount)}"
                            f" ({reasons[dispute.reason]})"
                            for dispute in disputes
                        ),
                    ),
                }
                for (case, channel), disputes in self.grouped(
                    lambda dispute: (dispute.case_id, dispute.channel)
                ).items()
            ]
        )

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
    def _close_settled(self, companies=None, partners=None):
        """Close the open disputes of invoices paid (reconciled) in the meantime.

        Nothing is left to dispute: they end as withdrawn, with a note saying the
        invoice was paid (for an 'already paid' dispute: the payment was found).
        """
        domain = Domain(
            [
                ("state", "=", "open"),
                ("move_id.payment_state", "in", ("paid", "reversed")),
            ]
        )
        if companies:
            domain &= Domain("company_id", "in", companies.ids)
        if partners:
            domain &= Domain("partner_id", "in", partners.commercial_partner_id.ids)
        settled = self.sudo().search(domain)
        if not settled:
            return settled
        for company, disputes in settled.grouped("company_id").items():
            disputes.write(
                {
                    "state": "withdrawn",
                    "resolved_date": company._collection_today(),
                    "resolution_note": self.env._("The invoice was paid: nothing left to dispute."),
                }
            )
        settled._close_activities()
        settled.case_id._message_log_batch(
            bodies={
                dispute.case_id.id: self.env._(
                    "Dispute %(dispute)s closed: the invoice is paid.",
                    dispute=dispute.move_id.name,
                )
                for dispute in settled
            }
        )
        return settled

    @api.model
    def _migrate_dispute_holds(self):
        """Turn the whole-case holds of the former "disputed" contact outcome into disputes.

        Those holds did not say which invoice was contested: each open overdue
        invoice of the case gets a dispute of its whole residual, reason
        'other', described by the old hold reason. The case is back in
        follow-up, where only what is not disputed is chased; the officer
        withdraws the disputes that were too broad and records narrower ones.

        The reason was ``"Disputed: %(note)s"`` in the officer's language, cut at
        200 characters, the note being the contact's note as text, else its name.
        It is recognised in any language: by the message as an installed language
        translates it, or by the note of one of the case's "disputed" contacts it
        quotes after (or before) a short translated label.
        """
        # Local: the code translations of a message the add-on no longer shows.
        from odoo.tools.translate import code_translations

        held = (
            self.env["collection.case"]
            .sudo()
            .with_context(active_test=False)
            .search([("state", "=", "hold"), ("hold_reason", "!=", False)])
        )
        source = "Disputed: %(note)s"
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        labels = {tuple(source.split("%(note)s"))}
        for lang in langs:
            translated = code_translations.get_python_translations("collections_officer", lang).get(
                source
            )
            if translated and translated.count("%(note)s") == 1:
                labels.add(tuple(translated.split("%(note)s")))
        quoted = {}
        contacts = (
            self.env["collection.contact"]
            .sudo()
            .with_context(active_test=False)
            .search([("case_id", "in", held.ids), ("outcome", "=", "disputed")])
        )
        for contact in contacts:
            texts = quoted.setdefault(contact.case_id.id, set())
            if contact.note and contact.note.striptags():
                texts.add(contact.note.striptags())
            else:
                texts.update(contact.with_context(lang=lang).display_name for lang in langs)

        def squeeze(text):
            return " ".join(text.split())

        def quotes(reason, text):
            text = squeeze(text)
            if not text:
                return False
            if text in reason:
                return len(reason) - len(text) <= 60
            # Cut at 200 characters: the reason ends with the start of the note.
            return len(reason) >= 199 and any(
                len(reason) - start >= 20 and text.startswith(reason[start:])
                for start in range(1, 61)
            )

        def is_dispute_hold(case):
            reason = squeeze(case.hold_reason)
            if any(
                (before.strip() or after.strip())
                and reason.startswith(squeeze(before))
                and reason.endswith(squeeze(after))
                for before, after in labels
            ):
                return True
            return any(quotes(reason, text) for text in quoted.get(case.id, ()))

        cases = held.filtered(is_dispute_hold)
        if not cases:
            return self.browse()
        ledger = self.env["collection.ledger"]
        today = {company: company._collection_today() for company in cases.company_id}
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                ledger._open_items_domain(cases.partner_id, cases.company_id)
                & Domain(
                    [
                        ("amount_residual", ">", 0),
                        ("date_maturity", "!=", False),
                        ("move_id.move_type", "=", "out_invoice"),
                    ]
                )
            )
            # Overdue on the day of the case's company.
            .filtered(
                lambda line: line.date_maturity < today[ledger._case_company(line.company_id)]
            )
        )
        moves_by_key = {}
        for move in lines.move_id:
            key = (move.commercial_partner_id.id, ledger._case_company(move.company_id).id)
            moves_by_key.setdefault(key, self.env["account.move"])
            moves_by_key[key] |= move
        vals_list = []
        for case in cases:
            for move in moves_by_key.get((case.partner_id.id, case.company_id.id), []):
                vals_list.append(
                    {
                        "case_id": case.id,
                        "move_id": move.id,
                        "amount": move.amount_residual,
                        "reason": "other",
                        "description": case.hold_reason,
                        "owner_id": (case.user_id or case.team_id.manager_id or self.env.user).id,
                    }
                )
        cases.write({"state": "open", "hold_reason": False})
        cases._message_log_batch(
            bodies=dict.fromkeys(
                cases.ids,
                self.env._(
                    "The dispute hold became one dispute per overdue invoice: the rest of "
                    "the debt is followed up again."
                ),
            )
        )
        return self.sudo().create(vals_list)

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
