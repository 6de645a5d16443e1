from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize


class CollectionPolicy(models.Model):
    _name = "collection.policy"
    _description = "Collection Follow-up Policy"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    level_ids = fields.One2many("collection.level", "policy_id", string="Levels")
    first_level_by_age = fields.Boolean(
        string="Start Old Debt at Its Level",
        help="A case's first contact gets the level the age of its oldest overdue item "
        "reaches, not the first level; levels required before the next ones are never "
        "skipped. Later levels follow one at a time.",
    )
    cc_emails = fields.Char(
        string="CC Addresses",
        help="E-mail addresses copied on every follow-up e-mail of this policy, comma-separated.",
    )

    @api.constrains("cc_emails")
    def _check_cc_emails(self):
        for policy in self:
            for address in policy._get_cc_emails(strict=False):
                if not email_normalize(address):
                    raise ValidationError(
                        self.env._(
                            "%(address)s is not an e-mail address (CC of policy %(policy)s).",
                            address=address,
                            policy=policy.name,
                        )
                    )

    def _get_cc_emails(self, strict=True):
        self.ensure_one()
        addresses = [a.strip() for a in (self.cc_emails or "").replace(";", ",").split(",")]
        addresses = [a for a in addresses if a]
        return [email_normalize(a) for a in addresses] if strict else addresses

    def _get_levels(self):
        """The policy's levels in the order they fire."""
        self.ensure_one()
        return self.level_ids.sorted(lambda level: (level.delay_days, level.sequence, level.id))
