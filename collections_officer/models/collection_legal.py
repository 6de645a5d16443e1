from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

from .collection_case_chatter import SentAs

# Types that hand the debt to someone outside the company: they need that someone.
EXTERNAL_TYPES = ("agency", "lawyer", "court")
# A legal action in these states is over: the case may take follow-up again.
FINISHED_STATES = ("settled", "closed")
# The documents of the letter before action, each its own PDF.
NOTICE_REPORTS = (
    "collections_officer.action_report_collection_legal_notice",
    "collections_officer.action_report_collection_legal_info_sheet",
    "collections_officer.action_report_collection_legal_reply_form",
)
# Written only by the actions (as superuser): each change is a step of the story.
WORKFLOW_FIELDS = frozenset({"state", "notice_date", "handover_date", "pack_attachment_id"})


class CollectionLegal(models.Model):
    """A debt taken beyond follow-up: a letter before action, an agency, a lawyer, a court."""

    _name = "collection.legal"
    _description = "Legal Action"
    _inherit = ["collection.engine.fields", "mail.thread", "mail.activity.mixin"]
    _collection_history = True
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index="trigram"
    )
    case_id = fields.Many2one(
        "collection.case",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", store=True, index=True, string="Customer"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    legal_type = fields.Selection(
        [
            ("notice", "Letter Before Action"),
            ("agency", "Collection Agency"),
            ("lawyer", "Lawyer"),
            ("court", "Court Claim"),
        ],
        string="Type",
        required=True,
        default="notice",
        tracking=True,
        help="Letter Before Action: the formal notice of default that must precede a claim. "
        "Collection Agency and Lawyer: the debt is handed over to them. Court Claim: the "
        "claim is filed with the court, after the reply period of the notice.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("notice_sent", "Notice Sent"),
            ("handed_over", "Handed Over"),
            ("filed", "Claim Filed"),
            ("judgment", "Judgment"),
            ("enforcement", "Enforcement"),
            ("settled", "Settled"),
            ("closed", "Closed"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
    )
    party_id = fields.Many2one(
        "res.partner",
        string="External Party",
        tracking=True,
        check_company=True,
        help="The collection agency or the lawyer the debt is handed to.",
    )
    party_reference = fields.Char(string="Their Reference", tracking=True)
    # What is claimed, in company currency.
    principal_amount = fields.Monetary(string="Principal", tracking=True)
    interest_amount = fields.Monetary(string="Interest", tracking=True)
    charges_amount = fields.Monetary(string="Charges", tracking=True)
    costs_amount = fields.Monetary(string="Costs Claimed", tracking=True)
    amount_total = fields.Monetary(
        string="Total Claimed", compute="_compute_amount_total", store=True
    )
    # Key dates.
    notice_date = fields.Date(string="Notice Sent On", readonly=True, tracking=True, copy=False)
    reply_deadline = fields.Date(
        compute="_compute_reply_deadline",
        store=True,
        tracking=True,
        help="The notice date plus the company's reply period (30 days by default): no "
        "claim is filed before it has passed.",
    )
    handover_date = fields.Date(
        string="Handed Over On",
        readonly=True,
        tracking=True,
        copy=False,
        help="Payments received from this day count for the agency's commission.",
    )
    filing_date = fields.Date(tracking=True, copy=False)
    hearing_date = fields.Date(tracking=True, copy=False)
    judgment_date = fields.Date(tracking=True, copy=False)
    enforcement_date = fields.Date(tracking=True, copy=False)
    judgment_amount = fields.Monetary(tracking=True, copy=False)
    outcome = fields.Text(tracking=True, copy=False)
    # Costs the company paid (court fees, lawyer's fees) and may re-invoice.
    costs_incurred = fields.Monetary(tracking=True)
    cost_move_ids = fields.Many2many(
        "account.move", string="Cost Invoices", readonly=True, copy=False
    )
    costs_invoiced = fields.Monetary(compute="_compute_costs_invoiced")
    # Agencies are paid a share of what they recover.
    commission_rate = fields.Float(string="Commission (%)", tracking=True)
    received_amount = fields.Monetary(
        string="Received Since Hand-over",
        compute="_compute_commission",
        help="Money received from the customer since the hand-over, read from accounting.",
    )
    commission_amount = fields.Monetary(compute="_compute_commission")
    pack_attachment_id = fields.Many2one(
        "ir.attachment", string="Hand-over Pack", readonly=True, copy=False
    )
    is_us_consumer = fields.Boolean(
        compute="_compute_is_us_consumer",
        help="A consumer debt in the US: the notice is a validation notice with its dispute "
        "window.",
    )

    _commission_rate_range = models.Constraint(
        "CHECK(commission_rate >= 0 AND commission_rate <= 100)",
        "The commission rate is a percentage between 0 and 100.",
    )

    @api.depends("principal_amount", "interest_amount", "charges_amount", "costs_amount")
    def _compute_amount_total(self):
        for legal in self:
            legal.amount_total = (
                legal.principal_amount
                + legal.interest_amount
                + legal.charges_amount
                + legal.costs_amount
            )

    @api.depends("notice_date", "company_id.collection_legal_reply_days")
    def _compute_reply_deadline(self):
        for legal in self:
            legal.reply_deadline = legal.notice_date and legal._deadline_from(legal.notice_date)

    @api.depends("cost_move_ids.amount_untaxed_signed", "cost_move_ids.state")
    def _compute_costs_invoiced(self):
        for legal in self:
            legal.costs_invoiced = sum(
                legal.cost_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                    "amount_untaxed_signed"
                )
            )

    @api.depends("handover_date", "commission_rate")
    @api.depends_context("date")
    def _compute_commission(self):
        counted = self.filtered(lambda legal: legal.handover_date and legal.id)
        received = self.env["collection.ledger"]._fetch_received(
            [
                (
                    legal.partner_id.id,
                    legal.company_id.id,
                    legal.handover_date,
                    legal.company_id._collection_today(),
                )
                for legal in counted
            ]
        )
        by_legal = dict(zip(counted, received, strict=True))
        for legal in self:
            legal.received_amount = by_legal.get(legal, 0.0)
            legal.commission_amount = legal.currency_id.round(
                legal.received_amount * legal.commission_rate / 100
            )

    @api.depends("company_id.country_id", "partner_id.is_company")
    def _compute_is_us_consumer(self):
        for legal in self:
            legal.is_us_consumer = (
                legal.company_id.country_id.code == "US" and not legal.partner_id.is_company
            )

    @api.constrains("legal_type", "party_id", "state")
    def _check_party(self):
        """A draft may wait for its party (a manager's decision opens it); no step
        beyond the draft is taken without the agency, the lawyer or the claimant."""
        self.filtered(lambda legal: legal.state != "draft")._check_party_chosen()

    def _check_party_chosen(self):
        labels = dict(self._fields["legal_type"]._description_selection(self.env))
        for legal in self:
            if legal.legal_type in EXTERNAL_TYPES and not legal.party_id:
                raise ValidationError(
                    self.env._(
                        "%(type)s %(name)s: say who takes the debt (the agency, the lawyer or "
                        "the party filing the claim) in External Party.",
                        type=labels[legal.legal_type],
                        name=legal.name,
                    )
                )

    @api.constrains("filing_date", "reply_deadline")
    def _check_filing_date(self):
        for legal in self.filtered("filing_date"):
            legal._check_filing_on(legal.filing_date)

    def _check_filing_on(self, filing_date):
        """Refuse a claim filed on ``filing_date``: before a notice, or within its reply period."""
        self.ensure_one()
        if not self.reply_deadline:
            raise ValidationError(
                self.env._(
                    "%(name)s: no claim is filed before a letter before action is sent and "
                    "its reply period has passed.",
                    name=self.name,
                )
            )
        if filing_date <= self.reply_deadline:
            raise ValidationError(
                self.env._(
                    "%(name)s: the claim cannot be filed on %(filing)s, the customer may "
                    "reply until %(deadline)s.",
                    name=self.name,
                    filing=filing_date,
                    deadline=self.reply_deadline,
                )
            )

    @api.constrains(
        "notice_date", "filing_date", "hearing_date", "judgment_date", "enforcement_date"
    )
    def _check_date_order(self):
        for legal in self:
            dates = [
                legal[name]
                for name in (
                    "notice_date",
                    "filing_date",
                    "hearing_date",
                    "judgment_date",
                    "enforcement_date",
                )
                if legal[name]
            ]
            if dates != sorted(dates):
                raise ValidationError(
                    self.env._(
                        "%(name)s: the notice, filing, hearing, judgment and enforcement dates "
                        "follow one another.",
                        name=legal.name,
                    )
                )

    @api.depends("case_id", "legal_type")
    def _compute_display_name(self):
        labels = dict(self._fields["legal_type"]._description_selection(self.env))
        for legal in self:
            legal.display_name = f"{legal.name} - {labels.get(legal.legal_type, '')}"

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._check_workflow_fields(vals_list)
        self._check_engine_fields(vals_list, creating=True)
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = sequence.next_by_code("collection.legal") or "/"
        legals = super().create(vals_list)
        legals.case_id._enter_legal(legals)
        return legals

    def write(self, vals):
        self._check_workflow_fields([vals])
        self._check_engine_fields([vals])
        if "case_id" in vals and any(legal.case_id.id != vals["case_id"] for legal in self):
            raise UserError(self.env._("A legal action stays with the case it was opened on."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("A legal action is history: close it instead of deleting it."))

    def _check_workflow_fields(self, vals_list):
        if self.env.su:
            return
        for vals in vals_list:
            if WORKFLOW_FIELDS & {name for name, value in vals.items() if value}:
                raise UserError(
                    self.env._(
                        "The state, the notice and hand-over dates and the pack of a legal "
                        "action follow its buttons: they cannot be set by hand."
                    )
                )

    # --------------------------------------------------------------- actions

    def action_send_notice(self):
        """E-mail the letter before action with its information sheet and reply form.

        The e-mail goes through the case's chatter, hence through the compliance
        guard; the notice date is recorded when it is sent.
        """
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft",))
        self._check_party_chosen()
        recipient = self.case_id.followup_partner_id
        if not recipient.email:
            raise UserError(
                self.env._(
                    "%(partner)s has no e-mail address: print the letter and post it.",
                    partner=recipient.display_name,
                )
            )
        today = self.company_id._collection_today()
        attachments = self._render_notice_attachments()
        deadline = format_date(self.env, self._deadline_from(today), lang_code=recipient.lang)
        if self.is_us_consumer:
            body = self.env._(
                "Dear %(name)s, please find attached a validation notice about your account "
                "%(case)s. You may dispute the debt until %(deadline)s.",
                name=recipient.name,
                case=self.case_id.name,
                deadline=deadline,
            )
        else:
            body = self.env._(
                "Dear %(name)s, please find attached our letter before action about your "
                "account %(case)s, with an information sheet and a reply form. Please reply "
                "by %(deadline)s.",
                name=recipient.name,
                case=self.case_id.name,
                deadline=deadline,
            )
        # Logged in the contact log as the letter before action, under the sender.
        self.case_id.with_context(collection_sent_as=SentAs("letter_before_action")).message_post(
            body=Markup("<p>%s</p>") % body,
            subject=self.env._("Letter before action %(name)s", name=self.name),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipient.ids,
            attachment_ids=attachments.ids,
        )
        self._record_notice(today)
        return True

    def action_print_notice(self):
        """Print the letter before action to post it: the notice date is today's."""
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft",))
        self._check_party_chosen()
        today = self.company_id._collection_today()
        self._render_notice_attachments()
        self._record_notice(today)
        # Posted by the user who prints it: a letter to the customer, in the contact log.
        self.env["collection.contact"]._log_sent(
            [
                {
                    "case_id": self.case_id.id,
                    "partner_id": self.case_id.followup_partner_id.id,
                    "channel": "letter",
                    "outcome": "letter_before_action",
                    "note": self.env._(
                        "Letter before action %(name)s printed to post.", name=self.name
                    ),
                }
            ],
            post_on_case=True,
        )
        return self.env.ref(NOTICE_REPORTS[0]).report_action(self)

    def action_hand_over(self):
        """Hand the debt to the agency or the lawyer: the commission counts from today."""
        self._check_manager()
        self._check_state(("draft", "notice_sent"))
        self._check_party_chosen()
        for legal in self:
            if legal.legal_type not in ("agency", "lawyer"):
                raise UserError(
                    self.env._(
                        "%(name)s: only a debt given to an agency or a lawyer is handed over.",
                        name=legal.name,
                    )
                )
        for company, legals in self.grouped("company_id").items():
            legals._set_state("handed_over", {"handover_date": company._collection_today()})
        return True

    def action_file_claim(self):
        """The claim is filed with the court today, once the reply period has passed."""
        self._check_manager()
        self._check_state(("notice_sent", "handed_over"))
        for legal in self:
            if legal.legal_type not in ("court", "lawyer"):
                raise UserError(
                    self.env._(
                        "%(name)s: only a court claim or a lawyer's claim is filed.",
                        name=legal.name,
                    )
                )
            # Checked before anything is written: the refusal leaves the record as it was.
            legal._check_filing_on(legal.filing_date or legal.company_id._collection_today())
        for legal in self.filtered(lambda legal: not legal.filing_date):
            legal.filing_date = legal.company_id._collection_today()
        self._set_state("filed")
        return True

    def action_record_judgment(self):
        self._check_manager()
        self._check_state(("filed",))
        for legal in self.filtered(lambda legal: not legal.judgment_date):
            legal.judgment_date = legal.company_id._collection_today()
        self._set_state("judgment")
        return True

    def action_enforce(self):
        self._check_manager()
        self._check_state(("judgment",))
        for legal in self.filtered(lambda legal: not legal.enforcement_date):
            legal.enforcement_date = legal.company_id._collection_today()
        self._set_state("enforcement")
        return True

    def action_settle(self):
        """The customer paid or agreed: the legal action ends, the case is followed up again."""
        self._check_manager()
        self._check_state(
            ("draft", "notice_sent", "handed_over", "filed", "judgment", "enforcement")
        )
        self._set_state("settled")
        self.case_id._leave_legal()
        return True

    def action_close(self):
        """The legal action ends without settlement (withdrawn, lost, nothing to enforce)."""
        self._check_manager()
        self._check_state(
            ("draft", "notice_sent", "handed_over", "filed", "judgment", "enforcement")
        )
        self._set_state("closed")
        self.case_id._leave_legal()
        return True

    def action_invoice_costs(self):
        """Re-invoice the costs incurred not yet invoiced, as the company chooses."""
        self._check_manager()
        for legal in self:
            legal._invoice_costs()
        return True

    def action_build_pack(self):
        """Build the hand-over pack and download it."""
        self.ensure_one()
        self._check_manager()
        attachment = self.env["collection.legal.pack"]._build(self)
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_download_pack(self):
        self.ensure_one()
        if not self.pack_attachment_id:
            return self.action_build_pack()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.pack_attachment_id.id}?download=true",
            "target": "self",
        }

    # ------------------------------------------------------- business methods

    def _deadline_from(self, notice_date):
        self.ensure_one()
        return notice_date + timedelta(days=self.company_id.collection_legal_reply_days)

    def _notice_dates(self):
        """The notice date and reply deadline the letter states: the recorded ones, else
        today's (a letter printed to preview it)."""
        self.ensure_one()
        notice = self.notice_date or self.company_id._collection_today()
        return notice, self.reply_deadline or self._deadline_from(notice)

    def _notice_lines(self):
        """The open items the letter claims, oldest first."""
        self.ensure_one()
        return self.case_id.open_line_ids.filtered(lambda line: line.amount_residual > 0).sorted(
            lambda line: (line.date_maturity or line.date, line.id)
        )

    def _check_manager(self):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager handles legal actions.")
        )
        self.check_access("write")

    def _check_state(self, allowed):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for legal in self:
            if legal.state not in allowed:
                raise UserError(
                    self.env._(
                        "%(name)s is %(state)s: this step does not apply.",
                        name=legal.name,
                        state=labels[legal.state],
                    )
                )

    def _set_state(self, state, values=None):
        """Move to ``state`` and tell the story on the legal action and on its case."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        self.sudo().write({"state": state} | (values or {}))
        bodies = {}
        for legal in self:
            bodies.setdefault(legal.case_id.id, []).append(
                self.env._(
                    "Legal action %(name)s (%(type)s): %(state)s.",
                    name=legal.name,
                    type=dict(self._fields["legal_type"]._description_selection(self.env))[
                        legal.legal_type
                    ],
                    state=labels[state],
                )
            )
        self.case_id._message_log_batch(
            bodies={case_id: Markup("<br/>").join(lines) for case_id, lines in bodies.items()}
        )

    def _record_notice(self, notice_date):
        self._set_state("notice_sent", {"notice_date": notice_date})
        for legal in self:
            legal.message_post(
                body=self.env._(
                    "Letter before action sent on %(date)s: the customer may reply until "
                    "%(deadline)s.",
                    date=notice_date,
                    deadline=legal.reply_deadline,
                )
            )

    def _notice_reports(self):
        """The letter, its information sheet and reply form; a US consumer's validation
        notice carries its own dispute form."""
        self.ensure_one()
        return NOTICE_REPORTS[:1] if self.is_us_consumer else NOTICE_REPORTS

    def _render_notice_attachments(self):
        """The notice documents as PDFs on the legal action."""
        self.ensure_one()
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        values = []
        for xmlid in self._notice_reports():
            action = self.env.ref(xmlid)
            pdf, _type = report._render_qweb_pdf(xmlid, self.ids)
            values.append(
                {
                    "name": f"{action.name} - {self.name}.pdf".replace("/", "-"),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        return self.env["ir.attachment"].create(values)

    def _invoice_costs(self):
        self.ensure_one()
        company = self.company_id
        mode = company.collection_legal_cost_invoicing
        if mode == "none":
            raise UserError(
                self.env._(
                    "%(company)s does not re-invoice legal costs to its customers (see the "
                    "Collections settings).",
                    company=company.name,
                )
            )
        product = company.collection_legal_cost_product_id
        if not product:
            raise UserError(
                self.env._(
                    "Choose the product of re-invoiced legal costs in the Collections settings."
                )
            )
        amount = self.currency_id.round(self.costs_incurred - self.costs_invoiced)
        if amount <= 0:
            raise UserError(
                self.env._("%(name)s: every cost incurred is invoiced already.", name=self.name)
            )
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "invoice_origin": self.name,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": self.env._(
                                    "Legal costs of %(name)s (%(case)s)",
                                    name=self.name,
                                    case=self.case_id.name,
                                ),
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if mode == "posted":
            invoice.action_post()
        self.sudo().cost_move_ids = [Command.link(invoice.id)]
        self.case_id._message_log(
            body=self.env._(
                "Legal costs of %(name)s re-invoiced: %(invoice)s.",
                name=self.name,
                invoice=invoice.display_name,
            )
        )
        return invoice
