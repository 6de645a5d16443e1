import json
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

# Full points for the days overdue at the last aging bucket.
FULL_DAYS_OVERDUE = 120
# Full points for broken promises, broken plans and missed installments from this many.
FULL_BROKEN = 3
# Full points for the customer's average delay from this many days late.
FULL_DAYS_LATE = 60
# Full points when nobody contacted the customer for this many days.
FULL_DAYS_SILENT = 30
# A case older than the customer's usual delay is predicted paid this many days from
# today: the history says they pay late, not when, once that delay has passed.
PREDICTION_MARGIN_DAYS = 7
# The inputs of the score, in the order the case shows them: (key, weight field).
PRIORITY_INPUTS = (
    ("amount", "collection_priority_amount"),
    ("days", "collection_priority_days"),
    ("broken", "collection_priority_broken"),
    ("dispute", "collection_priority_dispute"),
    ("history", "collection_priority_history"),
    ("contact", "collection_priority_contact"),
    ("credit_hold", "collection_priority_credit_hold"),
    # Shown only when the company gives it points: off by default.
    ("prediction", "collection_priority_prediction"),
)
# Inputs without points are left out of the case's table.
OPTIONAL_INPUTS = frozenset({"prediction"})


# collection.case is split by job on purpose: the case, its refresh, its follow-up, its priority.
class CollectionCase(models.Model):
    """What to work first: the priority score and the predicted pay date."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    priority_score = fields.Integer(
        string="Priority",
        readonly=True,
        index=True,
        aggregator="avg",
        help="0-100: the sum of the points shown in the Priority tab, from the amount "
        "overdue, its age, broken commitments, disputes, the customer's payment history, "
        "the days since the last contact and a credit hold; the weights are company "
        "settings. It only ranks the work of the desk: it never decides anything about the "
        "customer (GDPR Art. 22).",
    )
    # Not prefetched: only the case form shows it, never a list of cases.
    priority_detail = fields.Json(
        readonly=True, prefetch=False, help="The inputs of the priority score and their points."
    )
    priority_table = fields.Html(
        string="Priority Points", compute="_compute_priority_table", sanitize=False
    )
    predicted_pay_date = fields.Date(
        readonly=True,
        help="When the customer would pay if they pay as they did before: the oldest overdue "
        "item's due date plus the median delay of their paid invoices. A case already older "
        "than that is predicted a week from today. Empty without a paid invoice. When the "
        "company's payment prediction model is in use and the customer has paid 3 invoices "
        "or more, the model's pay date of the oldest overdue item instead, never before "
        "today.",
    )
    predicted_pay_basis = fields.Integer(
        string="Prediction Based On",
        readonly=True,
        help="How many paid invoices of the customer the predicted pay date rests on.",
    )

    @api.depends("priority_detail", "priority_score")
    @api.depends_context("lang")
    def _compute_priority_table(self):
        labels = {
            "amount": self.env._("Amount overdue"),
            "days": self.env._("Days overdue"),
            "broken": self.env._("Broken promises and plans, missed installments"),
            "dispute": self.env._("Open disputes"),
            "history": self.env._("Payment history"),
            "contact": self.env._("Days since the last contact"),
            "credit_hold": self.env._("Credit hold"),
            "prediction": self.env._("Unlikely to be paid within 30 days"),
        }
        for case in self:
            rows = [
                Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s / %s</td></tr>")
                % (
                    labels.get(row["key"], row["key"]),
                    self._priority_value_text(row),
                    row["points"],
                    row["max"],
                )
                for row in case.priority_detail or []
            ]
            if not rows:
                case.priority_table = False
                continue
            case.priority_table = (
                Markup(
                    "<table class='table table-sm o_collection_priority'><thead><tr>"
                    "<th>%s</th><th>%s</th><th class='text-end'>%s</th></tr></thead><tbody>"
                )
                % (self.env._("Input"), self.env._("Value"), self.env._("Points"))
                + Markup("").join(rows)
                + Markup(
                    "<tr class='fw-bold'><td>%s</td><td></td><td class='text-end'>%s</td></tr>"
                )
                % (self.env._("Priority (at most 100)"), case.priority_score)
                + Markup("</tbody></table>")
            )

    def _priority_value_text(self, row):
        value = row["value"]
        key = row["key"]
        if key == "amount":
            return self.env._("%(share)s%% of the overdue book", share=f"{value:.1f}")
        if key == "days":
            return self.env._("%(days)s days", days=value)
        if key == "broken":
            return self.env._(
                "%(promises)s broken promises, %(plans)s broken plans, "
                "%(missed)s missed installments",
                promises=value["promises"],
                plans=value["plans"],
                missed=value["missed"],
            )
        if key == "dispute":
            return self.env._("%(count)s open", count=value)
        if key == "history":
            if not value["paid"]:
                return self.env._("No paid invoice yet")
            return self.env._(
                "%(late)s of %(paid)s invoices paid late, %(days)s days late on average",
                late=value["late"],
                paid=value["paid"],
                days=round(value["avg"]),
            )
        if key == "contact":
            if value["never"]:
                return self.env._(
                    "%(days)s days since the case opened, no contact", days=value["days"]
                )
            return self.env._("%(days)s days", days=value["days"])
        if key == "credit_hold":
            return self.env._("Yes") if value else self.env._("No")
        if key == "prediction":
            if value is None:
                return self.env._("No prediction of the model")
            return self.env._("%(percent)s%% likely paid within 30 days", percent=round(value))
        return escape(str(value))

    # --------------------------------------------------------------- actions

    def action_refresh(self):
        result = super().action_refresh()
        if self and result is True:
            # Scored again even when accounting did not change: the days did.
            self._update_priority()
        return result

    # ------------------------------------------------------------- priority

    @api.model
    def _update_priority_all(self, companies=None):
        """Score every active case of the companies again: the days move every day."""
        companies = companies or self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        cases = self.sudo().search(
            [("company_id", "in", companies.ids), ("state", "!=", "closed")], order="id"
        )
        cases._update_priority()
        return cases

    @api.model
    def _update_priority_of_the_day(self, company):
        """The scheduled refresh's scoring: every active case of ``company`` once per
        local day, as the days move (days overdue, since the last contact, the dates
        predicted and planned); a refresh asked again the same day changed only the
        cases it touched, and scored them as it did."""
        today = company._collection_today()
        if company.collection_scored_day == today:
            return self.browse()
        # The day's one book, read once: every case scored today, now or after a
        # change, reads its share against it (see ``_overdue_book``).
        company.sudo().write(
            {
                "collection_priority_book": self._read_overdue_book(company).get(company.id, 0.0),
                "collection_scored_day": today,
            }
        )
        return self._update_priority_all(company)

    def _update_priority(self):
        """Compute and store the priority, predicted pay date and next action of these
        cases, in a fixed number of queries whatever their number.

        The cases are read as plain rows: thousands of them are scored at once, and
        the score reads a dozen of their fields.
        """
        if not self:
            return
        cases = self._priority_rows()
        active_by_company = {}
        for case in cases:
            if case["state"] != "closed":
                active_by_company.setdefault(case["company_id"], []).append(case)
        # Each company's cases are scored on its own day.
        inputs_of, next_actions = {}, {}
        for company_id, active in active_by_company.items():
            today = self.env["res.company"].browse(company_id)._collection_today()
            inputs_of[company_id] = self.browse([case["id"] for case in active])._priority_inputs(
                active, today
            )
            next_actions.update(self._next_actions(active, today))
        rows = []
        for case in cases:
            if case["state"] == "closed":
                rows.append((case["id"], 0, [], None, 0, None, None, None, None, None))
                continue
            inputs = inputs_of[case["company_id"]]
            detail = self._priority_points(case, inputs)
            score = min(100, sum(row["points"] for row in detail))
            prediction = inputs["predictions"].get(case["id"])
            if prediction:
                predicted, basis = prediction["date"], prediction["basis"]
                method, probability = "model", 100.0 * prediction["probability"]
                factors = prediction["factors"]
            else:
                predicted, basis = self._predicted_pay(case, inputs["history"], inputs["today"])
                method, probability, factors = "median" if predicted else "none", None, None
            action_date, action_label = next_actions.get(case["id"], (None, None))
            rows.append(
                (
                    case["id"],
                    score,
                    detail,
                    predicted,
                    basis,
                    action_date,
                    action_label,
                    probability,
                    method,
                    factors,
                )
            )
        self._store_priority(rows)

    def _priority_rows(self):
        """What the scoring reads of each case: ``[{column: value}]``."""
        names = [
            "partner_id",
            "company_id",
            "state",
            "overdue_amount",
            "oldest_due_date",
            "next_due_date",
            "opened_date",
            "callback_date",
            "level_id",
            "level_date",
            "policy_id",
        ]
        self.flush_model(names)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT id, partner_id, company_id, state, overdue_amount, oldest_due_date,
                       next_due_date, opened_date, create_date,
                       callback_date, level_id, level_date, policy_id
                  FROM collection_case
                 WHERE id = ANY(%s)
                 ORDER BY id
                """,
                self.ids,
            )
        )
        for row in rows:
            # A case without an opening date opened the day its company created it.
            created = row.pop("create_date")
            if not row["opened_date"]:
                company = self.env["res.company"].sudo().browse(row["company_id"])
                row["opened_date"] = company._collection_today(created)
        return rows

    def _store_priority(self, rows):
        names = [
            "priority_score",
            "priority_detail",
            "predicted_pay_date",
            "predicted_pay_basis",
            "next_action_date",
            "next_action_label",
            "predicted_pay_probability",
            "predicted_pay_method",
            "predicted_pay_factors",
        ]
        if not rows:
            return
        self.flush_model(names)
        columns = list(zip(*rows, strict=True))
        # One statement for the whole batch, its values as arrays: the ORM would update
        # case by case, as every case has its own values.
        self.env.execute_query(
            SQL(
                """
                UPDATE collection_case c
                   SET priority_score = v.score,
                       priority_detail = v.detail::jsonb,
                       predicted_pay_date = v.predicted,
                       predicted_pay_basis = v.basis,
                       next_action_date = v.action_date,
                       next_action_label = v.label,
                       predicted_pay_probability = v.probability,
                       predicted_pay_method = v.method,
                       predicted_pay_factors = v.factors::jsonb
                  FROM unnest(%s::int[], %s::int[], %s::text[], %s::date[], %s::int[],
                              %s::date[], %s::varchar[], %s::float8[], %s::varchar[],
                              %s::text[])
                       AS v(id, score, detail, predicted, basis, action_date, label,
                            probability, method, factors)
                 WHERE c.id = v.id
                   AND (c.priority_score, c.priority_detail, c.predicted_pay_date,
                        c.predicted_pay_basis, c.next_action_date, c.next_action_label,
                        c.predicted_pay_probability, c.predicted_pay_method,
                        c.predicted_pay_factors)
                       IS DISTINCT FROM (v.score, v.detail::jsonb, v.predicted, v.basis,
                                         v.action_date, v.label, v.probability, v.method,
                                         v.factors::jsonb)
                """,
                list(columns[0]),
                list(columns[1]),
                [json.dumps(detail) for detail in columns[2]],
                list(columns[3]),
                list(columns[4]),
                list(columns[5]),
                list(columns[6]),
                list(columns[7]),
                list(columns[8]),
                [None if factors is None else json.dumps(factors) for factors in columns[9]],
            )
        )
        self.invalidate_model(names)

    def _priority_inputs(self, cases, today):
        """Everything the score reads, for all these cases at once (``self``: the cases,
        ``cases``: their rows)."""
        ids = self.ids
        companies = self.env["res.company"].sudo().browse({case["company_id"] for case in cases})
        book = self._overdue_book(companies)
        Promise = self.env["collection.promise"].sudo()
        Plan = self.env["collection.plan"].sudo()

        def count_by_case(model, domain):
            return {
                case.id: count
                for case, count in model._read_group(
                    Domain("case_id", "in", ids) & Domain(domain), ["case_id"], ["__count"]
                )
            }

        disputes = count_by_case(self.env["collection.dispute"].sudo(), [("state", "=", "open")])
        active_plans = Plan.search([("case_id", "in", ids), ("state", "=", "active")])
        last_contacts = {
            case.id: last
            for case, last in self.env["collection.contact"]
            .sudo()
            ._read_group(
                [("case_id", "in", ids), ("outcome", "!=", "blocked")],
                ["case_id"],
                ["date:max"],
            )
        }
        history, credit_hold = {}, set()
        for company in companies:
            company_partners = [
                case["partner_id"] for case in cases if case["company_id"] == company.id
            ]
            partners = self.env["res.partner"].sudo().with_company(company).browse(company_partners)
            history.update(self.env["collection.ledger"]._fetch_payment_history(company, partners))
            # Only what the score reads: a customer has many company-dependent fields.
            partners.fetch(["collection_credit_hold"])
            credit_hold |= {
                (partner.id, company.id) for partner in partners if partner.collection_credit_hold
            }
        return {
            "weights": {
                company.id: {name: company[field] for name, field in PRIORITY_INPUTS}
                | {"share": company.collection_priority_amount_share}
                for company in companies
            },
            "today": today,
            "book": book,
            "broken_promises": count_by_case(Promise, [("state", "=", "broken")]),
            "broken_plans": count_by_case(Plan, [("state", "=", "broken")]),
            "missed": {plan.case_id.id: plan.missed_count for plan in active_plans},
            "disputes": disputes,
            "last_contacts": last_contacts,
            "history": history,
            "credit_hold": credit_hold,
            "predictions": self._priority_predictions(cases, today),
        }

    @api.model
    def _overdue_book(self, companies):
        """``{company id: overdue amount of its active cases}``, the total a case's share
        of the overdue book is read against: the one stored by the day's scoring (see
        ``_update_priority_of_the_day``) on the company's day, else read now.

        One total for the day ranks the cases of the day against each other, and
        scoring one case after an officer's change costs no read of every case of
        the company.
        """
        book, unscored = {}, self.env["res.company"]
        for company in companies.sudo():
            # A book empty in the morning is read again: cases may have opened since.
            scored = company.collection_scored_day == company._collection_today()
            if scored and company.collection_priority_book > 0:
                book[company.id] = company.collection_priority_book
            else:
                unscored |= company
        return book | self._read_overdue_book(unscored)

    @api.model
    def _read_overdue_book(self, companies):
        """``{company id: overdue amount of its active cases}``, read now."""
        if not companies:
            return {}
        return {
            company.id: total
            for company, total in self.env["collection.case"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("state", "!=", "closed"),
                    ("overdue_amount", ">", 0),
                ],
                ["company_id"],
                ["overdue_amount:sum"],
            )
        }

    @api.model
    def _priority_points(self, case, inputs):
        """The score's rows for a case: ``[{key, value, points, max}]``."""
        case_id, company_id = case["id"], case["company_id"]
        weights = inputs["weights"][company_id]
        today = inputs["today"]
        key = (case["partner_id"], company_id)
        book = inputs["book"].get(company_id) or 0.0
        overdue = max(case["overdue_amount"] or 0.0, 0.0)
        # More than the morning's book when it grew since: the whole book at most.
        share = min(100.0 * overdue / book, 100.0) if book > 0 else 0.0
        oldest = case["oldest_due_date"]
        days = max((today - oldest).days, 0) if oldest else 0
        promises = inputs["broken_promises"].get(case_id, 0)
        plans = inputs["broken_plans"].get(case_id, 0)
        missed = inputs["missed"].get(case_id, 0)
        disputes = inputs["disputes"].get(case_id, 0)
        history = inputs["history"].get(key)
        last_contact = inputs["last_contacts"].get(case_id)
        since = (
            self.env["res.company"].sudo().browse(company_id)._collection_today(last_contact)
            if last_contact
            else case["opened_date"]
        )
        silent = max((today - since).days, 0) if since else 0
        paid = history["paid_count"] if history else 0
        hold = key in inputs["credit_hold"]
        prediction = inputs["predictions"].get(case_id)
        fractions = {
            "amount": (share, min(share / weights["share"], 1.0)),
            "days": (days, min(days / FULL_DAYS_OVERDUE, 1.0)),
            "broken": (
                {"promises": promises, "plans": plans, "missed": missed},
                min((promises + plans + missed) / FULL_BROKEN, 1.0),
            ),
            "dispute": (disputes, 1.0 if disputes else 0.0),
            "history": (
                {
                    "paid": paid,
                    "late": history["late_count"] if history else 0,
                    "avg": history["avg_days_late"] if history else 0.0,
                },
                0.5 * history["late_count"] / paid
                + 0.5 * min(history["avg_days_late"] / FULL_DAYS_LATE, 1.0)
                if paid
                else 0.0,
            ),
            "contact": (
                {"days": silent, "never": not last_contact},
                min(silent / FULL_DAYS_SILENT, 1.0),
            ),
            "credit_hold": (hold, 1.0 if hold else 0.0),
            "prediction": (
                100.0 * prediction["probability"] if prediction else None,
                1.0 - prediction["probability"] if prediction else 0.0,
            ),
        }
        detail = []
        for name, _weight_field in PRIORITY_INPUTS:
            weight = weights[name]
            if name in OPTIONAL_INPUTS and not weight:
                continue
            value, fraction = fractions[name]
            detail.append(
                {"key": name, "value": value, "points": round(weight * fraction), "max": weight}
            )
        return detail

    def _priority_predictions(self, cases, today):
        """``{case id: {"date", "basis", "probability", "factors"}}``: the predictions
        that replace the median rule for these cases (``self``: the cases, ``cases``:
        their rows, of one company). None here; see collection_case_prediction.py."""
        return {}

    @api.model
    def _predicted_pay(self, case, history, today):
        """``(date, invoices it rests on)`` from the customer's median delay, or ``(None, 0)``."""
        values = history.get((case["partner_id"], case["company_id"]))
        reference = case["oldest_due_date"] or case["next_due_date"]
        if not values or not values["paid_count"] or not reference:
            return None, 0
        predicted = reference + timedelta(days=values["median_days_late"])
        if predicted <= today:
            predicted = today + timedelta(days=PREDICTION_MARGIN_DAYS)
        return predicted, values["paid_count"]
