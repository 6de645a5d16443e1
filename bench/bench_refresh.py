#!/usr/bin/env python3
"""Benchmark of ``collection.case._refresh_from_accounting`` on a generated book.

1. Makes sure the database exists with ``collections_officer`` installed (no demo
   data, unless ``--with-demo``), installing it with ``odoo-bin -i`` when needed, and
   upgrading it with ``odoo-bin -u`` when the add-on's code changed since.
2. Builds a receivables book in it once (customers, posted invoices, full and
   partial payments) and marks the database with the ir.config_parameter
   ``collections_officer.bench_book`` = "<customers>x<invoices>"; a marked
   database is reused as it is. With ``--history`` the customers pay after their
   own behaviour over ~15 months of invoices instead (the book of
   ``bench_prediction.py``), and the marker ends in "+history".
3. Copies the book to ``<database>_run`` (so the book itself never changes) and
   times the refresh there: the first refresh (opens every case), steady-state
   refreshes (nothing changed), and a refresh after ~5% more invoices were paid
   (cases updated and closed). Each run: seconds, SQL queries, cases touched.

Usage: see bench/README.md.
"""

import argparse
import collections
import contextlib
import cProfile
import hashlib
import io
import os
import pathlib
import pstats
import random
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

REPO = pathlib.Path(__file__).resolve().parent.parent
ODOO_SRC = pathlib.Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
BOOK_PARAM = "collections_officer.bench_book"
BOOK_DATE_PARAM = "collections_officer.bench_book_date"
ADDON_HASH_PARAM = "collections_officer.bench_addon_hash"
CUSTOMER_REF = "BENCH-"
HISTORY_SUFFIX = "+history"  # marks a book built with --history


def book_parser(description):
    """The options of the receivables book, shared by the benchmarks that use it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument(
        "--database",
        help="default: co_bench_<invoices> (co_bench_<invoices>_history with --history)",
    )
    parser.add_argument(
        "--addons-path",
        default=f"{ODOO_SRC}/odoo/addons,{ODOO_SRC}/addons,{REPO}",
        help="default: $ODOO_SRC/odoo/addons,$ODOO_SRC/addons,<repo root>",
    )
    parser.add_argument("--batch-size", type=int, default=500, help="moves created per commit")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--rebuild", action="store_true", help="drop and rebuild a database not holding this book"
    )
    parser.add_argument(
        "--with-demo",
        action="store_true",
        help="install the add-on with Odoo's demo data, and time the book next to its demo cases",
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="a book with payment behaviours and 15 months of paid invoices "
        "(default database: co_bench_<invoices>_history)",
    )
    return parser


def book_args(parser):
    args = parser.parse_args()
    suffix = HISTORY_SUFFIX if args.history else ""
    args.database = args.database or f"co_bench_{args.invoices}{suffix.replace('+', '_')}"
    args.book = f"{args.customers}x{args.invoices}{suffix}"
    if args.customers < 1 or args.invoices < 1:
        parser.error("--customers and --invoices must be positive")
    return args


def parse_args():
    parser = book_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="refresh runs before the payments")
    parser.add_argument(
        "--keep-run-db", action="store_true", help="keep the <database>_run copy afterwards"
    )
    parser.add_argument(
        "--no-payments",
        action="store_true",
        help="leave out the last run (5%% more invoices paid through the ORM: hours on a "
        "book of millions)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="cProfile each run: write DIR/<run>.prof and print the top functions",
    )
    args = book_args(parser)
    if args.repeat < 1:
        parser.error("--repeat must be positive")
    return args


def say(message):
    print(message, flush=True)


# ---------------------------------------------------------------- database


def addon_hash():
    """Fingerprint of the add-on's code and data: the book is upgraded when it changes."""
    digest = hashlib.sha1()
    addon = REPO / "collections_officer"
    for path in sorted(addon.rglob("*")):
        relative = path.relative_to(addon)
        if path.suffix in (".py", ".xml", ".csv") and relative.parts[0] != "tests":
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def odoo_bin(args, option):
    """Install (-i, creating the database if missing) or upgrade (-u) the add-on."""
    action = "installing" if option == "-i" else "upgrading"
    command = [
        sys.executable,
        str(ODOO_SRC / "odoo-bin"),
        "-d",
        args.database,
        option,
        "collections_officer",
        *(() if args.with_demo else ("--without-demo",)),
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--addons-path={args.addons_path}",
    ]
    say(f"{action} collections_officer in {args.database} (odoo-bin {option}) ...")
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode or " ERROR " in result.stderr or " CRITICAL " in result.stderr:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"{action} collections_officer in {args.database} failed")
    say(f"  done in {time.perf_counter() - start:.0f} s")


