#!/usr/bin/env python3
"""Benchmark of the aged receivables as of a date, its XLSX export and its pivot.

1. Works on a copy of a book database built by ``bench_refresh.py``
   (``createdb -T co_perf_bench co_aging_bench``, made beforehand: the book's own
   database is never touched), upgrades the add-on there when its code changed,
   and opens the cases once (a refresh) when the book has none, so that items
   carry an officer and a team.
2. Times, each in its own cursor rolled back, as the superuser:
   - ``collection.aging.report._compute_aging`` as of the book's day and as of
     60 days before (payments made since count as open);
   - ``_tie_out`` (the aging against the receivable accounts' balance);
   - the XLSX workbook of the aging (``collection.report.xlsx._aging_workbook``);
   - the aging lines of the pivot (``collection.aging.wizard._fill_lines``) and
     the pivot's grouped read as the web client asks it (``formatted_read_group``
     by customer and bucket, then by officer).
   Each step is run once for its time, then again under ``tracemalloc`` for its
   peak Python memory; the process's peak RSS is printed at the end.

Usage: see bench/README.md.
"""

import contextlib
import datetime
import resource
import time
import tracemalloc

import bench_refresh as book


def parse_args():
    parser = book.book_parser(__doc__.split("\n\n")[0])
    args = book.book_args(parser)
    if args.database == f"co_bench_{args.invoices}":
        args.database = "co_aging_bench"
    return args


def measure(label, function, rows):
    """Runs ``function(env)`` twice in rolled-back cursors: time, then peak memory."""
    start = time.perf_counter()
    result, detail = function()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append((label, seconds, peak / 2**20, detail))
    book.say(f"  {label}: {seconds:.2f} s, peak {peak / 2**20:.1f} MB, {detail}")
    return result


def main():
    args = parse_args()
    odoo = book.start_odoo(args)
    registry = book.open_book_copy(odoo, args)
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        company = env["res.company"].search([], limit=1, order="id")
        if not env["collection.case"].search_count([]):
            book.say("opening the cases once (refresh), so that items carry an officer")
            env["collection.case"]._refresh_from_accounting(companies=company)
            cr.commit()
        day = env["ir.config_parameter"].get_param(book.BOOK_DATE_PARAM)
        book_day = datetime.date.fromisoformat(day) if day else datetime.date.today()
        book.say(f"book: {book.book_summary(env)}")

    def in_cursor(body):
        def run():
            with registry.cursor() as cr:
                try:
                    return body(book.new_env(odoo, registry, cr))
                finally:
                    cr.rollback()

        return run

    rows = []
    cache = {}
    for label, as_of in (
        ("as of the book's day", book_day),
        ("as of 60 days before", book_day - datetime.timedelta(days=60)),
    ):

        def aging(env, as_of=as_of):
            items = env["collection.aging.report"]._compute_aging(env.company, as_of)
            total = sum(float(item["residual"]) for item in items)
            return items, f"{len(items)} items, total {total:,.2f}"

        cache[as_of] = measure(f"_compute_aging {label}", in_cursor(aging), rows)

    def tie_out(env):
        figures = env["collection.aging.report"]._tie_out(env.company, book_day)[env.company.id]
        gap = figures["balance"] - figures["aged"] - figures["excluded"]
        return figures, f"balance {figures['balance']:,.2f}, difference {gap:.2f}"

    measure("_tie_out", in_cursor(tie_out), rows)
    items = cache[book_day]

    def xlsx(env):
        content = env["collection.report.xlsx"]._aging_workbook(
            items, book_day, env.company, "30,60,90,120"
        )
        return content, f"{len(items)} rows, {len(content) / 2**20:.1f} MB file"

    measure("XLSX workbook", in_cursor(xlsx), rows)

    def export(env):
        wizard = env["collection.aging.wizard"].create({"as_of": book_day})
        action = wizard.action_export_xlsx()
        return action, "aging + tie-out + workbook + attachment"

    measure("XLSX export (wizard)", in_cursor(export), rows)

    def pivot(env):
        wizard = env["collection.aging.wizard"].create({"as_of": book_day})
        start = time.perf_counter()
        wizard._fill_lines()
        fill = time.perf_counter() - start
        Line = env["collection.aging.line"]
        domain = [("wizard_id", "=", wizard.id)]
        start = time.perf_counter()
        groups = Line.formatted_read_group(
            domain, ["partner_id", "bucket_id"], ["amount_residual:sum", "__count"]
        )
        by_officer = Line.formatted_read_group(domain, ["user_id"], ["amount_residual:sum"])
        read = time.perf_counter() - start
        return groups, (
            f"{len(wizard.line_ids)} lines filled in {fill:.2f} s, "
            f"pivot {len(groups)} + {len(by_officer)} groups read in {read:.2f} s"
        )

    measure("pivot (fill + grouped read)", in_cursor(pivot), rows)

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    width = max(len(row[0]) for row in rows)
    print()
    print(f"aged receivables, database {args.database} (book {args.book}), as of {book_day}")
    print(f"{'step'.ljust(width)}  seconds  peak MB  detail")
    for label, seconds, peak, detail in rows:
        print(f"{label.ljust(width)}  {seconds:7.2f}  {peak:7.1f}  {detail}")
    print(f"process peak RSS: {peak_rss:.0f} MB")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
