from odoo import fields, models


class CollectionContactWizard(models.TransientModel):
    _name = "collection.contact.wizard"
    _description = "Log a Collection Contact"

    case_id = fields.Many2one("collection.case", required=True)
