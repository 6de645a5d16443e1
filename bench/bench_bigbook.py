#!/usr/bin/env python3
"""Builds a large receivables book quickly: a generated book copied N times by SQL.

Building through the ORM costs about 12 ms per invoice (40 minutes for 200,000
invoices, hours for 2,000,000). This copies a book ``bench_refresh.py`` built (its
customers, their invoices and payments, the move lines and their reconciliations)
``--copies - 1`` more times into a new database, one INSERT ... SELECT per table for
all the copies, every id moved by a fixed offset per copy and every reference between
the copied rows moved with it. Each copy gets its own customers (``BENCH-<copy>-…``) and
its own entry numbers. The ORM then checks a sample of the copies: their moves balance,
and the residual it computes for their lines is the one copied.

    .venv/bin/python bench/bench_bigbook.py --source co_bench_20000 --copies 10
    # -> co_bench_200000: 20,000 customers, 200,000 invoices, marked as that book

The result is marked as the book ``<customers>x<invoices>`` the other benchmarks
expect (``--customers 20000 --invoices 200000 --database co_bench_200000``).
"""

import argparse
import random
import sys
import time

import bench_refresh as book

# The tables copied, the column moved by the copy's id offset, and the references to
# the copied tables each holds (column: table referenced).
# In the order of insertion: a payment's entry before the payment, the entry's link
# back to its payment set afterwards (see ``LINKED_LATER``).
COPIED = {
    "res_partner": {"commercial_partner_id": "res_partner"},
    "account_full_reconcile": {},
    "account_move": {
        "partner_id": "res_partner",
        "commercial_partner_id": "res_partner",
        "partner_shipping_id": "res_partner",
        "reversed_entry_id": "account_move",
    },
    "account_payment": {"partner_id": "res_partner", "move_id": "account_move"},
    "account_move_line": {
        "move_id": "account_move",
        "partner_id": "res_partner",
        "payment_id": "account_payment",
        "full_reconcile_id": "account_full_reconcile",
    },
    "account_partial_reconcile": {
        "debit_move_id": "account_move_line",
        "credit_move_id": "account_move_line",
        "full_reconcile_id": "account_full_reconcile",
    },
}


# References that would point to a row not copied yet when their row is inserted.
LINKED_LATER = {"account_move": {"origin_payment_id": "account_payment"}}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="a database bench_refresh.py built")
    parser.add_argument("--copies", type=int, default=10, help="the book N times (default 10)")
    parser.add_argument("--database", help="default: co_bench_<invoices times copies>")
    parser.add_argument(
        "--addons-path",
        default=f"{book.ODOO_SRC}/odoo/addons,{book.ODOO_SRC}/addons,{book.REPO}",
    )
    parser.add_argument("--rebuild", action="store_true", help="drop the target if it exists")
    args = parser.parse_args()
    if args.copies < 2:
        parser.error("--copies must be at least 2")
    return args


def source_book(odoo, name):
    installed, marker, _hash = book.database_state(odoo, name)
    if not installed or not marker or "x" not in marker:
        sys.exit(f"{name} holds no book: build it with bench_refresh.py first")
    customers, invoices = marker.split("+")[0].split("x")
    return int(customers), int(invoices), marker


def scalar(env, code, *params):
    return env.execute_query(book.odoo_sql(code, *params))[0][0]


