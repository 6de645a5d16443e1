import random
from bisect import bisect_right
from math import gcd

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# Decided when the experiment starts: the cases already assigned depend on them.
FROZEN_FIELDS = frozenset(
    {
        "company_id",
        "champion_policy_id",
        "challenger_policy_id",
        "challenger_share",
        "tag_ids",
        "amount_min",
        "amount_max",
        "band_edges",
        "seed",
        "date_start",
    }
)
# Edges of the amount bands of an experiment without an upper amount (company currency).
DEFAULT_BAND_EDGES = (1000.0, 5000.0, 20000.0)
CHAMPION, CHALLENGER = "champion", "challenger"


def block_arms(share):
    """``(block size, challengers in a block)`` for a challenger share in percent.

    A block of at least 10 cases holding exactly ``share`` % of challengers: 20 %
    gives 2 challengers in 10, 25 % gives 5 in 20, 33 % gives 33 in 100.
    """
    minimal = 100 // gcd(share, 100)
    size = minimal * 10 // gcd(minimal, 10)
    return size, share * size // 100


def assign_arm(seed, share, band, position):
    """The arm of the case at ``position`` (0-based) among the cases of ``band``.

    Permuted blocks: each block of ``block_arms(share)`` cases is shuffled by a
    generator seeded with the experiment's seed, the band and the block index, so
    the same seed gives the same arms, and every full block holds the exact share.
    """
    size, challengers = block_arms(share)
    arms = [CHALLENGER] * challengers + [CHAMPION] * (size - challengers)
    random.Random(f"{seed}:{band}:{position // size}").shuffle(arms)
    return arms[position % size]


