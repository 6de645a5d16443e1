from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


# collection.case is split by job on purpose: this part serves the officer's worklist and
# case form (who to reach and how, what happened last, what comes next).
class CollectionCase(models.Model):
    """What the worklist and the case form show beyond the figures."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    # Kanban columns follow the workflow, every state shown (empty ones folded).
    state = fields.Selection(group_expand=True)
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    partner_email = fields.Char(related="partner_id.email", string="Email")
    collection_contact_id = fields.Many2one(
        related="partner_id.collection_contact_id", string="Collections Contact"
    )
    partner_credit_hold = fields.Boolean(
        string="Credit Hold",
        compute="_compute_partner_credit_hold",
        help="The customer is on credit hold in the case's company.",
    )
    partner_credit_hold_reason = fields.Char(
        string="Credit Hold Reason", compute="_compute_partner_credit_hold"
    )
    partner_credit_limit = fields.Monetary(
        string="Credit Limit",
        compute="_compute_partner_credit_limit",
        help="The customer's credit limit in this company (0: none set).",
    )
    # Stored so that the worklist sorts and filters on them; kept by each contact logged.
    last_contact_id = fields.Many2one(
        "collection.contact",
        compute="_compute_last_contact",
        store=True,
        help="The latest contact with the customer that took place (contacts the compliance "
        "guard blocked are left out).",
    )
    last_contact_date = fields.Datetime(
        string="Last Contact On", compute="_compute_last_contact", store=True
    )
    last_contact_channel = fields.Selection(
        selection=lambda self: self.env["collection.contact"]._fields["channel"].selection,
        string="Last Contact By",
        compute="_compute_last_contact",
        store=True,
    )
    last_contact_outcome = fields.Selection(
        selection=lambda self: self.env["collection.contact"]._fields["outcome"].selection,
        string="Last Outcome",
        compute="_compute_last_contact",
        store=True,
    )
    next_level_id = fields.Many2one(
        "collection.level",
        compute="_compute_next_level",
        help="The follow-up level the case reaches next under its policy.",
    )
    next_level_date = fields.Date(
        compute="_compute_next_level",
        help="From when the next level is due: its delay after the oldest due date, and "
        "the days between two levels after the current one.",
    )

    @api.depends(
        "partner_id.collection_credit_hold",
        "partner_id.collection_credit_hold_reason",
        "company_id",
    )
    def _compute_partner_credit_hold(self):
        # The hold is kept per company: the case's, not the reader's current company.
        for case in self:
            customer = case.partner_id.sudo().with_company(case.company_id)
            case.partner_credit_hold = customer.collection_credit_hold
            case.partner_credit_hold_reason = customer.collection_credit_hold_reason

    def _compute_partner_credit_limit(self):
        # The credit limit is an accounting field: an officer sees it without
        # accounting rights, read-only.
        for case in self:
            partner = case.partner_id.sudo().with_company(case.company_id)
            case.partner_credit_limit = partner.credit_limit if partner else 0.0

    @api.depends("contact_ids.date", "contact_ids.outcome")
    def _compute_last_contact(self):
        saved = self.filtered("id")
        latest = {}
        if saved.ids:
            contacts = self.env["collection.contact"]
            contacts.flush_model(["case_id", "date", "outcome"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT ON (case_id) case_id, id
                      FROM collection_contact
                     WHERE case_id IN %s AND outcome IS DISTINCT FROM 'blocked'
                  ORDER BY case_id, date DESC, id DESC
                    """,
                    tuple(saved.ids),
                )
            )
            latest = dict(rows)
        contacts = self.env["collection.contact"].sudo().browse(latest.values())
        by_id = {contact.id: contact for contact in contacts}
        for case in self:
            contact = by_id.get(latest.get(case.id), self.env["collection.contact"])
            case.last_contact_id = contact.id
            case.last_contact_date = contact.date
            case.last_contact_channel = contact.channel
            case.last_contact_outcome = contact.outcome

    def _compute_next_level(self):
        # The customer's policy is an officer's field: an accountant opening the
        # case still sees what comes next.
        schedules = self.sudo()._get_level_schedules()
        for case in self:
            level, due_day, _not_before = schedules.get(case.id, (False, False, False))
            case.next_level_id = level and level.with_env(self.env)
            case.next_level_date = due_day

    @api.model
    def _web_read_group_format(self, groupby, aggregates, groups):
        result = super()._web_read_group_format(groupby, aggregates, groups)
        field = self._web_read_group_field_expand(groupby)
        if field and field.name == "state" and "__count" in aggregates:
            # Empty states fold into a thin column: the board stays readable at 1440 px.
            for group in result:
                group["__fold"] = not group.get("__count")
        return result

    def copy(self, default=None):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "A collection case cannot be duplicated: there is one per customer and "
                "company, opened from accounting when something is overdue."
            )
        )

    # The case form's action menu (views/collection_case_action_menu.xml): its entries show
    # whatever the case's state, so each says why it does not apply.

    def _check_not_closed(self, what):
        if self.state == "closed":
            raise UserError(
                self.env._(
                    "Case %(case)s is closed: %(what)s is for a case still open.",
                    case=self.display_name,
                    what=what,
                )
            )

    def action_menu_credit_hold(self):
        """The credit hold wizard: to put the customer on hold, or to lift the hold."""
        self.ensure_one()
        if not self.partner_credit_hold:
            self._check_not_closed(self.env._("a credit hold"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_credit_hold_wizard_action"
        )
        action["context"] = {
            "default_case_id": self.id,
            "default_hold": not self.partner_credit_hold,
        }
        return action

    def action_menu_protect_customer(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_partner_flag_wizard_action"
        )
        action["context"] = {"default_case_id": self.id}
        return action

    def action_menu_dispute(self):
        self.ensure_one()
        self._check_not_closed(self.env._("a dispute"))
        return self.action_record_dispute()

    def action_menu_legal(self):
        self.ensure_one()
        self._check_not_closed(self.env._("a legal action"))
        if self.state == "legal":
            raise UserError(
                self.env._(
                    "Case %(case)s is already in legal action: open it from the case's Legal "
                    "Actions button.",
                    case=self.display_name,
                )
            )
        return self.action_new_legal()

    def action_menu_writeoff(self):
        self.ensure_one()
        self._check_not_closed(self.env._("a write-off"))
        return self.action_writeoff()
