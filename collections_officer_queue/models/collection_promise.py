from odoo import api, models
from odoo.tools import split_every

from ..queue_jobs import CHANNEL, cancel_stranded, fan_out, in_progress, job_key


class CollectionPromise(models.Model):
    """The daily judging of promises and plans, as queue jobs on the collections
    channel: one per company that enqueues one job per batch of its promises, then,
    once they are judged, one per batch of its plans (judging a promise may change a
    plan), and a last one that records the company's day."""

    _inherit = "collection.promise"

    @api.model
    def _cron_judge(self, batch_size=200):
        """Enqueue the judging of each company whose judging is due (its day's
        refresh complete)."""
        for company, today in self._due_judge_companies():
            key = job_key("judge", company, today)
            if in_progress(self.env, key):
                continue
            # A batch failed: the jobs waiting for it wait for ever; the promises and
            # plans left are enqueued again below (the company's day is not recorded).
            cancel_stranded(self.env, key)
            # The job is the company's: listed and run in it.
            self.with_company(company).with_delay(
                channel=CHANNEL,
                identity_key=key,
                description=self.env._("Collections: judge %(company)s", company=company.name),
            )._job_judge_company(company, today, batch_size)

    @api.model
    def _job_judge_company(self, company, today, batch_size):
        """The job: one job per batch of the company's promises to judge, then the
        judging of its plans once they are done."""
        self._enqueue_judging(company, today, batch_size, plans=False)

    @api.model
    def _job_judge_plans(self, company, today, batch_size):
        """The job, once the company's promises are judged: one job per batch of its
        plans to judge, then the company's last job once they are done."""
        self._enqueue_judging(company, today, batch_size, plans=True)

    @api.model
    def _enqueue_judging(self, company, today, batch_size, plans):
        key = job_key("judge", company, today)
        # Searched when the step starts: judging a promise may have changed a plan.
        records = self._to_judge(company, today)[int(plans)]
        model = self.with_company(company)
        batches = [
            model.delayable(
                channel=CHANNEL,
                identity_key=f"{key}:{records._name}:{ids[0]}",
                description=self.env._(
                    "Collections: judging of %(count)s %(what)s of %(company)s",
                    count=len(ids),
                    what=records._description,
                    company=company.name,
                ),
            )._job_judge_batch(company, today, **{"plan_ids" if plans else "promise_ids": ids})
            for ids in split_every(batch_size, records.ids)
        ]
        if plans:
            finished = model.delayable(
                channel=CHANNEL,
                identity_key=f"{key}:finished",
                description=self.env._(
                    "Collections: judging of %(company)s done", company=company.name
                ),
            )._job_judge_finished(company, today)
        else:
            finished = model.delayable(
                channel=CHANNEL,
                identity_key=f"{key}:plans",
                description=self.env._(
                    "Collections: judge the plans of %(company)s", company=company.name
                ),
            )._job_judge_plans(company, today, batch_size)
        fan_out(batches, finished)

    @api.model
    def _job_judge_batch(self, company, today, promise_ids=(), plan_ids=()):
        """The job: one batch of the company's promises or plans, judged on ``today``."""
        self._judge_company_batch(company, today, promise_ids, plan_ids)

    @api.model
    def _job_judge_finished(self, company, today):
        """The job, once every batch is done: the company's day recorded and the
        follow-up run called."""
        self._judge_company_finished(company, today)