def database_state(odoo, name):
    """(add-on installed, book marker, add-on fingerprint) of a database."""
    from odoo.service import db as db_service

    if name not in db_service.list_dbs(True):
        return False, None, None
    with contextlib.closing(odoo.sql_db.db_connect(name).cursor()) as cr:
        cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
        if not cr.fetchone()[0]:
            return False, None, None
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'collections_officer'")
        row = cr.fetchone()
        installed = bool(row) and row[0] == "installed"
        params = dict.fromkeys((BOOK_PARAM, ADDON_HASH_PARAM))
        cr.execute("SELECT key, value FROM ir_config_parameter WHERE key IN %s", [tuple(params)])
        params.update(cr.fetchall())
        cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [CUSTOMER_REF + "%"])
        partial = cr.fetchone()[0] > 0
    book = params[BOOK_PARAM] or ("<partial>" if partial else None)
    return installed, book, params[ADDON_HASH_PARAM]


def drop_database(odoo, name):
    from odoo.service import db as db_service

    odoo.modules.registry.Registry.delete(name)
    odoo.sql_db.close_db(name)
    db_service.exp_drop(name)


def copy_database(odoo, source, target):
    """CREATE DATABASE target TEMPLATE source (file copy: fast for a big book)."""
    from odoo.service import db as db_service

    odoo.modules.registry.Registry.delete(source)
    odoo.sql_db.close_db(source)
    with contextlib.closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
        cr._cnx.autocommit = True
        db_service._drop_conn(cr, source)
        # PostgreSQL 15+ copies WAL-logged by default: FILE_COPY is much faster here.
        strategy = "STRATEGY FILE_COPY" if cr._cnx.server_version >= 150000 else ""
        cr.execute(
            odoo.tools.SQL(
                "CREATE DATABASE %s TEMPLATE %s %s",
                odoo.tools.SQL.identifier(target),
                odoo.tools.SQL.identifier(source),
                odoo.tools.SQL(strategy),
            )
        )


def ensure_book_database(odoo, args):
    """Install or upgrade the add-on as needed; True when the book is still to build."""
    installed, book, installed_hash = database_state(odoo, args.database)
    if book not in (None, args.book):
        if not args.rebuild:
            sys.exit(
                f"{args.database} holds the book {book!r}, not {args.book!r}: "
                "pass --rebuild to drop and rebuild it, or choose another --database"
            )
        say(f"dropping {args.database} (it holds {book!r})")
        drop_database(odoo, args.database)
        installed = book = installed_hash = None
    current_hash = addon_hash()
    if not installed:
        odoo_bin(args, "-i")
    elif installed_hash != current_hash:
        # Others edit the add-on: a book installed with older code needs an upgrade.
        odoo_bin(args, "-u")
    if installed_hash != current_hash:
        with contextlib.closing(odoo.sql_db.db_connect(args.database).cursor()) as cr:
            cr.execute(
                """INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""",
                [ADDON_HASH_PARAM, current_hash],
            )
            cr.commit()
    if book == args.book:
        say(f"reusing {args.database}: it holds the book {book}")
        return False
    return True


# ---------------------------------------------------------------- the book


# No chatter on the generated moves and payments: about 40% faster to build.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


def new_env(odoo, registry, cr, **context):
    from odoo import api

    env = api.Environment(cr, api.SUPERUSER_ID, {})
    return api.Environment(cr, api.SUPERUSER_ID, env["res.users"].context_get() | context)


