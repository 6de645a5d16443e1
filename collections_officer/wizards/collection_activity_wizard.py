from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionActivityWizard(models.TransientModel):
    """Exports what each officer did over a period, as an XLSX workbook."""

    _name = "collection.activity.wizard"
    _description = "Collections Activity Export"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: self.env.company._collection_today().replace(day=1),
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: self.env.company._collection_today()
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The period must end on or after its start."))

    def action_export_xlsx(self):
        self.ensure_one()
        columns, rows = self._activity()
        content = self.env["collection.report.xlsx"]._activity_workbook(
            rows, self.date_from, self.date_to, columns, self.company_id.currency_id
        )
        filename = self.env._(
            "collections-activity-%(start)s-%(end)s.xlsx", start=self.date_from, end=self.date_to
        )
        return self.env["collection.report.xlsx"]._download(self, content, filename)

    def _count(self, model, date_field, extra=(), by_state=False):
        """``{(officer id, state or None): count}`` of the records dated in the period."""
        Model = self.env[model]
        start, end = self.date_from, self.date_to
        end_op = "<="
        if Model._fields[date_field].type == "datetime":
            # The period's days are the company's: their bounds in UTC.
            tz = pytz.timezone(self.company_id._collection_tz())

            def utc(day):
                local = tz.localize(datetime.combine(day, time.min))
                return local.astimezone(pytz.utc).replace(tzinfo=None)

            start, end, end_op = utc(start), utc(end + timedelta(days=1)), "<"
        domain = [
            (date_field, ">=", start),
            (date_field, end_op, end),
            ("company_id", "=", self.company_id.id),
            *extra,
        ]
        groupby = ["user_id", "state"] if by_state else ["user_id"]
        counts = {}
        for group in Model._read_group(domain, groupby, ["__count"]):
            key = (group[0].id, group[1] if by_state else None)
            counts[key] = counts.get(key, 0) + group[-1]
        return counts

    def _activity(self):
        """The columns and, per officer, the figures of the period.

        Contacts are counted on their date; promises made on the day they count
        from and judged (kept, partly kept, broken) on the day they were judged;
        payment plans on their first day (with their state today); disputes and
        legal actions, when those add-ons' models are there, on their creation;
        the money collected is the money received (``collection.ledger._fetch_received``)
        from the customers of each officer's cases.
        """
        self.ensure_one()
        columns = [
            ("contacts", self.env._("Contacts"), False),
            ("promises", self.env._("Promises Made"), False),
            ("kept", self.env._("Promises Kept"), False),
            ("partial", self.env._("Promises Partly Kept"), False),
            ("broken", self.env._("Promises Broken"), False),
            ("plans", self.env._("Plans Agreed"), False),
            ("plans_completed", self.env._("of which Completed"), False),
            ("plans_broken", self.env._("of which Broken"), False),
        ]
        figures = {}

        def add(key, counts):
            for (user_id, _state), count in counts.items():
                figures.setdefault(user_id, {}).setdefault(key, 0)
                figures[user_id][key] += count

        add("contacts", self._count("collection.contact", "date"))
        add("promises", self._count("collection.promise", "start_date"))
        judged = self._count("collection.promise", "judged_date", by_state=True)
        for state in ("kept", "partial", "broken"):
            add(state, {key: count for key, count in judged.items() if key[1] == state})
        plans = self._count(
            "collection.plan",
            "date_start",
            extra=[("state", "not in", ("draft", "proposed", "cancelled"))],
            by_state=True,
        )
        add("plans", plans)
        add("plans_completed", {k: c for k, c in plans.items() if k[1] == "completed"})
        add("plans_broken", {k: c for k, c in plans.items() if k[1] == "broken"})
        # Disputes and legal actions come with other parts of the desk, when installed.
        for model, key, header in (
            ("collection.dispute", "disputes", self.env._("Disputes")),
            ("collection.legal", "legal", self.env._("Legal Actions")),
        ):
            if model in self.env and {"user_id", "company_id"} <= set(self.env[model]._fields):
                columns.append((key, header, False))
                add(key, self._count(model, "create_date"))
        columns.append(("collected", self.env._("Collected"), True))
        cases = (
            self.env["collection.case"]
            .with_context(active_test=False)
            .search([("company_id", "=", self.company_id.id)], order="id desc")
        )
        # A customer's money counts once, for the officer of its latest case.
        latest = {}
        for case in cases.sorted(lambda c: (c.state == "closed", -c.id)):
            latest.setdefault(case.partner_id.id, case)
        windows = [
            (partner_id, self.company_id.id, self.date_from, self.date_to) for partner_id in latest
        ]
        received = self.env["collection.ledger"]._fetch_received(windows)
        for case, amount in zip(latest.values(), received, strict=True):
            if amount:
                figures.setdefault(case.user_id.id, {}).setdefault("collected", 0.0)
                figures[case.user_id.id]["collected"] += amount
        users = self.env["res.users"].sudo().browse([uid for uid in figures if uid])
        names = {user.id: user.name for user in users}
        rows = sorted(
            (
                (names.get(uid) or self.env._("No Officer"), values)
                for uid, values in figures.items()
            ),
            key=lambda row: row[0],
        )
        return columns, rows
