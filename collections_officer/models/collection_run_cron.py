import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain

from .collection_run import DRY_RUN_CRON

_logger = logging.getLogger(__name__)

# Minutes after which a scheduled run tries again the cases another transaction held.
HELD_RETRY_MINUTES = 5


class CollectionRun(models.Model):
    """The scheduled runs: each company's daily follow-up in its morning, the dry runs
    managers queued, the follow-ups deferred to the next contact window; cases another
    transaction held are tried again a few minutes later."""

    _inherit = "collection.run"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_run_followup(self, batch_size=200):
        """Hourly: each company's daily follow-up run, in its own morning.

        A company is run once per local day, on its own day, once the day's refresh
        of its cases and the judging of its promises and plans are complete (the
        judging calls the run at once); its day is recorded when every case was
        dealt with. A company whose run a manager asked for (*Run Now*) is run at
        once, whatever the hour.

        Out of time, it stops and tells the scheduler what is left over the
        companies due; the next call goes on from each run's ``last_case_id``.
        Cases another transaction held are never passed over: the cursor stops
        before them and the run is called again a few minutes later
        (``_run_later``), the company's day not recorded until they are done.
        """
        due, mornings = self._due_followup_companies()
        held = self.env["collection.case"]
        for index, company in enumerate(due):
            model = self.with_company(company).with_context(tz=company._collection_tz())
            _run, left, company_held = model._run_company_batches(
                company, batch_size=batch_size, commit=True
            )
            held |= company_held
            if left is not None:
                later = sum(
                    self.with_context(tz=other._collection_tz())._count_left(other)
                    for other in due[index + 1 :]
                )
                self._run_later(held)
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return
            if not company_held:
                self._run_company_finished(company, mornings.get(company))
        self._run_later(held)

    @api.model
    def _due_followup_companies(self):
        """The companies the scheduled run takes now: ``(companies, mornings)``, where
        ``mornings`` maps those whose daily run is due (their day's judging complete)
        to their local date; the others are there because a manager asked (*Run Now*)."""
        companies = self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all
        mornings = {
            company: today
            for company, today in companies._collection_morning_due("collection_run_day").items()
            if company.collection_judged_day == today
        }
        return companies.filtered(lambda c: c in mornings or c.collection_run_asked), mornings

    @api.model
    def _run_company_finished(self, company, day=None):
        """Every case of the company was dealt with: record its ``day`` (its local date,
        when its daily run was due) and the *Run Now* it asked for as done."""
        if day:
            company._collection_mark_day("collection_run_day", day)
        if company.collection_run_asked:
            company.sudo().collection_run_asked = False
        self.env["ir.cron"]._commit_progress()

    @api.model
    def _cron_dry_run(self, batch_size=200):
        """Prepare the dry runs managers queued (see ``action_dry_run``), as the nightly
        run does: in batches, going on from each run's cursor, retrying held cases,
        each company on its own day."""
        runs = self.sudo().search([("dry_run_queued", "=", True)], order="id")
        held = self.env["collection.case"]
        for index, queued in enumerate(runs):
            left, company_held = self._dry_run_queued(queued, batch_size)
            held |= company_held
            if left is not None:
                later = sum(self._cases_left(other) for other in runs[index + 1 :])
                self._run_later(held, DRY_RUN_CRON)
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return
        self._run_later(held, DRY_RUN_CRON)

    @api.model
    def _dry_run_queued(self, queued, batch_size=200):
        """Prepare the dry run ``queued`` of its company, committing after each batch:
        ``(left, held)`` as ``_run_company_batches`` returns them. The scheduled action
        and its queue jobs share it."""
        company = queued.company_id
        model = self.with_company(company).with_context(tz=company._collection_tz())
        run, left, held = model._run_company_batches(
            company, batch_size=batch_size, commit=True, dry_run=True
        )
        # Still queued until every case is previewed (a new day starts a new dry run).
        run.dry_run_queued = left is not None or bool(held)
        return left, held

    @api.model
    def _run_later(self, held, xmlid="collections_officer.ir_cron_collection_followup_run"):
        """Call the scheduled action ``xmlid`` again in a few minutes for the ``held``
        cases: another transaction (a manager's dry run, a user's change) held them."""
        if not held:
            return
        _logger.info(
            "Follow-up of %s case(s) held by another transaction: tried again in %s minutes.",
            len(held),
            HELD_RETRY_MINUTES,
        )
        self.env.ref(xmlid).sudo()._trigger(
            fields.Datetime.now() + timedelta(minutes=HELD_RETRY_MINUTES)
        )

    @api.model
    def _count_left(self, company):
        """Cases of the company the scheduled run has not dealt with today."""
        run = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("date", "=", company._collection_today()),
                ("dry_run", "=", not company.collection_followup_live),
            ],
            limit=1,
        )
        return self._cases_left(run, company)

    @api.model
    def _cases_left(self, run, company=None):
        """Cases of the run's company beyond its cursor."""
        company = company or run.company_id
        return (
            self.env["collection.case"]
            .sudo()
            .search_count(self._candidates_domain(company) & Domain("id", ">", run.last_case_id))
        )

    @api.model
    def _cron_send_deferred(self, batch_size=200):
        """Hourly: finish the follow-ups deferred to the customer's next contact window
        (e-mail, SMS), each company's on its own day."""
        by_company = list(self._deferred_due().grouped("company_id").items())
        for index, (company, company_followups) in enumerate(by_company):
            left = self._send_deferred(company, company_followups, batch_size, True)
            if left is not None:
                later = sum(len(other) for _company, other in by_company[index + 1 :])
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return

    @api.model
    def _deferred_due(self, followup_ids=None):
        """The follow-ups deferred to a contact window that has come (only those among
        ``followup_ids`` when given: a job run again finds those it finished gone)."""
        domain = Domain("state", "=", "pending") & Domain(
            "defer_until", "<=", fields.Datetime.now()
        )
        if followup_ids is not None:
            domain &= Domain("id", "in", list(followup_ids))
        return self.env["collection.followup"].sudo().search(domain, order="defer_until, id")

    @api.model
    def _send_deferred(self, company, followups, batch_size=200, commit=False):
        """Finish the deferred ``followups`` of ``company``, on its own day, in batches
        of those it can lock: None when done, else the number left when the cron's time
        ran out. The scheduled action and its queue jobs share it."""
        return self._process_in_batches(
            followups.with_company(company).with_context(tz=company._collection_tz()),
            batch_size,
            commit,
            self._execute_isolated,
        )

    @api.model
    def _execute_isolated(self, followups):
        failed = self._process_isolated(followups, lambda batch: batch._execute())
        for followup, error in failed.items():
            followup.write({"state": "failed", "error": error})
