"""19.0.1.6.0: payment predictions and policy experiments.

Every active case is scored again, so that it says how its predicted pay date
was made (the customer's median delay until the first model is trained) before
the next scheduled refresh. Experiments start empty: no case is in an arm.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["collection.case"]._update_priority_all()
