from odoo import api, models

from .collection_kpi import COUNTBACK_MONTHS, month_bounds, previous_month


class CollectionKpi(models.AbstractModel):
    """The formulas of the KPIs: ratios, DSO by both methods, the CEI.

    Pure arithmetic on the figures read elsewhere, each with its source.
    """

    _inherit = "collection.kpi"  # pylint: disable=consider-merging-classes-inherited

    @staticmethod
    def _ratio(part, whole, scale=100.0):
        return part / whole * scale if whole else None

    @api.model
    def _dso(self, receivables, credit_sales, days):
        """Days sales outstanding, standard method.

        DSO = receivables at the end of the period / credit sales of the period *
        days in the period (Credit Research Foundation; Investopedia, "Days Sales
        Outstanding"). With the not-yet-due receivables instead of all of them it
        is the best possible DSO (CRF, "Best Possible DSO"); the difference is
        the average days delinquent (ADD = DSO - best possible DSO).
        """
        return receivables / credit_sales * days if credit_sales > 0 else None

    @api.model
    def _countback_dso(self, receivables, scope, month_sales):
        """Days sales outstanding by the countback method.

        The receivables at the end of the period are explained by the most recent
        sales: walking back month by month from the period, each month whose
        credit sales the remaining receivables exceed adds all its days, and the
        month that covers the rest adds its share of days (remaining / that
        month's sales * its days) (CRF; "Countback DSO", Credit Today). Sales
        already collected do not matter, so it is not swayed by seasonality as
        standard DSO is. ``None`` when there is nothing owed; the months walked are
        limited to two years.
        """
        if receivables <= 0:
            return None if receivables < 0 else 0.0
        remaining, days = receivables, 0.0
        month, end = scope["start"], scope["end"]
        for _index in range(COUNTBACK_MONTHS):
            month_days = (end - month).days + 1
            sales = month_sales.get(month, 0.0)
            if sales > 0 and remaining <= sales:
                return days + remaining / sales * month_days
            remaining -= max(sales, 0.0)
            days += month_days
            month = previous_month(month)
            end = month_bounds(month)[1]
        return days

    @api.model
    def _cei(self, begin, sales, end, end_current):
        """Collection effectiveness index, monthly (Credit Research Foundation).

        CEI = (beginning receivables + credit sales of the month - ending total
        receivables) / (beginning receivables + credit sales of the month -
        ending current receivables) * 100: what was collected of what could be
        collected, current (not yet due) receivables set aside. 100 is a perfect
        month.
        """
        return self._ratio(begin + sales - end, begin + sales - end_current)
