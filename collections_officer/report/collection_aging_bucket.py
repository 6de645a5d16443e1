from odoo import fields, models
from odoo.tools import SQL


class CollectionAgingBucket(models.Model):
    """A bucket of an aging run, so that the pivot and graph show buckets in age order.

    Not a table: the buckets of the run carried by the context, labelled in the
    user's language; an item's ``bucket_id`` is its bucket's index plus one.
    """

    _name = "collection.aging.bucket"
    _description = "Aging Bucket"
    _auto = False
    # The ids follow the age: ordered by id, a grouping by bucket needs no join (the ORM
    # would join this model by its table name, and it has no table).
    _order = "id"

    sequence = fields.Integer(readonly=True)
    name = fields.Char(readonly=True)

    @property
    def _table_query(self):
        report = self.env["collection.aging.report"]
        limits = self.env["collection.aging.line"]._context_params()["buckets"]
        return SQL(
            "SELECT * FROM (VALUES %s) AS buckets(id, sequence, name)",
            SQL(", ").join(
                SQL("(%s, %s, %s)", index + 1, index, label)
                for index, label in enumerate(report._bucket_labels(limits))
            ),
        )
