from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

# The scheduled action preparing the dry runs managers ask for.
DRY_RUN_CRON = "collections_officer.ir_cron_collection_dry_run"


class CollectionRun(models.Model):
    """The follow-up run of one company on one day: what it prepared, sent or left alone."""

    _name = "collection.run"
    _description = "Collection Follow-up Run"
    # Every field is the engine's: a run is opened, dated and marked dry by the follow-up
    # itself, and the KPIs, the go-live and the sending read them.
    _inherit = ["collection.engine.fields"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    date = fields.Date(
        required=True, default=lambda self: self.env.company._collection_today(), readonly=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    bank_warning = fields.Char(
        readonly=True,
        help="The company's bank statements were not reconciled or are stale: "
        "customers may already have paid.",
    )
    dry_run = fields.Boolean(
        readonly=True,
        help="A preview of what the run would do: its follow-ups sent, charged and "
        "scheduled nothing. A company not live yet only gets dry runs.",
    )
    followup_ids = fields.One2many("collection.followup", "run_id", string="Follow-ups")
    preview_count = fields.Integer(string="Previews", compute="_compute_counts")
    to_review_count = fields.Integer(string="To Review", compute="_compute_counts")
    done_count = fields.Integer(string="Sent", compute="_compute_counts")
    pending_count = fields.Integer(string="Deferred", compute="_compute_counts")
    blocked_count = fields.Integer(string="Blocked", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    dry_run_queued = fields.Boolean(
        string="Queued",
        readonly=True,
        help="A dry run a manager asked for: a scheduled job is preparing its previews, "
        "they appear here in a few minutes.",
    )
    last_case_id = fields.Integer(
        readonly=True,
        help="The scheduled run has dealt with every case up to this id today: "
        "once out of time, or when another user held a case, it goes on from here.",
    )
    failed_case_ids = fields.Many2many(
        "collection.case",
        string="Failed Cases",
        readonly=True,
        help="Cases the run could not deal with; the error is on each case.",
    )

    _company_date_uniq = models.UniqueIndex(
        "(company_id, date) WHERE dry_run IS NOT TRUE", "A company has one follow-up run per day."
    )

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Follow-up of %(date)s (%(company)s)",
                date=format_date(self.env, run.date),
                company=run.company_id.name,
            )

    def _compute_counts(self):
        counts = {
            (run.id, state): count
            for run, state, count in self.env["collection.followup"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            run.preview_count = counts.get((run.id, "preview"), 0)
            run.to_review_count = counts.get((run.id, "to_review"), 0)
            run.done_count = counts.get((run.id, "done"), 0)
            run.pending_count = counts.get((run.id, "pending"), 0)
            run.blocked_count = counts.get((run.id, "blocked"), 0)
            run.failed_count = counts.get((run.id, "failed"), 0)

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Follow-up runs are started by Run Now, Dry Run or the scheduled "
                    "follow-up: they are not created by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields([vals])
        return super().write(vals)

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of a follow-up run are the run's own: Run Now and Dry Run start "
            "one, they cannot be set by hand.",
            fields=fields,
        )

    # ---------------------------------------------------------------- actions

    def action_run_now(self):
        """Queue today's follow-up run now (a second run sends nothing twice).

        A whole company's follow-up does not fit in a web request: the scheduled
        run is started at once instead, in a cron worker that commits as it goes.
        """
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can run the follow-up."))
        # Now, not in the companies' next morning.
        self.env.companies.sudo().collection_run_asked = True
        self.env.ref("collections_officer.ir_cron_collection_followup_run").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Follow-up run queued"),
                "message": self.env._(
                    "Today's follow-up starts in a moment; its runs appear in this list."
                ),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_dry_run(self):
        """Queue a dry run of the current companies: what today's follow-up would do.

        As *Run Now*, a whole company does not fit in a web request (and a request
        holding its cases would keep them from the nightly run): each company gets
        a new dry run at once, in place of its previous one, marked queued; a
        scheduled job prepares its previews in a cron worker that commits as it
        goes (``_cron_dry_run``).
        """
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can start a dry run."))
        runs = self.browse()
        for company in self.env.companies:
            runs |= self.with_company(company)._get_dry_run(company)
        runs.sudo().dry_run_queued = True
        self.env.ref(DRY_RUN_CRON).sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dry run queued"),
                "message": self.env._(
                    "The previews will be listed under Follow-up Runs, on the dry run "
                    "marked Queued, in a few minutes. Nothing is sent."
                ),
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_followups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_followup_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action

    def _get_dry_run(self, company, bank_warning=False, commit=False):
        """A new dry run of the company, in place of its previous one and their previews."""
        previous = self.sudo().search([("company_id", "=", company.id), ("dry_run", "=", True)])
        # A scheduled dry run out of time goes on with today's previews, not from scratch.
        today = company._collection_today()
        resumed = previous.filtered(lambda run: run.date == today)[:1] if commit else self.browse()
        previous -= resumed
        previous.followup_ids.unlink()
        previous.unlink()
        if resumed:
            return resumed
        return self.sudo().create(
            {"company_id": company.id, "date": today, "dry_run": True, "bank_warning": bank_warning}
        )

    def _get_run(self, company, bank_warning=False, commit=False):
        """Today's run of the company, created by the first worker that needs it."""
        today = company._collection_today()
        domain = [("company_id", "=", company.id), ("date", "=", today), ("dry_run", "=", False)]
        run = self.sudo().search(domain, limit=1)
        if run:
            return run
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(
                    {"company_id": company.id, "date": today, "bank_warning": bank_warning}
                )
        except UniqueViolation:
            # Another worker created it meanwhile, after this transaction's snapshot.
            if not commit:
                raise UserError(
                    self.env._(
                        "The follow-up of %(company)s is running right now; try again in a moment.",
                        company=company.name,
                    )
                ) from None
        # A scheduled run commits its progress anyway: committing now starts a new
        # transaction, which sees the other worker's run.
        self.env["ir.cron"]._commit_progress()
        return self.sudo().search(domain, limit=1)
