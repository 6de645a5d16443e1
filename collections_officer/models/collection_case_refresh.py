from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from .collection_case import FROM_REFRESH
from .collection_ledger import EMPTY_FIGURES, FIGURE_FIELDS, MONETARY_FIGURES

# The amounts of a case the refresh opens, written after its creation in one statement.
OPENING_AMOUNTS = (*MONETARY_FIGURES, "opening_amount", "collected_amount", "credited_amount")


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions.
class CollectionCase(models.Model):
    """The refresh of cases from accounting: open, update, close and reopen in bulk."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _refresh_from_accounting(
        self, companies=None, partners=None, wait=False, batch_size=None, commit=False
    ):
        """Bring the cases in line with accounting, in bulk.

        Opens a case for every customer with something overdue, updates the
        figures of open cases, closes those with nothing overdue any more and
        reopens a customer's closed case when something is overdue again.
        Returns the cases it opened, changed, closed or reopened.

        Refreshes of one company are serialised by an advisory lock, held until
        the transaction ends. A refresh that finds the company locked neither
        waits (an accountant's reconciliation would hang on the nightly refresh)
        nor drops its update: with ``wait`` the user is told to try again;
        otherwise the scheduled refresh runs again a few minutes later, after
        this transaction and the other one have committed, and brings these
        cases in line then (see ``_refresh_later``).
        """
        companies = companies or self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        partners = partners.commercial_partner_id if partners else None
        # A disputed invoice paid in the meantime leaves nothing to dispute.
        self.env["collection.dispute"]._close_settled(companies, partners)
        done = self.browse()
        busy = self.env["res.company"]
        for company in companies:
            if not self._lock_company_refresh(company):
                if wait:
                    raise UserError(
                        self.env._(
                            "The collection cases of %(company)s are being refreshed right now; "
                            "try again in a moment.",
                            company=company.name,
                        )
                    )
                busy |= company
                continue
            done |= self._refresh_company(company, partners, batch_size, commit)[0]
        if busy:
            self._refresh_later(busy)
        done._update_priority()
        return done

    @api.model
    def _refresh_model(self, company):
        return (
            self.sudo()
            .with_company(company)
            .with_context(
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                collection_case_from_refresh=FROM_REFRESH,
            )
        )

    @api.model
    def _refresh_work(self, company, partners=None):
        """What the refresh of ``company`` has to do: ``(partner ids, context)``.

        The partner ids are those whose case must open, change, close or reopen,
        in order; everything else already matches accounting, so a refresh
        interrupted by the cron's time finds only what is left.
        """
        cases_model = self._refresh_model(company)
        figures = cases_model.env["collection.ledger"]._fetch_figures(company, partners)
        domain = Domain("company_id", "=", company.id)
        if partners is not None:
            domain &= Domain("partner_id", "in", partners.ids)
        # Fetched with the search: what the refresh compares of every open case.
        cases = cases_model.search_fetch(
            domain & Domain("state", "!=", "closed"), ["partner_id", "state"]
        )
        open_by_partner = {case.partner_id.id: case for case in cases}
        due_soon = cases_model._due_soon_partners(company, figures, open_by_partner)
        is_overdue = self.env["collection.ledger"]._overdue_check(company)
        wanted = [
            partner_id
            for (partner_id, _company), values in figures.items()
            if is_overdue(values) or partner_id in due_soon
        ]
        partner_ids = sorted(set(open_by_partner) | set(wanted))
        to_update, close_ids, to_open, _started = cases_model._refresh_actions(
            company, partner_ids, figures, open_by_partner, due_soon
        )
        closing = set(close_ids)
        work = {case.partner_id.id for case, _values in to_update} | set(to_open)
        work |= {partner_id for partner_id, case in open_by_partner.items() if case.id in closing}
        return [p for p in partner_ids if p in work], (figures, open_by_partner, due_soon)

    def _refresh_locked_cases(self):
        """Today's figures on these cases, locked by the caller, before deciding on them.

        Closes those with nothing overdue any more; opens nothing (their customers
        all have a case), so it needs no company refresh lock.
        """
        # As the refresh from accounting: a disputed invoice paid since leaves nothing to dispute.
        self.env["collection.dispute"]._close_settled(self.company_id, self.partner_id)
        for company, cases in self.grouped("company_id").items():
            cases_model = self._refresh_model(company)
            cases = cases_model.browse(cases.ids)
            figures = cases_model.env["collection.ledger"]._fetch_figures(company, cases.partner_id)
            open_by_partner = {case.partner_id.id: case for case in cases}
            due_soon = cases_model._due_soon_partners(company, figures, open_by_partner)
            cases_model._refresh_batch(
                company, list(open_by_partner), figures, open_by_partner, due_soon
            )

    @api.model
    def _due_soon_partners(self, company, figures, open_by_partner):
        """Customers with nothing overdue whose policy reminds them before a due date now.

        A policy level with a negative delay reminds the customer that many days
        before their earliest item falls due: such customers get a case "Due Soon"
        so the follow-up run can send it. The earliest item is the earliest one
        the customer's unapplied credits leave unpaid (see ``next_due_date``): a
        customer whose credits cover what falls due is not reminded. Returns a
        set of partner ids.
        """
        reach = {
            policy.id: -earliest
            for policy, earliest in self.env["collection.level"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("policy_id.active", "=", True),
                    ("delay_days", "<", 0),
                ],
                ["policy_id"],
                ["delay_days:min"],
            )
        }
        if not reach:
            return set()
        today = company._collection_today()
        is_overdue = self.env["collection.ledger"]._overdue_check(company)
        days_to_due = {
            partner_id: (values["next_due_date"] - today).days
            for (partner_id, _company), values in figures.items()
            if values["next_due_date"] and not is_overdue(values)
        }
        farthest = max(reach.values())
        partners = (
            self.env["res.partner"]
            .with_company(company)
            .browse([partner_id for partner_id, days in days_to_due.items() if days <= farthest])
        )
        due_soon = set()
        for partner in partners:
            case = open_by_partner.get(partner.id)
            policy = self._resolve_policy(
                case.policy_id if case else self.env["collection.policy"], partner, company
            )
            if policy.id in reach and days_to_due[partner.id] <= reach[policy.id]:
                due_soon.add(partner.id)
        return due_soon

    def _refresh_actions(self, company, partner_ids, figures, open_by_partner, due_soon=()):
        """What the refresh does to each customer: ``(to_update, close_ids, to_open, started)``."""
        today = company._collection_today()
        to_update, close_ids, to_open = [], [], []
        started = self.browse()
        stored = self.browse(
            [open_by_partner[p].id for p in partner_ids if p in open_by_partner]
        )._stored_figures()
        is_overdue = self.env["collection.ledger"]._overdue_check(company)
        for partner_id in partner_ids:
            values = figures.get((partner_id, company.id))
            case = open_by_partner.get(partner_id)
            overdue = is_overdue(values)
            # A case whose only debt left is disputed stays open until the disputes end.
            disputed = bool(values and values["disputed_amount"] > 0)
            if case and (
                overdue or disputed or (case.state == "upcoming" and partner_id in due_soon)
            ):
                if overdue and case.state == "upcoming":
                    # The reminder was before the due date; now the debt is overdue.
                    values = values | {
                        "state": "open",
                        "next_action_date": today,
                        "opening_amount": values["overdue_amount"],
                    }
                    started |= case
                known = stored[case.id]
                if any(
                    (known[name] if name in known else case[name]) != value
                    for name, value in values.items()
                ):
                    to_update.append((case, values))
            elif case:
                close_ids.append(case.id)
            elif overdue or partner_id in due_soon:
                to_open.append(partner_id)
        return to_update, close_ids, to_open, started

    def _stored_figures(self):
        """``{case id: {figure: value}}``: the figures these cases hold (``FIGURE_FIELDS``),
        read as plain rows in one query, as the ORM would hold them (amounts as floats,
        no date as False). A daily refresh compares the figures of every open case and
        writes few: field by field through the ORM, the comparison of 200,000 cases took
        seconds."""
        if not self:
            return {}
        self.flush_recordset(list(FIGURE_FIELDS))
        rows = self.env.execute_query_dict(
            SQL(
                "SELECT id, %s FROM collection_case WHERE id = ANY(%s)",
                SQL(", ").join(
                    SQL("%s::float8 AS %s", SQL.identifier(name), SQL.identifier(name))
                    if name in MONETARY_FIGURES
                    else SQL.identifier(name)
                    for name in FIGURE_FIELDS
                ),
                self.ids,
            )
        )
        stored = {}
        for row in rows:
            case_id = row.pop("id")
            stored[case_id] = {
                name: False if value is None else value for name, value in row.items()
            }
        return stored

    def _refresh_batch(self, company, partner_ids, figures, open_by_partner, due_soon=()):
        now = fields.Datetime.now()
        today = company._collection_today(now)
        to_update, close_ids, to_open, started = self._refresh_actions(
            company, partner_ids, figures, open_by_partner, due_soon
        )
        to_close = self.browse(close_ids)

        # Writing every figure (not only the changed ones) gives all updated
        # cases the same columns, which the ORM flushes as one UPDATE.
        for case, values in to_update:
            case.write(values | {"refresh_date": now})
        if started:
            started._log_notes(
                dict.fromkeys(
                    started.ids, self.env._("Something is overdue now: follow-up starts.")
                )
            )

        if to_close:
            story = to_close._closing_story(company, figures, due_soon)
            for case in to_close:
                soon = case.partner_id.id in due_soon
                case.write(
                    figures.get((case.partner_id.id, company.id), EMPTY_FIGURES)
                    | {
                        "state": "upcoming" if soon else "closed",
                        "next_action_date": today if soon else False,
                        "refresh_date": now,
                        # A new cycle: when the case reopens, follow-up starts again.
                        "level_id": False,
                        "level_date": False,
                        "followup_cycle": case.followup_cycle + 1,
                    }
                    | story.get(case.id, {})
                )
            to_close._log_notes(
                {
                    case.id: self.env._(
                        "Nothing is overdue any more, but an item falls due soon: "
                        "follow-up starts again with the reminders before the due date."
                    )
                    if case.state == "upcoming"
                    else self.env._("Nothing is overdue any more: the case is closed.")
                    for case in to_close
                }
            )

        reopened = created = self.browse()
        if to_open:
            closed = self.search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", to_open),
                    ("state", "=", "closed"),
                ],
                order="id desc",
            )
            latest_closed = {}
            for case in closed:
                latest_closed.setdefault(case.partner_id.id, case)
            new_partner_ids = [p for p in to_open if p not in latest_closed]
            officers = self._default_officers(
                self.env["res.partner"].browse(new_partner_ids), company
            )

            is_overdue = self.env["collection.ledger"]._overdue_check(company)

            def opening_state(partner_id):
                return "open" if is_overdue(figures[(partner_id, company.id)]) else "upcoming"

            def opening_story(partner_id):
                values = figures[(partner_id, company.id)]
                return {
                    "opened_date": today,
                    "opening_amount": values["overdue_amount"] or values["amount_not_due"],
                    "closed_date": False,
                    "collected_amount": 0,
                    "credited_amount": 0,
                    "level_reached_id": False,
                    "close_reason": False,
                }

            for partner_id, case in latest_closed.items():
                case.write(
                    figures[(partner_id, company.id)]
                    | {
                        "state": opening_state(partner_id),
                        "next_action_date": today,
                        "refresh_date": now,
                    }
                    | opening_story(partner_id)
                )
                reopened |= case
            # The amounts are written after, in one statement (see _store_opening_amounts).
            vals_list, amounts = [], []
            for partner_id in new_partner_ids:
                vals = (
                    figures[(partner_id, company.id)]
                    | {
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "state": opening_state(partner_id),
                        "next_action_date": today,
                        "refresh_date": now,
                    }
                    | opening_story(partner_id)
                    | officers.get(partner_id, {})
                )
                amounts.append({name: vals.pop(name, 0.0) for name in OPENING_AMOUNTS})
                vals_list.append(vals)
            created = self.create(vals_list)
            created._store_opening_amounts(company, dict(zip(created.ids, amounts, strict=True)))
            if reopened:
                reopened._log_notes(
                    {
                        case.id: self.env._("Something is overdue again: the case is reopened.")
                        if case.state == "open"
                        else self.env._("An item falls due soon: the case is reopened.")
                        for case in reopened
                    }
                )
            if created:
                created._log_notes(
                    {
                        case.id: self.env._("Case opened: the customer has overdue items.")
                        if case.state == "open"
                        else self.env._(
                            "Case opened: an item falls due soon and the follow-up policy "
                            "reminds the customer before the due date."
                        )
                        for case in created
                    }
                )
        return self.browse([case.id for case, _values in to_update]) | to_close | reopened | created

    def _store_opening_amounts(self, company, amounts):
        """Write the amounts of cases the refresh just opened, ``{case_id: {field: amount}}``
        (every field of ``OPENING_AMOUNTS``), in one UPDATE.

        Created with them, each amount of each case costs the ORM a lookup of the
        case's currency: 24,000 of them, a quarter of the first refresh of 2,000
        customers. Nothing reads these cases before: the refresh just created them.
        """
        if not amounts:
            return
        self.flush_model()
        currency = company.currency_id
        ids = list(amounts)
        self.env.execute_query(
            SQL(
                "UPDATE collection_case c SET %s FROM unnest(%s::int[], %s) AS v(id, %s) "
                "WHERE c.id = v.id",
                SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in OPENING_AMOUNTS
                ),
                ids,
                SQL(", ").join(
                    SQL(
                        "%s::numeric[]",
                        [currency.round(amounts[case_id][name] or 0.0) for case_id in ids],
                    )
                    for name in OPENING_AMOUNTS
                ),
                SQL(", ").join(SQL.identifier(name) for name in OPENING_AMOUNTS),
            )
        )
        self.browse(ids).invalidate_recordset(list(OPENING_AMOUNTS))

    def _closing_story(self, company, figures, due_soon):
        """What a closing case keeps of its cycle: ``{case_id: values}``.

        When it closed, the level it reached, the money received while it was
        open and the customer's last payment (the figures of a customer with
        nothing open carry none), read for all the closing cases at once.
        """
        today = company._collection_today()
        closing = self.filtered(lambda case: case.partner_id.id not in due_soon)
        if not closing:
            return {}
        ledger = self.env["collection.ledger"]
        received = closing._money_received_while_open(today)
        payments = {
            (case.partner_id.id, company.id): dict(EMPTY_FIGURES)
            for case in closing
            if (case.partner_id.id, company.id) not in figures
        }
        if payments:
            ledger._add_last_payment_dates(payments, ledger._company_scope(company))
        story = {}
        for case in closing:
            key = (case.partner_id.id, company.id)
            story[case.id] = {
                "closed_date": today,
                "collected_amount": received[case][0],
                "credited_amount": received[case][1],
                "level_reached_id": case.level_id.id,
                "last_payment_date": (figures.get(key) or payments[key])["last_payment_date"]
                or case.last_payment_date,
            }
        return story

    def _money_received_while_open(self, until=None):
        """``{case: (cash, credited)}``: the money the customer paid and the credit
        notes issued from the opening of each case to ``until`` (default: its
        closing, else today), in company currency, in one query (see
        ``collection.ledger._fetch_money_received``)."""
        windows = [
            (
                case.partner_id.id,
                case.company_id.id,
                case.opened_date or case.company_id._collection_today(case.create_date),
                until or case.closed_date or case.company_id._collection_today(),
            )
            for case in self
        ]
        received = self.env["collection.ledger"]._fetch_money_received(windows)
        return {
            case: tuple(case.company_id.currency_id.round(amount) for amount in amounts)
            for case, amounts in zip(self, received, strict=True)
        }

    def _recompute_money_received(self):
        """Write again what closed cases received while open: cash as collected,
        credit notes as credited. For cases closed before the two were told apart."""
        closed = self.filtered(lambda case: case.state == "closed" and case.closed_date)
        received = closed._money_received_while_open()
        for (cash, credited), cases in closed.grouped(lambda case: received[case]).items():
            cases.sudo().write({"collected_amount": cash, "credited_amount": credited})

    def _refresh_figures(self):
        """Write the current accounting figures on these cases (no opening or closing)."""
        figures = self.env["collection.ledger"]._fetch_figures(self.company_id, self.partner_id)
        now = fields.Datetime.now()
        for case in self.sudo():
            case.write(
                figures.get((case.partner_id.id, case.company_id.id), EMPTY_FIGURES)
                | {"refresh_date": now}
            )
