from odoo import fields, models


class CollectionReferenceRate(models.Model):
    _name = "collection.reference.rate"
    _description = "Reference Interest Rate"
    _order = "rate_type, date_from desc, id desc"

    rate_type = fields.Selection(
        [("boe", "Bank of England Base Rate"), ("ecb", "ECB Main Refinancing Rate")],
        required=True,
    )
    date_from = fields.Date(string="Valid From", required=True)
    rate = fields.Float(string="Rate (%)", digits=(16, 4), required=True)
