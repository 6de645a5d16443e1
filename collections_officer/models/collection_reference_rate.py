from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

RATE_TYPES = [("boe", "Bank of England Base Rate"), ("ecb", "ECB Main Refinancing Rate")]


class CollectionReferenceRate(models.Model):
    _name = "collection.reference.rate"
    _description = "Reference Interest Rate"
    _order = "rate_type, date_from desc, id desc"

    rate_type = fields.Selection(RATE_TYPES, required=True)
    date_from = fields.Date(
        string="Valid From",
        required=True,
        help="First day the rate applies to late-payment interest. Statutory rates are fixed "
        "per half-year: enter the rate fixed for the half-year, valid from 1 January or 1 July.",
    )
    rate = fields.Float(string="Rate (%)", digits=(16, 4), required=True)

    _type_date_uniq = models.UniqueIndex(
        "(rate_type, date_from)", "A reference rate can only be valid from a date once."
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
    def _rate_at(self, rate_type, date):
        """The rate (%) of `rate_type` in force on `date`: the one with the latest start on or
        before it. Raises a clear error when none is recorded."""
        return self._split_period(self._rate_table(rate_type), rate_type, date, date)[0][2]

    @api.model
    def _rate_table(self, rate_type):
        """All rates of a type as [(date_from, rate)] in date order: a handful of rows,
        read once per charge run."""
        records = self.sudo().search([("rate_type", "=", rate_type)], order="date_from")
        return [(record.date_from, record.rate) for record in records]

    @api.model
    def _split_period(self, table, rate_type, date_from, date_to):
        """Split [date_from, date_to] wherever the rate changes, each part at its own rate.

        Returns [(start, end, rate)]; the end of a part is the start of the next, so day
        counts (end - start) add up to the whole period.
        """
        in_force = [rate for start, rate in table if start <= date_from]
        if not in_force:
            labels = dict(self._fields["rate_type"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "No %(rate)s is recorded for %(date)s: add it under Reference Rates.",
                    rate=labels[rate_type],
                    date=date_from,
                )
            )
        periods, start, rate = [], date_from, in_force[-1]
        for change_date, change_rate in table:
            if date_from < change_date < date_to:
                periods.append((start, change_date, rate))
                start, rate = change_date, change_rate
        periods.append((start, date_to, rate))
        return periods
