#!/usr/bin/env python3
"""Benchmark of opening the worklist and a case form, as an officer's browser asks.

1. Works on a copy of a book database built by ``bench_refresh.py``
   (``createdb -T co_perf_bench co_worklist_bench``: the book's own database is never
   touched), upgrades the add-on there when its code changed, and prepares it once
   (committed): opens the cases when there are none, scores them, and gives them to
   a team of two officers (half each), so that the officers' record rules apply.
2. As one of these officers (not the superuser), each step in its own cursor,
   rolled back, ``--repeat`` times (the first with the registry's caches cold):
   - the action's views (``get_views``: list, kanban, form, search);
   - the worklist: ``web_search_read`` with the list view's own specification, the
     action's default filter and the list's default order, 80 rows;
   - the worklist grouped by officer: ``web_read_group`` with the columns' sums;
   - the kanban: ``web_read_group`` by state (columns unfolded with their cards) and
     ``read_progress_bar``;
   - the form of the case with the most open items and of one with the fewest:
     ``web_read`` with the form's specification (open items, contacts, follow-ups...).
   The specifications are built from the views as the web client builds them
   (``collections_officer/tests/web_client.py``, shared with the query-count tests).
   Each step: wall seconds, CPU seconds of the process and SQL queries.

Usage: see bench/README.md.
"""

import contextlib
import statistics
import time
from datetime import datetime, timedelta

import bench_refresh as book
from bench_priority import print_table

PREPARED_PARAM = "collections_officer.bench_worklist"
PREPARED = "2"  # what prepare() did: a database prepared by an older version is prepared again
OFFICER_LOGINS = ("bench_officer_1", "bench_officer_2")


def parse_args():
    parser = book.book_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each step")
    parser.add_argument(
        "--queries", action="store_true", help="print the queries of each step by table"
    )
    args = book.book_args(parser)
    if args.database == f"co_bench_{args.invoices}":
        args.database = "co_worklist_bench"
    if args.repeat < 1:
        parser.error("--repeat must be positive")
    return args


def prepare(env):
    """Cases opened, in a team of two officers, a call logged on each, scored: done
    once, committed."""
    from odoo import fields

    Case = env["collection.case"].with_context(tracking_disable=True)
    company = env["res.company"].search([], limit=1, order="id")
    if not Case.search_count([]):
        book.say("opening the cases (refresh) ...")
        Case._refresh_from_accounting(companies=company)
    group = env.ref("collections_officer.group_collections_officer")
    officers = env["res.users"]
    for login in OFFICER_LOGINS:
        officer = env["res.users"].search([("login", "=", login)])
        officers |= officer or env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "company_id": company.id,
                "company_ids": [company.id],
                "group_ids": [group.id],
            }
        )
    team = env["collection.team"].search([("name", "=", "Bench Team")]) or env[
        "collection.team"
    ].create({"name": "Bench Team", "company_id": company.id, "member_ids": officers.ids})
    cases = Case.search([("state", "!=", "closed")], order="id")
    cases.write({"team_id": team.id})
    for index, officer in enumerate(officers):
        cases[index :: len(officers)].write({"user_id": officer.id})
    # A call logged on every case in the last weeks: the worklist shows the last contact.
    today = fields.Date.context_today(env.user)
    env["collection.contact"].with_context(tracking_disable=True).create(
        [
            {
                "case_id": case.id,
                "channel": "phone",
                "outcome": ("spoke", "no_answer", "left_message")[case.id % 3],
                "user_id": case.user_id.id,
                "date": datetime.combine(today - timedelta(days=case.id % 21), datetime.min.time())
                + timedelta(hours=10),
            }
            for case in cases.filtered(lambda case: not case.contact_ids)
        ]
    )
    Case._update_priority_all(companies=company)
    env["ir.config_parameter"].set_param(PREPARED_PARAM, PREPARED)
    book.say(
        f"{len(cases)} active cases, a call logged on each, scored and given to "
        f"{', '.join(officers.mapped('login'))}"
    )


def officer_env(registry, cr):
    from odoo import api

    superuser = api.Environment(cr, api.SUPERUSER_ID, {})
    officer = superuser["res.users"].search([("login", "=", OFFICER_LOGINS[0])])
    context = officer.context_get() | {"allowed_company_ids": officer.company_id.ids}
    return api.Environment(cr, officer.id, context)


