from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Disputes per invoice replace the whole-case hold of a "disputed" contact."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["collection.dispute"]._migrate_dispute_holds()
