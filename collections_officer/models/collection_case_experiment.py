from odoo import api, fields, models
from odoo.exceptions import UserError

# Written by the enrolment only, as superuser: an officer who moved a case to the
# other arm would spoil the experiment.
EXPERIMENT_FIELDS = frozenset(
    {
        "experiment_id",
        "experiment_arm",
        "experiment_band",
        "experiment_date",
        "experiment_overdue",
    }
)


class CollectionCase(models.Model):
    """A case's arm in a policy experiment: which policy it follows while it runs."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    experiment_id = fields.Many2one(
        "collection.experiment",
        string="Policy Experiment",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="The policy experiment that drew this case when it opened.",
    )
    experiment_arm = fields.Selection(
        [("champion", "Champion"), ("challenger", "Challenger")],
        readonly=True,
        copy=False,
        help="Champion: the case follows its usual policy. Challenger: while the experiment "
        "runs, it follows the experiment's challenger policy.",
    )
    experiment_band = fields.Integer(
        string="Experiment Amount Band",
        readonly=True,
        copy=False,
        help="The amount band the case was drawn in (0: the lowest).",
    )
    experiment_date = fields.Date(
        string="Enrolled On", readonly=True, copy=False, help="When the case was drawn."
    )
    experiment_overdue = fields.Monetary(
        string="Overdue at Enrolment",
        readonly=True,
        copy=False,
        help="What the customer owed overdue when the case was drawn: the experiment "
        "measures the money collected against it.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        if not self._from_refresh() and any(
            company.collection_experiment_running for company in cases.company_id
        ):
            # Opened by hand: the figures are read by now. The refresh enrols the
            # cases it opens once their amounts are stored (_store_opening_amounts).
            self.env["collection.experiment"]._enrol_cases(cases)
        return cases

    def _store_opening_amounts(self, company, amounts):
        result = super()._store_opening_amounts(company, amounts)
        if amounts and company.collection_experiment_running:
            self.env["collection.experiment"]._enrol_cases(self.browse(list(amounts)))
        return result

    def _check_engine_fields(self, vals_list, writing=False):
        super()._check_engine_fields(vals_list, writing=writing)
        if self.env.su:
            return
        given = [(name, value) for vals in vals_list for name, value in vals.items()]
        if not writing:
            given += [
                (key.removeprefix("default_"), value)
                for key, value in self.env.context.items()
                if isinstance(key, str) and key.startswith("default_")
            ]
        touched = {
            name for name, value in given if name in EXPERIMENT_FIELDS and (writing or value)
        }
        if touched:
            raise UserError(
                self.env._(
                    "%(fields)s of a collection case are drawn by the policy experiment: "
                    "they cannot be set by hand.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in touched)
                    ),
                )
            )

    @api.model
    def _case_policies(self, cases):
        """The one resolver, with the experiments: a case in the challenger arm of a
        running experiment follows the challenger, as long as its usual policy is
        the champion (a policy a manager gave the case since still wins)."""
        policies = super()._case_policies(cases)
        companies = self.env["res.company"].sudo().browse({case["company_id"] for case in cases})
        if not any(company.collection_experiment_running for company in companies):
            return policies
        ids = [case["id"] for case in cases if case["id"]]
        if not ids:
            return policies
        challengers = self.env["collection.experiment"]._challenger_policies(ids)
        if not challengers:
            return policies
        active = set(
            self.env["collection.policy"]
            .sudo()
            .search([("id", "in", [challenger for _champion, challenger in challengers.values()])])
            .ids
        )
        for case_id, (champion, challenger) in challengers.items():
            if policies.get(case_id) == champion and challenger in active:
                policies[case_id] = challenger
        return policies
