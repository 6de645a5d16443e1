from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionCase(models.Model):
    """Hold and breathing space: a manager's decision to stop the follow-up of a case.

    On hold, no automated action; in a breathing space, no contact, fees or interest.
    Who may set them is one of the case's write rules (``_check_hold_change``).
    """

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    hold_reason = fields.Char(tracking=True)
    breathing_space_from = fields.Date(
        tracking=True,
        help="First day of the breathing space: interest is frozen from this day to its end "
        "(included) and runs again after it. Empty: frozen from the due date.",
    )
    breathing_space_until = fields.Date(
        tracking=True,
        help="No contact and no fees or interest until this date "
        "(e.g. a statutory breathing space).",
    )

    @api.constrains("breathing_space_from", "breathing_space_until")
    def _check_breathing_space(self):
        for case in self:
            if (
                case.breathing_space_from
                and case.breathing_space_until
                and case.breathing_space_from > case.breathing_space_until
            ):
                raise ValidationError(
                    self.env._(
                        "%(case)s: a breathing space cannot end before it starts.",
                        case=case.display_name,
                    )
                )