def build_book(odoo, registry, args):
    from odoo import Command, fields

    rng = random.Random(args.seed)
    history = getattr(args, "history", False)
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = new_env(odoo, registry, cr, **QUIET)
        company = env.company
        today = fields.Date.context_today(env.user)
        sale_journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        if not sale_journal or not bank_journal:
            sys.exit(
                f"{args.database}: no sale or bank journal (is a chart of accounts installed?)"
            )

        say(f"building the book {args.book} in {args.database} (today = {today}) ...")
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Bench Customer {i:05d}",
                    "ref": f"{CUSTOMER_REF}{i:05d}",
                    "is_company": True,
                }
                for i in range(args.customers)
            ]
        )
        cr.commit()
        say(f"  {len(partners)} customers ({time.perf_counter() - started:.0f} s)")

        if history:
            specs = history_specs(rng, partners.ids, args.invoices, today)
        else:
            specs = plain_specs(rng, partners.ids, args.invoices, today)
        specs.sort(key=lambda spec: spec["date"])  # posting in date order: tidy sequences
        invoice_ids = []
        for batch in batched(specs, args.batch_size):
            batch_start = time.perf_counter()
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "journal_id": sale_journal.id,
                        "partner_id": spec["partner_id"],
                        "invoice_date": spec["date"],
                        "invoice_date_due": spec["due"],
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Bench service",
                                    "quantity": 1,
                                    "price_unit": spec["amount"],
                                    "tax_ids": [],
                                }
                            )
                        ],
                    }
                    for spec in batch
                ]
            )
            moves.action_post()
            invoice_ids += moves.ids
            cr.commit()
            env.invalidate_all()
            say(
                f"  invoices {len(invoice_ids):>6}/{args.invoices}: batch of {len(batch)} in "
                f"{time.perf_counter() - batch_start:.1f} s ({time.perf_counter() - started:.0f} s)"
            )

        if history:
            plan = history_plan(specs, invoice_ids)
        else:
            plan = plain_plan(env, rng, invoice_ids, today)
        pay_invoices(env, bank_journal, plan, args.batch_size, started)

        env["ir.config_parameter"].set_param(BOOK_DATE_PARAM, str(today))
        env["ir.config_parameter"].set_param(BOOK_PARAM, args.book)
        cr.commit()
    say(f"book {args.book} built in {time.perf_counter() - started:.0f} s")


def plain_specs(rng, partner_ids, count, today):
    """Invoices due from 200 days ago to 30 days ahead, issued 30 days earlier."""
    specs = []
    for _index in range(count):
        due = today + timedelta(days=rng.randint(-200, 30))
        specs.append(
            {
                "partner_id": rng.choice(partner_ids),
                "due": due,
                "date": min(due - timedelta(days=30), today),
                "amount": round(rng.uniform(50, 5000), 2),
            }
        )
    return specs


