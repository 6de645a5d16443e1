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
   - the XLSX workbook of the aging from the list of items
     (``collection.report.xlsx._aging_workbook``), then streamed from PostgreSQL
     (``collection.aging.line._stream_rows``), then the wizard's export (tie-out,
     streamed workbook and attachment);
   - the pivot and the graph as the web client opens them: the grouped reads
     (``formatted_read_group``) of ``collection.aging.line`` by customer and
     bucket, by bucket, by customer, in total, by officer, and the graph's by
     bucket and company, with their number of queries.
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
    parser.add_argument(
        "--pivot-only",
        action="store_true",
        help="time only the pivot and the graph (the other steps take minutes on large books)",
    )
    args = book.book_args(parser)
    if args.database == f"co_bench_{args.invoices}":
        args.database = "co_aging_bench"
    return args


def measure(label, function, rows, memory=True):
    """Runs ``function(env)`` twice in rolled-back cursors: time, then peak memory
    (once, for its time only, without ``memory``)."""
    start = time.perf_counter()
    result, detail = function()
    seconds = time.perf_counter() - start
    peak = 0
    if memory:
        tracemalloc.start()
        function()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rows.append((label, seconds, peak / 2**20, detail))
    book.say(f"  {label}: {seconds:.2f} s, peak {peak / 2**20:.1f} MB, {detail}")
    return result


def pivot(env, as_of):
    """The grouped reads of the pivot and the graph of an aging run as of ``as_of``:
    each timed, with its queries and the CPU seconds of this process."""
    wizard = env["collection.aging.wizard"].create({"as_of": as_of})
    action = wizard.action_open_report()
    lines = env["collection.aging.line"].with_context(**action["context"])
    reads = {
        "pivot": [
            (["partner_id", "bucket_id"], ["amount_residual:sum", "__count"]),
            (["bucket_id"], ["amount_residual:sum", "__count"]),
            (["partner_id"], ["amount_residual:sum", "__count"]),
            ([], ["amount_residual:sum", "__count"]),
            (["user_id"], ["amount_residual:sum"]),
        ],
        "graph": [(["bucket_id", "company_id"], ["amount_residual:sum"])],
    }
    detail = []
    results = {}
    for view, groupings in reads.items():
        results[view] = []
        for groupby, aggregates in groupings:
            queries = env.cr.sql_log_count
            start, cpu = time.perf_counter(), time.process_time()
            results[view].append(lines.formatted_read_group([], groupby, aggregates))
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            queries = env.cr.sql_log_count - queries
            book.say(
                f"    {view} by {','.join(groupby) or 'total'}: {len(results[view][-1])} groups, "
                f"{queries} queries, {seconds:.3f} s (Odoo CPU {cpu:.3f} s)"
            )
        groups = sum(len(result) for result in results[view])
        detail.append(f"{view}: {len(groupings)} reads, {groups} groups")
    [[total]] = [results["pivot"][3]]
    detail.append(f"{total['__count']} items, total {total['amount_residual:sum']:,.2f}")
    return results, "; ".join(detail)


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
    if args.pivot_only:
        for label, as_of in (
            ("as of the book's day", book_day),
            ("as of 60 days before", book_day - datetime.timedelta(days=60)),
        ):
            measure(
                f"pivot and graph {label} (grouped reads)",
                in_cursor(lambda env, as_of=as_of: pivot(env, as_of)),
                rows,
                memory=False,
            )
        report(args, book_day, rows)
        return
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

    def streamed(env):
        wizard = env["collection.aging.wizard"].create({"as_of": book_day})
        params = wizard._params()
        counted = []

        def rows():
            for row in env["collection.aging.line"]._stream_rows(params):
                counted.append(row["line_id"])
                yield row

        content = env["collection.report.xlsx"]._aging_workbook(
            rows(), book_day, params["companies"], wizard.buckets
        )
        return content, f"{len(counted)} rows streamed, {len(content) / 2**20:.1f} MB file"

    measure("XLSX workbook streamed", in_cursor(streamed), rows)

    def export(env):
        wizard = env["collection.aging.wizard"].create({"as_of": book_day})
        action = wizard.action_export_xlsx()
        return action, "tie-out + streamed workbook + attachment"

    measure("XLSX export (wizard)", in_cursor(export), rows)

    measure("pivot and graph (grouped reads)", in_cursor(lambda env: pivot(env, book_day)), rows)
    report(args, book_day, rows)


def report(args, book_day, rows):
    """Prints the table of the steps timed."""
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
