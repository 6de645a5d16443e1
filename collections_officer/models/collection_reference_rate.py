from datetime import date
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

RATE_TYPES = [("boe", "Bank of England Base Rate"), ("ecb", "ECB Main Refinancing Rate")]


class CollectionReferenceRate(models.Model):
    _name = "collection.reference.rate"
    _description = "Reference Interest Rate"
    _order = "rate_type, date_from desc, company_id, id desc"
    _check_company_auto = True

    def _default_company(self):
        # Managers record their own company's rates; the shared ones are the administrators'.
        return False if self.env.user.has_group("base.group_system") else self.env.company

    rate_type = fields.Selection(RATE_TYPES, required=True)
    date_from = fields.Date(
        string="Valid From",
        required=True,
        help="First day the rate applies to late-payment interest. Statutory rates are fixed "
        "per half-year: enter the rate fixed for the half-year, valid from 1 January or 1 July.",
    )
    rate = fields.Float(string="Rate (%)", digits=(16, 4), required=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self._default_company(),
        help="Empty: the rate is shared by every company (maintained by the system "
        "administrators). A company's own rate for a date takes precedence over the shared one.",
    )

    _type_date_uniq = models.UniqueIndex(
        "(rate_type, COALESCE(company_id, 0), date_from)",
        "A reference rate can only be valid from a date once per company.",
    )

    @api.depends("rate_type", "date_from")
    def _compute_display_name(self):
        labels = dict(self._fields["rate_type"]._description_selection(self.env))
        for record in self:
            record.display_name = f"{labels.get(record.rate_type, '')} {record.date_from or ''}"

    @api.constrains("rate")
    def _check_rate(self):
        # Policy rates have been negative (ECB deposit rate): only absurd values are refused.
        for record in self:
            if not -100 < record.rate < 100:
                raise ValidationError(
                    self.env._("A reference rate must lie between -100 and 100 percent.")
                )

    @api.model
    def _rate_label(self, rate_type):
        return dict(self._fields["rate_type"]._description_selection(self.env))[rate_type]

    @api.model
    def _rate_at(self, rate_type, date, company=None):
        """The rate (%) of `rate_type` in force on `date`, or None when none is recorded."""
        return self._split_period(self._rate_table(rate_type, company), date, date)[0][2]

    @api.model
    def _rate_table(self, rate_type, company=None):
        """The rates of a type for a company as [(start, end, rate)] in date order: the shared
        rates, overridden by the company's own for the same date. Statutory rates are fixed per
        half-year, so a rate holds until the next one and never beyond the end of its
        half-year: the next half-year's rate is unknown until it is recorded. A handful of
        rows, read once per charge run."""
        domain = Domain("rate_type", "=", rate_type) & Domain(
            "company_id", "in", [False, *(company.ids if company else [])]
        )
        by_date = {}
        # Shared rates first, so that a company's own rate for a date replaces them.
        for record in self.sudo().search(domain).sorted(lambda r: (bool(r.company_id), r.id)):
            by_date[record.date_from] = record.rate
        starts = sorted(by_date)
        table = []
        for index, start in enumerate(starts):
            half_year_end = (
                date(start.year, 7, 1) if start.month <= 6 else date(start.year + 1, 1, 1)
            )
            end = (
                min(starts[index + 1], half_year_end) if index + 1 < len(starts) else half_year_end
            )
            table.append((start, end, by_date[start]))
        return table

    @api.model
    def _split_period(self, table, date_from, date_to):
        """Split [date_from, date_to] wherever the rate changes, each part at its own rate.

        Returns [(start, end, rate)]; the end of a part is the start of the next, so day
        counts (end - start) add up to the whole period. The rate of a part no recorded rate
        covers is None: it is never guessed.
        """
        cuts = sorted(
            {date_from, date_to}
            | {
                day
                for start, end, _rate in table
                for day in (start, end)
                if date_from < day < date_to
            }
        )
        periods = []
        for start, end in list(pairwise(cuts)) or [(date_from, date_to)]:
            rate = next((r for s, e, r in table if s <= start < e), None)
            if periods and periods[-1][2] == rate and periods[-1][1] == start:
                periods[-1] = (periods[-1][0], end, rate)
            else:
                periods.append((start, end, rate))
        return periods