def plain_plan(env, rng, invoice_ids, today):
    """About 20% fully paid, 10% partly paid, some time after the invoice date."""
    order = list(invoice_ids)
    rng.shuffle(order)
    full = order[: len(order) * 20 // 100]
    partial = order[len(full) : len(full) + len(order) * 10 // 100]
    partial_ids = set(partial)
    plan = []
    for invoice in env["account.move"].browse(full + partial):
        paid_on = min(today, invoice.invoice_date + timedelta(days=rng.randint(0, 90)))
        amount = invoice.amount_residual
        if invoice.id in partial_ids:
            amount = invoice.currency_id.round(amount * rng.uniform(0.2, 0.8))
        plan.append((invoice.id, amount, paid_on))
    return plan


# ---------------------------------------------------------------- the book with history

# --history: invoices issued over the last HISTORY_DAYS, each customer paying after its
# own behaviour; an invoice is paid in full on the day its behaviour says, or stays
# open when that day is after the book's day.
HISTORY_DAYS = 480  # invoices issued over ~16 months: due dates reach ~15 months back
# (profile, share of the customers in %)
PROFILES = (
    ("on time", 30),  # on the due date, give or take a few days
    ("late", 25),  # N days late (N drawn per customer, 8 to 45), small spread
    ("seasonal", 15),  # a few days late, 20 to 40 days more in some months
    ("after a reminder", 10),  # a few days after the first (or second) reminder
    ("worsening", 10),  # later every month: 2 to 5 days more per month
    ("erratic", 10),  # anything from 10 days early to 60 days late
)
SEASONS = ((7, 8), (7, 8, 12), (6, 7, 8), (12, 1), (8, 12))  # months of the due date
REMINDER_DAYS = (7, 7, 21)  # the shipped Standard Follow-up's first and second reminders
NEVER_PAID = 0.03  # invoices left unpaid whatever the customer's behaviour (disputes)
PARTLY_PAID = 0.15  # of the invoices open and overdue on the book's day


def customer_behaviour(rng):
    """A customer's payment terms and behaviour: profile and its parameters."""
    profile = rng.choices([name for name, _ in PROFILES], [share for _, share in PROFILES])[0]
    behaviour = {"profile": profile, "terms": rng.choice((15, 30, 30, 30, 45, 60))}
    if profile == "on time":
        behaviour.update(mean=rng.uniform(-5, 1), spread=rng.uniform(1, 3))
    elif profile == "late":
        behaviour.update(mean=rng.uniform(8, 45), spread=rng.uniform(1.5, 4))
    elif profile == "seasonal":
        behaviour.update(
            mean=rng.uniform(0, 6),
            spread=rng.uniform(1.5, 3),
            months=rng.choice(SEASONS),
            extra=rng.uniform(20, 40),
        )
    elif profile == "after a reminder":
        behaviour.update(mean=rng.choice(REMINDER_DAYS) + rng.randint(2, 6), spread=1.0)
    elif profile == "worsening":
        behaviour.update(mean=rng.uniform(0, 8), spread=rng.uniform(2, 4), growth=rng.uniform(2, 5))
    return behaviour


def days_late(rng, behaviour, due, first_day):
    """Days between the due date and the payment of one invoice (negative: early)."""
    profile = behaviour["profile"]
    if profile == "erratic":
        return rng.randint(-10, 60)
    mean = behaviour["mean"]
    if profile == "seasonal" and due.month in behaviour["months"]:
        mean += behaviour["extra"]
    elif profile == "worsening":
        mean += behaviour["growth"] * (due - first_day).days / 30.4
    return round(rng.gauss(mean, behaviour["spread"]))


def history_specs(rng, partner_ids, count, today):
    """Invoices issued over the last HISTORY_DAYS, each with its planned payment:
    ``pay`` (date or None: never) and ``partial`` (date and share, or None)."""
    behaviours = {partner_id: customer_behaviour(rng) for partner_id in partner_ids}
    first_day = today - timedelta(days=HISTORY_DAYS)
    specs = []
    for _index in range(count):
        partner_id = rng.choice(partner_ids)
        behaviour = behaviours[partner_id]
        date = today - timedelta(days=rng.randint(0, HISTORY_DAYS))
        due = date + timedelta(days=behaviour["terms"])
        late = days_late(rng, behaviour, due, first_day)
        pay = max(date, due + timedelta(days=late))
        if rng.random() < NEVER_PAID or pay > today:
            pay = None
        partial = None
        if pay is None and due < today and rng.random() < PARTLY_PAID:
            paid_on = date + timedelta(days=rng.randint(0, (today - date).days))
            partial = (paid_on, rng.uniform(0.2, 0.8))
        specs.append(
            {
                "partner_id": partner_id,
                "due": due,
                "date": date,
                "amount": round(rng.uniform(50, 5000), 2),
                "pay": pay,
                "partial": partial,
            }
        )
    profiles = collections.Counter(behaviour["profile"] for behaviour in behaviours.values())
    say(
        "  behaviours: "
        + ", ".join(f"{name} {profiles[name]}" for name, _share in PROFILES)
        + f"; invoices to pay in full {sum(1 for spec in specs if spec['pay'])}, "
        f"partly {sum(1 for spec in specs if spec['partial'])}, "
        f"open {sum(1 for spec in specs if not spec['pay'])}"
    )
    return specs


def history_plan(specs, invoice_ids):
    """The payments of the specs (created in this order), in date order."""
    plan = []
    for spec, invoice_id in zip(specs, invoice_ids, strict=True):
        if spec["pay"]:
            plan.append((invoice_id, spec["amount"], spec["pay"]))
        elif spec["partial"]:
            paid_on, share = spec["partial"]
            plan.append((invoice_id, round(spec["amount"] * share, 2), paid_on))
    plan.sort(key=lambda row: (row[2], row[0]))
    return plan


def batched(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pay_invoices(env, journal, plan, batch_size, started=None, commit=True):
    """Register one customer payment per (invoice id, amount, date) and reconcile it.

    Batched: payments are created and posted per batch, then all reconciled in
    one ``_reconcile_plan`` call.
    """
    started = started or time.perf_counter()
    done = 0
    for batch in batched(plan, batch_size):
        batch_start = time.perf_counter()
        invoices = env["account.move"].browse([invoice_id for invoice_id, _a, _d in batch])
        payments = env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": amount,
                    "date": paid_on,
                    "journal_id": journal.id,
                    "memo": invoice.name,
                }
                for invoice, (_id, amount, paid_on) in zip(invoices, batch, strict=True)
            ]
        )
        payments.action_post()
        reconcile = []
        for invoice, payment in zip(invoices, payments, strict=True):
            receivable = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled
            )
            counterpart = payment.move_id.line_ids.filtered(
                lambda line, account=receivable.account_id: line.account_id == account
            )
            reconcile.append(receivable + counterpart)
        env["account.move.line"]._reconcile_plan(reconcile)
        env.flush_all()
        done += len(batch)
        if commit:
            env.cr.commit()
            env.invalidate_all()
        say(
            f"  payments {done:>6}/{len(plan)}: batch of {len(batch)} in "
            f"{time.perf_counter() - batch_start:.1f} s ({time.perf_counter() - started:.0f} s)"
        )


