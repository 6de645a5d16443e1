#!/usr/bin/env python3
"""Benchmark of the daily job through OCA's job queue, with 1, 2 and 4 worker processes.

1. Copies a built receivables book (default ``co_bench_20000_history``, see
   ``bench_refresh.py``) to ``<copy>`` once, installs ``collections_officer_queue``
   there (which pulls ``queue_job``) and readies it as ``bench_followup.py --daily``
   does: customers with an e-mail address, the shipped policy, the company live, its
   day starting at midnight.
2. For each worker count N: copies ``<copy>`` to ``<copy>_<N>``, starts an Odoo server
   on it with N workers and queue_job's job runner (channel ``root.collections`` of
   capacity N), then times the day's job as the scheduler runs it: the scheduled
   refresh enqueues its jobs, then (once the day's refresh is recorded) the judging,
   then the follow-up run (every statement rendered, every e-mail queued); each step
   waits for its jobs.
3. Checks that every worker count gives the same follow-ups (customer, level, state),
   e-mails and statements per case, and prints the wall seconds of each step.

Usage:
    .venv/bin/python bench/bench_workers.py --copy co_q_bench --workers 1,2,4
"""

import argparse
import os
import pathlib
import resource
import signal
import socket
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
ODOO_SRC = pathlib.Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
CUSTOMER_REF = "BENCH-"


def say(message):
    print(message, flush=True)


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy since boot (every process: the server,
    its workers, wkhtmltopdf and PostgreSQL), from ``/proc/stat``."""
    fields = pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(value) for value in fields]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="co_bench_20000_history", help="the built book")
    parser.add_argument(
        "--copy", help="the book's copy with the bridge installed (default: <database>_queue)"
    )
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument(
        "--batch-size", type=int, default=100, help="cases per job of the run (the cron's: 100)"
    )
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a step may take")
    parser.add_argument(
        "--rebuild", action="store_true", help="copy the book again and reinstall the bridge"
    )
    parser.add_argument("--keep", action="store_true", help="keep the <copy>_<N> databases")
    parser.add_argument(
        "--statement-processes",
        type=int,
        help="wkhtmltopdf processes each worker prints with at once (the system parameter "
        "collections_officer.statement_processes; default: the code's, 2)",
    )
    args = parser.parse_args()
    args.copy = args.copy or f"{args.database}_queue"
    args.workers = [int(count) for count in args.workers.split(",")]
    # The set-up's own addons path: queue_job is unpacked where bin/_lib.sh puts it.
    args.addons_path = subprocess.run(
        ["bash", "-c", f"source {REPO}/bin/_lib.sh && ensure_queue_job && addons_path"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return args


def psql(database, query):
    return subprocess.run(
        ["psql", "-qtAd", database, "-c", query], capture_output=True, text=True, check=True
    ).stdout.strip()


def database_exists(name):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def copy_database(source, target):
    subprocess.run(["dropdb", "--if-exists", "--force", target], check=True)
    subprocess.run(["createdb", "-T", source, target], check=True)


def odoo_command(args, database, *options):
    return [
        sys.executable,
        str(ODOO_SRC / "odoo-bin"),
        f"--database={database}",
        f"--db-filter=^{database}$",
        f"--addons-path={args.addons_path}",
        "--max-cron-threads=0",
        *options,
    ]


def prepare_copy(args):
    """The book's copy, with the bridge installed and the company ready for its day."""
    ready = database_exists(args.copy) and (
        psql(
            args.copy,
            "SELECT state FROM ir_module_module WHERE name = 'collections_officer_queue'",
        )
        == "installed"
    )
    if ready and not args.rebuild:
        return
    say(f"copying {args.database} to {args.copy} and installing collections_officer_queue ...")
    copy_database(args.database, args.copy)
    result = subprocess.run(
        odoo_command(
            args,
            args.copy,
            "-i",
            "collections_officer_queue",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode or " ERROR " in result.stderr or " CRITICAL " in result.stderr:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"installing collections_officer_queue in {args.copy} failed")
    # As bench_followup.py --daily: the heaviest day, every customer reachable by e-mail,
    # the shipped policy, the company live, its day starting at midnight, every day and
    # hour open to contact.
    psql(
        args.copy,
        f"""
        UPDATE res_partner SET email = 'debtor' || id || '@example.com'
         WHERE ref LIKE '{CUSTOMER_REF}%';
        UPDATE res_company SET collection_followup_live = TRUE,
               collection_day_start_hour = 0,
               collection_contact_days = 'all',
               collection_contact_hour_start = 0, collection_contact_hour_end = 24,
               collection_email_hour_start = 0, collection_email_hour_end = 24,
               collection_refreshed_day = NULL, collection_judged_day = NULL,
               collection_run_day = NULL,
               collection_policy_id = COALESCE(collection_policy_id, (
                   SELECT res_id FROM ir_model_data
                    WHERE module = 'collections_officer'
                      AND name = 'collection_policy_default'));
        """,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args, database, workers, logfile):
    command = odoo_command(
        args,
        database,
        f"--workers={workers}",
        "--load=base,web,queue_job",
        "--http-interface=127.0.0.1",
        f"--http-port={free_port()}",
        f"--gevent-port={free_port()}",
        "--limit-time-real=3600",
        "--limit-time-cpu=3600",
        "--limit-memory-soft=4294967296",
        "--limit-memory-hard=6442450944",
        f"--logfile={logfile}",
        "--log-level=warn",
        # Tells when the job runner is ready.
        "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO",
    )
    channels = f"root:{workers},root.collections:{workers}"
    return subprocess.Popen(
        command, env=dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=channels), start_new_session=True
    )


