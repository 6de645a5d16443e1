"""19.0.1.7.0: the aged receivables screen reads the ledger, no table of its own.

Its items and buckets were written, run by run, into two transient tables; they
are now rows of a query (``collection.aging.line``, ``collection.aging.bucket``),
so the tables and what they held go.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    for table in ("collection_aging_line", "collection_aging_bucket"):
        cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(table)))