class CollectionExperiment(models.Model):
    """A champion/challenger experiment on a follow-up policy.

    New cases of the segment (the company, the customers' tags, a band of
    overdue amounts) are assigned at random, in permuted blocks per amount band,
    to the champion policy or to a challenger copy of it; they keep their arm.
    The experiment measures both arms from the ledger (see
    ``collection_experiment_report``) until a manager stops it or promotes the
    challenger to the default policy of the segment.
    """

    _name = "collection.experiment"
    _description = "Collection Policy Experiment"
    _inherit = ["collection.engine.fields", "mail.thread"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("stopped", "Stopped"),
            ("promoted", "Promoted"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
    )
    champion_policy_id = fields.Many2one(
        "collection.policy",
        required=True,
        check_company=True,
        tracking=True,
        help="The policy in use: the cases of the segment that follow it are the experiment's.",
    )
    challenger_policy_id = fields.Many2one(
        "collection.policy",
        check_company=True,
        tracking=True,
        copy=False,
        help="The policy tried on a share of the new cases: a copy of the champion to edit.",
    )
    challenger_share = fields.Integer(
        string="Challenger Share (%)",
        default=20,
        required=True,
        help="The percentage of the new cases of the segment that follow the challenger.",
    )
    tag_ids = fields.Many2many(
        "res.partner.category",
        string="Customer Tags",
        help="Only customers with one of these tags (empty: every customer of the company).",
    )
    amount_min = fields.Monetary(
        string="Overdue From",
        help="Only cases owing at least this much when they open (company currency).",
    )
    amount_max = fields.Monetary(
        string="Overdue Up To",
        help="Only cases owing at most this much when they open (0: no upper limit).",
    )
    band_edges = fields.Char(
        help="The amounts separating the bands the cases are drawn in, comma-separated "
        "(empty: set from the amount range when the experiment starts). Each band gets "
        "its own share of challengers.",
    )
    date_start = fields.Date(
        string="Start", required=True, default=lambda self: self.env.company._collection_today()
    )
    date_end = fields.Date(string="End", help="New cases are enrolled until this day included.")
    seed = fields.Integer(
        copy=False,
        help="Seeds the random assignment (set when the experiment starts): the same seed "
        "assigns the same arms.",
    )
    case_ids = fields.One2many("collection.case", "experiment_id", string="Cases")
    case_count = fields.Integer(compute="_compute_case_counts")
    champion_case_count = fields.Integer(compute="_compute_case_counts")
    challenger_case_count = fields.Integer(compute="_compute_case_counts")

    _share_range = models.Constraint(
        "CHECK(challenger_share BETWEEN 1 AND 99)",
        "The challenger's share of the new cases is between 1 and 99 %.",
    )
    _one_running = models.UniqueIndex(
        "(company_id, champion_policy_id) WHERE state = 'running'",
        "Only one experiment at a time can run on a policy in a company.",
    )

    def _compute_case_counts(self):
        counts = {
            (experiment.id, arm): count
            for experiment, arm, count in self.env["collection.case"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("experiment_id", "in", self.ids)],
                ["experiment_id", "experiment_arm"],
                ["__count"],
            )
        }
        for experiment in self:
            experiment.champion_case_count = counts.get((experiment.id, CHAMPION), 0)
            experiment.challenger_case_count = counts.get((experiment.id, CHALLENGER), 0)
            experiment.case_count = (
                experiment.champion_case_count + experiment.challenger_case_count
            )

    @api.constrains("amount_min", "amount_max", "date_start", "date_end", "band_edges")
    def _check_segment(self):
        for experiment in self:
            if experiment.amount_min < 0 or experiment.amount_max < 0:
                raise ValidationError(self.env._("The amounts of the segment cannot be negative."))
            if experiment.amount_max and experiment.amount_max < experiment.amount_min:
                raise ValidationError(
                    self.env._(
                        "Experiment %(name)s: the upper amount is below the lower amount.",
                        name=experiment.name,
                    )
                )
            if experiment.date_end and experiment.date_end < experiment.date_start:
                raise ValidationError(
                    self.env._("Experiment %(name)s ends before it starts.", name=experiment.name)
                )
            experiment._get_band_edges()

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_fields(vals_list, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields([vals])
        frozen = FROZEN_FIELDS & set(vals)
        if frozen and not self.env.su and any(exp.state != "draft" for exp in self):
            raise UserError(
                self.env._(
                    "%(fields)s of a started experiment cannot change: the cases already "
                    "assigned depend on them. Stop it and start a new one.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in frozen)
                    ),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(experiment.state != "draft" for experiment in self):
            raise UserError(
                self.env._("A started experiment is history: stop it instead of deleting it.")
            )

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of an experiment change only through its buttons (Start "
            "Experiment, Stop Experiment, Promote Challenger): they cannot be set by hand.",
            fields=fields,
        )

    # --------------------------------------------------------------- actions

    def action_create_challenger(self):
        """A copy of the champion policy, levels included, to edit into the challenger."""
        self.ensure_one()
        self._check_manager()
        if self.state != "draft":
            raise UserError(self.env._("The challenger is chosen before the experiment starts."))
        champion = self.champion_policy_id
        if not champion:
            raise UserError(self.env._("Choose the champion policy first."))
        challenger = champion.copy(
            {"name": self.env._("%(policy)s (challenger)", policy=champion.name)}
        )
        if not challenger.level_ids and champion.level_ids:
            champion.level_ids.copy({"policy_id": challenger.id})
        self.challenger_policy_id = challenger
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.policy",
            "res_id": challenger.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_start(self):
        self._check_manager()
        for experiment in self:
            experiment._check_startable()
            values = {"state": "running"}
            if not experiment.seed:
                values["seed"] = random.SystemRandom().randrange(1, 2**31 - 1)
            if not experiment.band_edges:
                values["band_edges"] = ", ".join(
                    f"{edge:g}" for edge in experiment._default_band_edges()
                )
            experiment.sudo().write(values)
            experiment.message_post(
                body=self.env._(
                    "Experiment started: %(share)s %% of the new cases of the segment follow "
                    "%(challenger)s.",
                    share=experiment.challenger_share,
                    challenger=experiment.challenger_policy_id.name,
                )
            )
        return True

    def action_stop(self):
        self._check_manager()
        if any(experiment.state != "running" for experiment in self):
            raise UserError(self.env._("Only a running experiment can be stopped."))
        self.sudo().write({"state": "stopped"})
        for experiment in self:
            experiment.message_post(
                body=self.env._("Experiment stopped: its cases follow their usual policy again.")
            )
        return True

    def action_promote(self):
        """The challenger becomes the default policy of the segment: the company's
        default when the segment has no tags, else the policy of the customers
        carrying those tags in the company."""
        self.ensure_one()
        self._check_manager()
        if self.state not in ("running", "stopped"):
            raise UserError(
                self.env._("Only a running or stopped experiment can promote its challenger.")
            )
        challenger = self.challenger_policy_id
        if not challenger.active:
            raise UserError(
                self.env._("The challenger policy %(policy)s is archived.", policy=challenger.name)
            )
        company = self.company_id.sudo()
        if not self.tag_ids:
            company.collection_policy_id = challenger
            done = self.env._(
                "%(policy)s is now the default policy of %(company)s.",
                policy=challenger.name,
                company=company.name,
            )
        else:
            partners = self._segment_partners()
            partners.with_company(company).write({"collection_policy_id": challenger.id})
            done = self.env._(
                "%(policy)s is now the policy of %(count)s customers tagged %(tags)s.",
                policy=challenger.name,
                count=len(partners),
                tags=", ".join(self.tag_ids.mapped("name")),
            )
        self.sudo().write({"state": "promoted"})
        self.message_post(body=self.env._("Challenger promoted. %(done)s", done=done))
        return True

    def action_view_cases(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Experiment Cases"),
            "res_model": "collection.case",
            "view_mode": "list,form",
            "domain": [("experiment_id", "=", self.id)],
            "context": {"group_by": "experiment_arm", "active_test": False},
        }

    # ------------------------------------------------------------- business

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(
            "collections_officer.group_collections_manager"
        ):
            raise UserError(self.env._("Only a collections manager runs policy experiments."))

    def _check_startable(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Experiment %(name)s has already started.", name=self.name))
        champion, challenger = self.champion_policy_id, self.challenger_policy_id
        if not challenger:
            raise UserError(
                self.env._(
                    "Experiment %(name)s has no challenger policy: create one from the champion "
                    "(Create Challenger) or choose one.",
                    name=self.name,
                )
            )
        if challenger == champion:
            raise UserError(self.env._("The challenger must be another policy than the champion."))
        if not (champion.active and challenger.active):
            raise UserError(self.env._("Both policies of an experiment must be active."))
        if not challenger.level_ids:
            raise UserError(
                self.env._(
                    "The challenger policy %(policy)s has no levels: its cases would get no "
                    "follow-up.",
                    policy=challenger.name,
                )
            )
        if self.date_end and self.date_end < self.company_id._collection_today():
            raise UserError(self.env._("Experiment %(name)s has already ended.", name=self.name))
        running = self.search(
            [
                ("id", "!=", self.id),
                ("company_id", "=", self.company_id.id),
                ("champion_policy_id", "=", champion.id),
                ("state", "=", "running"),
            ],
            limit=1,
        )
        if running:
            raise UserError(
                self.env._(
                    "Experiment %(other)s already runs on %(policy)s in %(company)s: stop it "
                    "before starting another one on that policy.",
                    other=running.name,
                    policy=champion.name,
                    company=self.company_id.name,
                )
            )

    def _default_band_edges(self):
        """Three bands of equal width over the amount range, else standard edges."""
        self.ensure_one()
        low, high = self.amount_min, self.amount_max
        if high:
            step = (high - low) / 3
            return [self.currency_id.round(low + step), self.currency_id.round(low + 2 * step)]
        return [edge for edge in DEFAULT_BAND_EDGES if edge > low]

    def _get_band_edges(self):
        self.ensure_one()
        try:
            edges = [float(edge) for edge in (self.band_edges or "").split(",") if edge.strip()]
        except ValueError:
            raise ValidationError(
                self.env._(
                    "The band edges of %(name)s are amounts separated by commas, e.g. 1000, 5000.",
                    name=self.name,
                )
            ) from None
        if edges != sorted(set(edges)):
            raise ValidationError(
                self.env._("The band edges of %(name)s must increase.", name=self.name)
            )
        return edges

    def _get_band(self, amount):
        """The index of the amount band of ``amount`` (0: below the first edge)."""
        return bisect_right(self._get_band_edges(), amount)

    def _segment_partners(self):
        """The customers (commercial partners) of the company carrying the tags and
        following the champion: a customer given another policy of their own keeps it."""
        self.ensure_one()
        company = self.company_id.sudo()
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search(
                [
                    ("category_id", "in", self.tag_ids.ids),
                    ("company_id", "in", [False, company.id]),
                ]
            )
        )

        def follows_champion(partner):
            own = partner.collection_policy_id
            return (own if own.active else company.collection_policy_id) == self.champion_policy_id

        return partners.filtered(
            lambda partner: partner.commercial_partner_id == partner and follows_champion(partner)
        )

    @api.model
    def _running_for(self, companies):
        """The experiments running today in ``companies``: one query, none when no
        company has one running (the company's flag says so)."""
        companies = companies.filtered("collection_experiment_running")
        if not companies:
            return self.browse()
        experiments = (
            self.sudo()
            .search([("company_id", "in", companies.ids), ("state", "=", "running")])
            .filtered(
                lambda exp: (
                    exp.date_start <= exp.company_id._collection_today()
                    and (not exp.date_end or exp.company_id._collection_today() <= exp.date_end)
                )
            )
        )
        return experiments

    @api.model
    def _enrol_cases(self, cases):
        """Assign the new ``cases`` of running experiments' segments an arm.

        A case belongs to the segment of a running experiment of its company when
        it follows the champion policy, its customer carries one of the tags (if
        any) and its overdue amount lies in the amount range. Its position is the
        number of cases already enrolled in its amount band (see ``assign_arm``).
        Cases already enrolled are left alone: a case keeps its arm.
        """
        cases = cases.sudo().filtered(lambda case: not case.experiment_id)
        experiments = self._running_for(cases.company_id)
        if not experiments or not cases:
            return cases.browse()
        cases = cases.filtered(lambda case: case.overdue_amount > 0)
        policies = cases._case_policies(
            [
                {
                    "id": case.id,
                    "policy_id": case.policy_id.id,
                    "partner_id": case.partner_id.id,
                    "company_id": case.company_id.id,
                }
                for case in cases
            ]
        )
        by_key = {(exp.company_id.id, exp.champion_policy_id.id): exp for exp in experiments}
        members = {}
        for case in cases.sorted("id"):
            experiment = by_key.get((case.company_id.id, policies.get(case.id)))
            if experiment and experiment._in_segment(case):
                members.setdefault(experiment, []).append(case)
        if not members:
            return cases.browse()
        experiments = self.browse([experiment.id for experiment in members]).sudo()
        # Two transactions enrolling at once would give two cases the same position.
        experiments.lock_for_update()
        positions = {
            (experiment.id, band): count
            for experiment, band, count in self.env["collection.case"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("experiment_id", "in", experiments.ids)],
                ["experiment_id", "experiment_band"],
                ["__count"],
            )
        }
        rows = []
        for experiment, experiment_cases in members.items():
            today = experiment.company_id._collection_today()
            for case in experiment_cases:
                band = experiment._get_band(case.overdue_amount)
                position = positions.get((experiment.id, band), 0)
                positions[(experiment.id, band)] = position + 1
                arm = assign_arm(experiment.seed, experiment.challenger_share, band, position)
                rows.append((case.id, experiment.id, arm, band, today, case.overdue_amount))
        self._store_enrolment(rows)
        experiments.invalidate_recordset(["case_ids"])
        return cases.browse([row[0] for row in rows])

    def _store_enrolment(self, rows):
        """Write the draws ``[(case id, experiment id, arm, band, date, overdue)]`` in
        one statement: a refresh opening thousands of cases enrols them all at once,
        each with its own values (the ORM would update case by case)."""
        names = [
            "experiment_id",
            "experiment_arm",
            "experiment_band",
            "experiment_date",
            "experiment_overdue",
        ]
        Case = self.env["collection.case"]
        Case.flush_model(names)
        columns = list(zip(*rows, strict=True))
        self.env.execute_query(
            SQL(
                """
                UPDATE collection_case c
                   SET experiment_id = v.experiment_id,
                       experiment_arm = v.arm,
                       experiment_band = v.band,
                       experiment_date = v.day,
                       experiment_overdue = v.overdue
                  FROM unnest(%s::int[], %s::int[], %s::varchar[], %s::int[], %s::date[],
                              %s::numeric[])
                       AS v(id, experiment_id, arm, band, day, overdue)
                 WHERE c.id = v.id
                """,
                *(list(column) for column in columns),
            )
        )
        Case.browse(columns[0]).invalidate_recordset(names)

    def _in_segment(self, case):
        self.ensure_one()
        if case.company_id != self.company_id:
            return False
        if self.tag_ids and not (self.tag_ids & case.partner_id.commercial_partner_id.category_id):
            return False
        amount = case.overdue_amount
        return amount >= self.amount_min and (not self.amount_max or amount <= self.amount_max)

    @api.model
    def _challenger_policies(self, case_ids):
        """``{case id: (champion id, challenger id)}`` of the cases among ``case_ids`` in
        the challenger arm of a running experiment, in one query."""
        self.env["collection.case"].flush_model(["experiment_id", "experiment_arm"])
        self.flush_model(["state", "champion_policy_id", "challenger_policy_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id, e.champion_policy_id, e.challenger_policy_id
                  FROM collection_case c
                  JOIN collection_experiment e ON e.id = c.experiment_id
                 WHERE c.id = ANY(%s)
                   AND c.experiment_arm = %s
                   AND e.state = 'running'
                """,
                list(case_ids),
                CHALLENGER,
            )
        )
        return {case_id: (champion, challenger) for case_id, champion, challenger in rows}
