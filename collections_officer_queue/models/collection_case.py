from odoo import api, models

from ..queue_jobs import CHANNEL, in_progress, job_key


class CollectionCase(models.Model):
    """The scheduled refresh, as queue jobs: one per company, on the collections
    channel; each job refreshes its company as the scheduled action does without
    queue_job, under the company's refresh lock, committing after each batch."""

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
            # The job is the company's: listed and run in it.
            self.with_company(company).with_delay(
                channel=CHANNEL,
                identity_key=key,
                description=self.env._("Collections: refresh %(company)s", company=company.name),
            )._job_refresh_company(company, day, batch_size)

    @api.model
    def _job_refresh_company(self, company, day, batch_size):
        """The job: refresh ``company``; on ``day`` (its daily refresh), record the day
        and call the judging once complete. Another refresh holding the company
        (an accountant's reconciliation) is not waited for: the scheduled refresh
        runs again a few minutes later and enqueues the company again."""
        _left, held = self._refresh_company_scheduled(company, day, batch_size)
        if held:
            self._refresh_later(company)
