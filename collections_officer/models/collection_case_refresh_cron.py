import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock that serialises refreshes of one company.
REFRESH_LOCK_KEY = 727365
# Minutes after which the scheduled refresh runs again for a company another refresh
# held: long enough for that transaction (an accountant's request, a batch) to end.
REFRESH_RETRY_MINUTES = 5


class CollectionCase(models.Model):
    """The scheduled refresh: each company in its morning, in batches committed as they
    go, under the company's refresh lock; a company another transaction holds is
    refreshed again a few minutes later."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_refresh_cases(self, batch_size=500):
        """Hourly: the daily refresh of each company's cases, in the company's morning.

        A company is refreshed once per local day, from the start of its collections
        day (see ``res.company._collection_morning_due``), committing after each
        batch; its day is recorded once its refresh is complete, which lets the
        judging of promises and plans start (it is called at once).

        Out of time, it stops and tells the scheduler the work left over the
        companies due; the next call goes on with them, and only finds what still
        differs from accounting.

        A company another transaction is refreshing (an accountant's
        reconciliation refreshes its customers' cases, and holds the company's
        lock until the request commits) is never waited for: the others go on,
        and the scheduled refresh runs again a few minutes later for it (see
        ``_refresh_later``), when the call finds what is still left.
        """
        companies, due = self._due_refresh_companies()
        if not companies:
            return
        self.env["collection.dispute"]._close_settled(companies)
        # A new transaction: what each company's refresh reads is then read after
        # its lock is taken, never before a refresh that held it had committed.
        self.env["ir.cron"]._commit_progress()
        busy = self.env["res.company"]
        for index, company in enumerate(companies):
            left, held = self._refresh_company_scheduled(company, due.get(company), batch_size)
            if held:
                busy |= company
            if left is not None:
                model = self.with_company(company).with_context(tz=company._collection_tz())
                later = sum(len(model._refresh_work(other)[0]) for other in companies[index + 1 :])
                if busy:
                    self._refresh_later(busy)
                self.env["ir.cron"]._commit_progress(remaining=left + later)
                return
        if busy:
            self._refresh_later(busy)

    @api.model
    def _due_refresh_companies(self):
        """The companies the scheduled refresh takes now: ``(companies, due)``, where
        ``due`` maps those whose daily refresh is due to their local date."""
        companies = self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all
        due = companies._collection_morning_due("collection_refreshed_day")
        # Asked for besides (Refresh All, a refresh another transaction held): at once.
        return companies.filtered(lambda c: c in due or c._collection_refresh_pending()), due

    @api.model
    def _refresh_company_scheduled(self, company, day=None, batch_size=500):
        """The scheduled refresh of one company, committing after each batch: ``(left,
        held)``. ``day`` is the company's local date when its daily refresh is due
        (holds end, the day is recorded and the judging called once complete), None
        when it was only asked for.

        ``left`` is None when done, else the number of customers left when the
        cron's time ran out; ``held`` says another transaction holds (or took
        over) the company's refresh: the caller has it refreshed again later.
        """
        # The company's own day: its dates and ages, whoever runs the job.
        model = self.with_company(company).with_context(tz=company._collection_tz())
        if not model._refresh_company_start(company, day):
            return None, True
        requested = model._refresh_requests(company)
        _touched, left, taken_over = model._refresh_company(company, None, batch_size, commit=True)
        if left is not None or taken_over:
            return left, taken_over
        model._refresh_company_finished(company, day, requested)
        return None, False

    @api.model
    def _refresh_company_start(self, company, day=None):
        """What comes before the batches of the company's refresh, in the caller's
        transaction: its refresh lock taken (False when another transaction holds it)
        and, on ``day`` (its daily refresh), the holds ending today lifted. The
        scheduled refresh and its queue jobs share it."""
        if not self._lock_company_refresh(company):
            return False
        if day:
            # Holds ending today end before the refresh: their cases follow it again.
            self._lift_ended_holds(company)
        return True

    @api.model
    def _refresh_requests(self, company):
        """The refresh requests of ``company`` a refresh starting now answers once complete:
        those committed when it starts, read again (not from the cache of an earlier
        transaction). A request made while it runs is left for the next refresh."""
        company.invalidate_recordset(["collection_refresh_requested"])
        return company.sudo().collection_refresh_requested

    @api.model
    def _refresh_company_batch(self, company, partner_ids):
        """One batch of the company's refresh as a transaction of its own (a queue job):
        the customers ``partner_ids`` read again and refreshed, each failure marked.

        Batches of one company share its refresh lock, so that they run side by side
        while a reconciliation's refresh (which takes it alone) waits for none of
        them. Returns False, refreshing nothing, when another transaction holds it.
        A batch run again (its worker died after committing) finds its customers
        already in line with accounting and changes nothing.
        """
        if not self._lock_company_refresh(company, shared=True):
            return False
        partners = self.env["res.partner"].browse(partner_ids)
        self._refresh_customers(company, partners, self._refresh_work(company, partners)[1])
        return True

    @api.model
    def _refresh_company_finished(self, company, day=None, requested=0):
        """What comes once every batch of the company's refresh is done: the day's
        scoring, the ``requested`` refreshes answered (those made before it started,
        see ``_refresh_requests``) and, on ``day``, the day recorded and the judging
        called. The scheduled refresh and its queue jobs share it."""
        # Every active case again once a day, not only those the refresh touched:
        # the days overdue, the days since the last contact and the share of the
        # book move every day.
        self._update_priority_of_the_day(company)
        company._collection_refresh_answer(requested)
        if day:
            company._collection_mark_day("collection_refreshed_day", day)
            self.env.ref(
                "collections_officer.ir_cron_collection_commitment_judge"
            ).sudo()._trigger()
        self.env["ir.cron"]._commit_progress()

    @api.model
    def _refresh_later(self, companies):
        """Run the scheduled refresh again in a few minutes: another transaction held the
        refresh of ``companies``. It finds what still differs from accounting then,
        whatever the companies' local time."""
        companies._collection_ask_refresh()
        _logger.info(
            "Collection refresh of %s deferred: another refresh is running; "
            "the scheduled refresh runs again in %s minutes.",
            ", ".join(companies.mapped("name")),
            REFRESH_RETRY_MINUTES,
        )
        self.env.ref("collections_officer.ir_cron_collection_case_refresh").sudo()._trigger(
            fields.Datetime.now() + timedelta(minutes=REFRESH_RETRY_MINUTES)
        )

    @api.model
    def _lock_company_refresh(self, company, shared=False):
        """Take the company's refresh lock until the transaction ends, without waiting:
        False when another transaction holds it. ``shared`` for the batches of one
        refresh, which hold it together."""
        query = (
            SQL("SELECT pg_try_advisory_xact_lock_shared(%s, %s)", REFRESH_LOCK_KEY, company.id)
            if shared
            else SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", REFRESH_LOCK_KEY, company.id)
        )
        return self.env.execute_query(query)[0][0]

    @api.model
    def _refresh_company(self, company, partners, batch_size, commit):
        """Refresh the company in batches: ``(cases touched, left, taken_over)``.

        ``left`` is None when done, else the number of customers left when the
        cron's time ran out. With ``commit``, each batch is a transaction of its
        own: it reads its customers' figures and cases again, under the lock,
        since a reconciliation may have refreshed some of them in between; and
        when another transaction took the lock between two batches, it stops
        with ``taken_over`` (the caller runs the refresh again later).
        """
        cases_model = self._refresh_model(company)
        partner_ids, context = self._refresh_work(company, partners)
        touched = []

        batches = list(split_every(batch_size or len(partner_ids) or 1, partner_ids))
        for index, batch in enumerate(batches):
            partners_batch = self.env["res.partner"].browse(batch)
            if not commit:
                touched.append(cases_model._refresh_batch(company, partners_batch.ids, *context))
                continue
            if index:
                # What the previous transaction read, and the cache, may be stale now.
                self.env.invalidate_all()
                context = self._refresh_work(company, partners_batch)[1]
            touched.append(self._refresh_customers(company, partners_batch, context))
            remaining = sum(len(b) for b in batches[index + 1 :])
            if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                return self.browse().union(*touched), remaining, False
            if remaining and not self._lock_company_refresh(company):
                # Another transaction took the company over between two batches.
                return self.browse().union(*touched), None, True
        return self.browse().union(*touched), None, False

    @api.model
    def _refresh_customers(self, company, partners, context):
        """Refresh ``partners`` from ``context`` (what ``_refresh_work`` read): the cases
        touched. A customer whose refresh fails is marked, the others go on."""
        cases_model = self._refresh_model(company)
        touched = []

        def refresh(partners_batch):
            touched.append(cases_model._refresh_batch(company, partners_batch.ids, *context))

        failed = self.env["collection.run"]._process_isolated(partners, refresh)
        self._mark_refresh_failures(failed, context[1])
        return self.browse().union(*touched)

    @api.model
    def _mark_refresh_failures(self, failed, open_by_partner):
        for partner, error in failed.items():
            _logger.warning("Collection refresh of %s failed: %s", partner.display_name, error)
            case = open_by_partner.get(partner.id)
            if case:
                case.sudo().collection_error = error
