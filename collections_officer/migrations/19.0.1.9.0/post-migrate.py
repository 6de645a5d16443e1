"""19.0.1.9.0: the day's overdue book is kept on the company.

A case's share of the overdue book is read against the total the day's scoring
stored (*Overdue Book at Scoring*), no longer against every case of the company
read again each time a case is scored. A company whose cases were already scored
today gets its book now: the cases scored again later today read no other case
from the upgrade on, not only from its next morning. The others get theirs at
their next scoring.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    companies = env["res.company"].search([])  # pylint: disable=no-search-all
    scored = companies.filtered(
        lambda company: company.collection_scored_day == company._collection_today()
    )
    book = env["collection.case"]._read_overdue_book(scored)
    for company in scored:
        company.collection_priority_book = book.get(company.id, 0.0)
