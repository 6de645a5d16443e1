"""Two Odoo workers running the same scheduled work at once.

These tests commit for real, so they run on their own copy of the test
database (``COLLECTIONS_WORKERS_DB``, made by bin/test), never on the one the
Odoo tests share.
"""

import os
import threading
import time
from datetime import timedelta

import pytest
from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.addons.collections_officer.models.collection_case_refresh_cron import REFRESH_LOCK_KEY
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tools import config

CUSTOMERS = 40
# What a worker may meet when another holds the same rows: PostgreSQL refuses,
# the transaction rolls back, nothing it did is kept.
CONCURRENCY_ERRORS = (errors.SerializationFailure, errors.UniqueViolation)


@pytest.fixture(scope="module")
def registry():
    dbname = os.environ.get("COLLECTIONS_WORKERS_DB")
    if not dbname:
        pytest.fail("COLLECTIONS_WORKERS_DB is not set: run the suite with bin/test.")
    # Loading a registry with tests enabled would run the add-ons' at-install tests.
    test_enable = config["test_enable"]
    config["test_enable"] = False
    try:
        return Registry(dbname)
    finally:
        config["test_enable"] = test_enable


def post_overdue_invoices(env, name, policy=None):
    """Customers, each with an invoice 10 days overdue."""
    customers = env["res.partner"].create(
        [
            {
                "name": f"{name} {index}",
                "is_company": True,
                "email": f"debtor{index}@example.com",
                "collection_policy_id": policy and policy.id,
            }
            for index in range(CUSTOMERS)
        ]
    )
    due = fields.Date.context_today(env["res.partner"]) - timedelta(days=10)
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "price_unit": 100, "tax_ids": []})
                ],
            }
            for customer in customers
        ]
    )
    invoices.action_post()
    return customers


@pytest.fixture(scope="module")
def book(registry):
    """Committed: a policy with an e-mail level and customers 10 days late."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
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
                "name": "Workers reminder",
                "model_id": env["ir.model"]._get_id("collection.case"),
                "subject": "Reminder {{ object.name }}",
                "body_html": "<p>Please pay.</p>",
            }
        )
        policy = env["collection.policy"].create(
            {
                "name": "Workers policy",
                "company_id": company.id,
                "level_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "delay_days": 7,
                            "send_email": True,
                            "mail_template_id": template.id,
                            "attach_statement": False,
                        }
                    ),
                    Command.create(
                        {"name": "Call", "delay_days": 8, "schedule_call": True},
                    ),
                ],
            }
        )
        customers = post_overdue_invoices(env, "Concurrent Debtor", policy)
        env["collection.case"]._refresh_from_accounting(companies=company)
        cases = env["collection.case"].search([("partner_id", "in", customers.ids)])
        assert len(cases) == CUSTOMERS
        cr.commit()
        return company.id, cases.ids, policy.id


def run_at_once(registry, *jobs):
    """Run each job in its own worker (thread and cursor), started together."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def work(index, job):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                barrier.wait(timeout=30)
                job(env)
            outcomes[index] = "done"
        except CONCURRENCY_ERRORS as error:
            outcomes[index] = type(error).__name__
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hangs: deadlock"
    assert all(isinstance(outcome, str) for outcome in outcomes), f"a worker failed: {outcomes}"
    return outcomes


def sent_per_case(registry, case_ids):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        followups = env["collection.followup"].search([("case_id", "in", case_ids)])
        emails = env["mail.message"].search(
            [
                ("model", "=", "collection.case"),
                ("res_id", "in", case_ids),
                ("message_type", "=", "comment"),
                ("subject", "like", "Reminder"),
            ]
        )
        calls = env["mail.activity"].search(
            [("res_model", "=", "collection.case"), ("res_id", "in", case_ids)]
        )
        return (
            {
                case_id: followups.filtered(lambda f, c=case_id: f.case_id.id == c).mapped(
                    "level_id.name"
                )
                for case_id in case_ids
            },
            {
                case_id: len(emails.filtered(lambda m, c=case_id: m.res_id == c))
                for case_id in case_ids
            },
            {
                case_id: len(calls.filtered(lambda a, c=case_id: a.res_id == c))
                for case_id in case_ids
            },
        )


