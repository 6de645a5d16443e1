"""The nightly work through OCA's job queue (the collections_officer_queue bridge).

These tests commit for real, on a copy of the test database where the bridge is
installed with queue_job (``COLLECTIONS_QUEUE_DB``, made by bin/test). What the
jobs do is compared with what the scheduled actions do without queue_job, on the
workers' copy where the bridge is not installed (``COLLECTIONS_WORKERS_DB``). The
last test starts a real Odoo server with queue_job's job runner and two workers,
and kills one of them in the middle of a batch.
"""

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.fields import Domain
from odoo.modules.registry import Registry
from odoo.tools import config

CHANNEL = "root.collections"
CUSTOMERS = 12
# Days overdue of the customers' invoices, in turn: before, at and past each level.
OVERDUE_DAYS = (3, 10, 20)
# The database keeps what each run of the tests committed: their customers differ.
RUN = uuid.uuid4().hex[:8]


def load_registry(variable):
    dbname = os.environ.get(variable)
    if not dbname:
        pytest.fail(f"{variable} is not set: run the suite with bin/test.")
    # Loading a registry with tests enabled would run the add-ons' at-install tests.
    test_enable = config["test_enable"]
    config["test_enable"] = False
    try:
        return Registry(dbname)
    finally:
        config["test_enable"] = test_enable


@pytest.fixture(scope="module")
def registry():
    registry = load_registry("COLLECTIONS_QUEUE_DB")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        module = env["ir.module.module"].search([("name", "=", "collections_officer_queue")])
        assert module.state == "installed", "bin/test installs the bridge on this copy"
    return registry


@pytest.fixture(scope="module")
def registry_without_queue():
    registry = load_registry("COLLECTIONS_WORKERS_DB")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        assert not env["ir.module.module"].search_count(
            [("name", "=", "queue_job"), ("state", "=", "installed")]
        )
    return registry


def new_day(env):
    """Every company's day starts now: the refresh (and its scoring), judging and run are
    all due again.
    Jobs a failed test left are cancelled: they would hold the new day's work back."""
    if "queue.job" in env:
        # Started ones too, which queue_job's buttons leave as they are.
        env["queue.job"].flush_model()
        env.cr.execute(
            "UPDATE queue_job SET state = 'cancelled' WHERE channel = %s"
            " AND state NOT IN ('done', 'cancelled', 'failed')",
            [CHANNEL],
        )
        env["queue.job"].invalidate_model()
    env["res.company"].search([]).write(
        {
            "collection_day_start_hour": 0.0,
            "collection_refreshed_day": False,
            "collection_judged_day": False,
            "collection_run_day": False,
            # The day's scoring too: it follows the refresh once a day.
            "collection_scored_day": False,
        }
    )


def make_book(env, name):
    """Committed: a policy with two e-mail levels and customers late by OVERDUE_DAYS in
    turn. Returns the customers' names."""
    name = f"{name} {RUN}"
    company = env.ref("base.main_company")
    # The workers run on the real clock: the company e-mails at any hour of any day.
    company.write(
        {
            "collection_followup_live": True,
            "collection_email_hour_start": 0.0,
            "collection_email_hour_end": 24.0,
            "collection_contact_days": "all",
        }
    )
    template = env["mail.template"].create(
        {
            "name": f"{name} reminder",
            "model_id": env["ir.model"]._get_id("collection.case"),
            "subject": f"{name} reminder {{{{ object.name }}}}",
            "body_html": "<p>Please pay.</p>",
        }
    )
    policy = env["collection.policy"].create(
        {
            "name": f"{name} policy",
            "company_id": company.id,
            "level_ids": [
                Command.create(
                    {
                        "name": level,
                        "delay_days": delay,
                        "send_email": True,
                        "mail_template_id": template.id,
                        "attach_statement": False,
                    }
                )
                for level, delay in (("First reminder", 7), ("Second reminder", 15))
            ],
        }
    )
    customers = env["res.partner"].create(
        [
            {
                "name": f"{name} {index}",
                "is_company": True,
                "email": f"debtor{index}@example.com",
                "collection_policy_id": policy.id,
            }
            for index in range(CUSTOMERS)
        ]
    )
    today = fields.Date.context_today(customers)
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": today - timedelta(days=30),
                "invoice_date_due": today - timedelta(days=OVERDUE_DAYS[index % 3]),
                "invoice_line_ids": [
                    Command.create({"name": "Service", "price_unit": 100, "tax_ids": []})
                ],
            }
            for index, customer in enumerate(customers)
        ]
    )
    invoices.action_post()
    new_day(env)
    env.cr.commit()
    return customers.mapped("name")


