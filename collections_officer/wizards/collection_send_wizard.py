from odoo import fields, models


class CollectionSendWizard(models.TransientModel):
    _name = "collection.send.wizard"
    _description = "Send the Follow-up Level Now"

    case_ids = fields.Many2many("collection.case", required=True)