def test_two_workers_running_the_followup_at_once_send_each_level_once(registry, book):
    company_id, case_ids, _policy_id = book

    first_half, second_half = case_ids[: CUSTOMERS // 2], case_ids[CUSTOMERS // 2 :]

    def scheduled_run(ids):
        def job(env):
            company = env["res.company"].browse(company_id)
            cases = env["collection.case"].browse(ids)
            env["collection.run"]._run_company(company, cases=cases, batch_size=4, commit=True)

        return job

    def run_now(ids):
        def job(env):
            cases = env["collection.case"].browse(ids)
            env["collection.run"]._run_company(cases.company_id, cases=cases)

        return job

    first = run_at_once(registry, scheduled_run(first_half), scheduled_run(first_half))
    assert first == ["done", "done"], "both scheduled workers finish, sharing the cases"
    # A manager's "Run Now" during the scheduled run: one of them may be refused.
    second = run_at_once(registry, scheduled_run(second_half), run_now(second_half))
    # Whatever a refused worker left is done by the next run, once.
    with registry.cursor() as cr:
        scheduled_run(case_ids)(api.Environment(cr, SUPERUSER_ID, {}))

    followups, emails, calls = sent_per_case(registry, case_ids)
    assert {len(f) for f in followups.values()} == {1}, (first, second)
    assert {name for names in followups.values() for name in names} == {"Reminder"}
    assert set(emails.values()) == {1}, (first, second)
    assert set(calls.values()) == {0}, "the next level waits for its day"


def test_two_workers_refreshing_at_once_open_one_case_per_customer(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        customer_ids = post_overdue_invoices(env, "Refreshed Debtor").ids
        # Whatever the hour of the company's day: as Refresh All asks it.
        env["res.company"].search([])._collection_ask_refresh()
        cr.commit()

    def scheduled_refresh(env):
        env["collection.case"]._cron_refresh_cases(batch_size=7)

    def refresh_button(env):
        try:
            # The Refresh button of cases waits for nobody: it tells the user instead.
            env["collection.case"]._refresh_from_accounting(wait=True)
        except UserError as error:
            # The user is told another refresh is running, not left waiting.
            assert "being refreshed right now" in str(error)

    outcomes = run_at_once(registry, scheduled_refresh, scheduled_refresh, refresh_button)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["res.company"].search([])._collection_ask_refresh()
        env["collection.case"]._cron_refresh_cases()
        cases = env["collection.case"].search([("partner_id", "in", customer_ids)])
        assert len(cases) == CUSTOMERS, outcomes
        assert set(cases.mapped("state")) == {"open"}


def test_a_scheduled_run_out_of_time_resumes_where_it_stopped(registry, book):
    company_id, _case_ids, policy_id = book
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        policy = env["collection.policy"].browse(policy_id)
        customers = post_overdue_invoices(env, "Resumed Debtor", policy)
        env["collection.case"]._refresh_from_accounting(companies=policy.company_id)
        case_ids = env["collection.case"].search([("partner_id", "in", customers.ids)]).ids
        cron = env.ref("collections_officer.ir_cron_collection_followup_run")
        progress_id = env["ir.cron.progress"].create({"cron_id": cron.id}).id
        cr.commit()

    def scheduled_run(env, **cron_context):
        cases = env["collection.case"].browse(case_ids)
        env["collection.run"].with_context(**cron_context)._run_company(
            env["res.company"].browse(company_id), cases=cases, batch_size=4, commit=True
        )

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The cron's time is up after the first batch: Odoo runs the job again later.
        scheduled_run(
            env,
            cron_id=cron.id,
            ir_cron_progress_id=progress_id,
            cron_end_time=time.monotonic(),
        )
        progress = env["ir.cron.progress"].browse(progress_id)
        assert (progress.done, progress.remaining) == (4, CUSTOMERS - 4)
    assert (
        sorted(map(len, sent_per_case(registry, case_ids)[0].values()))
        == [0] * (CUSTOMERS - 4) + [1] * 4
    )

    with registry.cursor() as cr:
        scheduled_run(api.Environment(cr, SUPERUSER_ID, {}))
    followups, emails, _calls = sent_per_case(registry, case_ids)
    assert {len(names) for names in followups.values()} == {1}
    assert set(emails.values()) == {1}


def test_officers_log_contacts_on_cases_a_batch_holds(registry, book):
    """The run keeps its batch locked while it renders PDFs: an officer logging a call
    on one of those cases (an insert that references the case) does not wait for it."""
    _company_id, case_ids, _policy_id = book
    logged = []

    def log_a_call(batch):
        with registry.cursor() as officer_cr:
            # Waiting for the batch would hang the officer's click: fail fast instead.
            officer_cr.execute("SET LOCAL lock_timeout = '2s'")
            env = api.Environment(officer_cr, SUPERUSER_ID, {})
            contact = env["collection.contact"].create(
                {"case_id": batch[0].id, "channel": "phone", "direction": "inbound"}
            )
            logged.append(contact.id)
            officer_cr.rollback()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cases = env["collection.case"].browse(case_ids[:3])
        env["collection.run"]._process_in_batches(cases, 10, False, log_a_call)
        cr.rollback()
    assert logged, "the officer's contact was saved while the batch was locked"


def future_triggers(env, xmlid):
    cron = env.ref(xmlid)
    return env["ir.cron.trigger"].search(
        [("cron_id", "=", cron.id), ("call_at", ">", fields.Datetime.now())]
    )


def test_a_payment_reconciled_while_the_refresh_runs_reaches_its_case(registry):
    """The nightly refresh holds the company while an accountant matches a payment:
    neither waits for the other, and the case is brought in line a few minutes later."""
    refresh_cron = "collections_officer.ir_cron_collection_case_refresh"
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company_id = env.ref("base.main_company").id
        customers = post_overdue_invoices(env, "Paying Debtor")
        env["collection.case"]._refresh_from_accounting(
            companies=env["res.company"].browse(company_id), partners=customers
        )
        payer_id = customers[0].id
        before = future_triggers(env, refresh_cron).ids
        cr.commit()

    with registry.cursor() as refresh_cr:
        # The refresh of the company, between two of its batches.
        refresh_cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REFRESH_LOCK_KEY, company_id])
        with registry.cursor() as accountant_cr:
            # Nobody waits for the nightly refresh: an accountant would hang otherwise.
            accountant_cr.execute("SET LOCAL lock_timeout = '10s'")
            env = api.Environment(accountant_cr, SUPERUSER_ID, {})
            invoice = env["account.move"].search([("partner_id", "=", payer_id)])
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({})._create_payments()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            case = env["collection.case"].search([("partner_id", "=", payer_id)])
            assert case.state == "open", "the reconciliation left the case to the refresh"
            assert future_triggers(env, refresh_cron) - env["ir.cron.trigger"].browse(before), (
                "the refresh runs again in a few minutes"
            )
        refresh_cr.rollback()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The trigger comes.
        env["collection.case"]._cron_refresh_cases()
        case = env["collection.case"].search([("partner_id", "=", payer_id)])
        assert (case.state, case.overdue_amount) == ("closed", 0)


