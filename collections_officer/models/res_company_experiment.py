from odoo import api, fields, models


# res.company is extended by job: the policy experiments and the cost of each channel.
class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    collection_experiment_ids = fields.One2many(
        "collection.experiment", "company_id", string="Policy Experiments"
    )
    # Read with the company by every resolution of a case's policy: no experiment
    # running, no query to look for one.
    collection_experiment_running = fields.Boolean(
        compute="_compute_collection_experiment_running",
        store=True,
        help="A policy experiment runs in the company: its new cases may be enrolled.",
    )
    collection_cost_email = fields.Monetary(
        string="Cost per E-mail",
        currency_field="currency_id",
        default=0.05,
        help="What an e-mail to a customer costs: the policy experiments report it.",
    )
    collection_cost_letter = fields.Monetary(
        string="Cost per Letter",
        currency_field="currency_id",
        default=1.50,
        help="What a printed and posted letter costs.",
    )
    collection_cost_sms = fields.Monetary(
        string="Cost per SMS",
        currency_field="currency_id",
        default=0.10,
        help="What an SMS costs.",
    )
    collection_cost_call = fields.Monetary(
        string="Cost per Call",
        currency_field="currency_id",
        default=2.00,
        help="What a phone call costs (the officer's time).",
    )

    @api.depends("collection_experiment_ids.state")
    def _compute_collection_experiment_running(self):
        running = {
            company.id
            for [company] in self.env["collection.experiment"]
            .sudo()
            ._read_group(
                [("company_id", "in", self.ids), ("state", "=", "running")], ["company_id"]
            )
        }
        for company in self:
            company.collection_experiment_running = company.id in running

    def _collection_channel_costs(self):
        """``{contact channel: cost}`` of the company's contacts."""
        self.ensure_one()
        return {
            "email": self.collection_cost_email,
            "letter": self.collection_cost_letter,
            "sms": self.collection_cost_sms,
            "phone": self.collection_cost_call,
        }
