#!/usr/bin/env python3
"""Benchmark of the daily follow-up run, and of OCA's credit control on the same book.

1. Uses (or builds) the receivables book of ``bench_refresh.py``.
2. Copies it to ``<database>_followup``, opens the cases, and times the follow-up
   run of the company with the shipped default policy (e-mails queued with their
   statement PDF, not sent), then the same run again (nothing is sent twice).
3. With ``--oca``: copies the book to ``<database>_oca``, installs OCA's
   ``account_credit_control`` (19.0, downloaded from PyPI once) and times its run on
   the same book with its default policy: generating the credit lines, then
   executing the channel actions (e-mails queued, with its summary PDF).

Usage: see bench/README.md.
"""

import contextlib
import cProfile
import io
import os
import pathlib
import pstats
import resource
import subprocess
import sys
import threading
import time
import zipfile

import bench_refresh as book

CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
OCA_DIR = CACHE / "collections_officer" / "oca_credit_control"
OCA_REQUIREMENT = "odoo-addon-account-credit-control>=19.0,<19.1"


def parse_args():
    parser = book.book_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--oca", action="store_true", help="also time OCA's credit control")
    parser.add_argument(
        "--daily",
        action="store_true",
        help="time the whole daily job instead: the scheduled refresh, then the scheduled run",
    )
    parser.add_argument(
        "--statement-batch", type=int, help="statements per wkhtmltopdf call (default: the code's)"
    )
    parser.add_argument(
        "--statement-workers",
        type=int,
        help="wkhtmltopdf processes running at once (default: the code's)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="with --daily: cProfile each step into DIR/<step>.prof, print the top functions",
    )
    args = book.book_args(parser)
    if args.oca:
        args.addons_path += f",{oca_addons()}"
    return args


def oca_addons():
    """OCA's account_credit_control from its PyPI wheel, unpacked once into the cache."""
    target = OCA_DIR / "odoo" / "addons"
    if (target / "account_credit_control" / "__manifest__.py").exists():
        return target
    OCA_DIR.mkdir(parents=True, exist_ok=True)
    book.say(f"downloading {OCA_REQUIREMENT} ...")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            OCA_DIR,
            OCA_REQUIREMENT,
        ],
        check=True,
    )
    (wheel,) = OCA_DIR.glob("odoo_addon_account_credit_control-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(OCA_DIR)
    return target


def install(args, database, module):
    command = [
        sys.executable,
        str(book.ODOO_SRC / "odoo-bin"),
        "-d",
        database,
        "-i",
        module,
        "--without-demo",
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--addons-path={args.addons_path}",
    ]
    book.say(f"installing {module} in {database} ...")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode or " ERROR " in result.stderr or " CRITICAL " in result.stderr:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"installing {module} in {database} failed")


@contextlib.contextmanager
def pdf_clock():
    """Seconds spent inside wkhtmltopdf processes (summed: they may run side by side),
    and how many ran."""
    from odoo.addons.base.models import ir_actions_report

    spent = {"seconds": 0.0, "calls": 0}
    lock = threading.Lock()
    original = ir_actions_report._run_wkhtmltopdf

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                spent["seconds"] += time.perf_counter() - start
                spent["calls"] += 1

    ir_actions_report._run_wkhtmltopdf = timed
    try:
        yield spent
    finally:
        ir_actions_report._run_wkhtmltopdf = original


@contextlib.contextmanager
def measured(cr, label, rows, profile=None):
    tally = book.QueryTally()
    profiler = cProfile.Profile() if profile else None
    with tally.hooked():
        queries, start = cr.sql_log_count, time.perf_counter()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        yield
        if profiler:
            profiler.disable()
        seconds, queries = time.perf_counter() - start, cr.sql_log_count - queries
        cpu = time.process_time() - cpu
    rows.append((label, seconds, queries))
    # The process's peak resident memory so far (kilobytes on Linux).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    book.say(
        f"  {label:<40} {seconds:8.2f} s ({cpu:.2f} s CPU in this process) {queries:8d} queries;"
        f" peak memory {peak:.0f} MB; top: {tally.top(40)}"
    )
    if profiler:
        directory = pathlib.Path(profile)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{label.replace(' ', '_').replace(':', '')}.prof"
        profiler.dump_stats(path)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        book.say(f"  profile written to {path}; top functions (cumulative):")
        book.say(
            "\n".join("    " + line for line in out.getvalue().splitlines()[6:44] if line.strip())
        )


def count(env, table, where="TRUE"):
    from odoo.tools import SQL

    query = SQL("SELECT count(*) FROM %s WHERE %s", SQL.identifier(table), SQL(where))
    return env.execute_query(query)[0][0]


def give_emails(env):
    """Bench customers get an e-mail address: follow-up e-mails need one."""
    env.execute_query(
        book.odoo_sql(
            "UPDATE res_partner SET email = 'debtor' || id || '@example.com' WHERE ref LIKE %s",
            book.CUSTOMER_REF + "%",
        )
    )
    env.invalidate_all()


def open_every_hour(company):
    """Whatever the day and hour of the benchmark, every customer may be contacted."""
    company.write(
        {
            "collection_contact_days": "all",
            "collection_contact_hour_start": 0.0,
            "collection_contact_hour_end": 24.0,
            "collection_email_hour_start": 0.0,
            "collection_email_hour_end": 24.0,
        }
    )


