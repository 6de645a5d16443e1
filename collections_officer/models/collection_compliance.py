from odoo import fields, models


class CollectionCompliance(models.AbstractModel):
    """The one guard every outbound contact passes, automated or manual."""

    _name = "collection.compliance"
    _description = "Collection Contact Compliance Guard"

    def _check_contacts(self, cases, channel, at=None):
        """May we contact these cases' customers through ``channel`` at ``at``?

        Returns ``{case_id: {"verdict": "allowed" | "blocked" | "deferred",
        "reason": str | False, "defer_until": datetime | False}}``, batched over cases.
        """
        today = fields.Date.context_today(self)
        result = {}
        for case in cases:
            reason = False
            if case.state == "hold":
                reason = case.hold_reason or self.env._("The case is on hold.")
            elif case.breathing_space_until and case.breathing_space_until >= today:
                reason = self.env._(
                    "Breathing space until %(date)s.", date=case.breathing_space_until
                )
            result[case.id] = {
                "verdict": "blocked" if reason else "allowed",
                "reason": reason,
                "defer_until": False,
            }
        return result

    def _bank_warnings(self, companies):
        """Why automated dunning should be checked first, per company: ``{company_id: str}``."""
        unreconciled = dict(
            self.env["account.bank.statement.line"]._read_group(
                [("company_id", "in", companies.ids), ("is_reconciled", "=", False)],
                ["company_id"],
                ["__count"],
            )
        )
        return {
            company.id: self.env._(
                "%(count)s bank statement lines are not reconciled: customers may already "
                "have paid.",
                count=unreconciled[company],
            )
            for company in companies
            if unreconciled.get(company)
        }
