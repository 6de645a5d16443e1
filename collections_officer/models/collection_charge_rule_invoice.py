from collections import defaultdict

from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from .customer_dates import customer_date


class CollectionChargeRule(models.Model):
    """The charge invoices: one posted invoice per case, currency and issuing company,
    a line per overdue invoice and kind of charge, and what the managers are asked
    to decide (a missing reference rate, a charge invoice cancelled in accounting)."""

    _inherit = "collection.charge.rule"  # pylint: disable=consider-merging-classes-inherited

    def _charge_cases(self, cases, date):
        """Invoice this rule's charges to the cases' customers; returns the invoices.

        One posted customer invoice per case, currency and company that issued the overdue
        invoices (a branch bills the charges on its own), with a line per overdue invoice
        and kind of charge. Every charge is recorded as a `collection.charge`, which is what
        keeps it from being billed twice: fees once per overdue invoice and rule, interest
        for each day from the due date to `date` or to the day each part was paid, whichever
        comes first, that no earlier charge covers. Skipped: cases of other companies or in
        a breathing space, items marked 'No Follow-Up', blocked, in-payment or reversed
        invoices, residuals below the company's tolerance, credit notes and the charge
        invoices themselves (no charge on charges).
        """
        self.ensure_one()
        date = fields.Date.to_date(date) or self.company_id._collection_today()
        cases.check_access("read")

        def in_breathing_space(case):
            frozen = self._frozen_period(case, date)
            return frozen and frozen[0] <= date < frozen[1]

        cases = cases.filtered(
            lambda case: case.company_id == self.company_id and not in_breathing_space(case)
        )
        if not cases:
            return self.env["account.move"]
        # Officers execute follow-up levels but do not keep the books: the invoices are
        # created with elevated rights, for the cases they may read.
        rule = self.sudo().with_company(self.company_id)
        rule._report_undecided_cancellations(cases)
        items = rule._overdue_items(cases, date)
        if not items:
            return self.env["account.move"]
        charges_by_key, missing = rule._prepare_charges(cases, items, date)
        if missing:
            rule._report_missing_rates(missing)
        if not charges_by_key:
            return self.env["account.move"]
        return rule._invoice_charges(charges_by_key, date)

    def _report_missing_rates(self, missing):
        """Say on each case which interest was not charged for want of a reference rate,
        and ask the collections managers, once, to record the rate."""
        Rate = self.env["collection.reference.rate"]
        rate_label = Rate._rate_label(self.reference_rate_type)
        cases = self.env["collection.case"].union(*missing)
        cases._message_log_batch(
            bodies={
                case.id: Markup("<br/>").join(
                    self.env._(
                        "Interest on %(invoice)s from %(start)s to %(end)s not charged "
                        "(%(rule)s): no %(rate)s is recorded for that period.",
                        invoice=move.name,
                        start=format_date(self.env, start),
                        end=format_date(self.env, end),
                        rule=self.name,
                        rate=rate_label,
                    )
                    for move, start, end in gaps
                )
                for case, gaps in missing.items()
            }
        )
        first_missing = min(start for gaps in missing.values() for _move, start, _end in gaps)
        summary = self.env._(
            "Record the %(rate)s from %(date)s",
            rate=rate_label,
            date=format_date(self.env, first_missing),
        )
        already = self.env["mail.activity"].search_count(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("summary", "=", summary),
            ]
        )
        if already:
            return
        for manager in self._collection_managers():
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.company_id._collection_today(),
                summary=summary,
                note=self.env._(
                    "Late-payment interest is not charged for the days no %(rate)s covers: "
                    "record the rate under Collections > Configuration > Reference Rates. "
                    "The next charge bills the days left out.",
                    rate=rate_label,
                ),
                user_id=manager.id,
            )

    def _collection_managers(self):
        managers = self.env.ref("collections_officer.group_collections_manager").all_user_ids
        return managers.filtered(
            lambda user: (
                user.active
                and not user.share
                and not user._is_superuser()
                and self.company_id in user.company_ids
            )
        )

    def _report_undecided_cancellations(self, cases):
        """Ask the managers, once per invoice, to decide on charge invoices cancelled in
        accounting without their decision. Until they do, the charges still count: nothing
        is billed twice by surprise."""
        undecided = self.env["collection.charge"]._read_group(
            [
                ("case_id", "in", cases.ids),
                ("state", "=", "invoiced"),
                ("invoice_id.state", "=", "cancel"),
            ],
            ["case_id", "invoice_id"],
        )
        if not undecided:
            return
        summaries = {
            (case, invoice): self.env._(
                "Waive or charge again: %(invoice)s was cancelled", invoice=invoice.name
            )
            for case, invoice in undecided
        }
        asked = {
            (activity.res_id, activity.summary)
            for activity in self.env["mail.activity"].search(
                [
                    ("res_model", "=", "collection.case"),
                    ("res_id", "in", cases.ids),
                    ("summary", "in", list(summaries.values())),
                ]
            )
        }
        managers = self._collection_managers()
        for (case, _invoice), summary in summaries.items():
            if (case.id, summary) in asked:
                continue
            for manager in managers:
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=case.company_id._collection_today(),
                    summary=summary,
                    note=self.env._(
                        "The charge invoice was cancelled in accounting. Open its charges "
                        "and choose Waive (with a reason) or Cancel to Charge Again; until "
                        "then they count as charged."
                    ),
                    user_id=manager.id,
                )

    def _invoice_charges(self, charges_by_key, date):
        """Post one charge invoice per case, currency and issuer.

        The issuer is the company of the late invoices: a branch bills the charges on its
        own invoices, in its name and books, as Odoo's branches invoice (the rule's journal
        is the head office's, which its branches share), even when the head office's case
        chases them. The customer owes the charge to whoever they owe the debt.
        """
        keys = list(charges_by_key)
        journals = {}
        for issuer in {issuer for _case, _currency, issuer in keys}:
            journals[issuer] = self.journal_id or self.with_company(issuer)._default_journal()
            if not journals[issuer]:
                raise UserError(
                    self.env._(
                        "%(company)s has no sales journal to invoice late-payment charges.",
                        company=issuer.name,
                    )
                )
        FiscalPosition = self.env["account.fiscal.position"]
        invoice_values = []
        for case, currency, issuer in keys:
            partner = case.partner_id
            fiscal_position = FiscalPosition.with_company(issuer)._get_fiscal_position(partner)
            # The customer reads the lines: labels and dates in their language.
            in_customer_lang = self.with_context(lang=partner.lang or self.env.lang)
            invoice_values.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": issuer.id,
                    "journal_id": journals[issuer].id,
                    "currency_id": currency.id,
                    "fiscal_position_id": fiscal_position.id,
                    "invoice_date": date,
                    "invoice_origin": case.name,
                    "invoice_line_ids": [
                        Command.create(values)
                        for values in in_customer_lang._invoice_lines(
                            charges_by_key[case, currency, issuer], fiscal_position
                        )
                    ],
                }
            )
        # Each issuer's invoices are created in its company, for its defaults (accounts).
        by_issuer = defaultdict(list)
        for key, values in zip(keys, invoice_values, strict=True):
            by_issuer[key[2]].append((key, values))
        invoice_by_key = {}
        for issuer, pairs in by_issuer.items():
            created = (
                self.env["account.move"]
                .with_company(issuer)
                .create([values for _key, values in pairs])
            )
            invoice_by_key.update(zip((key for key, _values in pairs), created, strict=True))
        invoices = self.env["account.move"].union(*(invoice_by_key[key] for key in keys))
        invoices.action_post()
        self.env["collection.charge"].create(
            [
                charge | {"invoice_id": invoice.id}
                for key, invoice in zip(keys, invoices, strict=True)
                for charge in charges_by_key[key]
            ]
        )
        names_by_case = defaultdict(list)
        for (case, _currency, _issuer), invoice in zip(keys, invoices, strict=True):
            names_by_case[case].append(invoice.name)
        self.env["collection.case"].union(*names_by_case)._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Late-payment charges invoiced (%(rule)s): %(invoice)s.",
                    rule=self.name,
                    invoice=", ".join(names),
                )
                for case, names in names_by_case.items()
            }
        )
        return invoices

    def _invoice_lines(self, charges, fiscal_position):
        """Invoice line values: one per overdue invoice and kind, interest periods summed,
        taxed by the rule's taxes for the kind as the customer's fiscal position maps them."""
        moves = self.env["account.move"].browse([charge["source_move_id"] for charge in charges])
        names = {move.id: move.name for move in moves}
        currency = self.env["res.currency"].browse(charges[0]["currency_id"])
        taxes = {
            "fee": self.fee_tax_ids,
            "compensation": self.compensation_tax_ids,
            "interest": self.interest_tax_ids,
        }
        grouped = defaultdict(list)
        for charge in charges:
            grouped[(charge["source_move_id"], charge["kind"])].append(charge)
        lines = []
        for (move_id, kind), parts in grouped.items():
            if kind == "fee":
                label = self.env._("Late-payment fee on %(invoice)s", invoice=names[move_id])
            elif kind == "compensation":
                label = self.env._(
                    "Compensation for late payment of %(invoice)s", invoice=names[move_id]
                )
            else:
                label = self.env._(
                    "Interest on late payment of %(invoice)s: %(periods)s",
                    invoice=names[move_id],
                    periods="; ".join(
                        self.env._(
                            "%(start)s to %(end)s, %(days)s days on %(amount)s at %(rate)s%%",
                            # On the customer's invoice: the month written out.
                            start=customer_date(self.env, part["date_from"]),
                            end=customer_date(self.env, part["date_to"]),
                            days=(part["date_to"] - part["date_from"]).days,
                            amount=formatLang(self.env, part["base_amount"], currency_obj=currency),
                            rate=f"{part['rate']:g}",
                        )
                        for part in parts
                    ),
                )
            lines.append(
                {
                    "product_id": self.product_id.id,
                    "name": label,
                    "quantity": 1,
                    "price_unit": sum(part["amount"] for part in parts),
                    "tax_ids": [Command.set(fiscal_position.map_tax(taxes[kind]).ids)],
                }
            )
        return lines
