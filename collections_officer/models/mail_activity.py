from odoo import api, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        activities._update_collection_next_actions()
        return activities

    def write(self, vals):
        cases = self._collection_cases()
        result = super().write(vals)
        if {"date_deadline", "active", "res_id", "res_model", "res_model_id"} & set(vals):
            (cases | self._collection_cases())._update_priority()
        return result

    def unlink(self):
        cases = self._collection_cases()
        result = super().unlink()
        cases._update_priority()
        return result

    def _collection_cases(self):
        ids = {
            activity.res_id
            for activity in self.sudo()
            if activity.res_model == "collection.case" and activity.res_id
        }
        return self.env["collection.case"].sudo().browse(ids)

    def _update_collection_next_actions(self):
        # An activity on a case is one of its next actions.
        self._collection_cases()._update_priority()
