from datetime import timedelta
from math import ceil, sqrt
from statistics import NormalDist, fmean, variance

from markupsafe import Markup, escape

from odoo import fields, models

from .collection_experiment import CHALLENGER, CHAMPION

# Days after the enrolment the money collected is measured over.
WINDOWS = (30, 60)
# Two-sided 95 % confidence, 80 % power.
Z_CONFIDENCE = NormalDist().inv_cdf(0.975)
Z_POWER = NormalDist().inv_cdf(0.80)
# The difference the sample size aims at when the observed one is about nothing
# (a share: 5 points), and the variance of a share before any case is measured.
SMALLEST_DIFFERENCE = 0.05
NEGLIGIBLE_DIFFERENCE = 0.005
UNKNOWN_VARIANCE = 0.25


def mean_or_none(values):
    return fmean(values) if values else None


def welch_interval(challenger, champion):
    """``(difference, standard error, low, high)`` of the means of two samples
    (challenger - champion), Welch's standard error and the normal 97.5 % quantile;
    None when an arm has fewer than two values."""
    if len(challenger) < 2 or len(champion) < 2:
        return None
    difference = fmean(challenger) - fmean(champion)
    error = sqrt(variance(challenger) / len(challenger) + variance(champion) / len(champion))
    return difference, error, difference - Z_CONFIDENCE * error, difference + Z_CONFIDENCE * error


def cases_needed(challenger, champion, share):
    """The total number of measured cases the usual two-sample formula asks for, at
    95 % confidence and 80 % power, to tell the observed difference (5 points when
    it is about nothing) with ``share`` (0 to 1) of the cases in the challenger arm."""
    enough = len(challenger) >= 2 and len(champion) >= 2
    difference = abs(fmean(challenger) - fmean(champion)) if enough else 0.0
    if difference < NEGLIGIBLE_DIFFERENCE:
        difference = SMALLEST_DIFFERENCE
    var_challenger = variance(challenger) if enough else UNKNOWN_VARIANCE
    var_champion = variance(champion) if enough else UNKNOWN_VARIANCE
    if not var_challenger + var_champion:
        var_challenger = var_champion = UNKNOWN_VARIANCE
    spread = var_challenger / share + var_champion / (1 - share)
    return ceil((Z_CONFIDENCE + Z_POWER) ** 2 * spread / difference**2)


