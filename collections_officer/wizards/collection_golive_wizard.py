from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CollectionGoliveWizard(models.TransientModel):
    _name = "collection.golive.wizard"
    _description = "Go Live with Collections Follow-up"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    followup_from = fields.Date(
        string="Follow Up Items Due After",
        default=lambda self: self._default_followup_from(),
        help="Items due on or before this date stay on the cases but are never chased. "
        "Empty: every overdue item is followed up, however old.",
    )
    preview_count = fields.Integer(string="Previewed Follow-ups", compute="_compute_preview_count")
    preview_date = fields.Date(string="Last Dry Run", compute="_compute_preview_count")
    # What the date leaves out, shown as the manager changes it.
    currency_id = fields.Many2one(related="company_id.currency_id")
    left_out_count = fields.Integer(string="Items Left Out", compute="_compute_left_out")
    left_out_amount = fields.Monetary(string="Amount Left Out", compute="_compute_left_out")

    @api.model
    def _default_followup_from(self):
        # Chasing years-old debt on the first morning is the surprise to avoid: by default
        # only what falls due from now on is followed up.
        company = (
            self.env["res.company"].browse(self.env.context.get("default_company_id"))
            or self.env.company
        )
        return company.collection_followup_from or company._collection_today()

    @api.depends("company_id")
    def _compute_preview_count(self):
        runs = self.env["collection.run"].search(
            [("company_id", "in", self.company_id.ids), ("dry_run", "=", True)]
        )
        by_company = runs.grouped("company_id")
        for wizard in self:
            run = by_company.get(wizard.company_id, runs.browse())[:1]
            wizard.preview_count = run.preview_count
            wizard.preview_date = run.date

    @api.depends("company_id", "followup_from")
    def _compute_left_out(self):
        for wizard in self:
            count, amount = wizard.company_id._collection_left_out(wizard.followup_from)
            wizard.left_out_count = count
            wizard.left_out_amount = amount

    def action_go_live(self):
        self.ensure_one()
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can go live."))
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._(
                    "You cannot switch on the follow-up of %(company)s.",
                    company=self.company_id.name,
                )
            )
        if self.company_id.collection_followup_live:
            raise UserError(
                self.env._(
                    "The follow-up of %(company)s is live already.", company=self.company_id.name
                )
            )
        if self.followup_from and self.followup_from > self.company_id._collection_today():
            raise UserError(
                self.env._("The date of the first items followed up cannot be in the future.")
            )
        self.company_id._collection_go_live(self.followup_from)
        # Going live deletes the dry runs, maybe the one on screen: the manager lands on
        # what going live did, in place of the breadcrumbs that led to it.
        return (
            self.env["collection.settings"].with_company(self.company_id)._action_open(status=True)
        )
