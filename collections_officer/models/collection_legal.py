from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .customer_dates import customer_date

# Types that hand the debt to someone outside the company: they need that someone.
EXTERNAL_TYPES = ("agency", "lawyer", "court")
# The steps taken by someone outside the company: handed over, or claimed in court.
# The letter before action is the company's own and needs no one else.
PARTY_STATES = ("handed_over", "filed", "judgment", "enforcement")
# A legal action in these states is over: the case may take follow-up again.
FINISHED_STATES = ("settled", "closed")
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
    court_reference = fields.Char(
        tracking=True, copy=False, help="The number the court gave the claim when it was filed."
    )
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
    pack_attachment_id = fields.Many2one(
        "ir.attachment", string="Hand-over Pack", readonly=True, copy=False
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

    @api.constrains("legal_type", "party_id", "state")
    def _check_party(self):
        """The letter before action needs no one outside the company; the debt is not
        handed over nor claimed in court without the agency, the lawyer or the claimant,
        who stay named once the legal action has ended."""
        self.filtered(
            lambda legal: (
                legal.state in PARTY_STATES
                or (legal.state in FINISHED_STATES and (legal.handover_date or legal.filing_date))
            )
        )._check_party_chosen()

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
                    filing=customer_date(self.env, filing_date),
                    deadline=customer_date(self.env, self.reply_deadline),
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
        self._check_party_chosen()
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

    def action_open_hand_over(self):
        """Hand the debt over to an agency or a lawyer: the step asks whom to."""
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft", "notice_sent"))
        step = self.legal_type if self.legal_type in ("agency", "lawyer") else "agency"
        return self._open_step(step, self.env._("Hand Over %(name)s", name=self.name))

    def action_open_file_claim(self):
        """Record the claim filed with the court: the step asks by whom, and its number."""
        self.ensure_one()
        self._check_manager()
        self._check_state(("notice_sent", "handed_over"))
        return self._open_step("court", self.env._("Claim Filed: %(name)s", name=self.name))

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

    def _check_manager(self):
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager handles legal actions.")
        )
        self.check_access("write")

    def _open_step(self, step, title):
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "collection.legal.step.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_legal_id": self.id, "default_step": step},
        }

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