def stop_server(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_runner(logfile, process, timeout=120):
    """Wait until queue_job's job runner is connected to the database (it starts a few
    seconds after the server): the clock starts with the jobs taken at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the Odoo server stopped")
        if logfile.exists() and "database connections ready" in logfile.read_text():
            return
        time.sleep(0.2)
    sys.exit(f"the job runner did not start in {timeout} seconds")


def wait_step(database, day_field, timeout, process):
    """Wait until the company's day of ``day_field`` is recorded and no job of the
    collections channel is left to run; fail on a failed job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the Odoo server stopped")
        state = psql(
            database,
            f"""
            SELECT (SELECT bool_and({day_field} IS NOT NULL) FROM res_company),
                   (SELECT count(*) FROM queue_job WHERE channel = 'root.collections'
                       AND state NOT IN ('done', 'failed', 'cancelled')),
                   (SELECT count(*) FROM queue_job WHERE channel = 'root.collections'
                       AND state = 'failed')
            """,
        )
        recorded, left, failed = state.split("|")
        if failed != "0":
            sys.exit(f"{failed} job(s) failed on {database}: see its queue_job table")
        if recorded == "t" and left == "0":
            return
        time.sleep(0.5)
    sys.exit(f"{day_field}: not recorded after {timeout} seconds")


def results(database):
    """What the day did, per case: its customer, its follow-ups (level, state), its
    e-mails queued and its statements; in a stable order."""
    return psql(
        database,
        """
        SELECT p.ref,
               (SELECT string_agg(l.name->>'en_US' || ':' || f.state, ',' ORDER BY l.sequence)
                  FROM collection_followup f JOIN collection_level l ON l.id = f.level_id
                 WHERE f.case_id = c.id),
               (SELECT count(*) FROM mail_mail mm JOIN mail_message m ON m.id = mm.mail_message_id
                 WHERE m.model = 'collection.case' AND m.res_id = c.id),
               (SELECT count(*) FROM ir_attachment a
                 WHERE a.res_model = 'collection.case' AND a.res_id = c.id)
          FROM collection_case c JOIN res_partner p ON p.id = c.partner_id
         ORDER BY p.ref, c.id
        """,
    ).splitlines()


def time_day(odoo, args, workers):
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    database = f"{args.copy}_{workers}"
    copy_database(args.copy, database)
    if args.statement_processes:
        psql(
            database,
            "INSERT INTO ir_config_parameter (key, value) VALUES "
            f"('collections_officer.statement_processes', '{args.statement_processes}') "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        )
    logfile = pathlib.Path(f"/tmp/{database}.log")
    logfile.unlink(missing_ok=True)
    say(f"{workers} worker(s) on {database} (server log {logfile}):")
    # The scheduler's side, loaded before the clock starts.
    registry = Registry(database)
    process = start_server(args, database, workers, logfile)
    timings = {}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        wait_runner(logfile, process)
        start = time.monotonic()
        busy = machine_busy_seconds()
        for step, call, day_field in (
            (
                "refresh",
                lambda env: env["collection.case"]._cron_refresh_cases(),
                "collection_refreshed_day",
            ),
            (
                "judging",
                lambda env: env["collection.promise"]._cron_judge(),
                "collection_judged_day",
            ),
            (
                "run",
                lambda env: env["collection.run"]._cron_run_followup(batch_size=args.batch_size),
                "collection_run_day",
            ),
        ):
            begin = time.monotonic()
            with registry.cursor() as cr:
                call(api.Environment(cr, SUPERUSER_ID, {}))
            wait_step(database, day_field, args.timeout, process)
            timings[step] = time.monotonic() - begin
            say(f"  {step:<8} {timings[step]:8.2f} s")
        timings["total"] = time.monotonic() - start
        # Cores kept busy on average: 2 workers cannot beat 1 by more than the cores
        # the single worker left idle.
        timings["cores"] = (machine_busy_seconds() - busy) / timings["total"]
        jobs = psql(
            database,
            "SELECT count(*) FROM queue_job WHERE channel = 'root.collections'",
        )
        say(
            f"  total    {timings['total']:8.2f} s ({jobs} jobs); "
            f"{timings['cores']:.2f} cores busy on average"
        )
    finally:
        stop_server(process)
        Registry.delete(database)
        odoo.sql_db.close_db(database)
    # The server's processes once reaped: its workers and their wkhtmltopdf processes.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timings["cpu"] = (after.ru_utime + after.ru_stime) - (used.ru_utime + used.ru_stime)
    say(f"  CPU      {timings['cpu']:8.2f} s used by the server, its workers and wkhtmltopdf")
    outcome = results(database)
    if not args.keep:
        subprocess.run(["dropdb", "--if-exists", "--force", database], check=True)
    return timings, outcome


def main():
    args = parse_args()
    prepare_copy(args)
    import odoo
    import odoo.sql_db
    from odoo.tools import config

    config.parse_config(
        [f"--addons-path={args.addons_path}", "--log-level=warn", "--max-cron-threads=0"],
        setup_logging=True,
    )
    rows, reference = [], None
    for workers in args.workers:
        timings, outcome = time_day(odoo, args, workers)
        if reference is None:
            reference = outcome
        same = outcome == reference
        followups = sum(1 for line in outcome if line.split("|")[1])
        emails = sum(int(line.split("|")[2]) for line in outcome)
        rows.append((workers, timings, followups, emails, same))
        if not same:
            say(f"  different from {args.workers[0]} worker(s)!")
    base = rows[0][1]["total"]
    say("")
    processes = args.statement_processes or "2 (the default)"
    say(
        f"book {args.database}, copied to {args.copy}; run batches of {args.batch_size} cases; "
        f"{processes} wkhtmltopdf process(es) per worker"
    )
    say(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    say(
        "| workers | refresh s | judging s | run s | total s | speed-up | server CPU s "
        "| cores busy | cases followed up | e-mails | same result |"
    )
    say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for workers, timings, followups, emails, same in rows:
        say(
            f"| {workers} | {timings['refresh']:.1f} | {timings['judging']:.1f} "
            f"| {timings['run']:.1f} | {timings['total']:.1f} | {base / timings['total']:.2f}x "
            f"| {timings['cpu']:.1f} | {timings['cores']:.2f} | {followups} | {emails} "
            f"| {'yes' if same else 'NO'} |"
        )
    cores = os.cpu_count()
    say(
        f"1 worker kept {rows[0][1]['cores']:.2f} of {cores} cores busy: at most "
        f"{cores / rows[0][1]['cores']:.2f}x from more workers on this machine"
    )
    if not all(row[4] for row in rows):
        sys.exit("the worker counts did not give the same result")


if __name__ == "__main__":
    main()
