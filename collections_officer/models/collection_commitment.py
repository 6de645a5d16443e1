from odoo import api, fields, models
from odoo.fields import Domain


class CollectionCommitment(models.AbstractModel):
    """What a promise to pay and a payment plan share: a customer's word on a case.

    Each covers the debt that was overdue on the day it was made (``line_ids``, see
    ``collection.ledger._set_commitment_scope``) and is paid by the cash applied to
    that debt, or left unapplied, from that day on (``_money_received``). The daily
    judging (``_judge``) says whether the customer kept their word; beyond the
    company's limits a manager approves it first. While one holds, its case waits
    (``_release_cases`` puts the case back into follow-up).

    The concrete model names the field of the day it counts money from and of its
    amount, says until when money counts (``_received_until``), how it is judged on
    a day (``_judge_day``) and computes ``needs_approval`` from its own limits.
    """

    _name = "collection.commitment"
    _description = "Collections: a customer's commitment to pay"
    _inherit = ["collection.engine.fields"]
    _check_company_auto = True
    _rec_names_search = ["case_id", "partner_id"]

    # The field of the day money counts from, and the one of the amount committed.
    _commitment_date_field = None
    _commitment_amount_field = None
    # The state the daily judging looks at.
    _judged_state = None

    # Each model says in its help what these mean for it.
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", string="Customer", store=True, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_scope", store=True, precompute=True, readonly=True
    )
    line_ids = fields.Many2many(
        "account.move.line",
        string="Debt Covered",
        compute="_compute_scope",
        store=True,
        precompute=True,
        readonly=True,
        copy=False,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    user_id = fields.Many2one("res.users", string="Officer", default=lambda self: self.env.user)
    note = fields.Html()
    judged_date = fields.Date(readonly=True, copy=False)
    # Beyond the company's limits: computed by each model from its own limits.
    needs_approval = fields.Boolean(compute="_compute_needs_approval", store=True)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approval_date = fields.Datetime(readonly=True, copy=False)

    @api.depends(
        lambda self: (
            "case_id",
            *filter(None, (self._commitment_date_field, self._commitment_amount_field)),
        )
    )
    def _compute_scope(self):
        self.env["collection.ledger"]._set_commitment_scope(
            self, self._commitment_date_field, self._commitment_amount_field
        )

    # ---------------------------------------------------------------- money

    def _received_until(self):
        """The last day money counts for this commitment, or None while unknown."""
        raise NotImplementedError

    def _money_received(self):
        """The cash received for each commitment: ``{commitment: cash}``.

        From its first day to ``_received_until``, applied to its own debt or left
        unapplied, in its currency (see ``collection.ledger._fetch_money_received``).
        A credit note lowers the debt but is no money received. Commitments whose
        window is not known yet are left out.
        """
        windows = {}
        for commitment in self:
            first = commitment[self._commitment_date_field]
            last = commitment.partner_id and first and commitment._received_until()
            if last:
                windows[commitment] = (first, last)
        received = self.env["collection.ledger"]._fetch_money_received(
            [
                (
                    commitment.partner_id.id,
                    commitment.company_id.id,
                    first,
                    last,
                    commitment.line_ids.ids,
                    commitment.currency_id,
                )
                for commitment, (first, last) in windows.items()
            ]
        )
        return {
            commitment: cash
            for commitment, (cash, _credited) in zip(windows, received, strict=True)
        }

    # -------------------------------------------------------------- judging

    def _judge(self, today=None):
        """Judge these commitments on ``today`` (default: each company's own day)."""
        if not today:
            for company, commitments in self.grouped("company_id").items():
                commitments._judge_day(company._collection_today())
            return
        self._judge_day(today)

    def _judge_day(self, today):
        """Judge these commitments on ``today``, their company's date."""
        raise NotImplementedError

    def _judge_isolated(self, today=None):
        """Judge on ``today`` those still to judge, each failure alone, recorded on its case."""
        # Another worker may have judged some meanwhile: they are no longer in the state.
        failed = self.env["collection.run"]._process_isolated(
            self.filtered(lambda c: c.state == self._judged_state),
            lambda commitments: commitments._judge(today),
        )
        for commitment, error in failed.items():
            commitment.case_id.collection_error = error

    def _log_on_cases(self, body_of):
        """Log on each commitment's case what ``body_of(commitment)`` says."""
        self.case_id._message_log_batch(
            bodies={commitment.case_id.id: body_of(commitment) for commitment in self}
        )

    @api.model
    def _release_cases(self, cases, broken):
        """Put cases back into follow-up when their promise or plan has ended.

        A case stays promised or in plan while another promise or plan of it still
        holds. After a broken one it goes back to follow-up, or is escalated when
        the company says so; after a kept one it is refreshed at once, so that it
        closes when nothing is overdue any more.
        """
        cases = cases.filtered(lambda c: c.state in ("promised", "plan"))
        if not cases:
            return
        Promise = self.env["collection.promise"].sudo()
        promised = {
            case
            for [case] in Promise._read_group(
                Domain("case_id", "in", cases.ids)
                & Domain("state", "=", "open")
                & Promise._holding_domain(),
                ["case_id"],
            )
        }
        planned = {
            case
            for [case] in self.env["collection.plan"]
            .sudo()
            ._read_group([("case_id", "in", cases.ids), ("state", "=", "active")], ["case_id"])
        }
        by_state = {}
        for case in cases:
            if case in planned:
                state = "plan"
            elif case in promised:
                state = "promised"
            elif broken and case.company_id.collection_broken_action == "escalate":
                state = "escalated"
            else:
                state = "open"
            if state != case.state:
                by_state.setdefault(state, self.env["collection.case"])
                by_state[state] |= case
        for state, state_cases in by_state.items():
            state_cases.sudo().write({"state": state})
        if not broken:
            self.env["collection.case"]._refresh_from_accounting(
                companies=cases.company_id, partners=cases.partner_id
            )

    # ------------------------------------------------------------- approval

    def _approvers(self):
        """Who approves this commitment: the case team's manager, else the collections
        managers."""
        self.ensure_one()
        return self.case_id._get_approvers()
