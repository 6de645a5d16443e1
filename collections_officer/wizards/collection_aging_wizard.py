from odoo import api, fields, models
from odoo.exceptions import UserError


class CollectionAgingWizard(models.TransientModel):
    """Asks the date and options of an aged receivables report, then shows or exports it."""

    _name = "collection.aging.wizard"
    _description = "Aged Receivables"

    as_of = fields.Date(required=True, default=lambda self: self.env.company._collection_today())
    aging_by = fields.Selection(
        [("due_date", "Due Date"), ("invoice_date", "Invoice Date")],
        string="Age By",
        required=True,
        default="due_date",
    )
    buckets = fields.Char(
        string="Buckets (days)",
        required=True,
        default=lambda self: self.env.company.collection_aging_buckets or "30,60,90,120",
        help="Upper limits of the overdue buckets, comma-separated: 30,60,90,120 gives "
        "not due, 1-30, 31-60, 61-90, 91-120 and over 120.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    user_ids = fields.Many2many("res.users", string="Officers")
    team_ids = fields.Many2many("collection.team", string="Teams")
    partner_ids = fields.Many2many(
        "res.partner", string="Customers", domain="[('parent_id', '=', False)]"
    )

    @api.constrains("buckets")
    def _check_buckets(self):
        for wizard in self:
            self.env["collection.aging.report"]._parse_buckets(wizard.buckets)

    # ----------------------------------------------------------------- actions

    def action_open_report(self):
        """Opens the aging as a pivot (graph and list next to it), read from the ledger.

        The run's options travel in the action's context: the items are grouped
        in PostgreSQL each time the screen reads them (``collection.aging.line``).
        The pivot's rows are the customers, or the officers on a run of more
        customers than a pivot lists at once (``_pivot_row_groupby``).
        """
        self.ensure_one()
        context = self._report_context()
        lines = self.env["collection.aging.line"].with_context(**context)
        # Checked now, so that a wrong option is said here rather than by the pivot.
        lines._context_params()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Aged Receivables as of %(date)s", date=self.as_of),
            "res_model": "collection.aging.line",
            "view_mode": "pivot,graph,list",
            "views": [
                (self.env.ref("collections_officer.collection_aging_line_view_pivot").id, "pivot"),
                (self.env.ref("collections_officer.collection_aging_line_view_graph").id, "graph"),
                (self.env.ref("collections_officer.collection_aging_line_view_list").id, "list"),
            ],
            "search_view_id": self.env.ref(
                "collections_officer.collection_aging_line_view_search"
            ).id,
            "domain": [],
            "context": dict(
                context,
                create=False,
                edit=False,
                delete=False,
                pivot_row_groupby=lines._pivot_row_groupby(),
            ),
        }

    def action_export_xlsx(self):
        """Downloads the aging as an XLSX workbook, one sheet per company.

        The rows are streamed from PostgreSQL into the workbook, a chunk at a time.
        """
        self.ensure_one()
        params = self._params()
        content = self.env["collection.report.xlsx"]._aging_workbook(
            self.env["collection.aging.line"]._stream_rows(params),
            self.as_of,
            params["companies"],
            self.buckets,
            tie_out=self._tie_out(),
        )
        filename = self.env._("aged-receivables-%(date)s.xlsx", date=self.as_of)
        return self.env["collection.report.xlsx"]._download(self, content, filename)

    # --------------------------------------------------------------- business

    def _companies(self):
        """The companies asked for, among those the user works in."""
        companies = self.company_ids & self.env.user.company_ids
        if not companies:
            raise UserError(self.env._("Choose at least one of your companies."))
        return companies

    def _report_context(self):
        """The run's options as the context of its screen (see ``collection.aging.line``)."""
        self.ensure_one()
        prefix = "collection_aging_"
        context = {
            prefix + "as_of": fields.Date.to_string(self.as_of),
            prefix + "by": self.aging_by,
            prefix + "buckets": self.buckets,
            prefix + "company_ids": self._companies().ids,
        }
        for key, records in (
            ("partner_ids", self.partner_ids),
            ("user_ids", self.user_ids),
            ("team_ids", self.team_ids),
        ):
            if records:
                context[prefix + key] = records.ids
        return context

    def _params(self):
        """The run's options, checked as the screen checks them."""
        return (
            self.env["collection.aging.line"]
            .with_context(**self._report_context())
            ._context_params()
        )

    def _visible_rows(self):
        """The items of the customers whose case the user may read, with their bucket label.

        The rows of the screen and of the export (``collection.aging.line._rows_sql``),
        all at once: for small runs and checks; the export streams them.
        """
        params = self._params()
        report = self.env["collection.aging.report"]
        labels = report._bucket_labels(params["buckets"])
        rows = self.env.execute_query_dict(
            self.env["collection.aging.line"]._rows_sql(params, ordered=True)
        )
        for row in rows:
            row["bucket_label"] = labels[row["bucket"]]
        return rows

    def _tie_out(self):
        """The tie-out with the ledger of an unfiltered run, for those who read every case."""
        if (
            not self.env["collection.aging.line"]._reads_all_cases()
            or self.partner_ids
            or self.user_ids
            or self.team_ids
        ):
            return None
        return self.env["collection.aging.report"]._tie_out(self._companies(), self.as_of)
