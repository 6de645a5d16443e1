from collections import defaultdict

from odoo import fields, models
from odoo.fields import Domain
from odoo.tools import SQL


class CollectionCase(models.Model):
    """The branches whose receivables a head-office case chases.

    A head office's case follows up what the customer owes its branches too (see
    ``collection.ledger._case_company``); the users of a branch see the head-office
    cases of the branch's own customers, and no other.
    """

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    branch_company_ids = fields.Many2many(
        "res.company",
        string="Branches",
        compute="_compute_branch_company_ids",
        search="_search_branch_company_ids",
        help="The branches whose receivables from this customer the case chases.",
    )

    def _compute_branch_company_ids(self):
        Ledger = self.env["collection.ledger"]
        found = defaultdict(set)
        if self.ids:
            lines = (
                self.env["account.move.line"]
                .sudo()
                ._read_group(
                    [
                        ("partner_id.commercial_partner_id", "in", self.partner_id.ids),
                        ("company_id", "in", list(Ledger._company_scope(self.company_id))),
                        ("company_id", "not in", self.company_id.ids),
                        ("account_id.account_type", "=", "asset_receivable"),
                        ("parent_state", "=", "posted"),
                    ],
                    ["partner_id", "company_id"],
                )
            )
            for partner, company in lines:
                key = (partner.commercial_partner_id.id, Ledger._case_company(company).id)
                found[key].add(company.id)
        for case in self:
            case.branch_company_ids = [
                fields.Command.set(sorted(found[case.partner_id.id, case.company_id.id]))
            ]

    def _search_branch_company_ids(self, operator, value):
        """Cases of a head office whose customer has receivables in one of the branches."""
        if operator != "in":
            return NotImplemented
        Ledger = self.env["collection.ledger"]
        companies = self.env["res.company"].sudo().browse(value).exists()
        by_case_company = defaultdict(list)
        for company in companies:
            case_company = Ledger._case_company(company)
            if case_company != company:
                by_case_company[case_company.id].append(company.id)
        domains = [
            Domain("company_id", "=", case_company_id)
            & Domain(
                "partner_id",
                "in",
                SQL(
                    """
                    SELECT partner.commercial_partner_id
                      FROM account_move_line line
                      JOIN account_account account ON account.id = line.account_id
                      JOIN res_partner partner ON partner.id = line.partner_id
                     WHERE line.company_id IN %(branches)s
                       AND line.parent_state = 'posted'
                       AND account.account_type = 'asset_receivable'
                    """,
                    branches=tuple(branch_ids),
                ),
            )
            for case_company_id, branch_ids in by_case_company.items()
        ]
        return Domain.OR(domains) if domains else Domain.FALSE
