#!/usr/bin/env python3
"""The scheduled refresh against OCA's credit line generation, on identical copies of a book.

1. Uses (or builds) the receivables book of ``bench_refresh.py``.
2. On a copy ``<database>_run``: the company's first scheduled refresh
   (``collection.case._cron_refresh_cases``: opens every case and scores it), then the
   next morning's (the clock moved a day on, accounting unchanged), then a third morning.
3. On a copy ``<database>_oca`` with OCA's ``account_credit_control`` (19.0, from
   PyPI, as ``bench_followup.py --oca`` installs it): ``generate_credit_lines`` for
   today (the first run), then for the next morning and the one after.

Each step: wall seconds, CPU seconds of this process, SQL queries. The ratios compare
OCA's first generation with our first refresh and with our daily refresh.

    .venv/bin/python bench/bench_refresh_oca.py --customers 2000 --invoices 20000
"""

import datetime
import sys
import time

import bench_followup as followup
import bench_refresh as book


def parse_args():
    parser = book.book_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--mornings", type=int, default=2, help="daily runs after the first")
    parser.add_argument(
        "--profile", metavar="DIR", help="write a cProfile of each of our steps in DIR"
    )
    parser.add_argument(
        "--ours-only", action="store_true", help="time our refresh only (no OCA ratios)"
    )
    args = book.book_args(parser)
    args.addons_path += f",{followup.oca_addons()}"
    return args


def morning(days):
    """Seven in the morning (UTC) ``days`` after today, for the clock of a step; the
    clock goes on ticking, so that the step's seconds are measured."""
    from freezegun import freeze_time

    today = datetime.date.today() + datetime.timedelta(days=days)
    return freeze_time(datetime.datetime.combine(today, datetime.time(7, 0)), tick=True)


def time_ours(odoo, registry, args, rows):
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        company = env.company
        # The company's day starts at midnight: the scheduled refresh takes it at once.
        company.collection_day_start_hour = 0.0
        cr.commit()
        for day in range(args.mornings + 1):
            label = "ours: first refresh" if not day else f"ours: morning {day}, unchanged"
            with morning(day):
                env.invalidate_all()
                with followup.measured(cr, label, rows, args.profile):
                    env["collection.case"]._cron_refresh_cases()
                    env.flush_all()
                cr.commit()
                if day:
                    continue
                # Asked again the same day (Refresh All, a retry), nothing changed.
                company._collection_ask_refresh()
                env.flush_all()
                with followup.measured(cr, "ours: same day again, unchanged", rows, args.profile):
                    env["collection.case"]._cron_refresh_cases()
                    env.flush_all()
                cr.commit()
        cases = followup.count(env, "collection_case", "state != 'closed'")
        book.say(f"  {cases} open cases")


def time_oca(odoo, registry, args, rows):
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        company = env.company
        policy = company.credit_policy_id or env.ref("account_credit_control.credit_control_3_time")
        policy.account_ids = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.ids)]
        )
        company.credit_policy_id = policy
        cr.commit()
        for day in range(args.mornings + 1):
            label = "OCA: first generation" if not day else f"OCA: morning {day}"
            with morning(day):
                env.invalidate_all()
                date = datetime.date.today()
                with followup.measured(cr, label, rows):
                    run = env["credit.control.run"].create(
                        {"date": date, "policy_ids": [odoo.Command.set(policy.ids)]}
                    )
                    run.generate_credit_lines()
                    env.flush_all()
            cr.commit()
        book.say(f"  credit lines: {followup.count(env, 'credit_control_line')}")


def main():
    args = parse_args()
    odoo = book.start_odoo(args)
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    fresh = book.ensure_book_database(odoo, args)
    if fresh:
        book.build_book(odoo, Registry(args.database), args)
    rows = []
    timers = [(f"{args.database}_run", time_ours)]
    if not args.ours_only:
        timers.append((f"{args.database}_oca", time_oca))
    for database, timer in timers:
        if database in db_service.list_dbs(True):
            book.drop_database(odoo, database)
        book.copy_database(odoo, args.database, database)
        try:
            if timer is time_oca:
                followup.install(args, database, "account_credit_control")
            start = time.perf_counter()
            timer(odoo, Registry(database), args, rows)
            book.say(f"  ({time.perf_counter() - start:.0f} s)")
        finally:
            book.drop_database(odoo, database)
    if args.ours_only:
        return
    seconds = {label: value for label, value, _queries in rows}
    oca = seconds["OCA: first generation"]
    book.say("")
    book.say(f"book {args.book} ({args.customers} customers, {args.invoices} invoices)")
    book.say("| run | seconds | queries | OCA's first generation / this |")
    book.say("|---|---:|---:|---:|")
    for label, value, queries in rows:
        book.say(f"| {label} | {value:.2f} | {queries} | {oca / value:.0f} times |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