def followups_per_customer(registry, names):
    """``{customer: (levels followed up, e-mails sent)}`` for the customers ``names``."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cases = env["collection.case"].search([("partner_id.name", "in", names)])
        result = {}
        for case in cases:
            followups = env["collection.followup"].search([("case_id", "=", case.id)])
            emails = env["mail.message"].search_count(
                [
                    ("model", "=", "collection.case"),
                    ("res_id", "=", case.id),
                    ("message_type", "=", "comment"),
                    ("subject", "like", "reminder"),
                ]
            )
            result[case.partner_id.name] = (
                sorted(followups.mapped(lambda f: (f.level_id.name, f.state))),
                emails,
            )
        return result


# What the refresh writes on a case, compared between the jobs and the scheduled action.
CASE_FIELDS = (
    "state",
    "total_due",
    "overdue_amount",
    "amount_not_due",
    "oldest_due_date",
    "next_due_date",
    "overdue_invoice_count",
    "opened_date",
    "opening_amount",
    "next_action_date",
    "followup_cycle",
    "priority_score",
    "predicted_pay_date",
    "collection_error",
)


def cases_per_customer(registry, names):
    """``{customer: (the refresh's figures of its case)}`` for the customers ``names``."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cases = env["collection.case"].search([("partner_id.name", "in", names)])
        return {
            case.partner_id.name: (case.policy_id.name, *(case[name] for name in CASE_FIELDS))
            for case in cases
        }


def jobs(env, method=None):
    domain = [("channel", "=", CHANNEL)]
    if method:
        domain.append(("method_name", "=", method))
    return env["queue.job"].search(domain, order="id")


def start_job(env, record):
    """Take the job ``record`` as a worker does: started, committed."""
    from odoo.addons.queue_job.job import Job

    job = Job.load(env, record.uuid)
    job.set_started()
    job.store()
    env.cr.commit()
    return job


def finish_job(env, job):
    """Perform a started job as a worker does, then enqueue the jobs waiting for it."""
    job.perform()
    job.set_done()
    job.store()
    env.flush_all()
    env.cr.commit()
    if job.should_check_dependents():
        job.enqueue_waiting()
        env.cr.commit()


def perform_pending_jobs(registry):
    """Run the pending jobs of the collections channel one after the other, in this
    process, as a worker would (each in its own transaction), until none is left."""
    performed = 0
    while True:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            record = env["queue.job"].search(
                [("channel", "=", CHANNEL), ("state", "=", "pending")], order="id", limit=1
            )
            if not record:
                return performed
            finish_job(env, start_job(env, record))
            performed += 1


def test_the_scheduled_actions_enqueue_each_company_and_batch_once(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        names = make_book(env, "Enqueued Debtor")
        before = jobs(env)
        companies = env["res.company"].search([])

        # The refresh: one job per company, whatever the number of calls.
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        refresh = jobs(env, "_job_refresh_company") - before
        assert len(refresh) == len(companies)
        assert len(set(refresh.mapped("identity_key"))) == len(companies)
        assert set(refresh.mapped("state")) == {"pending"}
        assert not env["collection.case"].search_count([("partner_id.name", "in", names)]), (
            "the scheduled action enqueues the refresh, the jobs do it"
        )
        customer_ids = set(env["res.partner"].search([("name", "in", names)]).ids)
        cr.commit()
        # Each company's job splits its work into batches and a last job.
        for record in refresh:
            finish_job(env, start_job(env, record))
        batches = jobs(env, "_job_refresh_batch") - before
        finished = jobs(env, "_job_refresh_finished") - before
        company = env.ref("base.main_company")
        main = batches.filtered(lambda j: j.company_id == company)
        assert {len(job.args[1]) for job in main} <= {1, 2, 3, 4}, "batches of 4 customers"
        refreshed_ids = [partner_id for job in main for partner_id in job.args[1]]
        assert len(refreshed_ids) == len(set(refreshed_ids)), "each customer in one batch"
        assert customer_ids <= set(refreshed_ids)
        assert len(finished) == len(companies)
        assert set(finished.filtered(lambda j: j.company_id == company).mapped("state")) == {
            "wait_dependencies"
        }, "it waits for the batches"
        assert not company.collection_refreshed_day
        # Called again meanwhile, the scheduled refresh enqueues nothing.
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        assert jobs(env) - before == refresh | batches | finished
        # A refresh asked for while the jobs run (Refresh All, a reconciliation the
        # batches held): they started before it, so it is left for the next refresh.
        company._collection_ask_refresh()
        cr.commit()
    perform_pending_jobs(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        assert company.collection_refreshed_day == company._collection_today()
        assert company._collection_refresh_pending(), "asked after the jobs started"
        asked = jobs(env)
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        assert (jobs(env) - asked).company_id == company, "the company is refreshed again"
        cr.commit()
    perform_pending_jobs(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        assert not company._collection_refresh_pending(), "answered by the second refresh"
        assert env["collection.case"].search_count([("partner_id.name", "in", names)]) == CUSTOMERS
        assert set((jobs(env) - before).mapped("state")) == {"done"}
        # The run waits for the day's judging.
        before = jobs(env)
        env["collection.run"]._cron_run_followup(batch_size=4)
        assert not jobs(env) - before
        env["collection.promise"]._cron_judge()
        env["collection.promise"]._cron_judge()
        judge = jobs(env, "_job_judge_company") - before
        assert len(judge) == len(companies)
        cr.commit()
    perform_pending_jobs(registry)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The promises, then the plans, then a last job per company.
        for method in ("_job_judge_plans", "_job_judge_finished"):
            assert len(jobs(env, method) - before) == len(companies), method
        assert set((jobs(env) - before).mapped("state")) == {"done"}

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        assert company.collection_judged_day == company._collection_today()
        # Cases of other companies, or followed up by an earlier test, are not the point.
        run = env["collection.run"]._open_run(company)[0]
        candidates = env["collection.case"].search_count(
            env["collection.run"]._candidates_domain(company) & Domain("id", ">", run.last_case_id)
        )
        before = jobs(env)
        env["collection.run"]._cron_run_followup(batch_size=4)
        env["collection.run"]._cron_run_followup(batch_size=4)
        created = jobs(env) - before
        batches = created.filtered(lambda j: j.method_name == "_job_run_cases")
        finished = created.filtered(lambda j: j.method_name == "_job_run_finished")
        main = batches.filtered(lambda j: j.company_id == company)
        assert len(main) == -(-candidates // 4), "one job per batch of 4 cases"
        assert sum(len(job.args[0]) for job in main) == candidates
        main_finished = finished.filtered(lambda j: j.company_id == company)
        assert len(main_finished) == 1
        assert main_finished.state == "wait_dependencies", "it waits for the batches"
        assert set(created.mapped("channel")) == {CHANNEL}
        cr.commit()
        # A worker took the first batch: called again meanwhile, the scheduled run
        # enqueues nothing (queue_job's identity key alone only sees jobs not started).
        first = start_job(env, main[0])
        env["collection.run"]._cron_run_followup(batch_size=4)
        assert jobs(env) - before == created
        finish_job(env, first)
    perform_pending_jobs(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        assert company.collection_run_day == company._collection_today()
        assert set((jobs(env) - before).mapped("state")) == {"done"}
        # The day is done: calling the actions again enqueues nothing.
        done = jobs(env)
        env["collection.case"]._cron_refresh_cases()
        env["collection.promise"]._cron_judge()
        env["collection.run"]._cron_run_followup()
        assert jobs(env) == done
    followups = followups_per_customer(registry, names)
    assert len(followups) == CUSTOMERS
    assert {emails for _levels, emails in followups.values()} == {0, 1}


def test_the_jobs_follow_up_as_the_scheduled_actions_do_without_queue_job(
    registry, registry_without_queue
):
    name = "Compared Debtor"
    amount_weights = []
    for each in (registry, registry_without_queue):
        with each.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            names = make_book(env, name)
            # A case's points for its amount are its share of the company's whole book,
            # which differs between the two databases (the other tests' customers):
            # compared without them.
            company = env.ref("base.main_company")
            amount_weights.append((each, company.collection_priority_amount))
            company.collection_priority_amount = 0
    try:
        _compare_the_jobs_with_the_scheduled_actions(registry, registry_without_queue, names)
    finally:
        for each, weight in amount_weights:
            with each.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env.ref("base.main_company").collection_priority_amount = weight


def _compare_the_jobs_with_the_scheduled_actions(registry, registry_without_queue, names):
    """The refresh, the scoring, the judging and the run of the customers ``names``, through
    the jobs and through the scheduled actions: the same cases, promises and follow-ups."""

    def refresh(each, batches=0):
        """The scheduled refresh, in batches of 4 customers: without queue_job it does
        the work, with it the jobs do (``batches`` of them at least)."""
        with each.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            before = jobs(env) if "queue.job" in env else None
            env["collection.case"]._cron_refresh_cases(batch_size=4)
        if before is not None:
            perform_pending_jobs(registry)
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                assert len(jobs(env, "_job_refresh_batch") - before) >= batches
                assert set((jobs(env) - before).mapped("state")) == {"done"}
        return cases_per_customer(each, names)

    # The same cases, with the same figures and the day's scores.
    expected_cases = refresh(registry_without_queue)
    assert len(expected_cases) == CUSTOMERS
    assert refresh(registry, batches=CUSTOMERS // 4) == expected_cases
    # The next day nothing differs from accounting (no batch touches these cases), but
    # the day's scoring, once the batches are done, scores every active case again.
    for each in (registry, registry_without_queue):
        with each.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            new_day(env)
            cases = env["collection.case"].search([("partner_id.name", "in", names)])
            cases.write({"priority_score": -1})
    expected_cases = refresh(registry_without_queue)
    score = CASE_FIELDS.index("priority_score") + 1
    assert -1 not in {values[score] for values in expected_cases.values()}
    assert refresh(registry) == expected_cases

    # Half the customers promised to pay half their debt, by a day now past.
    for each in (registry, registry_without_queue):
        with each.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cases = env["collection.case"].search(
                [("partner_id.name", "in", names[: CUSTOMERS // 2])]
            )
            today = fields.Date.context_today(cases)
            created = env["collection.promise"].create(
                [
                    {"case_id": case.id, "amount": 50, "date": today + timedelta(days=1)}
                    for case in cases
                ]
            )
            # Made ten days ago (a promise is always for a day to come when it is made).
            created.flush_recordset()
            env.cr.execute(
                "UPDATE collection_promise SET date = %s, deadline = %s, start_date = %s"
                " WHERE id IN %s",
                [
                    today - timedelta(days=3),
                    today - timedelta(days=3),
                    today - timedelta(days=10),
                    tuple(created.ids),
                ],
            )

    def promises(each):
        with each.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            records = env["collection.promise"].search([("case_id.partner_id.name", "in", names)])
            return sorted((p.case_id.partner_id.name, p.state, p.judged_date) for p in records)

    # Then the judging, in batches of 2 promises, and the run, each calling the next.
    with registry_without_queue.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["collection.promise"]._cron_judge(batch_size=2)
        env["collection.run"]._cron_run_followup(batch_size=4)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        before = jobs(env)
        env["collection.promise"]._cron_judge(batch_size=2)
    assert perform_pending_jobs(registry)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        judged = jobs(env, "_job_judge_batch") - before
        assert len(judged) >= CUSTOMERS // 4, "the judging ran in batches of 2 promises"
    expected_promises = promises(registry_without_queue)
    assert len(expected_promises) == CUSTOMERS // 2
    assert {state for _name, state, _day in expected_promises} == {"broken"}
    assert promises(registry) == expected_promises
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["collection.run"]._cron_run_followup(batch_size=4)
    assert perform_pending_jobs(registry)

    expected = followups_per_customer(registry_without_queue, names)
    assert len(expected) == CUSTOMERS
    # Some customers are not due yet, the others get their level's e-mail, once.
    assert {emails for _levels, emails in expected.values()} == {0, 1}
    assert followups_per_customer(registry, names) == expected


def test_a_failed_batch_leaves_no_company_waiting_for_ever(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        names = make_book(env, "Failed Debtor")
        customers = set(env["res.partner"].search([("name", "in", names)]).ids)
        company = env.ref("base.main_company")
        before = jobs(env)
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        cr.commit()
        for record in jobs(env, "_job_refresh_company") - before:
            finish_job(env, start_job(env, record))
        # A batch of the new customers fails (its retries spent, say).
        batch = (jobs(env, "_job_refresh_batch") - before).filtered(
            lambda j: j.company_id == company and customers & set(j.args[1])
        )[0]
        lost = customers & set(batch.args[1])
        job = start_job(env, batch)
        job.set_failed(exc_name="RuntimeError", exc_message="failed", exc_info="failed")
        job.store()
        cr.commit()
    perform_pending_jobs(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        stranded = (jobs(env, "_job_refresh_finished") - before).filtered(
            lambda j: j.company_id == company
        )
        assert stranded.state == "wait_dependencies", "it waits for the failed batch"
        assert not company.collection_refreshed_day
        refreshed = env["collection.case"].search([("partner_id.name", "in", names)])
        assert set(refreshed.partner_id.ids) == customers - lost
        # The next call of the scheduled refresh: the company's day is not recorded, its
        # last job is cancelled and what is left of its work enqueued again.
        middle = jobs(env)
        env["collection.case"]._cron_refresh_cases(batch_size=4)
        assert stranded.state == "cancelled"
        again = jobs(env) - middle
        assert again.mapped("method_name") == ["_job_refresh_company"]
        assert again.company_id == company
        cr.commit()
    perform_pending_jobs(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        assert company.collection_refreshed_day == company._collection_today()
        retried = jobs(env, "_job_refresh_batch") - middle
        assert customers & {p for job in retried for p in job.args[1]} == lost, (
            "only the failed batch's customers are refreshed again"
        )
        refreshed = env["collection.case"].search([("partner_id.name", "in", names)])
        assert set(refreshed.partner_id.ids) == customers
        assert set((jobs(env) - middle).mapped("state")) == {"done"}


def test_the_batches_of_a_company_share_its_refresh_lock(registry):
    from odoo.addons.queue_job.exception import RetryableJobError

    with registry.cursor() as cr1, registry.cursor() as cr2, registry.cursor() as cr3:
        first, second, third = (
            api.Environment(cr, SUPERUSER_ID, {})["collection.case"] for cr in (cr1, cr2, cr3)
        )
        company = first.env.ref("base.main_company")
        assert first._lock_company_refresh(company, shared=True)
        assert second._lock_company_refresh(company, shared=True), "batches run side by side"
        assert not third._lock_company_refresh(company), "a reconciliation waits for none"
        cr1.rollback()
        cr2.rollback()
        # A reconciliation holding the company: the batch is tried again later.
        assert third._lock_company_refresh(company)
        partner = first.env["res.partner"].search([], limit=1)
        with pytest.raises(RetryableJobError):
            first._job_refresh_batch(company, partner.ids)
        cr1.rollback()
        cr3.rollback()


def test_the_dry_runs_and_deferred_follow_ups_are_jobs_too(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        names = make_book(env, "Deferred Debtor")
        company = env.ref("base.main_company")
        env["collection.case"]._cron_refresh_cases()
        cr.commit()
    perform_pending_jobs(registry)

    # A dry run a manager queued: one job, whatever the number of calls.
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        before = jobs(env)
        run = env["collection.run"].with_company(company)._get_dry_run(company)
        run.dry_run_queued = True
        env["collection.run"]._cron_dry_run()
        env["collection.run"]._cron_dry_run()
        created = jobs(env) - before
        assert set(created.mapped("method_name")) == {"_job_dry_run"}
        # Other companies' dry runs may be queued too: one job each.
        assert len(created.filtered(lambda j: j.records.ids == [run.id])) == 1
        assert len(set(created.mapped("identity_key"))) == len(created)
        assert not env["collection.followup"].search_count(
            [("run_id", "=", run.id), ("partner_id.name", "in", names)]
        ), "the scheduled action enqueues the dry run, the job prepares it"
        cr.commit()
    perform_pending_jobs(registry)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        run = env["collection.run"].browse(run.id)
        assert not run.dry_run_queued
        previews = env["collection.followup"].search(
            [("run_id", "=", run.id), ("partner_id.name", "in", names)]
        )
        assert set(previews.mapped("state")) == {"preview"}
        due = [n for n in names if OVERDUE_DAYS[int(n.rsplit(" ", 1)[1]) % 3] >= 7]
        assert sorted(previews.partner_id.mapped("name")) == sorted(due)

        # Follow-ups deferred to a contact window that has come: one job per batch.
        cases = env["collection.case"].search([("partner_id.name", "in", due)])
        policy = env["collection.policy"].search([("name", "=", f"Deferred Debtor {RUN} policy")])
        level = policy.level_ids.sorted("delay_days")[0]
        deferred = env["collection.followup"].create(
            [
                {
                    "case_id": case.id,
                    "level_id": level.id,
                    "cycle": case.followup_cycle,
                    "state": "pending",
                    "defer_until": fields.Datetime.now() - timedelta(hours=1),
                }
                for case in cases
            ]
        )
        before = jobs(env)
        env["collection.run"]._cron_send_deferred(batch_size=3)
        env["collection.run"]._cron_send_deferred(batch_size=3)
        created = jobs(env) - before
        assert set(created.mapped("method_name")) == {"_job_send_deferred"}
        mine = created.filtered(lambda j: set(j.args[1]) & set(deferred.ids))
        assert sorted(i for job in mine for i in job.args[1] if i in deferred.ids) == sorted(
            deferred.ids
        ), "each deferred follow-up in one job"
        assert set(deferred.mapped("state")) == {"pending"}
        cr.commit()
    perform_pending_jobs(registry)
    followups = followups_per_customer(registry, due)
    assert {customer: emails for customer, (_levels, emails) in followups.items()} == dict.fromkeys(
        due, 1
    ), "each deferred follow-up sent once"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        assert set(env["collection.followup"].browse(deferred.ids).mapped("state")) == {"done"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(registry, tmp_path):
    """An Odoo server on the bridge's database, with queue_job's job runner and two
    workers taking two jobs of the collections channel at once."""
    odoo_bin = pathlib.Path(odoo.tools.__file__).resolve().parents[2] / "odoo-bin"
    addons_path = config["addons_path"]
    if not isinstance(addons_path, str):
        addons_path = ",".join(addons_path)
    port = free_port()
    logfile = tmp_path / "odoo.log"
    process = subprocess.Popen(
        [
            sys.executable,
            str(odoo_bin),
            f"--database={registry.db_name}",
            f"--db-filter=^{registry.db_name}$",
            f"--addons-path={addons_path}",
            "--workers=2",
            "--max-cron-threads=0",
            "--load=base,web,queue_job",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            # A worker blocked by the test must not be stopped by Odoo's own limits.
            "--limit-time-real=900",
            "--limit-time-cpu=900",
            f"--logfile={logfile}",
        ],
        env=dict(os.environ, ODOO_QUEUE_JOB_CHANNELS="root:2,root.collections:2"),
        start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print(logfile.read_text()[-5000:])


def wait_for(registry, condition, timeout=300, what="the jobs"):
    """Poll ``condition(env)`` in a new transaction until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with registry.cursor() as cr:
            result = condition(api.Environment(cr, SUPERUSER_ID, {}))
            if result:
                return result
        time.sleep(0.5)
    pytest.fail(f"{what}: still not there after {timeout} seconds")


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_sends_nothing_twice(
    registry, server
):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        names = make_book(env, "Killed Debtor")
        before = jobs(env).ids
        env["collection.case"]._cron_refresh_cases()
    wait_for(
        registry,
        lambda env: env.ref("base.main_company").collection_refreshed_day,
        what="the refresh",
    )
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["collection.promise"]._cron_judge()
        # The day's run, opened before the messages are locked below.
        env["collection.run"]._open_run(env.ref("base.main_company"), commit=True)
    wait_for(
        registry,
        lambda env: env.ref("base.main_company").collection_judged_day,
        what="the judging",
    )

    # Nothing can write a message meanwhile: the batches' workers stop when they
    # send their e-mails, their follow-ups created and not committed.
    blocker = registry.cursor()
    try:
        blocker.execute("LOCK TABLE mail_message IN SHARE MODE")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["collection.run"]._cron_run_followup(batch_size=4)
            batches = jobs(env, "_job_run_cases").filtered(lambda j: j.id not in before)
            assert len(batches) >= 3

        def both_blocked(env):
            started = jobs(env, "_job_run_cases").filtered(
                lambda j: j.state == "started" and j.id not in before
            )
            env.cr.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            blocked = env.cr.fetchone()[0]
            return len(started) == 2 and blocked >= 2 and (started[0].id, started[0].worker_pid)

        killed_id, worker_pid = wait_for(registry, both_blocked, what="two batches under way")
        os.kill(worker_pid, signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()

    def run_day_done(env):
        company = env.ref("base.main_company")
        return company.collection_run_day == company._collection_today()

    wait_for(registry, run_day_done, what="the run")
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        requeued = env["queue.job"].browse(killed_id)
        assert requeued.state == "done"
        assert requeued.retry >= 2, "the job runner ran the dead job again"
        assert set(jobs(env).filtered(lambda j: j.id not in before).mapped("state")) == {"done"}

    followups = followups_per_customer(registry, names)
    assert len(followups) == CUSTOMERS
    for customer, (levels, emails) in followups.items():
        due = OVERDUE_DAYS[int(customer.rsplit(" ", 1)[1]) % 3] >= 7
        assert len(levels) == int(due), (customer, levels)
        assert emails == int(due), (customer, emails)
