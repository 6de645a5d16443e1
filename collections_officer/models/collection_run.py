import logging
from datetime import timedelta

from psycopg2.errors import UniqueViolation
from psycopg2.extensions import TransactionRollbackError

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import format_date, split_every

_logger = logging.getLogger(__name__)

# Days a failed follow-up is tried again by the daily run before its officer is asked to look.
MAX_RETRIES = 3
# Minutes after which a scheduled run tries again the cases another transaction held.
HELD_RETRY_MINUTES = 5
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

    # -------------------------------------------------------------- scheduled

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
        companies = self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all
        mornings = {
            company: today
            for company, today in companies._collection_morning_due("collection_run_day").items()
            if company.collection_judged_day == today
        }
        due = companies.filtered(lambda c: c in mornings or c.collection_run_asked)
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
                if company in mornings:
                    company._collection_mark_day("collection_run_day", mornings[company])
                if company.collection_run_asked:
                    company.sudo().collection_run_asked = False
                self.env["ir.cron"]._commit_progress()
        self._run_later(held)

    @api.model
    def _cron_dry_run(self, batch_size=200):
        """Prepare the dry runs managers queued (see ``action_dry_run``), as the nightly
        run does: in batches, going on from each run's cursor, retrying held cases,
        each company on its own day."""
        runs = self.sudo().search([("dry_run_queued", "=", True)], order="id")
        held = self.env["collection.case"]
        for index, queued in enumerate(runs):
            company = queued.company_id
            model = self.with_company(company).with_context(tz=company._collection_tz())
            run, left, company_held = model._run_company_batches(
                company, batch_size=batch_size, commit=True, dry_run=True
            )
            held |= company_held
            # Still queued until every case is previewed (a new day starts a new dry run).
            run.dry_run_queued = left is not None or bool(company_held)
            if left is not None:
                later = sum(self._cases_left(other) for other in runs[index + 1 :])
                self._run_later(held, DRY_RUN_CRON)
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return
        self._run_later(held, DRY_RUN_CRON)

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
    def _candidates_domain(self, company):
        return Domain("company_id", "=", company.id) & Domain(
            "state", "not in", ("closed", "hold", "legal")
        )

    @api.model
    def _cron_send_deferred(self, batch_size=200):
        """Hourly: finish the follow-ups deferred to the customer's next contact window
        (e-mail, SMS), each company's on its own day."""
        followups = (
            self.env["collection.followup"]
            .sudo()
            .search(
                [("state", "=", "pending"), ("defer_until", "<=", fields.Datetime.now())],
                order="defer_until, id",
            )
        )
        by_company = list(followups.grouped("company_id").items())
        for index, (company, company_followups) in enumerate(by_company):
            left = self._process_in_batches(
                company_followups.with_company(company).with_context(tz=company._collection_tz()),
                batch_size,
                True,
                self._execute_isolated,
            )
            if left is not None:
                later = sum(len(other) for _company, other in by_company[index + 1 :])
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return

    @api.model
    def _execute_isolated(self, followups):
        failed = self._process_isolated(followups, lambda batch: batch._execute())
        for followup, error in failed.items():
            followup.write({"state": "failed", "error": error})

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
        dry_run = dry_run or not company.collection_followup_live
        warning = env["collection.compliance"]._bank_warnings(company).get(company.id, False)
        run = (
            self._get_dry_run(company, warning, commit)
            if dry_run
            else self._get_run(company, warning, commit)
        )
        if run.bank_warning != warning:
            run.bank_warning = warning
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
        if not due:
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
