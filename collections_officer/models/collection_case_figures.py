from odoo import api, fields, models
from odoo.fields import Domain

from .collection_ledger import STANDARD_BUCKET_HELP


class CollectionCase(models.Model):
    """The figures a case keeps from accounting: amounts, aging buckets and due dates,
    the story of its current cycle, its days overdue and its open items (the refresh
    writes them)."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    # Caches of accounting figures, in company currency, written by the refresh.
    total_due = fields.Monetary(readonly=True, help="All open receivable items, credits deducted.")
    overdue_amount = fields.Monetary(
        readonly=True,
        help="Items past their due date, less unapplied credits; items set apart "
        "(see Excluded from Follow-Up) are left out. This is what follow-up acts on.",
    )
    no_followup_amount = fields.Monetary(
        string="Excluded from Follow-Up",
        readonly=True,
        help="Open debits shown but not chased: marked 'No Follow-Up', due before the "
        "company's follow-up start, blocked or in payment in accounting, or below the "
        "follow-up tolerance.",
    )
    # Fixed buckets, not the company's aging setting: the aged receivables report
    # shows the company's; these stay comparable across companies and settings.
    amount_not_due = fields.Monetary(string="Not Due", readonly=True, help=STANDARD_BUCKET_HELP)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True, help=STANDARD_BUCKET_HELP)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True, help=STANDARD_BUCKET_HELP)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True, help=STANDARD_BUCKET_HELP)
    amount_91_120 = fields.Monetary(string="91-120 Days", readonly=True, help=STANDARD_BUCKET_HELP)
    amount_over_120 = fields.Monetary(
        string="Over 120 Days", readonly=True, help=STANDARD_BUCKET_HELP
    )
    oldest_due_date = fields.Date(
        readonly=True,
        index=True,
        help="The due date of the oldest overdue item unapplied credits do not cover "
        "(credits pay the oldest items first).",
    )
    next_due_date = fields.Date(
        readonly=True,
        help="The earliest due date of the items not yet due that unapplied credits do not "
        "cover, for reminders.",
    )
    days_overdue = fields.Integer(compute="_compute_days_overdue", search="_search_days_overdue")
    aging_bucket = fields.Selection(
        [
            ("1_30", "1-30 Days"),
            ("31_60", "31-60 Days"),
            ("61_90", "61-90 Days"),
            ("91_120", "91-120 Days"),
            ("over_120", "Over 120 Days"),
        ],
        compute="_compute_aging_bucket",
        search="_search_aging_bucket",
        help="The bucket of the oldest overdue item.",
    )
    overdue_invoice_count = fields.Integer(string="Overdue Invoices", readonly=True)
    last_payment_date = fields.Date(readonly=True)
    # The case's story in its current cycle, written by the refresh as it opens and
    # closes: kept when the case closes and its figures drop to zero.
    opened_date = fields.Date(
        string="Opened On",
        readonly=True,
        help="When the case opened (or reopened) for the current follow-up cycle.",
    )
    opening_amount = fields.Monetary(
        string="Due at Opening",
        readonly=True,
        help="The overdue amount when the case opened (for a case opened before the due "
        "date, the amount falling due).",
    )
    closed_date = fields.Date(string="Closed On", readonly=True)
    collected_amount = fields.Monetary(
        string="Received While Open",
        readonly=True,
        help="Money received from the customer (payments and bank lines, less bounced "
        "ones and refunds paid out) between the opening and the closing of the case.",
    )
    credited_amount = fields.Monetary(
        string="Credited",
        readonly=True,
        help="Credit notes issued to the customer between the opening and the closing of "
        "the case: they lowered the debt, no money came in.",
    )
    level_reached_id = fields.Many2one(
        "collection.level",
        readonly=True,
        help="The last follow-up level executed before the case closed.",
    )
    open_line_ids = fields.Many2many(
        "account.move.line",
        string="Open Items",
        compute="_compute_open_line_ids",
        help="Open receivable items of the customer in this company.",
    )

    @api.depends("oldest_due_date")
    @api.depends_context("date")
    def _compute_days_overdue(self):
        today = {}
        for case in self:
            company = case.company_id or self.env.company
            if company not in today:
                today[company] = company._collection_today()
            case.days_overdue = (
                (today[company] - case.oldest_due_date).days if case.oldest_due_date else 0
            )

    def _search_days_overdue(self, operator, value):
        if operator not in ("<", "<=", ">", ">=", "=") or not isinstance(value, int):
            return NotImplemented
        # days_overdue > N  <=>  oldest_due_date < today - N
        mirrored = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[operator]
        return self.env["collection.ledger"]._company_day_domain(
            "oldest_due_date", mirrored, -value
        )

    @api.depends("days_overdue")
    def _compute_aging_bucket(self):
        for case in self:
            case.aging_bucket = self._bucket_of(case.days_overdue)

    def _search_aging_bucket(self, operator, value):
        if operator != "in":
            return NotImplemented
        bounds = {
            "1_30": (1, 30),
            "31_60": (31, 60),
            "61_90": (61, 90),
            "91_120": (91, 120),
            "over_120": (121, None),
        }
        domain = Domain.FALSE
        for bucket in value:
            low, high = bounds[bucket]
            part = Domain("days_overdue", ">=", low)
            if high:
                part &= Domain("days_overdue", "<=", high)
            domain |= part
        return domain

    @staticmethod
    def _bucket_of(days):
        if days <= 0:
            return False
        for bucket, high in (("1_30", 30), ("31_60", 60), ("61_90", 90), ("91_120", 120)):
            if days <= high:
                return bucket
        return "over_120"

    def _compute_open_line_ids(self):
        lines = self.env["account.move.line"].search(
            self.env["collection.ledger"]._open_items_domain(self.partner_id, self.company_id),
            order="date_maturity, id",
        )
        ledger = self.env["collection.ledger"]
        by_key = {}
        for line in lines:
            key = (line.partner_id.commercial_partner_id, ledger._case_company(line.company_id))
            by_key.setdefault(key, []).append(line.id)
        for case in self:
            case.open_line_ids = by_key.get((case.partner_id, case.company_id), [])