def book_summary(env):
    rows = env.execute_query(
        odoo_sql(
            """
            SELECT payment_state, count(*), round(sum(amount_residual_signed)::numeric, 2)
              FROM account_move
             WHERE move_type = 'out_invoice' AND state = 'posted'
          GROUP BY payment_state ORDER BY payment_state
            """
        )
    )
    (lines,) = env.execute_query(odoo_sql("SELECT count(*) FROM account_move_line"))[0]
    (partners,) = env.execute_query(
        odoo_sql("SELECT count(*) FROM res_partner WHERE ref LIKE %s", CUSTOMER_REF + "%")
    )[0]
    states = ", ".join(f"{state} {count} (residual {residual})" for state, count, residual in rows)
    return f"{partners} customers; invoices: {states}; {lines} move lines in all"


def odoo_sql(code, *params):
    from odoo.tools import SQL

    return SQL(code, *params)


# ---------------------------------------------------------------- timings


class QueryTally:
    """Counts the queries of the current thread by kind ("select res_partner", ...)."""

    VERB = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH)\b\s*", re.I)
    TABLE = re.compile(r'\s*"?(\w+)"?')
    FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.I)

    def __init__(self):
        self.counts = collections.Counter()

    def __call__(self, cr, query, params, start, delay):
        text = query.decode() if isinstance(query, bytes) else str(query)
        verb = self.VERB.match(text)
        if not verb:
            self.counts[" ".join(text.split()[:2]).lower()[:40]] += 1
            return
        name = verb.group(1).split()[0].lower()
        if name in ("select", "with"):
            table = self.FROM.search(text, verb.end())
            target = table.group(1) if table else text[verb.end() :].split("(")[0].strip()
        else:
            target = self.TABLE.match(text, verb.end()).group(1)
        self.counts[f"{name} {target}"[:60]] += 1

    @contextlib.contextmanager
    def hooked(self):
        thread = threading.current_thread()
        previous = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*previous, self)
        try:
            yield self
        finally:
            thread.query_hooks = previous

    def top(self, count=6):
        return ", ".join(f"{kind}: {n}" for kind, n in self.counts.most_common(count))


