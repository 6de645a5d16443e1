import logging
import math
import time
from calendar import monthrange
from datetime import date, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.lru import LRU
from odoo.tools.misc import format_date

from .collection_prediction_data import FEATURES

MEDIAN_COLUMN = FEATURES.index("history_median_late")
AGE_COLUMN = FEATURES.index("age")

_logger = logging.getLogger(__name__)

try:
    import lightgbm
    import numpy
except ImportError:  # pragma: no cover - an external dependency of the manifest
    lightgbm = numpy = None

# The scheduled action training the models, queued by a manager's Train Now.
TRAIN_CRON = "collections_officer.ir_cron_collection_prediction_train"
# The model is used only with this much history behind it.
MIN_PAID_LINES = 200
MIN_ORIGINS = 3
# An origin of the backtest (or the final training) needs this many examples.
MIN_EXAMPLES = 50
# A prediction counts as right within this many days of the real pay date.
WITHIN_ERROR_DAYS = 7
# The median rule predicts a case already older than the customer's usual delay paid
# this many days after the observation date (see collection_case_priority.py).
MEDIAN_MARGIN_DAYS = 7
ROUNDS = 100
BASE_PARAMS = {
    "num_leaves": 15,
    "learning_rate": 0.1,
    "min_data_in_leaf": 20,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
# Threads of a training: a second one only pays off on a large book (on a busy server,
# threads waiting for each other make a small training many times slower).
THREADS_FROM_ROWS = 50000
# Threads of a prediction: a few thousand rows are scored faster than OpenMP starts and
# synchronises a team of threads, above all on a server busy with other requests.
PREDICT_THREADS = 1
# Boosters read back from their text, per database and record: a record never changes.
_BOOSTERS = LRU(16)


def _baseline(X):
    """The starting point of the days-late booster: the median rule's prediction at the
    snapshot, the customer's median delay known then (0 without a paid invoice), or a
    week from the snapshot once the line has outlived it. The booster learns the
    correction: where it learns nothing, it predicts what the median rule does."""
    median = X[:, MEDIAN_COLUMN]
    median = numpy.where(numpy.isnan(median), 0.0, median)
    age = X[:, AGE_COLUMN]
    return numpy.where(median < age, age + MEDIAN_MARGIN_DAYS, median)


def _days_late(predicted, age):
    """The days late of a prediction for a line ``age`` days past due and unpaid: as the
    median rule, a prediction the line has already outlived becomes a week from now."""
    return float(predicted) if predicted > age else float(age + MEDIAN_MARGIN_DAYS)


def _oldest_overdue(lines, d):
    """The indexes of each customer's oldest line overdue at ``d`` (the line a case's
    prediction is made of)."""
    oldest = {}
    for index, line in enumerate(lines):
        if line["due_date"] < d:
            key = (line["due_date"], line["id"])
            best = oldest.get(line["partner_id"])
            if best is None or key < best[0]:
                oldest[line["partner_id"]] = (key, index)
    return {index for _key, index in oldest.values()}


def _month_ends(today, months):
    """The last days of the ``months`` months before the month of ``today``, oldest first."""
    ends = []
    year, month = today.year, today.month
    for _index in range(months):
        month -= 1
        if not month:
            year, month = year - 1, 12
        ends.append(date(year, month, monthrange(year, month)[1]))
    return ends[::-1]


class CollectionPredictionModel(models.Model):
    """A payment prediction model of one company: trained on its ledger, backtested
    against two simple rules, used only when it beats the customer's median delay."""

    _name = "collection.prediction.model"
    _description = "Payment Prediction Model"
    _inherit = ["collection.engine.fields"]
    _order = "trained_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda s: s.env.company
    )
    trained_date = fields.Date(
        required=True, readonly=True, default=lambda s: s.env.company._collection_today()
    )
    state = fields.Selection(
        [("model", "Model in use"), ("fallback", "Median rule")],
        required=True,
        default="fallback",
        readonly=True,
        help="Model in use: cases get the model's predicted pay date and probability. "
        "Median rule: they keep the customer's median delay, for the reason given.",
    )
    reason = fields.Text(readonly=True, help="Why the model is used or not.")
    sample_count = fields.Integer(
        string="Training Examples", readonly=True, help="Snapshots of paid invoices learnt from."
    )
    paid_count = fields.Integer(
        string="Paid Invoices", readonly=True, help="Paid invoice items in the ledger."
    )
    booster_days = fields.Text(readonly=True, prefetch=False)
    booster_probability = fields.Text(readonly=True, prefetch=False)
    probability_prior = fields.Float(
        readonly=True,
        help="The share of snapshots paid within 30 days, used when the history holds "
        "only one kind.",
    )
    feature_names = fields.Char(readonly=True)
    evaluated_count = fields.Integer(
        string="Invoices Evaluated",
        readonly=True,
        help="Open invoices of the backtest origins whose real pay date is known.",
    )
    unpaid_count = fields.Integer(
        string="Left Out (Unpaid)",
        readonly=True,
        help="Open invoices of the backtest origins still unpaid today: left out.",
    )
    origin_count = fields.Integer(
        string="Origins Evaluated", readonly=True, help="Month-ends of the backtest."
    )
    mae_model = fields.Float(
        string="Model Error (days)",
        readonly=True,
        help="Mean absolute error of the model's pay date.",
    )
    mae_due = fields.Float(
        string="Due Date Error (days)",
        readonly=True,
        help="The error of 'paid on the due date' (or on the origin day, once past due).",
    )
    mae_median = fields.Float(
        string="Median Rule Error (days)",
        readonly=True,
        help="The error of the customer's median delay, the rule used without a model.",
    )
    within7_model = fields.Float(string="Model Within 7 Days (%)", readonly=True)
    within7_due = fields.Float(string="Due Date Within 7 Days (%)", readonly=True)
    within7_median = fields.Float(string="Median Rule Within 7 Days (%)", readonly=True)
    improvement_days = fields.Float(
        readonly=True, help="How many days the model's error is below the median's."
    )
    improvement_percent = fields.Float(string="Improvement (%)", readonly=True)
    backtest_detail = fields.Json(readonly=True, prefetch=False)
    train_seconds = fields.Float(readonly=True)
    score_seconds = fields.Float(readonly=True)
    summary = fields.Char(compute="_compute_summary")
    backtest_table = fields.Html(compute="_compute_backtest_table", sanitize=False)

    @api.depends("company_id", "trained_date")
    @api.depends_context("lang")
    def _compute_name(self):
        for record in self:
            record.name = self.env._(
                "Payment predictions of %(company)s, %(date)s",
                company=record.company_id.name,
                date=format_date(self.env, record.trained_date),
            )

    @api.depends("mae_model", "mae_median", "evaluated_count")
    @api.depends_context("lang")
    def _compute_summary(self):
        for record in self:
            if not record.evaluated_count:
                record.summary = self.env._("Not backtested: too little history.")
            elif record.improvement_days > 0:
                record.summary = self.env._(
                    "The model's error is %(error)s days, %(percent)s %% below the customer "
                    "median's (%(median)s days).",
                    error=f"{record.mae_model:.1f}",
                    percent=f"{record.improvement_percent:.0f}",
                    median=f"{record.mae_median:.1f}",
                )
            else:
                record.summary = self.env._(
                    "The model's error is %(error)s days, not below the customer median's "
                    "(%(median)s days).",
                    error=f"{record.mae_model:.1f}",
                    median=f"{record.mae_median:.1f}",
                )

    @api.depends("backtest_detail")
    @api.depends_context("lang")
    def _compute_backtest_table(self):
        for record in self:
            detail = record.backtest_detail or []
            if not detail:
                record.backtest_table = False
                continue
            head = Markup("").join(
                Markup("<th class='text-end'>%s</th>") % label
                for label in (
                    self.env._("Examples"),
                    self.env._("Evaluated"),
                    self.env._("Unpaid"),
                    self.env._("Model"),
                    self.env._("Due date"),
                    self.env._("Median"),
                )
            )
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
                )
                % (
                    format_date(self.env, fields.Date.to_date(row["origin"])),
                    row["examples"],
                    row["evaluated"],
                    row["unpaid"],
                    "" if row.get("mae_model") is None else f"{row['mae_model']:.1f}",
                    "" if row.get("mae_due") is None else f"{row['mae_due']:.1f}",
                    "" if row.get("mae_median") is None else f"{row['mae_median']:.1f}",
                )
                for row in detail
            )
            record.backtest_table = (
                Markup("<table class='table table-sm'><thead><tr><th>%s</th>")
                % self.env._("Origin")
                + head
                + Markup("</tr></thead><tbody>")
                + rows
                + Markup("</tbody></table>")
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Payment prediction models are trained by the weekly training or Train "
                    "Now: they are not created by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_fields([vals])
        return super().write(vals)

    def _engine_fields_error(self, fields):
        return self.env._(
            "%(fields)s of a payment prediction model come from its training: they cannot be "
            "set by hand.",
            fields=fields,
        )

    # --------------------------------------------------------------- actions

    def action_train(self):
        """Queue the training of the companies' models now: a backtest does not fit in a
        web request, the scheduled training runs at once in a cron worker."""
        if not self.env.user.has_group("collections_officer.group_collections_manager"):
            raise AccessError(self.env._("Only a collections manager can train the predictions."))
        self.env.ref(TRAIN_CRON).sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The training is queued: the new model appears here in a few minutes. "
                    "A company already trained today is not trained again."
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------ scheduling

    @api.model
    def _cron_train(self):
        """Train every company not trained today, one company a commit."""
        companies = self.env["res.company"].sudo().search([], order="id")  # pylint: disable=no-search-all
        due = [
            company
            for company in companies
            if self._current(company).trained_date != company._collection_today()
        ]
        for index, company in enumerate(due):
            try:
                with self.env.cr.savepoint():
                    self._train_company(company)
            except Exception:
                # A company whose ledger cannot be learnt from keeps its median rule; the
                # others are trained all the same.
                _logger.exception("Payment predictions of company %s not trained", company.id)
            left = self.env["ir.cron"]._commit_progress(1, remaining=len(due) - index - 1)
            if not left:
                return

    @api.model
    def _current(self, company):
        """The company's latest model (empty without one)."""
        return self.sudo().search([("company_id", "=", company.id)], limit=1)

    # -------------------------------------------------------------- training

    @api.model
    def _fit(self, training):
        """``(days booster, probability booster or None, prior)`` learnt from a training
        set of ``collection.prediction.data``, or ``None`` with too few examples."""
        X = numpy.asarray(training["X"], dtype=float).reshape(-1, len(FEATURES))
        days_late = numpy.asarray(training["days_late"], dtype=float)
        within = numpy.asarray(training["within"], dtype=float)
        with_days = ~numpy.isnan(days_late)
        if with_days.sum() < MIN_EXAMPLES:
            return None
        params = BASE_PARAMS | {"num_threads": 2 if len(X) >= THREADS_FROM_ROWS else 1}
        X_days = X[with_days]
        days = lightgbm.train(
            params | {"objective": "l1"},
            lightgbm.Dataset(
                X_days, days_late[with_days] - _baseline(X_days), feature_name=list(FEATURES)
            ),
            num_boost_round=ROUNDS,
        )
        with_label = ~numpy.isnan(within)
        labels = within[with_label]
        prior = float(labels.mean()) if labels.size else 0.5
        probability = None
        if labels.size >= MIN_EXAMPLES and 0 < labels.sum() < labels.size:
            probability = lightgbm.train(
                params | {"objective": "binary"},
                lightgbm.Dataset(X[with_label], labels, feature_name=list(FEATURES)),
                num_boost_round=ROUNDS,
            )
        return days, probability, prior

    @api.model
    def _backtest_company(self, company, months=12):
        """Rolling-origin backtest: at each month-end of the last ``months`` months, learn
        from what was known then, predict the pay date of the invoices open then, and
        compare with when they were really paid (those still unpaid today are left out
        and counted). The two baselines are judged on the same invoices."""
        Data = self.env["collection.prediction.data"]
        today = company._collection_today()
        rows = Data._dataset_rows(company)
        errors = {"model": [], "due": [], "median": []}
        detail, unpaid_total, origins = [], 0, 0
        train_seconds = score_seconds = 0.0
        for origin in _month_ends(today, months):
            started = time.monotonic()
            training = Data._training_set(company, origin, rows)
            fitted = self._fit(training)
            train_seconds += time.monotonic() - started
            row = {"origin": fields.Date.to_string(origin), "examples": len(training["X"])}
            row |= {"evaluated": 0, "unpaid": 0}
            if not fitted:
                detail.append(row)
                continue
            started = time.monotonic()
            scoring = Data._scoring_set(company, origin, rows)
            predicted = self._predict_scoring(scoring, origin, fitted[0])
            score_seconds += time.monotonic() - started
            origin_errors = {"model": [], "due": [], "median": []}
            for line, pay_date in zip(scoring["lines"], predicted, strict=True):
                if not line["pay_date"]:
                    row["unpaid"] += 1
                    continue
                real = line["pay_date"]
                due = line["due_date"]
                median_late, _count = Data._median_late(rows, line["partner_id"], origin)
                median_date = due + timedelta(days=round(median_late or 0))
                if median_date <= origin:
                    median_date = origin + timedelta(days=MEDIAN_MARGIN_DAYS)
                origin_errors["model"].append(abs((pay_date - real).days))
                origin_errors["due"].append(abs((max(due, origin) - real).days))
                origin_errors["median"].append(abs((median_date - real).days))
            row["evaluated"] = len(origin_errors["model"])
            unpaid_total += row["unpaid"]
            if row["evaluated"]:
                origins += 1
                for key, values in origin_errors.items():
                    row[f"mae_{key}"] = sum(values) / len(values)
                    errors[key].extend(values)
            detail.append(row)
        evaluated = len(errors["model"])

        def mae(values):
            return sum(values) / len(values) if values else 0.0

        def within7(values):
            if not values:
                return 0.0
            return 100.0 * sum(1 for value in values if value <= WITHIN_ERROR_DAYS) / len(values)

        return {
            "evaluated_count": evaluated,
            "unpaid_count": unpaid_total,
            "origin_count": origins,
            "mae_model": mae(errors["model"]),
            "mae_due": mae(errors["due"]),
            "mae_median": mae(errors["median"]),
            "within7_model": within7(errors["model"]),
            "within7_due": within7(errors["due"]),
            "within7_median": within7(errors["median"]),
            "detail": detail,
            "train_seconds": train_seconds,
            "score_seconds": score_seconds,
        }

    @api.model
    def _predict_scoring(self, scoring, d, booster):
        """The predicted pay dates of a scoring set at ``d``: never before ``d``, as the
        lines were not paid by then."""
        if not scoring["X"]:
            return []
        X = numpy.asarray(scoring["X"], dtype=float)
        predicted = _baseline(X) + booster.predict(X, num_threads=PREDICT_THREADS)
        dates = []
        for line, days in zip(scoring["lines"], predicted, strict=True):
            late = _days_late(days, (d - line["due_date"]).days)
            dates.append(max(line["due_date"] + timedelta(days=round(late)), d))
        return dates

    @api.model
    def _train_company(self, company):
        """Backtest, then learn from everything known today; store and return the record.
        The model is used only with enough history and an error below the median rule's."""
        Data = self.env["collection.prediction.data"]
        today = company._collection_today()
        figures = self._backtest_company(company)
        rows = Data._dataset_rows(company)
        paid = Data._paid_count(rows, today)
        started = time.monotonic()
        training = Data._training_set(company, today, rows)
        fitted = self._fit(training) if paid >= MIN_PAID_LINES else None
        train_seconds = time.monotonic() - started
        improvement = figures["mae_median"] - figures["mae_model"]
        if paid < MIN_PAID_LINES:
            reason = self.env._(
                "too little history: %(paid)s paid invoices, at least %(needed)s needed",
                paid=paid,
                needed=MIN_PAID_LINES,
            )
        elif figures["origin_count"] < MIN_ORIGINS:
            reason = self.env._(
                "too little history: %(origins)s month-ends could be backtested, at least "
                "%(needed)s needed",
                origins=figures["origin_count"],
                needed=MIN_ORIGINS,
            )
        elif not fitted:
            reason = self.env._("too few examples to learn from")
        elif improvement <= 0:
            reason = self.env._("the model's error is not below the customer median's")
        else:
            reason = False
        values = {
            "company_id": company.id,
            "trained_date": today,
            "state": "fallback" if reason else "model",
            "reason": reason
            or self.env._(
                "the model's error is %(error)s days, %(days)s days below the customer median's",
                error=f"{figures['mae_model']:.1f}",
                days=f"{improvement:.1f}",
            ),
            "sample_count": len(training["X"]),
            "paid_count": paid,
            "feature_names": ",".join(FEATURES),
            "evaluated_count": figures["evaluated_count"],
            "unpaid_count": figures["unpaid_count"],
            "origin_count": figures["origin_count"],
            "mae_model": figures["mae_model"],
            "mae_due": figures["mae_due"],
            "mae_median": figures["mae_median"],
            "within7_model": figures["within7_model"],
            "within7_due": figures["within7_due"],
            "within7_median": figures["within7_median"],
            "improvement_days": improvement if figures["evaluated_count"] else 0.0,
            "improvement_percent": 100.0 * improvement / figures["mae_median"]
            if figures["evaluated_count"] and figures["mae_median"]
            else 0.0,
            "backtest_detail": figures["detail"],
            "train_seconds": figures["train_seconds"] + train_seconds,
            "score_seconds": figures["score_seconds"],
        }
        if fitted:
            days, probability, prior = fitted
            values["booster_days"] = days.model_to_string()
            values["booster_probability"] = probability and probability.model_to_string()
            values["probability_prior"] = prior
        record = self.sudo().create(values)
        _logger.info(
            "Payment predictions of company %s: %s (%s)", company.id, record.state, record.reason
        )
        return record.with_env(self.env)

    # ------------------------------------------------------------ predicting

    def _boosters(self):
        """``(days booster, probability booster or None)`` of this record, read once."""
        self.ensure_one()
        key = (self.env.cr.dbname, self.id)
        if key not in _BOOSTERS:
            record = self.sudo()
            days = record.booster_days and lightgbm.Booster(model_str=record.booster_days)
            probability = record.booster_probability and lightgbm.Booster(
                model_str=record.booster_probability
            )
            _BOOSTERS[key] = (days, probability)
        return _BOOSTERS[key]

    @api.model
    def _predict_lines(self, company, d=None, partners=None, rows=None, explain_all=True):
        """The predictions of the company's lines open at ``d`` (default: the company's
        today) when its current model is in use, else ``{}``:
        ``{line id: {"days_late", "baseline", "raw", "pay_date", "probability", "age",
        "paid_count", "features", "contributions", "expected"}}``. ``days_late`` is the
        median rule's prediction (``baseline``) plus the booster's correction (``raw``),
        a week past ``d`` when the line already outlived it; ``contributions`` (days,
        per feature) plus ``expected`` make ``raw``.

        The contributions cost a hundred times the prediction: without ``explain_all``
        only the line a case explains, each customer's oldest overdue one, gets them
        (the others ``None``)."""
        model = self._current(company)
        if model.state != "model" or not model.booster_days or lightgbm is None:
            return {}
        d = d or company._collection_today()
        Data = self.env["collection.prediction.data"]
        if rows is None:
            rows = Data._dataset_rows(company, partners)
        scoring = Data._scoring_set(company, d, rows)
        if not scoring["X"]:
            return {}
        days_booster, probability_booster = model._boosters()
        X = numpy.asarray(scoring["X"], dtype=float)
        raw = days_booster.predict(X, num_threads=PREDICT_THREADS)
        baseline = _baseline(X)
        oldest = None if explain_all else _oldest_overdue(scoring["lines"], d)
        explained = [
            index for index in range(len(scoring["lines"])) if oldest is None or index in oldest
        ]
        contributions = dict(
            zip(
                explained,
                days_booster.predict(X[explained], pred_contrib=True, num_threads=PREDICT_THREADS)
                if explained
                else [],
                strict=True,
            )
        )
        if probability_booster:
            probabilities = probability_booster.predict(X, num_threads=PREDICT_THREADS)
        else:
            probabilities = numpy.full(len(X), model.probability_prior)
        predictions = {}
        for index, line in enumerate(scoring["lines"]):
            age = (d - line["due_date"]).days
            late = _days_late(baseline[index] + raw[index], age)
            features = dict(zip(FEATURES, scoring["X"][index], strict=True))
            predictions[line["id"]] = {
                "days_late": late,
                "raw": float(raw[index]),
                "baseline": float(baseline[index]),
                "pay_date": max(line["due_date"] + timedelta(days=round(late)), d),
                "probability": float(probabilities[index]),
                "age": age,
                "due_date": line["due_date"],
                "residual": line["residual"],
                "partner_id": line["partner_id"],
                "paid_count": int(features["history_count"]),
                "features": {
                    name: (None if isinstance(value, float) and math.isnan(value) else value)
                    for name, value in features.items()
                },
                "contributions": None,
                "expected": None,
            }
            if index in contributions:
                predictions[line["id"]] |= {
                    "contributions": {
                        name: float(value)
                        for name, value in zip(FEATURES, contributions[index][:-1], strict=True)
                    },
                    "expected": float(contributions[index][-1]),
                }
        return predictions
