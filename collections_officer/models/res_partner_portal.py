from odoo import fields, models
from odoo.exceptions import AccessError

from .res_partner import MANAGED_FIELDS, OFFICER_FIELDS, OFFICERS

# The customer's own choice: they set it on their customer page, officers from the case.
PREFERENCE_FIELDS = ("collection_channel_preference",)


# res.partner is extended by job: what the customer chooses on the customer page.
class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    collection_channel_preference = fields.Selection(
        [("email", "E-mail"), ("letter", "Paper")],
        string="Collections Sent By",
        copy=False,
        tracking=True,
        help="How the customer asked to receive reminders and statements: by e-mail, or on "
        "paper (letters instead of e-mails). Empty: no preference.",
    )

    def write(self, vals):
        # Like the collections contact: the customer's choice, recorded by the customer
        # page (as the engine) or by a collections officer.
        if (
            "collection_channel_preference" in vals
            and not self.env.su
            and not self.env.user.has_group(OFFICERS)
            and any(
                partner.collection_channel_preference
                != (vals["collection_channel_preference"] or False)
                for partner in self.sudo()
            )
        ):
            raise AccessError(
                self.env._(
                    "Only collections officers record how a customer wants to receive "
                    "collection messages."
                )
            )
        return super().write(vals)

    def _collection_settings_writer(self, vals):
        # The preference is a collections setting an officer saves like the contact.
        if (
            not self.env.su
            and vals
            and set(PREFERENCE_FIELDS) & set(vals)
            and set(vals) <= {*OFFICER_FIELDS, *MANAGED_FIELDS, *PREFERENCE_FIELDS}
            and self.env.user.has_group(OFFICERS)
        ):
            self.check_access("read")
            return self.sudo()
        return super()._collection_settings_writer(vals)