def case_states(env):
    """{case id: (state, write_date)}"""
    rows = env.execute_query(odoo_sql("SELECT id, state, write_date FROM collection_case"))
    return {case_id: (state, write_date) for case_id, state, write_date in rows}


def timed_refresh(odoo, registry, args, label, commit):
    """One refresh in its own cursor and environment; returns a result row."""
    with registry.cursor() as cr:
        env = new_env(odoo, registry, cr)
        company = env.company
        before = case_states(env)
        env.invalidate_all()
        tally = QueryTally()
        profiler = cProfile.Profile() if args.profile else None
        with tally.hooked():
            queries_before = cr.sql_log_count
            start, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            touched = env["collection.case"]._refresh_from_accounting(companies=company)
            env.flush_all()
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
            queries = cr.sql_log_count - queries_before
        after = case_states(env)
        old = {case_id: state for case_id, (state, _date) in before.items()}
        new = {case_id: state for case_id, (state, _date) in after.items()}
        opened = len(set(new) - set(old))
        closed = sum(
            1 for i, s in new.items() if s == "closed" and old.get(i, "closed") != "closed"
        )
        reopened = sum(1 for i, s in new.items() if s != "closed" and old.get(i) == "closed")
        written = sum(1 for i, values in after.items() if i in before and before[i] != values)
        row = {
            "run": label,
            "seconds": seconds,
            "queries": queries,
            "touched": len(touched),
            "opened": opened,
            "updated": written - closed - reopened,
            "closed": closed,
            "reopened": reopened,
            "open_after": sum(1 for s in new.values() if s != "closed"),
        }
        if commit:
            cr.commit()
        else:
            cr.rollback()
    say(
        f"  {label:<22} {seconds:8.2f} s ({cpu:.2f} s CPU in this process) {queries:7d} queries; "
        f"returned {row['touched']} cases: "
        f"opened {opened}, updated {row['updated']}, closed {closed}, reopened {reopened}"
    )
    say(f"  {'':<22} top queries: {tally.top()}")
    if profiler:
        directory = pathlib.Path(args.profile)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{args.database}_{label.replace(' ', '_')}.prof"
        profiler.dump_stats(path)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        say(f"  profile written to {path}; top functions (cumulative):")
        say("\n".join("    " + line for line in out.getvalue().splitlines()[6:32] if line.strip()))
    return row


def pay_more(odoo, registry, args, share=0.05):
    """Pay ~5% more invoices in full: half closes whole customers, half updates cases."""
    from odoo import fields

    rng = random.Random(args.seed + 1)
    with registry.cursor() as cr:
        env = new_env(odoo, registry, cr, **QUIET)
        company = env.company
        today = fields.Date.context_today(env.user)
        bank_journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        unpaid = env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", company.id),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        budget = max(2, round(args.invoices * share))
        overdue = unpaid.filtered(lambda move: move.invoice_date_due < today)
        by_partner = collections.defaultdict(list)
        for move in overdue:
            by_partner[move.commercial_partner_id.id].append(move.id)
        partner_ids = sorted(by_partner)
        rng.shuffle(partner_ids)
        chosen = []
        for partner_id in partner_ids:  # whole customers: their cases close
            if len(chosen) + len(by_partner[partner_id]) > budget // 2:
                break
            chosen += by_partner[partner_id]
        closing_partners = {move.commercial_partner_id.id for move in overdue.browse(chosen)}
        rest = [move.id for move in unpaid if move.commercial_partner_id.id not in closing_partners]
        chosen += rng.sample(rest, min(len(rest), budget - len(chosen)))
        plan = [(move.id, move.amount_residual, today) for move in unpaid.browse(chosen)]
        say(
            f"paying {len(plan)} more invoices in full "
            f"({len(closing_partners)} customers paid up on everything overdue) ..."
        )
        pay_invoices(env, bank_journal, plan, args.batch_size, commit=False)
        cr.commit()


