"""19.0.1.3.0: a customer's credit hold is kept per company.

``res_partner.collection_credit_hold`` was a boolean column: one hold for every
company. It becomes company-dependent, a jsonb column ``{"<company id>": true}``.
Odoo would convert the column itself with ``collection_credit_hold::jsonb``,
which PostgreSQL refuses for a boolean, so it is converted here, before the
models are loaded:

- a customer on hold is held in every company where it has a collection case
  (open or closed): the companies that followed its debt up;
- a customer on hold without any case (held by hand on its form) is held in
  every company, as it was;
- a customer not on hold gets no value (the fallback, not on hold).

The reason, date and author of a hold are new columns that Odoo creates empty.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import table_columns

_logger = logging.getLogger("odoo.addons.collections_officer.migrations")


def migrate(cr, version):
    if not version:
        return
    column = table_columns(cr, "res_partner").get("collection_credit_hold")
    if not column or column["udt_name"] != "bool":
        return
    # Mark the customers on hold, then give each its companies.
    cr.execute(
        SQL(
            """
            ALTER TABLE res_partner
            ALTER COLUMN collection_credit_hold TYPE jsonb
            USING CASE WHEN collection_credit_hold THEN '{}'::jsonb END
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE res_partner p
               SET collection_credit_hold = held.companies
              FROM (
                    SELECT partner_id,
                           jsonb_object_agg(company_id::text, true) AS companies
                      FROM (SELECT DISTINCT partner_id, company_id FROM collection_case) c
                     GROUP BY partner_id
                   ) held
             WHERE held.partner_id = p.id
               AND p.collection_credit_hold = '{}'::jsonb
            """
        )
    )
    by_case = cr.rowcount
    cr.execute(
        SQL(
            """
            UPDATE res_partner
               SET collection_credit_hold = (
                    SELECT jsonb_object_agg(id::text, true) FROM res_company
                   )
             WHERE collection_credit_hold = '{}'::jsonb
            """
        )
    )
    _logger.info(
        "Credit holds kept per company: %s customers held where they have a collection case, "
        "%s without a case held in every company.",
        by_case,
        cr.rowcount,
    )
