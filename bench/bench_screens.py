#!/usr/bin/env python3
"""Benchmark of every screen an officer or a manager opens, as their browser asks.

1. Works on an installed database holding a book (``--database``, e.g. a copy of
   ``co_bench_20000_history``, the add-on upgraded there), prepared once
   (committed) as ``bench_worklist.py`` prepares it: the cases opened when there are
   none, scored, given to a team of two officers with a call logged on each; and a
   collections manager.
2. As the first officer, then as the manager (not the superuser: their record rules
   apply), each screen in its own cursor, rolled back, ``--repeat`` times (the first
   with the registry's caches cold): My Day, the worklist (sorted by priority,
   grouped by officer and by state, the kanban), the form of the user's case with
   the most open items, the dashboard, the KPI cards, the expected cash, the aged
   receivables as they open (the pivot) and switched to their graph. The
   requests are those of the query-count tests
   (``collections_officer/tests/screens.py``), built from the views as the web
   client builds them.
   Each screen: wall seconds (first run; median, min and max of the others), CPU
   seconds and SQL queries.

Usage: ``bench/bench_screens.py --database co_screens_bench`` (see bench/README.md
for the books).
"""

import argparse
import contextlib
import statistics
import time

import bench_refresh as book
import bench_worklist
from bench_priority import print_table

PREPARED_PARAM = "collections_officer.bench_screens"
PREPARED = "1"
MANAGER_LOGIN = "bench_manager"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="an installed database with a book")
    parser.add_argument(
        "--addons-path",
        default=f"{book.ODOO_SRC}/odoo/addons,{book.ODOO_SRC}/addons,{book.REPO}",
        help="default: $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,<repo root>",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each screen")
    parser.add_argument(
        "--queries", action="store_true", help="print the queries of each screen by table"
    )
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be 2 or more: the first run is apart")
    return args


def prepare(env):
    """The worklist benchmark's officers and team, and a collections manager: done
    once, committed."""
    if env["ir.config_parameter"].get_param(bench_worklist.PREPARED_PARAM) != (
        bench_worklist.PREPARED
    ):
        bench_worklist.prepare(env)
    company = env["res.company"].search([], limit=1, order="id")
    if not env["res.users"].search([("login", "=", MANAGER_LOGIN)]):
        env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "Bench Manager",
                "login": MANAGER_LOGIN,
                "company_id": company.id,
                "company_ids": [company.id],
                "group_ids": [env.ref("collections_officer.group_collections_manager").id],
            }
        )
    env["ir.config_parameter"].set_param(PREPARED_PARAM, PREPARED)


def user_env(cr, login):
    from odoo import api

    superuser = api.Environment(cr, api.SUPERUSER_ID, {})
    user = superuser["res.users"].search([("login", "=", login)])
    context = user.context_get() | {"allowed_company_ids": user.company_id.ids}
    return api.Environment(cr, user.id, context)


def run_screen(registry, login, screen, args, tally):
    """One opening of ``screen`` in its own cursor, rolled back: (seconds, CPU, queries)."""
    with registry.cursor() as cr, tally.hooked():
        env = user_env(cr, login)
        env.invalidate_all()
        tally.counts.clear()
        queries = cr.sql_log_count
        start, cpu = time.perf_counter(), time.process_time()
        screen(env, *args)
        env.flush_all()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        queries = cr.sql_log_count - queries
        cr.rollback()
    return seconds, cpu, queries


def largest_case(registry, login):
    """The user's case with the most open items: the heaviest form they open."""
    with registry.cursor() as cr:
        env = user_env(cr, login)
        case = env["collection.case"].search(
            [("state", "not in", ("closed", "upcoming"))],
            order="overdue_invoice_count desc, id",
            limit=1,
        )
        return case.id, case.overdue_invoice_count


def main():
    args = parse_args()
    odoo = book.start_odoo(args)
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    if args.database not in db_service.list_dbs(True):
        raise SystemExit(f"{args.database} does not exist: copy a book database into it first")
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        if env["ir.config_parameter"].get_param(PREPARED_PARAM) != PREPARED:
            book.say("preparing the database (once) ...")
            prepare(env)
            cr.commit()
        book.say(f"book: {book.book_summary(env)}")

    from odoo.addons.collections_officer.tests import screens

    rows = [
        ["user", "screen", "first s", "median s", "min s", "max s", "CPU s", "queries", "first"]
    ]
    for login in (bench_worklist.OFFICER_LOGINS[0], MANAGER_LOGIN):
        case_id, items = largest_case(registry, login)
        book.say(f"{login}: case form of case {case_id} ({items} overdue invoices)")
        for name, screen in screens.SCREENS:
            args_of = (case_id,) if screen is screens.case_form else ()
            tally = book.QueryTally()
            runs = [
                run_screen(registry, login, screen, args_of, tally) for _run in range(args.repeat)
            ]
            later = runs[1:]
            seconds = [run[0] for run in later]
            queries = sorted({run[2] for run in later})
            rows.append(
                [
                    login,
                    name,
                    f"{runs[0][0]:.3f}",
                    f"{statistics.median(seconds):.3f}",
                    f"{min(seconds):.3f}",
                    f"{max(seconds):.3f}",
                    f"{statistics.median(run[1] for run in later):.3f}",
                    "/".join(map(str, queries)),
                    str(runs[0][2]),
                ]
            )
            book.say(f"  {login} {name}: {rows[-1][3]} s median, {rows[-1][7]} queries")
            if args.queries:
                book.say(f"    {tally.top(40)}")
    print_table(
        rows,
        f"opening the screens, database {args.database}: the first run (caches cold) apart, "
        f"median, min and max of the {args.repeat - 1} others",
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
