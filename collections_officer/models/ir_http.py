from odoo import models

MY_DAY_ACTION = "collections_officer.collection_my_day_action"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        """Collections officers and managers start their day on My Day.

        The web client opens the user's home action after login; for a
        collections user without one of their own it is My Day (a home action
        set on the user still wins). Nothing is stored on the users: the landing
        follows the groups, granted or taken away.
        """
        info = super().session_info()
        user = self.env.user
        if (
            not info.get("home_action_id")
            and user._is_internal()
            and user.has_group("collections_officer.group_collections_officer")
        ):
            action = self.env.ref(MY_DAY_ACTION, raise_if_not_found=False)
            info["home_action_id"] = action.id if action else False
        return info
