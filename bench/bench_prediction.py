#!/usr/bin/env python3
"""Benchmark of the payment predictions: backtest, training and scoring.

1. Uses (or builds) the book of ``bench_refresh.py`` with ``--history`` (always: its
   customers pay after their own behaviour, over 15 months of invoices; a book
   without history is not reused), upgraded when the add-on changed, and opens its
   cases once (committed) when it has none.
2. Runs the rolling-origin backtest ``collection.prediction.model._backtest_company``
   (``--months`` month-ends) and prints the model's mean absolute error in days and
   its share of predictions within 7 days of the real pay date, next to the two
   baselines: "paid on the due date" and "the customer's median delay".
3. Times ``_train_company`` (its backtest, then the model learnt from the whole book),
   then ``collection.case._update_priority_all`` on every active case with the
   trained model, ``--repeat`` times, and once before the training (median rule).
   A model that lost to the median rule is put in use anyway for those runs, so that
   its scoring is timed (said so in the output).

Each step runs in its own cursor, rolled back: the book keeps no model.

Usage: see bench/README.md.
"""

import collections
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_refresh import (
    book_args,
    book_parser,
    book_summary,
    build_book,
    ensure_book_database,
    new_env,
    say,
    start_odoo,
)

# The aims of the training and of the scoring on 2 cores.
TRAIN_AIM = "20,000 invoices in under 60 s"
SCORE_AIM = "2,000 cases in under 2 s"


def parse_args():
    parser = book_parser(__doc__.split("\n\n")[0])
    parser.set_defaults(history=True)  # the only book this benchmark learns from
    parser.add_argument("--months", type=int, default=12, help="month-ends of the backtest")
    parser.add_argument("--repeat", type=int, default=3, help="scoring runs with the model")
    args = book_args(parser)
    if args.months < 1 or args.repeat < 1:
        parser.error("--months and --repeat must be positive")
    return args


def main_company(env):
    return env.ref("base.main_company")


def check_model(env):
    model = env.get("collection.prediction.model")
    missing = [
        name
        for name in ("_backtest_company", "_train_company")
        if model is None or not hasattr(model, name)
    ]
    if missing:
        sys.exit(f"the add-on has no collection.prediction.model.{missing[0]}: nothing to time")


def run_backtest(registry, args):
    with registry.cursor() as cr:
        env = new_env(None, registry, cr)
        company = main_company(env)
        start, cpu = time.perf_counter(), time.process_time()
        figures = env["collection.prediction.model"]._backtest_company(company, months=args.months)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        cr.rollback()
    say(
        f"  backtest over {args.months} month-ends in {seconds:.1f} s ({cpu:.1f} s CPU): "
        f"fitting {figures['train_seconds']:.1f} s, predicting {figures['score_seconds']:.1f} s"
    )
    return figures, seconds


def print_backtest(figures, args):
    evaluated = figures["evaluated_count"]
    say("")
    say(
        f"Rolling-origin backtest on {args.database} ({args.book}), {args.months} month-ends: "
        f"{evaluated} open invoices evaluated"
        + (
            f", {figures['unpaid_count']} still unpaid left out"
            if "unpaid_count" in figures
            else ""
        )
        + (f", {figures['origin_count']} origins" if "origin_count" in figures else "")
    )
    rows = [
        ["prediction", "mean absolute error (days)", "within 7 days"],
        ["model", f"{figures['mae_model']:.1f}", f"{figures['within7_model']:.1f}%"],
        ["paid on the due date", f"{figures['mae_due']:.1f}", f"{figures['within7_due']:.1f}%"],
        [
            "customer's median delay",
            f"{figures['mae_median']:.1f}",
            f"{figures['within7_median']:.1f}%",
        ],
    ]
    print_table(rows)
    detail = figures.get("detail") or []
    if detail:
        say("")
        say("By origin (month-end):")
        table = [["origin", "examples", "evaluated", "unpaid", "model", "due date", "median"]]
        for row in detail:
            table.append(
                [
                    str(row.get("origin", "")),
                    str(row.get("examples", "")),
                    str(row.get("evaluated", "")),
                    str(row.get("unpaid", "")),
                    *(
                        f"{row[key]:.1f}" if key in row else "-"
                        for key in ("mae_model", "mae_due", "mae_median")
                    ),
                ]
            )
        print_table(table)


