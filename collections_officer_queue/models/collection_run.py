from odoo import api, models
from odoo.addons.collections_officer.models.collection_run import DRY_RUN_CRON
from odoo.addons.collections_officer.models.collection_run_cron import HELD_RETRY_MINUTES
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.fields import Domain
from odoo.tools import split_every

from ..queue_jobs import CHANNEL, cancel_stranded, fan_out, in_progress, job_key

# Cases per job of the run: half the batch of the scheduled run without queue_job, so
# that a company's run spreads evenly over the workers (one statement rendering each).
RUN_JOB_SIZE = 100


class CollectionRun(models.Model):
    """The daily follow-up run, as queue jobs: one per batch of cases and a last one,
    once every batch is done, that records the company's day. Each batch locks its
    cases (SKIP LOCKED) and commits as the scheduled run does, so a batch run twice
    (its worker died, it was enqueued again) leaves what it did as it is. The dry
    runs managers queue are jobs too, one per run, and the follow-ups deferred to a
    contact window one per batch."""

    _inherit = "collection.run"

    @api.model
    def _cron_run_followup(self, batch_size=RUN_JOB_SIZE):
        """Enqueue the run of each company the scheduled run takes now."""
        due, mornings = self._due_followup_companies()
        for company in due:
            day = mornings.get(company)
            key = job_key("run", company, day or company._collection_today())
            if in_progress(self.env, key):
                continue
            # A batch failed: the last job waits for ever; the cases left (from the
            # run's cursor, which it did not move) are enqueued again below.
            cancel_stranded(self.env, key)
            model = self.with_company(company).with_context(tz=company._collection_tz())
            run, _warning = model._open_run(company, commit=True)
            cases = (
                model.env["collection.case"]
                .sudo()
                .search(
                    self._candidates_domain(company) & Domain("id", ">", run.last_case_id),
                    order="id",
                )
            )
            batches = [
                run.delayable(
                    channel=CHANNEL,
                    identity_key=f"{key}:{ids[0]}",
                    description=self.env._(
                        "Collections: follow-up of %(count)s case(s) of %(company)s",
                        count=len(ids),
                        company=company.name,
                    ),
                )._job_run_cases(ids)
                for ids in split_every(batch_size, cases.ids)
            ]
            finished = run.delayable(
                channel=CHANNEL,
                identity_key=f"{key}:finished",
                description=self.env._(
                    "Collections: follow-up of %(company)s done", company=company.name
                ),
            )._job_run_finished(day, cases.ids[-1] if cases else run.last_case_id)
            fan_out(batches, finished)
            # The jobs are visible to the job runner once this transaction commits.
            self.env["ir.cron"]._commit_progress()

    def _job_run_cases(self, case_ids):
        """The job: the run's level due on each of ``case_ids`` still followed up, as a
        batch of the scheduled run. Cases another transaction holds are tried again
        with the whole batch a few minutes later (what was done is left as it is)."""
        self.ensure_one()
        company = self.company_id
        run = self.with_company(company).with_context(
            tz=company._collection_tz(), allowed_company_ids=[company.id]
        )
        cases = (
            run.env["collection.case"]
            .sudo()
            .search(self._candidates_domain(company) & Domain("id", "in", case_ids), order="id")
        )
        held = []
        run._process_in_batches(
            cases,
            len(cases) or 1,
            True,
            lambda batch: run._run_batch_isolated(batch, run.bank_warning),
            held,
        )
        if held:
            raise RetryableJobError(
                self.env._("%(count)s case(s) held by another transaction.", count=len(held)),
                seconds=HELD_RETRY_MINUTES * 60,
            )

    def _job_run_finished(self, day, last_case_id):
        """The job, once every batch is done: the run's cursor past its cases, the
        company's ``day`` recorded (its daily run, when due) and its *Run Now* done."""
        self.ensure_one()
        if self.last_case_id < last_case_id:
            self.last_case_id = last_case_id
        self._run_company_finished(self.company_id, day)

    @api.model
    def _cron_dry_run(self, batch_size=200):
        """Enqueue the dry runs managers queued, one job each."""
        for queued in self.sudo().search([("dry_run_queued", "=", True)], order="id"):
            key = f"collections_officer:dry_run:{queued.id}"
            if in_progress(self.env, key):
                continue
            queued.with_company(queued.company_id).with_delay(
                channel=CHANNEL,
                identity_key=key,
                description=self.env._(
                    "Collections: dry run of %(company)s", company=queued.company_id.name
                ),
            )._job_dry_run(batch_size)

    def _job_dry_run(self, batch_size):
        """The job: the dry run prepared as the scheduled action does; cases another
        transaction held are previewed when it runs again a few minutes later (the run
        stays queued until then)."""
        self.ensure_one()
        _left, held = self._dry_run_queued(self, batch_size)
        self._run_later(held, DRY_RUN_CRON)

    @api.model
    def _cron_send_deferred(self, batch_size=RUN_JOB_SIZE):
        """Enqueue the follow-ups deferred to a contact window that has come, one job
        per batch of a company's. A company whose deferred follow-ups are still being
        sent gets no new job meanwhile: the same follow-up would be in two."""
        for company, followups in self._deferred_due().grouped("company_id").items():
            key = f"collections_officer:deferred:{company.id}"
            if in_progress(self.env, key):
                continue
            for ids in split_every(batch_size, followups.ids):
                self.with_company(company).with_delay(
                    channel=CHANNEL,
                    identity_key=f"{key}:{ids[0]}",
                    description=self.env._(
                        "Collections: %(count)s deferred follow-up(s) of %(company)s",
                        count=len(ids),
                        company=company.name,
                    ),
                )._job_send_deferred(company, ids)

    @api.model
    def _job_send_deferred(self, company, followup_ids):
        """The job: those of ``followup_ids`` still deferred, finished as the scheduled
        action does (each action done is recorded: none is done twice)."""
        followups = self._deferred_due(followup_ids)
        self._send_deferred(company, followups, len(followups) or 1)
