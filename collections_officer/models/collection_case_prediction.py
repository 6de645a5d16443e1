from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

# Written by the priority computation only, with the predicted pay date.
PREDICTION_FIELDS = frozenset(
    {"predicted_pay_probability", "predicted_pay_method", "predicted_pay_factors"}
)
# The model predicts a customer's case only with this many paid invoices behind it.
MIN_CUSTOMER_PAID = 3
# The factors a case shows: the features moving its prediction the most.
FACTOR_COUNT = 3


# collection.case is split by job on purpose: the payment prediction of the case.
class CollectionCase(models.Model):
    """The payment prediction of a case: the company's model, explained, or the median rule."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    predicted_pay_probability = fields.Float(
        string="Paid within 30 days (%)",
        readonly=True,
        copy=False,
        help="The model's chance that the overdue invoices are paid within 30 days, "
        "weighted by their amounts. Empty when the median rule predicts the case.",
    )
    predicted_pay_method = fields.Selection(
        [("model", "Payment model"), ("median", "Median delay"), ("none", "No prediction")],
        string="Predicted By",
        readonly=True,
        copy=False,
    )
    # Not prefetched: only the case form shows it, never a list of cases.
    predicted_pay_factors = fields.Json(
        readonly=True,
        copy=False,
        prefetch=False,
        help="What moves the model's prediction of the oldest overdue invoice the most.",
    )
    predicted_pay_explanation = fields.Html(
        string="Why This Date", compute="_compute_predicted_pay_explanation", sanitize=False
    )

    @api.depends(
        "predicted_pay_factors",
        "predicted_pay_method",
        "predicted_pay_basis",
        "predicted_pay_date",
        "company_id",
    )
    @api.depends_context("lang")
    def _compute_predicted_pay_explanation(self):
        models_of = {}
        for case in self:
            company = case.company_id
            if company.id not in models_of:
                models_of[company.id] = self.env["collection.prediction.model"]._current(company)
            model = models_of[company.id]
            sentences = []
            if case.predicted_pay_method == "model":
                items = [
                    Markup("<li>%s <span class='text-muted'>(%s)</span></li>")
                    % (self._prediction_factor_text(factor), self._prediction_days(factor))
                    for factor in case.predicted_pay_factors or []
                    # A factor moving the date by less than half a day says nothing.
                    if abs(factor["contribution"]) >= 0.5
                ]
                if items:
                    sentences.append(
                        Markup("<p>%s</p><ul>%s</ul>")
                        % (
                            self.env._(
                                "What moves the date away from the customer's median delay "
                                "the most:"
                            ),
                            Markup("").join(items),
                        )
                    )
                sentences.append(
                    Markup("<p class='text-muted'>%s</p>")
                    % self.env._(
                        "Predicted by the company's payment model, trained on %(date)s on its "
                        "own ledger: its error is %(error)s days, %(days)s days "
                        "(%(percent)s%%) less than the customer's median delay gives.",
                        date=fields.Date.to_string(model.trained_date),
                        error=f"{model.mae_model:.1f}",
                        days=f"{model.improvement_days:.1f}",
                        percent=f"{model.improvement_percent:.0f}",
                    )
                )
            elif case.predicted_pay_method == "median":
                text = self.env._(
                    "Predicted by the customer's median delay over %(paid)s paid invoices.",
                    paid=case.predicted_pay_basis,
                )
                if model.state == "model":
                    text += " " + self.env._(
                        "The payment model predicts a customer with %(needed)s paid invoices "
                        "or more and an overdue invoice: the median rule is kept here.",
                        needed=MIN_CUSTOMER_PAID,
                    )
                elif model:
                    text += " " + self.env._(
                        "The payment model is not used: %(reason)s.", reason=model.reason
                    )
                sentences.append(Markup("<p>%s</p>") % text)
            elif case.predicted_pay_method == "none":
                sentences.append(
                    Markup("<p>%s</p>")
                    % self.env._("No paid invoice of the customer yet: no prediction.")
                )
            case.predicted_pay_explanation = Markup("").join(sentences) or False

    def _prediction_days(self, factor):
        days = round(factor["contribution"])
        if days >= 0:
            return self.env._("+%(days)s days", days=days)
        return self.env._("-%(days)s days", days=-days)

    def _prediction_factor_text(self, factor):
        """A factor of the prediction in words."""
        key, value = factor["key"], factor["value"]
        if value is None:
            return self.env._("no paid invoice before to judge from")
        if key in ("history_median_late", "history_share_late"):
            return self.env._(
                "paid %(late)s of the last %(paid)s invoices late, about %(days)s days late "
                "(median)",
                late=factor.get("late", 0),
                paid=factor.get("paid", 0),
                days=round(factor.get("median") or 0),
            )
        if key == "history_count":
            return self.env._("%(paid)s invoices paid before", paid=round(value))
        if key == "history_std_late":
            return self.env._(
                "the customer's delays vary by about %(days)s days", days=round(value)
            )
        if key == "history_trend":
            if value >= 0:
                return self.env._(
                    "paying about %(days)s days later in the last 90 days than before",
                    days=round(value),
                )
            return self.env._(
                "paying about %(days)s days earlier in the last 90 days than before",
                days=round(-value),
            )
        if key == "history_pay_day":
            return self.env._("usually pays around day %(day)s of the month", day=round(value))
        if key == "amount_ratio":
            return self.env._(
                "the invoice is %(ratio)s times the customer's usual amount", ratio=f"{value:.1f}"
            )
        if key == "terms_days":
            return self.env._("payment terms of %(days)s days", days=round(value))
        if key == "age":
            return self.env._("the invoice is %(days)s days overdue", days=round(value))
        if key == "installment":
            if value:
                return self.env._("an invoice paid in installments")
            return self.env._("an invoice paid in one go")
        if key == "open_disputes":
            if value:
                return self.env._("an open dispute on the invoice")
            return self.env._("no open dispute on the invoice")
        if key == "broken_recent":
            if not value:
                return self.env._("no broken promise or plan in the last six months")
            if value == 1:
                return self.env._("a broken promise in the last six months")
            return self.env._(
                "%(n)s broken promises or plans in the last six months", n=round(value)
            )
        if key == "contacts_recent":
            return self.env._("%(n)s contacts in the last 30 days", n=round(value))
        if key == "followup_level":
            if not value:
                return self.env._("no follow-up level sent yet")
            return self.env._("follow-up level %(n)s sent", n=round(value))
        if key == "day_of_month":
            return self.env._("day %(day)s of the month", day=round(value))
        return key

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._check_prediction_fields(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_prediction_fields([vals])
        return super().write(vals)

    def _check_prediction_fields(self, vals_list):
        if self.env.su:
            return
        touched = {name for vals in vals_list for name in vals if name in PREDICTION_FIELDS}
        touched |= {
            key.removeprefix("default_")
            for key in self.env.context
            if isinstance(key, str) and key.removeprefix("default_") in PREDICTION_FIELDS
        }
        if touched:
            raise UserError(
                self.env._(
                    "%(fields)s of a collection case come from the payment prediction: they "
                    "cannot be set by hand.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in touched)
                    ),
                )
            )

    # ------------------------------------------------------------ prediction

    def _priority_predictions(self, cases, today):
        """The company's model's predictions for these cases (of one company), read in a
        fixed number of queries: the model, once, and the customers' ledger."""
        if not cases:
            return {}
        company = self.env["res.company"].sudo().browse(cases[0]["company_id"])
        Model = self.env["collection.prediction.model"].sudo()
        partners = self.env["res.partner"].sudo().browse({case["partner_id"] for case in cases})
        lines = Model._predict_lines(company, today, partners=partners, explain_all=False)
        if not lines:
            return {}
        overdue_of = {}
        for line_id, line in lines.items():
            if line["due_date"] < today:
                overdue_of.setdefault(line["partner_id"], []).append((line_id, line))
        predictions = {}
        for case in cases:
            overdue = overdue_of.get(case["partner_id"])
            if not overdue:
                continue
            overdue.sort(key=lambda item: (item[1]["due_date"], item[0]))
            oldest_id, oldest = overdue[0]
            if oldest["paid_count"] < MIN_CUSTOMER_PAID:
                continue
            total = sum(max(line["residual"], 0.0) for _id, line in overdue)
            if total > 0:
                probability = (
                    sum(max(line["residual"], 0.0) * line["probability"] for _id, line in overdue)
                    / total
                )
            else:
                probability = sum(line["probability"] for _id, line in overdue) / len(overdue)
            predictions[case["id"]] = {
                "date": max(oldest["pay_date"], today),
                "basis": oldest["paid_count"],
                "probability": probability,
                "factors": self._prediction_factors(oldest_id, oldest),
            }
        return predictions

    @api.model
    def _prediction_factors(self, line_id, line):
        """The features of a line's prediction with the largest effect (in days)."""
        features = line["features"]
        ranked = sorted(line["contributions"].items(), key=lambda item: (-abs(item[1]), item[0]))[
            :FACTOR_COUNT
        ]
        factors = []
        for key, contribution in ranked:
            factor = {"key": key, "value": features[key], "contribution": contribution}
            if key in ("history_median_late", "history_share_late"):
                paid = round(features["history_count"] or 0)
                factor |= {
                    "paid": paid,
                    "late": round((features["history_share_late"] or 0) * paid),
                    "median": features["history_median_late"],
                }
            factors.append(factor)
        return factors