def test_the_nightly_run_comes_back_for_the_cases_a_dry_run_holds(registry, book):
    """A manager's dry run holds a batch of cases while the nightly run goes by: the
    nightly run does not pass them over, it comes back for them."""
    followup_cron = "collections_officer.ir_cron_collection_followup_run"
    _company_id, _book_ids, policy_id = book
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        policy = env["collection.policy"].browse(policy_id)
        customers = post_overdue_invoices(env, "Held Debtor", policy)
        env["collection.case"]._refresh_from_accounting(
            companies=policy.company_id, partners=customers
        )
        case_ids = env["collection.case"].search([("partner_id", "in", customers.ids)]).ids
        before = future_triggers(env, followup_cron).ids
        # Whatever the hour of the company's day: as a manager's Run Now asks it.
        policy.company_id.collection_run_asked = True
        cr.commit()
    held_ids = case_ids[CUSTOMERS // 2 : CUSTOMERS // 2 + 3]

    with registry.cursor() as dry_run_cr:
        # As the dry run's batch locks its cases (see _process_in_batches).
        dry_run_cr.execute(
            "SELECT id FROM collection_case WHERE id IN %s FOR NO KEY UPDATE", [tuple(held_ids)]
        )
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["collection.run"]._cron_run_followup(batch_size=8)
        followups, _emails, _calls = sent_per_case(registry, case_ids)
        assert [case_id for case_id, names in followups.items() if not names] == held_ids
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            assert future_triggers(env, followup_cron) - env["ir.cron.trigger"].browse(before), (
                "the run comes back in a few minutes"
            )
        dry_run_cr.rollback()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The trigger comes.
        env["collection.run"]._cron_run_followup(batch_size=8)
    followups, emails, _calls = sent_per_case(registry, case_ids)
    assert {tuple(names) for names in followups.values()} == {("Reminder",)}
    assert set(emails.values()) == {1}