def run_step(registry, step, tally):
    """One run of ``step(env)`` in its own cursor, rolled back: (seconds, CPU, queries, detail)."""
    with registry.cursor() as cr, tally.hooked():
        env = officer_env(registry, cr)
        env.invalidate_all()
        tally.counts.clear()
        queries = cr.sql_log_count
        start, cpu = time.perf_counter(), time.process_time()
        detail = step(env)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        queries = cr.sql_log_count - queries
        cr.rollback()
    return seconds, cpu, queries, detail


def main():
    args = parse_args()
    odoo = book.start_odoo(args)
    registry = book.open_book_copy(odoo, args)
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        if env["ir.config_parameter"].get_param(PREPARED_PARAM) != PREPARED:
            prepare(env)
            cr.commit()
        book.say(f"book: {book.book_summary(env)}")
        Case = env["collection.case"]
        active = [("state", "!=", "closed")]
        most = Case.search(active, order="overdue_invoice_count desc, id", limit=1)
        fewest = Case.search(
            [*active, ("overdue_invoice_count", ">", 0)], order="overdue_invoice_count, id", limit=1
        )
        book.say(f"{Case.search_count(active)} active cases")
        # Loaded once by the web client when the menu opens, not timed.
        action = env.ref("collections_officer.collection_case_action")._get_action_dict()

    from odoo.addons.collections_officer.tests import web_client

    def views(env):
        Case = env["collection.case"]
        result = Case.get_views([(False, kind) for kind in ("list", "kanban", "form", "search")])
        return f"{len(result['views'])} views, {sum(map(len, result['models'].values()))} models"

    def worklist(env):
        Case = env["collection.case"].with_context(bin_size=True)
        result = web_client.open_list(Case, action)
        return f"{len(result['records'])} of {result['length']} cases"

    def grouped(env):
        Case = env["collection.case"].with_context(bin_size=True)
        result = web_client.open_grouped_list(Case, action, "user_id")
        total = sum(group.get("overdue_amount:sum") or 0.0 for group in result["groups"])
        return f"{result['length']} officers, overdue {total:,.0f}"

    def kanban(env):
        Case = env["collection.case"].with_context(bin_size=True)
        result = web_client.open_kanban(Case, action)
        web_client.kanban_progress_bars(Case, action)
        cards = sum(len(group.get("__records", ())) for group in result["groups"])
        return f"{result['length']} columns, {cards} cards"

    def form(case_id):
        def read(env):
            case = env["collection.case"].browse(case_id)
            (values,) = web_client.open_form(case)
            return (
                f"{case.name}: {len(values['open_line_ids'])} open items, "
                f"{len(values['contact_ids'])} contacts"
            )

        return read

    steps = [
        ("get_views (list, kanban, form, search)", views),
        ("worklist: web_search_read, 80 rows", worklist),
        ("worklist by officer: web_read_group", grouped),
        ("kanban by state: web_read_group + progress bars", kanban),
        ("case form, most open items: web_read", form(most.id)),
        ("case form, fewest open items: web_read", form(fewest.id)),
    ]
    rows = [["step", "first s", "then s", "CPU s", "queries first", "then", "detail"]]
    for label, step in steps:
        tally = book.QueryTally()
        runs = [run_step(registry, step, tally) for _run in range(args.repeat)]
        later = runs[1:] or runs
        seconds = statistics.median(run[0] for run in later)
        cpu = statistics.median(run[1] for run in later)
        queries = sorted({run[2] for run in later})
        rows.append(
            [
                label,
                f"{runs[0][0]:.3f}",
                f"{seconds:.3f}",
                f"{cpu:.3f}",
                str(runs[0][2]),
                "/".join(map(str, queries)),
                runs[-1][3],
            ]
        )
        book.say(
            f"  {label}: {rows[-1][1]} s first, {rows[-1][2]} s then, "
            f"{rows[-1][4]} queries first, {rows[-1][5]} then"
        )
        if args.queries:
            book.say(f"    {tally.top(40)}")
    print_table(
        rows,
        f"opening the worklist and a case as {OFFICER_LOGINS[0]}, database {args.database} "
        f"(book {args.book}), median of {max(args.repeat - 1, 1)} runs after the first",
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