class CollectionExperiment(models.Model):
    """The figures of an experiment, per arm, read from the ledger as it runs."""

    _inherit = "collection.experiment"  # pylint: disable=consider-merging-classes-inherited

    report_html = fields.Html(
        string="Results", compute="_compute_report", sanitize=False, readonly=True
    )
    verdict = fields.Char(compute="_compute_report", readonly=True)

    def _compute_report(self):
        figures = self._get_report_figures()
        for experiment in self:
            result = figures[experiment.id]
            experiment.verdict = result["verdict"]
            experiment.report_html = experiment._render_report(result)

    def _get_report_figures(self):
        """``{experiment id: {"arms": {arm: figures}, "interval", "verdict"}}``.

        Per arm: the cases; the money collected within 30 and 60 days of the
        enrolment as a share of what was overdue then (capped at 1), counted on the
        cases whose window has passed (company today); the days from enrolment to
        the case closing (cases still open left out, counted); the roll rate (the
        share of the measured cases still owing after 30 days: their debt rolled
        into the next aging bucket); the contacts, letters, their cost and the
        broken promises per case since the enrolment. Money received is read for
        every case and window in one query.
        """
        cases = self.env["collection.case"].sudo().with_context(active_test=False)
        cases = cases.search([("experiment_id", "in", self.ids)], order="id")
        windows, keys = [], []
        for case in cases:
            today = case.company_id._collection_today()
            for days in WINDOWS:
                end = case.experiment_date + timedelta(days=days - 1)
                if end < today:
                    keys.append((case.id, days))
                    windows.append(
                        (case.partner_id.id, case.company_id.id, case.experiment_date, end)
                    )
        received = dict(
            zip(keys, self.env["collection.ledger"]._fetch_money_received(windows), strict=True)
        )
        contacts = cases._experiment_contacts()
        broken = cases._experiment_broken_promises()

        per_arm = {
            (experiment.id, arm): {
                "cases": 0,
                "share_30": [],
                "share_60": [],
                "days_to_pay": [],
                "unpaid": 0,
                "rolled": 0,
                "contacts": 0,
                "letters": 0,
                "cost": 0.0,
                "broken": 0,
            }
            for experiment in self
            for arm in (CHAMPION, CHALLENGER)
        }
        for case in cases:
            arm = per_arm.get((case.experiment_id.id, case.experiment_arm))
            if arm is None:
                continue
            arm["cases"] += 1
            overdue = case.experiment_overdue
            for days in WINDOWS:
                if (case.id, days) not in received:
                    continue
                cash, credited = received[(case.id, days)]
                arm[f"share_{days}"].append(min(cash / overdue, 1.0) if overdue > 0 else 1.0)
                if days == 30:
                    tolerance = case.company_id.currency_id.rounding
                    arm["rolled"] += cash + credited < overdue - tolerance
            if (
                case.state == "closed"
                and case.closed_date
                and case.closed_date >= case.experiment_date
            ):
                arm["days_to_pay"].append((case.closed_date - case.experiment_date).days)
            else:
                arm["unpaid"] += 1
            costs = case.company_id._collection_channel_costs()
            for channel, count in contacts.get(case.id, {}).items():
                arm["contacts"] += count
                arm["letters"] += count if channel == "letter" else 0
                arm["cost"] += count * costs.get(channel, 0.0)
            arm["broken"] += broken.get(case.id, 0)

        figures = {}
        for experiment in self:
            arms = {}
            for arm in (CHAMPION, CHALLENGER):
                raw = per_arm[(experiment.id, arm)]
                count = raw["cases"]
                measured = len(raw["share_30"])
                arms[arm] = {
                    "cases": count,
                    "measured_30": measured,
                    "measured_60": len(raw["share_60"]),
                    "shares_30": raw["share_30"],
                    "collected_30": mean_or_none(raw["share_30"]),
                    "collected_60": mean_or_none(raw["share_60"]),
                    "days_to_pay": mean_or_none(raw["days_to_pay"]),
                    "paid": len(raw["days_to_pay"]),
                    "unpaid": raw["unpaid"],
                    "roll_rate": raw["rolled"] / measured if measured else None,
                    "contacts": raw["contacts"] / count if count else None,
                    "letters": raw["letters"] / count if count else None,
                    "cost": raw["cost"] / count if count else None,
                    "broken": raw["broken"] / count if count else None,
                }
            interval = welch_interval(arms[CHALLENGER]["shares_30"], arms[CHAMPION]["shares_30"])
            figures[experiment.id] = {
                "arms": arms,
                "interval": interval,
                "verdict": experiment._verdict(arms, interval),
            }
        return figures

    def _verdict(self, arms, interval):
        self.ensure_one()
        if interval:
            difference, _error, low, high = interval
            if low > 0 or high < 0:
                if difference > 0:
                    return self.env._(
                        "Challenger collects %(points)s points more, 95 %% interval "
                        "%(low)s–%(high)s",  # noqa: RUF001
                        points=f"{difference * 100:.1f}",
                        low=f"{low * 100:.1f}",
                        high=f"{high * 100:.1f}",
                    )
                return self.env._(
                    "Challenger collects %(points)s points less, 95 %% interval %(low)s–%(high)s",  # noqa: RUF001
                    points=f"{-difference * 100:.1f}",
                    low=f"{-high * 100:.1f}",
                    high=f"{-low * 100:.1f}",
                )
        challenger, champion = arms[CHALLENGER]["shares_30"], arms[CHAMPION]["shares_30"]
        needed = cases_needed(challenger, champion, self.challenger_share / 100)
        return self.env._(
            "Not yet significant: about %(count)s more cases needed",
            count=max(needed - len(challenger) - len(champion), 1),
        )

    def _render_report(self, result):
        self.ensure_one()
        arms = result["arms"]
        currency = self.currency_id

        def percent(value):
            return "-" if value is None else f"{value * 100:.1f} %"

        def number(value, digits=1):
            return "-" if value is None else f"{value:.{digits}f}"

        def money(value):
            return "-" if value is None else f"{currency.symbol or ''} {value:,.2f}"

        rows = [
            (self.env._("Cases"), lambda arm: str(arm["cases"])),
            (
                self.env._("Collected within 30 days"),
                lambda arm: self.env._(
                    "%(share)s (%(count)s cases measured)",
                    share=percent(arm["collected_30"]),
                    count=arm["measured_30"],
                ),
            ),
            (
                self.env._("Collected within 60 days"),
                lambda arm: self.env._(
                    "%(share)s (%(count)s cases measured)",
                    share=percent(arm["collected_60"]),
                    count=arm["measured_60"],
                ),
            ),
            (
                self.env._("Days to pay"),
                lambda arm: self.env._(
                    "%(days)s (%(unpaid)s not paid yet, left out)",
                    days=number(arm["days_to_pay"]),
                    unpaid=arm["unpaid"],
                ),
            ),
            (self.env._("Roll rate after 30 days"), lambda arm: percent(arm["roll_rate"])),
            (self.env._("Contacts per case"), lambda arm: number(arm["contacts"], 2)),
            (self.env._("Letters per case"), lambda arm: number(arm["letters"], 2)),
            (self.env._("Contact cost per case"), lambda arm: money(arm["cost"])),
            (self.env._("Broken promises per case"), lambda arm: number(arm["broken"], 2)),
        ]
        head = Markup("<tr><th></th><th>%s</th><th>%s</th></tr>") % (
            self.env._("Champion: %(policy)s", policy=self.champion_policy_id.name or ""),
            self.env._("Challenger: %(policy)s", policy=self.challenger_policy_id.name or ""),
        )
        body = Markup("").join(
            Markup("<tr><th>%s</th><td>%s</td><td>%s</td></tr>")
            % (label, value(arms[CHAMPION]), value(arms[CHALLENGER]))
            for label, value in rows
        )
        interval = result["interval"]
        note = ""
        if interval:
            difference, error, low, high = interval
            note = self.env._(
                "Difference in the share collected within 30 days (challenger - champion): "
                "%(difference)s points, standard error %(error)s, 95 %% interval "
                "%(low)s to %(high)s.",
                difference=f"{difference * 100:.1f}",
                error=f"{error * 100:.1f}",
                low=f"{low * 100:.1f}",
                high=f"{high * 100:.1f}",
            )
        return Markup(
            '<p class="fw-bold">%s</p>'
            '<table class="table table-sm o_collection_experiment_report">'
            "<thead>%s</thead><tbody>%s</tbody></table><p>%s</p>"
        ) % (escape(result["verdict"]), head, body, note)


