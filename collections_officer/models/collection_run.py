import logging

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import split_every

_logger = logging.getLogger(__name__)


class CollectionRun(models.Model):
    """The follow-up run of one company on one day: what it prepared, sent or left alone."""

    _name = "collection.run"
    _description = "Collection Follow-up Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    date = fields.Date(required=True, default=fields.Date.context_today, readonly=True)
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
    followup_ids = fields.One2many("collection.followup", "run_id", string="Follow-ups")
    to_review_count = fields.Integer(compute="_compute_counts")
    done_count = fields.Integer(string="Sent", compute="_compute_counts")
    pending_count = fields.Integer(string="Deferred", compute="_compute_counts")
    blocked_count = fields.Integer(string="Blocked", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")

    _company_date_uniq = models.UniqueIndex(
        "(company_id, date)", "A company has one follow-up run per day."
    )

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Follow-up of %(date)s (%(company)s)", date=run.date, company=run.company_id.name
            )

    def _compute_counts(self):
        counts = {
            (run.id, state): count
            for run, state, count in self.env["collection.followup"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            run.to_review_count = counts.get((run.id, "to_review"), 0)
            run.done_count = counts.get((run.id, "done"), 0)
            run.pending_count = counts.get((run.id, "pending"), 0)
            run.blocked_count = counts.get((run.id, "blocked"), 0)
            run.failed_count = counts.get((run.id, "failed"), 0)

    # ---------------------------------------------------------------- actions

    def action_run_now(self):
        """Run today's follow-up of the current companies now (a second run sends nothing twice)."""
        runs = self.browse()
        for company in self.env.companies:
            runs |= self.with_company(company)._run_company(company)
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.run",
            "view_mode": "list,form",
            "domain": [("id", "in", runs.ids)],
            "name": self.env._("Follow-up Runs"),
        }

    def action_view_followups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_followup_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action

    # -------------------------------------------------------------- scheduled

    @api.model
    def _cron_run_followup(self, batch_size=200):
        """Daily: execute the follow-up levels that are due, company by company."""
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            self.with_company(company)._run_company(company, batch_size=batch_size, commit=True)

    @api.model
    def _cron_send_deferred(self, batch_size=200):
        """Hourly: finish the follow-ups deferred to the customer's next contact window."""
        followups = (
            self.env["collection.followup"]
            .sudo()
            .search(
                [("state", "=", "pending"), ("defer_until", "<=", fields.Datetime.now())],
                order="defer_until, id",
            )
        )
        self._process_in_batches(followups, batch_size, True, lambda batch: batch._execute())

    @api.model
    def _run_company(self, company, cases=None, batch_size=200, commit=False):
        """Prepare or send the level due on every case of ``company`` (or on ``cases``).

        Idempotent by data: a level is executed once per case and cycle (unique
        index on collection.followup), cases are locked with SKIP LOCKED so a
        second worker takes other cases, and each batch is committed as cron
        progress so an interrupted run resumes with what is left.
        """
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        warning = env["collection.compliance"]._bank_warnings(company).get(company.id, False)
        run = self._get_run(company, warning, commit)
        if run.bank_warning != warning:
            run.bank_warning = warning
        domain = Domain("company_id", "=", company.id) & Domain(
            "state", "not in", ("closed", "hold")
        )
        if cases is not None:
            domain &= Domain("id", "in", cases.ids)
        candidates = env["collection.case"].sudo().search(domain, order="id")
        self._process_in_batches(
            candidates,
            batch_size,
            commit,
            lambda batch: run._run_batch(batch, warning),
        )
        return run

    @api.model
    def _process_in_batches(self, records, batch_size, commit, process):
        batches = list(split_every(batch_size, records.ids))
        for index, ids in enumerate(batches):
            # Another worker (the scheduled run, a manager's "Run Now") holds some
            # of them: leave those to it rather than wait for it or deadlock with it.
            batch = records.browse(ids).try_lock_for_update()
            batch.invalidate_recordset()
            if batch:
                process(batch)
            if commit:
                remaining = sum(len(b) for b in batches[index + 1 :])
                if not self.env["ir.cron"]._commit_progress(len(ids), remaining=remaining):
                    break

    def _get_run(self, company, bank_warning=False, commit=False):
        """Today's run of the company, created by the first worker that needs it."""
        today = fields.Date.context_today(self)
        domain = [("company_id", "=", company.id), ("date", "=", today)]
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

    def _run_batch(self, cases, warning):
        self.ensure_one()
        Followup = self.env["collection.followup"].sudo()
        blockers = cases._get_followup_blockers()
        due = cases.filtered(lambda c: c.id not in blockers)._get_due_levels()
        if not due:
            return Followup
        due_cases = cases.browse(list(due))
        existing = Followup.search(
            [("case_id", "in", due_cases.ids), ("resend", "=", False)]
        ).grouped(lambda f: (f.case_id, f.level_id, f.cycle))
        retry, values = Followup, []
        for case in due_cases:
            followup = existing.get((case, due[case.id], case.followup_cycle))
            if followup:
                # Sent, prepared or waiting already: only a blocked one, or one cancelled
                # when it was about to be sent (the case moved meanwhile), is tried again.
                retry |= followup.filtered(lambda f: f.state in ("blocked", "cancelled"))
                continue
            manual = case.partner_id.collection_followup_mode == "manual"
            values.append(
                {
                    "case_id": case.id,
                    "level_id": due[case.id].id,
                    "cycle": case.followup_cycle,
                    "run_id": self.id,
                    "state": "to_review" if manual else "pending",
                    "bank_warning": warning,
                }
            )
        created = Followup.create(values)
        to_execute = retry | created.filtered(lambda f: f.state == "pending")
        to_execute._execute()
        return created | retry
