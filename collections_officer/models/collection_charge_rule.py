from odoo import fields, models


class CollectionChargeRule(models.Model):
    _name = "collection.charge.rule"
    _description = "Late-Payment Charge Rule"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    def _charge_cases(self, cases, date):
        """Invoice this rule's charges to the cases' customers; returns the invoices."""
        self.ensure_one()
        return self.env["account.move"]
