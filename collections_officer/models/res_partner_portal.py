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

    def signup_prepare(self, signup_type="signup"):
        # The customer's link in each follow-up e-mail asks for it: writing a type the
        # customer already has changes nothing, but costs a write of the customer for
        # each e-mail of the nightly run.
        partners = self.filtered(lambda partner: partner.signup_type != signup_type)
        return super(ResPartner, partners).signup_prepare(signup_type) if partners else True

    def _collection_signup_prepare(self):
        """What the portal prepares for the customers' links (see ``signup_get_auth_param``),
        for many customers at once: their users read together, their signup type written
        in one statement instead of one write per e-mail."""
        partners = self.sudo()
        partners.fetch(["signup_type"])
        without_user = partners.filtered(lambda partner: not partner.user_ids)
        if self.env["res.users"]._get_signup_invitation_scope() == "b2c":
            without_user.signup_prepare()

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