def multiply(env, copies):
    """Copy the book's customers and everything of theirs ``copies - 1`` more times."""
    from odoo.tools import SQL

    partners = SQL("ref LIKE %s", book.CUSTOMER_REF + "%")
    (low, high) = env.execute_query(
        SQL("SELECT min(id), max(id) FROM res_partner WHERE %s", partners)
    )[0]
    moves = SQL("commercial_partner_id BETWEEN %s AND %s", low, high)
    where = {
        "res_partner": partners,
        "account_move": moves,
        "account_payment": SQL("partner_id BETWEEN %s AND %s", low, high),
        "account_move_line": SQL("move_id IN (SELECT id FROM account_move WHERE %s)", moves),
        "account_partial_reconcile": SQL(
            "debit_move_id IN (SELECT l.id FROM account_move_line l JOIN account_move m"
            " ON m.id = l.move_id WHERE m.%s)",
            moves,
        ),
        "account_full_reconcile": SQL(
            "id IN (SELECT full_reconcile_id FROM account_move_line l JOIN account_move m"
            " ON m.id = l.move_id WHERE m.%s)",
            moves,
        ),
    }
    # Each table's ids move by a multiple of its current maximum: no copy meets another.
    offset = {
        table: scalar(env, "SELECT coalesce(max(id), 0) FROM %s", SQL.identifier(table))
        for table in COPIED
    }
    sequence_step = scalar(
        env, "SELECT coalesce(max(sequence_number), 0) + 1 FROM account_move WHERE %s", moves
    )
    # The copied entries' numbers: their lines carry them too.
    joins = {
        "account_move": SQL(
            ", LATERAL (SELECT t.sequence_number + c.k * %s AS number) n", sequence_step
        ),
        "account_move_line": SQL(
            "JOIN account_move m ON m.id = t.move_id,"
            " LATERAL (SELECT m.sequence_number + c.k * %s AS number) n",
            sequence_step,
        ),
    }
    for table, references in COPIED.items():
        columns = [
            name
            for (name,) in env.execute_query(
                SQL(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = %s ORDER BY ordinal_position",
                    table,
                )
            )
        ]
        values = []
        for name in columns:
            column = SQL.identifier("t", name)
            if name == "id":
                values.append(SQL("t.id + c.k * %s", offset[table]))
            elif name in LINKED_LATER.get(table, {}):
                values.append(SQL("NULL"))
            elif name in references:
                target = references[name]
                # Only references to the copied rows move: a customer's own company,
                # journal or account stays.
                bounds = (low, high) if target == "res_partner" else (1, offset[target])
                values.append(
                    SQL(
                        "CASE WHEN %s BETWEEN %s AND %s THEN %s + c.k * %s ELSE %s END",
                        column,
                        bounds[0],
                        bounds[1],
                        column,
                        offset[target],
                        column,
                    )
                )
            elif table == "res_partner" and name in ("ref", "name", "complete_name"):
                values.append(SQL("%s || '-' || c.k", column))
            elif table == "account_move" and name == "sequence_number":
                values.append(SQL("t.sequence_number + c.k * %s", sequence_step))
            elif table == "account_move_line" and name == "move_name":
                values.append(
                    SQL(
                        "m.sequence_prefix || lpad(n.number::text,"
                        " greatest(5, length(n.number::text)), '0')"
                    )
                )
            elif table == "account_move" and name in ("name", "payment_reference"):
                values.append(
                    SQL(
                        # Five digits at least, as Odoo numbers them (lpad also cuts).
                        "CASE WHEN %s = t.name THEN t.sequence_prefix || lpad(n.number::text,"
                        " greatest(5, length(n.number::text)), '0') ELSE %s END",
                        column,
                        column,
                    )
                )
            elif table == "account_move_line" and name == "matching_number":
                # 'P<partial id>' until fully reconciled, then the full reconcile's id.
                values.append(
                    SQL(
                        "CASE WHEN t.matching_number LIKE 'P%%'"
                        " THEN 'P' || (substr(t.matching_number, 2)::int + c.k * %s)"
                        " WHEN t.matching_number IS NOT NULL"
                        " THEN (t.matching_number::int + c.k * %s)::text END",
                        offset["account_partial_reconcile"],
                        offset["account_full_reconcile"],
                    )
                )
            else:
                values.append(column)
        started = time.perf_counter()
        env.execute_query(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM %s t CROSS JOIN generate_series(1, %s) AS c(k)"
                " %s WHERE %s",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(name) for name in columns),
                SQL(", ").join(values),
                SQL.identifier(table),
                copies - 1,
                joins.get(table, SQL()),
                where[table],
            )
        )
        book.say(
            f"  {table}: {env.cr.rowcount} rows copied in {time.perf_counter() - started:.1f} s"
        )
    env.execute_query(
        SQL(
            "UPDATE account_move m SET origin_payment_id = p.id FROM account_payment p"
            " WHERE p.move_id = m.id AND m.id > %s",
            offset["account_move"],
        )
    )
    for table in COPIED:
        env.execute_query(
            SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM %s))",
                table,
                SQL.identifier(table),
            )
        )
    return offset


def check_with_orm(env, offset, sample=300):
    """The ORM's own figures on a sample of the copied entries: balanced moves, and the
    residual it computes for their lines equals the one copied."""
    from odoo.tools import SQL

    rng = random.Random(7)
    line_ids = [
        row[0]
        for row in env.execute_query(
            SQL(
                "SELECT l.id FROM account_move_line l JOIN account_account a"
                " ON a.id = l.account_id WHERE l.id > %s"
                " AND a.account_type = 'asset_receivable' ORDER BY l.id",
                offset["account_move_line"],
            )
        )
    ]
    lines = env["account.move.line"].browse(rng.sample(line_ids, min(sample, len(line_ids))))
    stored = {line.id: (line.amount_residual, line.reconciled) for line in lines}
    lines.move_id._check_balanced({"records": lines.move_id})
    env.invalidate_all()
    lines._compute_amount_residual()
    wrong = [
        line.id
        for line in lines
        if (round(line.amount_residual, 2), line.reconciled)
        != (round(stored[line.id][0], 2), stored[line.id][1])
    ]
    if wrong:
        sys.exit(f"the ORM computes other residuals for the copied lines {wrong[:10]}")
    book.say(f"  the ORM agrees on {len(lines)} copied receivable lines and their moves")


def main():
    args = parse_args()
    odoo = book.start_odoo(args)
    from odoo.modules.registry import Registry
    from odoo.service import db as db_service

    customers, invoices, marker = source_book(odoo, args.source)
    history = marker.endswith(book.HISTORY_SUFFIX)
    target_marker = f"{customers * args.copies}x{invoices * args.copies}"
    target_marker += book.HISTORY_SUFFIX if history else ""
    args.database = args.database or f"co_bench_{invoices * args.copies}" + (
        "_history" if history else ""
    )
    if args.database in db_service.list_dbs(True):
        if not args.rebuild:
            sys.exit(f"{args.database} exists: pass --rebuild to build it again")
        book.drop_database(odoo, args.database)
    started = time.perf_counter()
    book.copy_database(odoo, args.source, args.database)
    book.say(f"copied {args.source} ({marker}) to {args.database}; {args.copies} times the book:")
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = book.new_env(odoo, registry, cr)
        cases = scalar(env, "SELECT count(*) FROM collection_case")
        if cases:
            sys.exit(f"{args.source} holds {cases} collection cases: copy a book without cases")
        offset = multiply(env, args.copies)
        env.execute_query(book.odoo_sql("ANALYZE"))
        check_with_orm(env, offset)
        env["ir.config_parameter"].set_param(book.BOOK_PARAM, target_marker)
        env.invalidate_all()
        book.say(f"book: {book.book_summary(env)}")
        cr.commit()
    book.say(
        f"{args.database} holds the book {target_marker}: "
        f"built in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
