from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


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
    bucket_ids = fields.One2many("collection.aging.bucket", "wizard_id")
    line_ids = fields.One2many("collection.aging.line", "wizard_id")

    @api.constrains("buckets")
    def _check_buckets(self):
        for wizard in self:
            self.env["collection.aging.report"]._parse_buckets(wizard.buckets)

    # ----------------------------------------------------------------- actions

    def action_open_report(self):
        """Computes the aging and opens it as a pivot (graph and list next to it)."""
        self.ensure_one()
        self._fill_lines()
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
            "domain": [("wizard_id", "=", self.id)],
            "context": {"create": False, "edit": False, "delete": False},
        }

    def action_export_xlsx(self):
        """Downloads the aging as an XLSX workbook, one sheet per company."""
        self.ensure_one()
        items = self._items()
        content = self.env["collection.report.xlsx"]._aging_workbook(
            self._visible_rows(items),
            self.as_of,
            self._companies(),
            self.buckets,
            tie_out=self._tie_out(items),
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

    def _items(self):
        """Every item of the run as of its day, those left out included."""
        self.ensure_one()
        return self.env["collection.aging.report"]._fetch_items(
            self._companies(),
            self.as_of,
            by=self.aging_by,
            buckets=self.buckets,
            partners=self.partner_ids or None,
            users=self.user_ids or None,
            teams=self.team_ids or None,
        )

    def _reads_all_cases(self):
        return self.env.user.has_group(
            "collections_officer.group_collections_manager"
        ) or self.env.user.has_group("account.group_account_invoice")

    def _visible_rows(self, items=None):
        """The items of the customers whose case the user may read.

        Officers see the items of the cases they work (theirs, their teams',
        the unassigned ones); customers without a case only appear to those who
        read every case (managers, accountants).
        """
        rows = self.env["collection.aging.report"]._aged_rows(
            self._items() if items is None else items, self.buckets
        )
        read_all = self._reads_all_cases()
        readable = set(
            self.env["collection.case"]
            .with_context(active_test=False)
            .browse({row["case_id"] for row in rows if row["case_id"]})
            ._filtered_access("read")
            .ids
        )
        return [row for row in rows if (row["case_id"] in readable if row["case_id"] else read_all)]

    def _tie_out(self, items):
        """The tie-out with the ledger of an unfiltered run, for those who read every case."""
        if not self._reads_all_cases() or self.partner_ids or self.user_ids or self.team_ids:
            return None
        return self.env["collection.aging.report"]._tie_out(
            self._companies(), self.as_of, items=items
        )

    def _fill_lines(self):
        """(Re)writes the run's items as aging lines."""
        self.ensure_one()
        self.line_ids.unlink()
        self.bucket_ids.unlink()
        report = self.env["collection.aging.report"]
        labels = report._bucket_labels(report._parse_buckets(self.buckets))
        buckets = self.env["collection.aging.bucket"].create(
            [
                {"wizard_id": self.id, "sequence": index, "name": label}
                for index, label in enumerate(labels)
            ]
        )
        self.env["collection.aging.line"].check_access("create")
        rows = self._visible_rows()
        # Thousands of items: one insert, not a create per line (nothing computes on them).
        columns = {
            "move_line_id": ("int", "line_id"),
            "move_id": ("int", "move_id"),
            "move_name": ("varchar", "move_name"),
            "partner_id": ("int", "partner_id"),
            "company_id": ("int", "company_id"),
            "case_id": ("int", "case_id"),
            "user_id": ("int", "user_id"),
            "team_id": ("int", "team_id"),
            "date": ("date", "date"),
            "date_maturity": ("date", "date_maturity"),
            "invoice_date": ("date", "invoice_date"),
            "days": ("int", "days"),
            "amount_residual": ("numeric", "residual"),
            "item_currency_id": ("int", "currency_id"),
            "amount_residual_currency": ("numeric", "residual_currency"),
        }
        bucket_ids = [buckets[row["bucket"]].id for row in rows]
        self.env.execute_query(
            SQL(
                """
                INSERT INTO collection_aging_line
                       (wizard_id, bucket_id, create_uid, write_uid, create_date, write_date,
                        %(names)s)
                SELECT %(wizard)s, bucket_id, %(uid)s, %(uid)s, %(now)s, %(now)s, %(names)s
                  FROM unnest(%(bucket_ids)s::int[], %(arrays)s)
                       AS item(bucket_id, %(names)s)
                """,
                names=SQL(", ").join(SQL.identifier(name) for name in columns),
                wizard=self.id,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                bucket_ids=bucket_ids,
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", [row[key] for row in rows], SQL(sql_type))
                    for sql_type, key in columns.values()
                ),
            )
        )
        self.env["collection.aging.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])


class CollectionAgingBucket(models.TransientModel):
    """A bucket of an aging run, so that the pivot and graph show buckets in age order."""

    _name = "collection.aging.bucket"
    _description = "Aging Bucket"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "collection.aging.wizard", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer()
    name = fields.Char(required=True)
