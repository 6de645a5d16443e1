"""19.0.1.8.0: refresh requests are counted.

A refresh of every case asked for (Refresh All, or a refresh another transaction
held) was a flag, which a refresh running at that moment cleared when it ended,
although its earlier batches had read their customers before the request. It is
now a count of requests; a refresh answers only those made before it started. A
request still pending at the upgrade stays pending. Odoo drops the old column
once the upgrade is done.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "res_company", "collection_refresh_asked"):
        return
    cr.execute(
        SQL(
            "UPDATE res_company SET collection_refresh_requested = 1 WHERE collection_refresh_asked"
        )
    )