def time_ours(odoo, registry, rows):
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr, mail_notify_force_send=False)
        give_emails(env)
        company = env.company
        # A book built before the policy was shipped: give the company the shipped one.
        company.collection_policy_id = company.collection_policy_id or env.ref(
            "collections_officer.collection_policy_default"
        )
        # Timed live: a company not live only gets a dry run.
        company.collection_followup_live = True
        open_every_hour(company)
        env["collection.case"]._refresh_from_accounting(companies=company)
        cr.commit()
        open_cases = count(env, "collection_case", "state != 'closed'")
        book.say(
            f"{open_cases} open cases; policy {company.collection_policy_id.name}; "
            "timing the follow-up run:"
        )
        run = env["collection.run"]
        with measured(cr, "collections_officer: daily run", rows):
            run._run_company(company)
            env.flush_all()
        followups = dict(
            env.execute_query(
                book.odoo_sql("SELECT state, count(*) FROM collection_followup GROUP BY state")
            )
        )
        statements = count(env, "ir_attachment", "res_model = 'collection.case'")
        book.say(
            f"  follow-ups {followups}; e-mails queued {count(env, 'mail_mail')}; "
            f"statements {statements}"
        )
        cr.commit()
        sent = count(env, "mail_mail")
        with measured(cr, "collections_officer: same run again", rows):
            run._run_company(company)
            env.flush_all()
        book.say(f"  e-mails queued by the second run: {count(env, 'mail_mail') - sent}")
        cr.rollback()


def time_daily(odoo, registry, rows, profile=None):
    """The whole daily job as the scheduler runs it: refresh, judging, then the follow-up run
    (every statement rendered, every e-mail queued). From a book with no case yet: the
    refresh opens them all and each gets its first level, the heaviest day."""
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr, mail_notify_force_send=False)
        give_emails(env)
        company = env.company
        company.collection_policy_id = company.collection_policy_id or env.ref(
            "collections_officer.collection_policy_default"
        )
        # Timed live: a company not live only gets a dry run.
        company.collection_followup_live = True
        # The company's day starts at midnight: whatever the hour, the scheduled jobs
        # take it once, in their order (refresh, judging, run).
        company.collection_day_start_hour = 0.0
        open_every_hour(company)
        cr.commit()
        book.say(f"policy {company.collection_policy_id.name}; the first day's job:")
        with pdf_clock() as pdf:
            with measured(cr, "daily job: refresh", rows, profile):
                env["collection.case"]._cron_refresh_cases()
                env.flush_all()
            with measured(cr, "daily job: judging", rows, profile):
                env["collection.promise"]._cron_judge()
                env.flush_all()
            with measured(cr, "daily job: follow-up run", rows, profile):
                env["collection.run"]._cron_run_followup()
                env.flush_all()
        cases = count(env, "collection_case", "state != 'closed'")
        seconds = sum(row[1] for row in rows[-3:])
        queries = sum(row[2] for row in rows[-3:])
        rows.append(("daily job: total", seconds, queries))
        book.say(
            f"  total {seconds:.2f} s, {queries / max(cases, 1):.1f} queries per case; "
            f"wkhtmltopdf {pdf['seconds']:.2f} s (summed) in {pdf['calls']} processes; "
            f"e-mails queued {count(env, 'mail_mail')}"
        )
        cr.rollback()


def time_oca(odoo, registry, rows):
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr, mail_notify_force_send=False)
        give_emails(env)
        company = env.company
        policy = company.credit_policy_id or env.ref("account_credit_control.credit_control_3_time")
        receivable = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.ids)]
        )
        policy.account_ids = receivable
        company.credit_policy_id = policy
        cr.commit()
        book.say(f"OCA account_credit_control, policy {policy.name}:")
        today = odoo.fields.Date.context_today(env.user)
        with measured(cr, "OCA: generate credit lines", rows):
            run = env["credit.control.run"].create(
                {"date": today, "policy_ids": [odoo.Command.set(policy.ids)]}
            )
            run.generate_credit_lines()
            env.flush_all()
        book.say(f"  credit lines: {count(env, 'credit_control_line')}")
        with measured(cr, "OCA: send (channel actions)", rows):
            run.set_to_ready_lines()
            run.run_channel_action()
            env.flush_all()
        book.say(
            f"  communications {count(env, 'credit_control_communication')}; "
            f"e-mails queued {count(env, 'mail_mail')}"
        )
        cr.rollback()


def main():
    args = parse_args()
    sys.path.insert(0, str(book.ODOO_SRC))
    import odoo
    import odoo.fields
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service
    from odoo.tools import config

    config.parse_config(
        [f"--addons-path={args.addons_path}", "--log-level=warn", "--max-cron-threads=0"],
        setup_logging=True,
    )
    fresh = book.ensure_book_database(odoo, args)
    if fresh:
        book.build_book(odoo, Registry(args.database), args)
    rows = []
    from odoo.addons.collections_officer.report import collection_statement_report

    if args.statement_batch:
        collection_statement_report.STATEMENT_BATCH = args.statement_batch
    if args.statement_workers:
        collection_statement_report.STATEMENT_WORKERS = args.statement_workers
    targets = [(f"{args.database}_followup", time_daily if args.daily else time_ours)]
    if args.oca:
        targets.append((f"{args.database}_oca", time_oca))
    for database, timer in targets:
        if database in db_service.list_dbs(True):
            book.drop_database(odoo, database)
        book.copy_database(odoo, args.database, database)
        try:
            if timer is time_oca:
                install(args, database, "account_credit_control")
            if timer is time_daily:
                timer(odoo, Registry(database), rows, args.profile)
            else:
                timer(odoo, Registry(database), rows)
        finally:
            book.drop_database(odoo, database)
    book.say("")
    book.say(f"book {args.book} ({args.customers} customers, {args.invoices} invoices)")
    book.say("| run | seconds | queries |")
    book.say("|---|---:|---:|")
    for label, seconds, queries in rows:
        book.say(f"| {label} | {seconds:.2f} | {queries} |")


if __name__ == "__main__":
    main()
