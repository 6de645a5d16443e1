from odoo import api, models

from ..queue_jobs import CHANNEL, in_progress, job_key


class CollectionPromise(models.Model):
    """The daily judging of promises and plans, as queue jobs: one per company, on
    the collections channel, each judging in batches committed as they go."""

    _inherit = "collection.promise"

    @api.model
    def _cron_judge(self, batch_size=200):
        """Enqueue the judging of each company whose judging is due (its day's
        refresh complete)."""
        for company, today in self._due_judge_companies():
            key = job_key("judge", company, today)
            if in_progress(self.env, key):
                continue
            # The job is the company's: listed and run in it.
            self.with_company(company).with_delay(
                channel=CHANNEL,
                identity_key=key,
                description=self.env._("Collections: judge %(company)s", company=company.name),
            )._job_judge_company(company, today, batch_size)

    @api.model
    def _job_judge_company(self, company, today, batch_size):
        """The job: judge the company's promises, then its plans; once both are judged
        the day is recorded and the follow-up run called."""
        self._judge_company(company, today, batch_size)
