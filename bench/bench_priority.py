#!/usr/bin/env python3
"""Benchmark of the priority computation (score, predicted pay date, next action).

Uses the book of ``bench_refresh.py`` (built when missing, upgraded when the add-on
changed), opens its cases once (committed), then times
``collection.case._update_priority`` on every active case, ``--repeat`` times, each
run in its own cursor, rolled back. Each run: seconds (with ``flush_all``), SQL
queries, cases scored. A second table scores half the cases: the queries must be
the same. The first run starts from cases never scored (every case written),
the others from the stored scores (only the cases whose figures moved are written).
Then one case scored again, as after an officer's change (median of five): before the
company's day is scored (its overdue book read from every case) and after (the book the
day's scoring stored).

Usage: see bench/README.md.
"""

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_refresh import (
    book_args,
    book_parser,
    build_book,
    ensure_book_database,
    new_env,
    say,
    start_odoo,
)


def parse_args():
    parser = book_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    args = book_args(parser)
    if args.repeat < 1:
        parser.error("--repeat must be positive")
    return args


def timed_scoring(registry, label, share=1.0, blank=False):
    with registry.cursor() as cr:
        env = new_env(None, registry, cr)
        if blank:
            # As if never scored: every case is written.
            cr.execute(
                "UPDATE collection_case SET priority_score = 0, priority_detail = NULL,"
                " predicted_pay_date = NULL, predicted_pay_basis = 0,"
                " next_action_date = NULL, next_action_label = NULL"
            )
        cases = env["collection.case"].search([("state", "!=", "closed")], order="id")
        cases = cases[: max(1, int(len(cases) * share))]
        env.flush_all()
        env.invalidate_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        cases._update_priority()
        env.flush_all()
        seconds = time.perf_counter() - start
        queries = cr.sql_log_count - queries
        scores = cases.mapped("priority_score")
        due = sum(1 for day in cases.mapped("next_action_date") if day)
        cr.rollback()
    return [
        label,
        f"{seconds:.2f}",
        str(queries),
        str(len(cases)),
        f"{sum(scores) / len(scores):.0f}",
        str(due),
    ]


def timed_one_case(registry, label, day_scored, runs=5):
    """One case scored again, as after an officer's change: the median of ``runs``
    cases, each from a cold cache. ``day_scored``: the company's day scored first (its
    overdue book stored), else none scored today (the book read from every case)."""
    with registry.cursor() as cr:
        env = new_env(None, registry, cr)
        company = env.company
        if day_scored:
            env["collection.case"]._update_priority_of_the_day(company)
        else:
            company.collection_scored_day = False
        env.flush_all()
        cases = env["collection.case"].search([("state", "!=", "closed")], limit=runs)
        times, counts = [], []
        for case in cases:
            env.invalidate_all()
            queries = cr.sql_log_count
            start = time.perf_counter()
            case._update_priority()
            env.flush_all()
            times.append(time.perf_counter() - start)
            counts.append(cr.sql_log_count - queries)
        cr.rollback()
    return [
        label,
        f"{sorted(times)[len(times) // 2] * 1000:.1f} ms",
        str(sorted(counts)[len(counts) // 2]),
        "1",
        "",
        "",
    ]


def print_table(rows, title):
    say("")
    say(title)
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    for number, row in enumerate(rows):
        say(
            "| "
            + " | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
            + " |"
        )
        if not number:
            say("|" + "|".join("-" * (width + 2) for width in widths) + "|")


def main():
    args = parse_args()
    odoo = start_odoo(args)
    from odoo.modules.registry import Registry

    fresh = ensure_book_database(odoo, args)
    registry = Registry(args.database)
    if fresh:
        build_book(odoo, registry, args)
    with registry.cursor() as cr:
        env = new_env(odoo, registry, cr)
        company = env.ref("base.main_company")
        if not env["collection.case"].search_count([]):
            say("opening the cases (committed) ...")
            env["collection.case"]._refresh_from_accounting(companies=company)
            cr.commit()
    rows = [timed_scoring(registry, "never scored", blank=True)]
    rows += [
        timed_scoring(registry, f"{run} all active cases") for run in range(1, args.repeat + 1)
    ]
    rows.append(timed_scoring(registry, "half of them", share=0.5))
    rows.append(timed_one_case(registry, "one case, the day not scored", day_scored=False))
    rows.append(timed_one_case(registry, "one case, the day scored", day_scored=True))
    print_table(
        [["run", "seconds", "queries", "cases", "mean score", "with next action"], *rows],
        f"collection.case._update_priority on {args.database} ({args.book})",
    )


if __name__ == "__main__":
    main()
