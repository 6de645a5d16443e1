from odoo import api, models
from odoo.fields import Domain


class CollectionPromise(models.Model):
    """The judging of promises: kept, partly kept or broken once their deadline has
    passed, and the daily scheduled action that judges each company's promises, then
    its payment plans, in the company's morning. Also which promises hold follow-up."""

    _inherit = "collection.promise"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_judge(self, batch_size=200):
        """Hourly: each company's daily judging of the promises past their deadline,
        then of its active payment plans, on the company's own day.

        A company is judged once per local day, in its morning, once the day's
        refresh of its cases is complete (judged against the day's figures); its
        day is recorded when both are judged, which lets the follow-up run start
        (it is called at once).

        Judged promises are no longer open and judged plans carry the day's date, so
        a call out of time stops, reports what is left, and the next call finds
        only that.
        """
        due = self._due_judge_companies()
        for index, (company, today) in enumerate(due):
            left = self._judge_company(company, today, batch_size)
            if left is not None:
                later = sum(
                    len(p) + len(q) for p, q in (self._to_judge(*d) for d in due[index + 1 :])
                )
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return

    @api.model
    def _due_judge_companies(self):
        """``[(company, its local date)]`` whose daily judging is due: their day has
        started and the day's refresh of their cases is complete."""
        companies = self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all
        return [
            (company, today)
            for company, today in companies._collection_morning_due("collection_judged_day").items()
            if company.collection_refreshed_day == today
        ]

    @api.model
    def _judge_company(self, company, today, batch_size=200):
        """The daily judging of one company on ``today`` (its local date), committing
        after each batch: its promises, then its plans; once both are judged, its day
        is recorded and the follow-up run called. Returns None when done, else the
        number of promises and plans left when the cron's time ran out."""
        Run = self.env["collection.run"]
        promises, plans = self._to_judge(company, today)
        left = Run._process_in_batches(
            promises, batch_size, True, lambda batch, day=today: batch._judge_isolated(day)
        )
        if left is None:
            # Searched again: judging a promise may have changed a plan.
            plans = self._to_judge(company, today)[1]
            left = Run._process_in_batches(
                plans, batch_size, True, lambda batch, day=today: batch._judge_isolated(day)
            )
        else:
            left += len(plans)
        if left is not None:
            return left
        self._judge_company_finished(company, today)
        return None

    @api.model
    def _judge_company_batch(self, company, today, promise_ids=(), plan_ids=()):
        """One batch of the company's judging on ``today`` as a transaction of its own (a
        queue job): those of ``promise_ids`` and ``plan_ids`` still to judge, as the
        scheduled judging does (those another transaction holds are passed over, as
        it passes them over). A batch run again (its worker died after committing)
        finds them judged and judges nothing twice."""
        promises, plans = self._to_judge(company, today, promise_ids, plan_ids)
        Run = self.env["collection.run"]
        for records in (promises, plans):
            Run._process_in_batches(
                records,
                len(records) or 1,
                False,
                lambda batch, day=today: batch._judge_isolated(day),
            )

    @api.model
    def _judge_company_finished(self, company, today):
        """Once the company's promises and plans are judged: its day recorded and the
        follow-up run called. The scheduled judging and its queue jobs share it."""
        company._collection_mark_day("collection_judged_day", today)
        self.env.ref("collections_officer.ir_cron_collection_followup_run").sudo()._trigger()
        self.env["ir.cron"]._commit_progress()

    @api.model
    def _to_judge(self, company, today, promise_ids=None, plan_ids=None):
        """The company's open promises past their deadline and its active plans not yet
        judged on ``today`` (its local date): ``(promises, plans)``, in its timezone;
        only those among ``promise_ids`` and ``plan_ids`` when given."""
        tz = company._collection_tz()
        promise_domain = Domain(
            [("company_id", "=", company.id), ("state", "=", "open"), ("deadline", "<", today)]
        )
        if promise_ids is not None:
            promise_domain &= Domain("id", "in", list(promise_ids))
        promises = (
            self.sudo().with_company(company).with_context(tz=tz).search(promise_domain, order="id")
        )
        Plan = self.env["collection.plan"].sudo().with_company(company).with_context(tz=tz)
        plan_domain = Domain(Plan._to_judge_domain(today)) & Domain("company_id", "=", company.id)
        if plan_ids is not None:
            plan_domain &= Domain("id", "in", list(plan_ids))
        plans = Plan.search(plan_domain, order="id")
        return promises, plans

    def _judge_day(self, today):
        """Kept, partly kept or broken, from the money received up to the deadline,
        judged on ``today``."""
        self.invalidate_recordset(["amount_received"])
        outcomes = {"kept": self.browse(), "partial": self.browse(), "broken": self.browse()}
        for promise in self:
            currency = promise.currency_id
            if currency.compare_amounts(promise.amount_received, promise.amount) >= 0:
                outcomes["kept"] |= promise
            elif currency.compare_amounts(promise.amount_received, 0) > 0:
                outcomes["partial"] |= promise
            else:
                outcomes["broken"] |= promise
        for state, promises in outcomes.items():
            if promises:
                promises.write({"state": state, "judged_date": today})
                promises._log_on_cases(lambda promise: promise._judgement_message())
                self._release_cases(promises.case_id, broken=state != "kept")

    def _judgement_message(self):
        received = self.currency_id.format(self.amount_received)
        if self.state == "kept":
            return self.env._(
                "Promise %(promise)s kept: %(received)s received.",
                promise=self.display_name,
                received=received,
            )
        if self.state == "partial":
            return self.env._(
                "Promise %(promise)s partly kept: only %(received)s received.",
                promise=self.display_name,
                received=received,
            )
        return self.env._(
            "Promise %(promise)s broken: nothing received.", promise=self.display_name
        )

    @api.model
    def _open_promise_domain(self, cases, today):
        """Open promises whose deadline has not passed and that are within the limits or
        approved: follow-up of their case waits."""
        return (
            Domain(
                [("case_id", "in", cases.ids), ("state", "=", "open"), ("deadline", ">=", today)]
            )
            & self._holding_domain()
        )

    @api.model
    def _holding_domain(self):
        """Promises that hold follow-up: within the company's limits, or approved."""
        return Domain("needs_approval", "=", False) | Domain("approved_by_id", "!=", False)