def print_table(rows, title):
    say("")
    say(title)
    header = (
        f"| {'run':<22} | {'seconds':>8} | {'queries':>7} | {'returned':>8} | {'opened':>6} "
        f"| {'updated':>7} | {'closed':>6} | {'reopened':>8} | {'open after':>10} |"
    )
    say(header)
    say("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for row in rows:
        say(
            f"| {row['run']:<22} | {row['seconds']:>8.2f} | {row['queries']:>7d} | "
            f"{row['touched']:>8d} | {row['opened']:>6d} | {row['updated']:>7d} | "
            f"{row['closed']:>6d} | {row['reopened']:>8d} | {row['open_after']:>10d} |"
        )


# ---------------------------------------------------------------- start


def start_odoo(args):
    """Import Odoo from ``ODOO_SRC`` and configure it for a benchmark (no HTTP, no
    cron threads, warnings only): returns the ``odoo`` package."""
    sys.path.insert(0, str(ODOO_SRC))
    import odoo
    from odoo.tools import config

    config.parse_config(
        [
            f"--addons-path={args.addons_path}",
            "--log-level=warn",
            "--max-cron-threads=0",
            "--no-http",
        ],
        setup_logging=True,
    )
    return odoo


def open_book_copy(odoo, args):
    """The registry of ``args.database``, a copy of a book made beforehand (the
    benchmarks that change the book work on a copy): exits when it is missing or
    holds no book."""
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    if args.database not in db_service.list_dbs(True):
        sys.exit(
            f"{args.database} does not exist: copy a book into it first, "
            f"e.g. createdb -T co_perf_bench {args.database}"
        )
    if ensure_book_database(odoo, args):
        sys.exit(f"{args.database} holds no book: build it with bench_refresh.py first")
    return Registry(args.database)


# ---------------------------------------------------------------- main


def main():
    args = parse_args()
    odoo = start_odoo(args)
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    fresh = ensure_book_database(odoo, args)
    registry = Registry(args.database)
    if fresh:
        build_book(odoo, registry, args)
    with registry.cursor() as cr:
        env = new_env(odoo, registry, cr)
        say(f"book: {book_summary(env)}")
        (cases,) = env.execute_query(odoo_sql("SELECT count(*) FROM collection_case"))[0]
        if cases and not args.with_demo:
            sys.exit(
                f"{args.database} already holds {cases} collection cases: not a clean book "
                "(pass --with-demo to time the refresh next to them)"
            )
        if cases:
            say(f"{cases} collection cases already there (demo data): the refresh keeps them")

    run_db = f"{args.database}_run"
    if run_db in db_service.list_dbs(True):
        drop_database(odoo, run_db)
    start = time.perf_counter()
    copy_database(odoo, args.database, run_db)
    say(f"copied the book to {run_db} in {time.perf_counter() - start:.1f} s")
    with contextlib.closing(odoo.sql_db.db_connect(run_db).cursor()) as cr:
        cr.execute("SHOW server_version")
        postgres = cr.fetchone()[0]
    say(
        f"timing the refresh (Odoo {odoo.release.version}, PostgreSQL {postgres}, "
        f"{os.cpu_count()} CPUs):"
    )
    try:
        registry = Registry(run_db)
        rows = [timed_refresh(odoo, registry, args, "1 first (opens)", commit=True)]
        for run in range(2, args.repeat + 1):
            rows.append(timed_refresh(odoo, registry, args, f"{run} steady state", commit=False))
        if not args.no_payments:
            pay_more(odoo, registry, args)
            rows.append(timed_refresh(odoo, registry, args, "after paying 5% more", commit=True))
        print_table(
            rows,
            f"collection.case._refresh_from_accounting, book {args.book} "
            f"({args.customers} customers, {args.invoices} invoices), database {args.database}",
        )
    finally:
        if not args.keep_run_db:
            drop_database(odoo, run_db)


if __name__ == "__main__":
    main()
