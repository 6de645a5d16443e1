import logging

from psycopg2.extensions import TransactionRollbackError

from odoo import Command, api, models
from odoo.fields import Domain
from odoo.tools import split_every

_logger = logging.getLogger(__name__)

# Days a failed follow-up is tried again by the daily run before its officer is asked to look.
MAX_RETRIES = 3


class CollectionRun(models.Model):
    """The processing of a run: its cases in batches locked with SKIP LOCKED, one bad
    record failing alone, and on each batch the level due prepared, previewed or
    sent."""

    _inherit = "collection.run"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _candidates_domain(self, company):
        return Domain("company_id", "=", company.id) & Domain(
            "state", "not in", ("closed", "hold", "legal")
        )

    @api.model
    def _run_company(self, company, cases=None, batch_size=200, commit=False, dry_run=False):
        """Prepare or send the level due on every case of ``company`` (or on ``cases``).

        A company that is not live, or ``dry_run``, only gets previews: the
        follow-ups the run would execute, in state ``preview``, on a dry run of
        their own that replaces the company's previous one.

        Idempotent by data: a level is executed once per case and cycle (unique
        index on collection.followup), cases are locked with SKIP LOCKED so a
        second worker takes other cases, and each batch is committed as cron
        progress so an interrupted run resumes with what is left.
        """
        return self._run_company_batches(company, cases, batch_size, commit, dry_run)[0]

    @api.model
    def _run_company_batches(
        self, company, cases=None, batch_size=200, commit=False, dry_run=False
    ):
        """``_run_company``, returning ``(run, left, held)``: ``left`` is None when every
        case was dealt with, else the number of cases left when the cron's time ran out.

        The scheduled run of the whole company keeps a cursor, ``last_case_id``,
        which never passes a case another transaction holds: such cases are
        tried again at the end, then, still held, returned as ``held`` (the
        caller calls the run again later, which goes on from the cursor; the
        cases done after it are seen again and left as they are, see
        ``_run_batch``)."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        run, warning = self._open_run(company, commit, dry_run)
        domain = self._candidates_domain(company)
        # Only the scheduled run of the whole company keeps a cursor: a manager's
        # "Run Now" or a run on chosen cases looks at every case it is given.
        resume = commit and cases is None
        if cases is not None:
            domain &= Domain("id", "in", cases.ids)
        if resume:
            domain &= Domain("id", ">", run.last_case_id)
        candidates = env["collection.case"].sudo().search(domain, order="id")
        held = [] if resume else None

        def process(batch):
            run._run_batch_isolated(batch, warning)
            if resume:
                last = batch.ids[-1]
                run.last_case_id = min(last, held[0] - 1) if held else last

        left = self._process_in_batches(candidates, batch_size, commit, process, held)
        if held and left is None:
            # The other transaction may be over by now (a batch commits in seconds).
            again, held[:] = candidates.browse(held), []
            left = self._process_in_batches(again, batch_size, commit, process, held)
            if left is None:
                cursor = held[0] - 1 if held else candidates.ids[-1]
                if run.last_case_id != cursor:
                    run.last_case_id = cursor
        return run, left, candidates.browse(held or [])

    @api.model
    def _open_run(self, company, commit=False, dry_run=False):
        """The company's run of the day (its dry run when ``dry_run`` or not live),
        carrying the day's bank warning: ``(run, warning)``."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        dry_run = dry_run or not company.collection_followup_live
        warning = env["collection.compliance"]._bank_warnings(company).get(company.id, False)
        run = (
            self._get_dry_run(company, warning, commit)
            if dry_run
            else self._get_run(company, warning, commit)
        )
        if run.bank_warning != warning:
            run.bank_warning = warning
        return run, warning

    @api.model
    def _process_in_batches(self, records, batch_size, commit, process, held=None):
        """Call ``process`` on each batch of ``records`` it can lock.

        With ``commit``, each batch is committed as cron progress. Returns None
        when every batch was processed, else the number of records left when the
        cron's time ran out (the caller stops too). The ids of records another
        transaction holds are appended to the list ``held``, when given, before
        ``process`` is called on the rest of their batch.
        """
        batches = list(split_every(batch_size, records.ids))
        for index, ids in enumerate(batches):
            # Another worker (the scheduled run, a manager's "Run Now") holds some
            # of them: rather than wait for it or deadlock with it, take the others.
            # The lock lets officers add contacts, promises or activities meanwhile.
            batch = records.browse(ids).try_lock_for_update(allow_referencing=True)
            if held is not None and len(batch) < len(ids):
                held.extend((records.browse(ids) - batch).exists().ids)
            batch.invalidate_recordset()
            if batch:
                process(batch)
            if commit:
                remaining = sum(len(b) for b in batches[index + 1 :])
                if not self.env["ir.cron"]._commit_progress(len(ids), remaining=remaining):
                    return remaining
        return None

    @api.model
    def _process_isolated(self, records, process):
        """``process(records)``, so that one bad record never stops the others.

        The batch runs in one savepoint; only when it fails is it run again
        record by record, each in its own savepoint. Returns ``{record: error}``
        for the records that failed alone.
        """
        try:
            with self.env.cr.savepoint():
                process(records)
            return {}
        except TransactionRollbackError:
            # A deadlock or a serialization failure is no record's fault: the
            # scheduler tries the whole job again.
            raise
        except Exception as error:
            if len(records) == 1:
                _logger.warning("%s failed: %s", records, error, exc_info=True)
                return {records: str(error) or type(error).__name__}
        failed = {}
        for record in records:
            failed.update(self._process_isolated(record, process))
        return failed

    def _run_batch_isolated(self, cases, warning):
        """``_run_batch``, where a case that fails is marked failed and the others go on."""
        self.ensure_one()
        failed = self._process_isolated(cases, lambda batch: self._run_batch(batch, warning))
        recovered = cases.filtered(lambda c: c.collection_error and c not in failed)
        if recovered:
            recovered.collection_error = False
        if failed:
            for case, error in failed.items():
                case.collection_error = error
            self.failed_case_ids = [Command.link(case.id) for case in failed]
            cases.browse([case.id for case in failed])._message_log_batch(
                bodies={
                    case.id: self.env._(
                        "The follow-up run failed on this case: %(error)s", error=error
                    )
                    for case, error in failed.items()
                }
            )

    def _run_batch(self, cases, warning):
        self.ensure_one()
        Followup = self.env["collection.followup"].sudo()
        # Decide on today's figures: a customer who paid since the nightly refresh
        # has their case closed here, and gets nothing.
        cases._refresh_locked_cases()
        blockers = cases._get_followup_blockers()
        due = cases.filtered(lambda c: c.id not in blockers)._get_due_levels()
        withheld = {}
        if self.dry_run:
            # The manager previewing the run sees the levels an escalation awaiting his
            # decision, or a customer's reply not read yet, holds back, and why: nothing
            # goes to them until he decides or the officer has read it.
            awaiting = cases.browse(
                [*cases._get_escalation_blockers(), *cases._get_reply_blockers()]
            )
            withheld = awaiting._get_due_levels(with_awaiting=True)
            # Previewed before this dry run was interrupted.
            previewed = Followup.search(
                [("run_id", "=", self.id), ("case_id", "in", list(withheld))]
            ).case_id
            withheld = {key: level for key, level in withheld.items() if key not in previewed.ids}
        if not due and not withheld:
            return Followup
        due_cases = cases.browse(list(due))
        existing = Followup.search(
            [("case_id", "in", due_cases.ids), ("resend", "=", False), ("state", "!=", "preview")]
        ).grouped(lambda f: (f.case_id, f.level_id, f.cycle))
        retry, values = Followup, []
        if self.dry_run:
            # Previewed before this dry run was interrupted.
            due_cases -= Followup.search(
                [("run_id", "=", self.id), ("case_id", "in", due_cases.ids)]
            ).case_id
        for case in due_cases:
            followup = existing.get((case, due[case.id], case.followup_cycle))
            if followup:
                # Sent, prepared or waiting already: a blocked one, or one cancelled when
                # it was about to be sent (the case moved meanwhile), is tried again; a
                # failed one once a day until MAX_RETRIES.
                again = followup.filtered(
                    lambda f: (
                        f.state in ("blocked", "cancelled")
                        or (
                            f.state == "failed" and f.run_id != self and f.retry_count < MAX_RETRIES
                        )
                    )
                )
                if not self.dry_run:
                    retry |= again
                    continue
                if not again:
                    continue
                # A dry run previews the retry, and leaves the follow-up as it is.
            manual = case.partner_id.collection_followup_mode == "manual"
            values.append(
                {
                    "case_id": case.id,
                    "level_id": due[case.id].id,
                    "cycle": case.followup_cycle,
                    "run_id": self.id,
                    "date": self.date,
                    "state": "preview" if self.dry_run else ("to_review" if manual else "pending"),
                    "bank_warning": warning,
                }
            )
        values.extend(
            {
                "case_id": case_id,
                "level_id": level.id,
                "cycle": cases.browse(case_id).followup_cycle,
                "run_id": self.id,
                "date": self.date,
                "state": "preview",
                "blocked_reason": blockers[case_id],
                "bank_warning": warning,
            }
            for case_id, level in withheld.items()
        )
        retried = retry.filtered(lambda f: f.state == "failed")
        for count, followups in retried.grouped("retry_count").items():
            followups.write({"retry_count": count + 1, "run_id": self.id})
        created = Followup.create(values)
        if self.dry_run:
            return created
        to_execute = retry | created.filtered(lambda f: f.state == "pending")
        # The figures were read from accounting at the start of this batch.
        to_execute._with_figures_read()._execute()
        retried.filtered(
            lambda f: f.state == "failed" and f.retry_count >= MAX_RETRIES
        )._ask_officer_to_look()
        return created | retry