def timed_scoring(env, company, label):
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    start, cpu = time.perf_counter(), time.process_time()
    cases = env["collection.case"]._update_priority_all(company)
    env.flush_all()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    queries = env.cr.sql_log_count - queries
    methods = collections.Counter()
    if "predicted_pay_method" in cases._fields:
        methods.update(method or "none" for method in cases.mapped("predicted_pay_method"))
    by_method = ", ".join(f"{method} {count}" for method, count in sorted(methods.items()))
    per_thousand = 1000 * seconds / len(cases) if cases else 0.0
    say(
        f"  {label:<28} {seconds:6.2f} s ({cpu:.2f} s CPU) {queries:5d} queries, "
        f"{len(cases)} cases ({per_thousand:.2f} s per 1,000)"
        + (f"; predicted by: {by_method}" if by_method else "")
    )
    return [label, f"{seconds:.2f}", f"{cpu:.2f}", str(queries), str(len(cases)), by_method]


def run_training_and_scoring(registry, args):
    with registry.cursor() as cr:
        env = new_env(None, registry, cr)
        company = main_company(env)
        scoring = [timed_scoring(env, company, "before training (median)")]
        Model = env["collection.prediction.model"]
        start, cpu = time.perf_counter(), time.process_time()
        record = Model._train_company(company)
        env.flush_all()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        say(
            f"  _train_company               {seconds:6.2f} s ({cpu:.2f} s CPU): "
            f"state {record.state!r} ({record.reason})"
        )
        if "sample_count" in record._fields:
            say(
                f"  {'':<28} {record.sample_count} training examples from "
                f"{record.paid_count} paid invoices; fitting and predicting, as recorded: "
                f"{record.train_seconds:.1f} s and {record.score_seconds:.1f} s"
            )
        state = record.state
        label = "with the trained model"
        if state != "model" and record.booster_days:
            # The model lost to the median rule: use it anyway to time its scoring.
            env.flush_all()
            cr.execute(
                "UPDATE collection_prediction_model SET state = 'model' WHERE id = %s",
                [record.id],
            )
            env.invalidate_all()
            label = "with the model, forced"
            say(f"  {'':<28} ({state}: the model is put in use anyway to time its scoring)")
        scoring += [
            timed_scoring(env, company, f"{run} {label}") for run in range(1, args.repeat + 1)
        ]
        cr.rollback()
    return seconds, state, scoring


def print_table(rows):
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    for number, row in enumerate(rows):
        say(
            "| "
            + " | ".join(
                cell.ljust(width) if not index else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
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
        check_model(env)
        say(f"book: {book_summary(env)}")
        if not env["collection.case"].search_count([]):
            say("opening the cases (committed) ...")
            env["collection.case"]._refresh_from_accounting(companies=main_company(env))
            cr.commit()

    say("backtest (rolled back) ...")
    figures, backtest_seconds = run_backtest(registry, args)
    say("training and scoring (rolled back) ...")
    train_seconds, state, scoring = run_training_and_scoring(registry, args)

    print_backtest(figures, args)
    say(f"(the backtest alone: {backtest_seconds:.1f} s)")
    say("")
    say(
        f"_train_company on the whole book: {train_seconds:.1f} s (its backtest included), "
        f"state {state!r}; aim: {TRAIN_AIM}"
    )
    say("")
    say(f"collection.case._update_priority_all (aim: {SCORE_AIM}):")
    print_table([["run", "seconds", "CPU s", "queries", "cases", "predicted by"], *scoring])


if __name__ == "__main__":
    main()
