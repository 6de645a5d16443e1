from odoo import api, models
from odoo.tools import SQL


class CollectionCase(models.Model):
    """The reference of new cases, from the case sequence."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _next_references(self, count):
        """`count` references from the case sequence.

        A refresh opens thousands of cases at once: a standard (gapped) sequence
        hands all their numbers out in one query instead of one per case.
        """
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "collection.case"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not count or not sequence:
            return ["/"] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for _index in range(count)]
        rows = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        # get_next_char, its prefix and suffix interpolated once rather than per number.
        prefix, suffix = sequence._get_prefix_suffix()
        return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in rows]