class CollectionCase(models.Model):
    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    def _experiment_contacts(self):
        """``{case id: {channel: count}}``: the contacts made (outbound, not blocked)
        since each case's enrolment."""
        enrolled = {case.id: case.experiment_date for case in self}
        counts = {}
        for case, channel, day, count in (
            self.env["collection.contact"]
            .sudo()
            ._read_group(
                [
                    ("case_id", "in", self.ids),
                    ("direction", "=", "outbound"),
                    ("outcome", "!=", "blocked"),
                ],
                ["case_id", "channel", "date:day"],
                ["__count"],
            )
        ):
            if enrolled.get(case.id) and day.date() >= enrolled[case.id]:
                by_channel = counts.setdefault(case.id, {})
                by_channel[channel] = by_channel.get(channel, 0) + count
        return counts

    def _experiment_broken_promises(self):
        """``{case id: count}``: the broken promises due since each case's enrolment."""
        enrolled = {case.id: case.experiment_date for case in self}
        counts = {}
        for case, day, count in (
            self.env["collection.promise"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("case_id", "in", self.ids), ("state", "=", "broken")],
                ["case_id", "date:day"],
                ["__count"],
            )
        ):
            if enrolled.get(case.id) and day >= enrolled[case.id]:
                counts[case.id] = counts.get(case.id, 0) + count
        return counts
