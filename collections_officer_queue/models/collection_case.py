from odoo import api, models
from odoo.addons.collections_officer.models.collection_case_refresh_cron import (
    REFRESH_RETRY_MINUTES,
)
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tools import split_every

from ..queue_jobs import CHANNEL, cancel_stranded, fan_out, in_progress, job_key


class CollectionCase(models.Model):
    """The scheduled refresh, as queue jobs on the collections channel: one per company
    that splits its work into batches of customers, one per batch, and a last one,
    once every batch is done, that scores the day and records it, as the scheduled
    refresh does without queue_job."""

    _inherit = "collection.case"

    @api.model
    def _cron_refresh_cases(self, batch_size=500):
        """Enqueue the refresh of each company the scheduled refresh takes now."""
        companies, due = self._due_refresh_companies()
        if not companies:
            return
        self.env["collection.dispute"]._close_settled(companies)
        for company in companies:
            day = due.get(company)
            key = job_key("refresh", company, day or company._collection_today())
            if in_progress(self.env, key):
                continue
            # A batch failed: its company's last job waits for ever; the work left is
            # enqueued again below (the company is still due: its day is not recorded).
            cancel_stranded(self.env, key)
            # The job is the company's: listed and run in it.
            self.with_company(company).with_delay(
                channel=CHANNEL,
                identity_key=key,
                description=self.env._("Collections: refresh %(company)s", company=company.name),
            )._job_refresh_company(company, day, batch_size, key)

    @api.model
    def _job_refresh_company(self, company, day, batch_size, key=None):
        """The job: what comes before the batches of the company's refresh (the holds
        ending on ``day`` lifted), then one job per batch of the customers whose case
        differs from accounting, and the company's last job once they are done.

        Another refresh holding the company (an accountant's reconciliation) is not
        waited for: the scheduled refresh runs again a few minutes later and
        enqueues the company again."""
        model = self.with_company(company).with_context(tz=company._collection_tz())
        if not model._refresh_company_start(company, day):
            self._refresh_later(company)
            return
        requested = model._refresh_requests(company)
        key = key or job_key("refresh", company, day or company._collection_today())
        batches = [
            model.delayable(
                channel=CHANNEL,
                identity_key=f"{key}:{ids[0]}",
                description=self.env._(
                    "Collections: refresh of %(count)s customer(s) of %(company)s",
                    count=len(ids),
                    company=company.name,
                ),
            )._job_refresh_batch(company, ids)
            for ids in split_every(batch_size, model._refresh_work(company)[0])
        ]
        finished = model.delayable(
            channel=CHANNEL,
            identity_key=f"{key}:finished",
            description=self.env._(
                "Collections: refresh of %(company)s done", company=company.name
            ),
        )._job_refresh_finished(company, day, requested)
        # Enqueued in this job's transaction: with the holds it lifted, or not at all.
        fan_out(batches, finished)

    @api.model
    def _job_refresh_batch(self, company, partner_ids):
        """The job: one batch of the company's refresh. While another transaction holds
        the company's refresh (an accountant's reconciliation), it is tried again a
        few minutes later."""
        model = self.with_company(company).with_context(tz=company._collection_tz())
        if not model._refresh_company_batch(company, partner_ids):
            raise RetryableJobError(
                self.env._("Another transaction is refreshing %(company)s.", company=company.name),
                seconds=REFRESH_RETRY_MINUTES * 60,
            )

    @api.model
    def _job_refresh_finished(self, company, day, requested=0):
        """The job, once every batch is done: the day's scoring, the refresh requests
        made before the company's job started answered and, on ``day``, the day
        recorded and the judging called."""
        model = self.with_company(company).with_context(tz=company._collection_tz())
        model._refresh_company_finished(company, day, requested)
