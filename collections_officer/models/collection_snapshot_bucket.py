from odoo import fields, models


class CollectionSnapshotBucket(models.Model):
    """An aging bucket of a monthly snapshot: what was owed in it at the month's end.

    Written with its snapshot, in the buckets of the company as they were set
    then (``collection.kpi._aging_buckets``), label included: a month kept reads
    the same after the company changes its buckets, and the aging trend shows
    each month in the buckets it was taken in. Never rewritten.
    """

    _name = "collection.snapshot.bucket"
    _description = "Collection Monthly Snapshot: Aging Bucket"
    _order = "month desc, snapshot_id, sequence, id"
    _rec_name = "label"
    _check_company_auto = True

    snapshot_id = fields.Many2one(
        "collection.snapshot",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    # Stored from the snapshot, never rewritten: the trend groups and filters by them.
    company_id = fields.Many2one(related="snapshot_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    month = fields.Date(related="snapshot_id.month", store=True)
    scope = fields.Selection(related="snapshot_id.scope", store=True)
    user_id = fields.Many2one(related="snapshot_id.user_id", store=True, string="Officer")
    team_id = fields.Many2one(related="snapshot_id.team_id", store=True)
    sequence = fields.Integer(readonly=True, help="The bucket's place, not due first.")
    label = fields.Char(string="Bucket", required=True, readonly=True)
    days_from = fields.Integer(
        readonly=True, help="The youngest age in the bucket, in days past the due date."
    )
    days_to = fields.Integer(
        readonly=True,
        help="The oldest age in the bucket, in days past the due date; 0 for the last "
        "bucket, which has no limit, and for the not due one.",
    )
    amount = fields.Monetary(readonly=True)

    _snapshot_sequence_uniq = models.UniqueIndex(
        "(snapshot_id, sequence)", "A snapshot keeps each of its buckets once."
    )
