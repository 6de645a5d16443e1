import re
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, Command, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, format_date
from odoo.tools.mimetypes import _odoo_guess_mimetype, get_extension, guess_mimetype

from .collection_case_chatter import GUARD_PASSED
from .collection_plan import FREQUENCIES
from .collection_plan_portal import SELF_SERVICE
from .collection_plan_schedule import months_between
from .collection_promise import CUSTOMER_PROMISE

# The documents a customer may send with a dispute: their content decides, and their
# name must say the same.
ACCEPTED_DOCUMENTS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "text/plain": (".txt", ".csv"),
    "text/csv": (".csv", ".txt"),
    "application/csv": (".csv",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
MAX_DOCUMENTS = 5
# The customer's words for the reasons of a dispute, as the page sends them.
DISPUTE_REASON_ALIASES = {"paid": "already_paid"}
CHANNEL_PREFERENCES = ("email", "letter")
# An address our messages can reach: one local part, a domain with a dot.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def valid_email(address):
    return bool(address) and bool(EMAIL_PATTERN.fullmatch(address))


# collection.case is split by job on purpose: what the customer does on the case's page.
class CollectionCase(models.Model):
    """What the customer does on the case's page: pay, promise, propose a plan, dispute
    an invoice, give their accounts-payable contact.

    The page calls these methods once it has checked the link, on ``case.sudo()``:
    each checks again what it is given, as the customer could send anything, and
    writes nothing on bad input. Each is counted against the company's hourly limit
    and logged as an inbound contact on the portal, with a to-do for the officer.
    Messages are the customer's: they say what to do in their words.
    """

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    # ----------------------------------------------------------------- checks

    def _portal_engine(self):
        """The case as the engine acting for the customer: the superuser (never the
        visitor's user) in the case's company, whose day and currency count."""
        self.ensure_one()
        return self.with_user(SUPERUSER_ID).with_company(self.company_id).sudo()

    def _portal_check_rate(self):
        """Refuse a customer page action beyond the company's hourly limit for the case."""
        self.ensure_one()
        limit = self.sudo().company_id.collection_portal_rate_limit
        if not limit:
            return
        since = fields.Datetime.now() - timedelta(hours=1)
        done = (
            self.env["collection.contact"]
            .sudo()
            .search_count(
                [
                    ("case_id", "=", self.id),
                    ("channel", "=", "portal"),
                    ("direction", "=", "inbound"),
                    ("date", ">=", since),
                ],
                limit=limit,
            )
        )
        # Each payment started from the page counts too: a transaction is an action.
        done += (
            self.env["payment.transaction"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "child_of", self.sudo().partner_id.id),
                    ("create_date", ">=", since),
                ],
                limit=limit,
            )
        )
        if done >= limit:
            raise UserError(
                self.env._(
                    "We received many requests for this account in the last hour. Please try "
                    "again later, or contact us directly."
                )
            )

    def _portal_check_open(self):
        self.ensure_one()
        if self.sudo().state == "closed":
            raise UserError(
                self.env._("Nothing is overdue on this account any more: there is nothing to do.")
            )

    def _portal_check_no_plan(self):
        self.ensure_one()
        if self._portal_active_plan():
            raise UserError(
                self.env._(
                    "You already follow a payment plan: pay its installments on their dates, "
                    "or contact us to change it."
                )
            )

    def _portal_active_plan(self):
        # Read afresh: a plan activated in this transaction is not in the computed field.
        return (
            self.env["collection.plan"]
            .sudo()
            .search([("case_id", "=", self.id), ("state", "=", "active")], limit=1)
        )

    def _portal_today(self):
        return self.sudo().company_id._collection_today()

    def _portal_date(self, value, label):
        """``value`` (a date or ISO string) as a date, else a clear refusal naming ``label``."""
        try:
            day = fields.Date.to_date(value)
        except (TypeError, ValueError):
            day = None
        if not day:
            raise ValidationError(self.env._("Enter %(what)s as a valid date.", what=label))
        if day < self._portal_today():
            raise ValidationError(
                self.env._(
                    "%(what)s (%(date)s) is in the past: choose today or a later day.",
                    what=label[:1].upper() + label[1:],
                    date=format_date(self.env, day),
                )
            )
        return day

    def _portal_number(self, value, label, integer=False):
        try:
            number = int(value) if integer else float(value)
        except (TypeError, ValueError):
            number = None
        if number is None or (integer and str(value).strip() != str(number)):
            raise ValidationError(self.env._("Enter %(what)s as a number.", what=label))
        return number

    def _portal_debt(self):
        """What is overdue on the case, in the currency of its invoices (else the
        company's): ``(currency, overdue)``; refused when nothing is."""
        self.ensure_one()
        debt = self.env["collection.ledger"].sudo()._commitment_scope(self.sudo())[self.id]
        currency = debt["currency"]
        if currency.compare_amounts(debt["overdue"], 0) <= 0:
            raise UserError(
                self.env._("Nothing is overdue on this account any more: there is nothing to do.")
            )
        return currency, debt["overdue"]

    def _portal_is_open_invoice(self, move):
        """Whether ``move`` is an open posted customer invoice of the case's customer and
        company (its branches included when the case follows them up)."""
        ledger = self.env["collection.ledger"]
        return (
            move.move_type == "out_invoice"
            and move.state == "posted"
            and move.payment_state in ("not_paid", "partial")
            and not move.currency_id.is_zero(move.amount_residual)
            and ledger._case_key(move.commercial_partner_id, move.company_id)
            == (self.partner_id, self.company_id)
        )

    def _portal_invoices(self, move_ids):
        """The open invoices of the case with these ids, or a refusal that names none of
        them: an id the customer sends may be another customer's invoice."""
        self.ensure_one()
        if isinstance(move_ids, int):
            move_ids = [move_ids]
        try:
            ids = {int(move_id) for move_id in move_ids or []}
        except (TypeError, ValueError):
            ids = set()
        if not ids:
            raise ValidationError(self.env._("Choose at least one of your open invoices."))
        case = self.sudo()
        invoices = self.env["account.move"].sudo().browse(ids).exists()
        if len(invoices) != len(ids) or not all(
            case._portal_is_open_invoice(invoice) for invoice in invoices
        ):
            raise ValidationError(
                self.env._(
                    "One of the invoices you chose is not an open invoice of your account: "
                    "reload the page and choose again."
                )
            )
        return invoices

    def _portal_disputed(self, invoices):
        """What the open disputes set apart on each invoice: ``{invoice id: amount}``."""
        return {
            move.id: amount
            for move, amount in self.env["collection.dispute"]
            .sudo()
            ._read_group(
                [("move_id", "in", invoices.ids), ("state", "=", "open")],
                ["move_id"],
                ["amount:sum"],
            )
        }

    def _portal_check_documents(self, attachments):
        """The files sent with a dispute, checked: ``[(name, bytes)]``. Refuses more than
        MAX_DOCUMENTS, larger than MAX_DOCUMENT_SIZE, empty, or anything whose content
        is not one of ACCEPTED_DOCUMENTS with a name that says the same."""
        files = list(attachments or [])
        if len(files) > MAX_DOCUMENTS:
            raise ValidationError(
                self.env._(
                    "Send at most %(count)s files: %(sent)s were sent.",
                    count=MAX_DOCUMENTS,
                    sent=len(files),
                )
            )
        accepted = self.env._(
            "send a PDF, an image (PNG, JPEG, WebP, GIF), a text or CSV file, or a Word, "
            "Excel or OpenDocument file."
        )
        checked = []
        for entry in files:
            try:
                name, data = entry
            except (TypeError, ValueError):
                raise ValidationError(
                    self.env._(
                        "One of the files is not a document we accept: %(accepted)s",
                        accepted=accepted,
                    )
                ) from None
            name = (name or "").strip() or self.env._("Unnamed file")
            if not isinstance(data, bytes | bytearray) or not data:
                raise ValidationError(
                    self.env._("%(file)s is empty: attach the document again.", file=name)
                )
            if len(data) > MAX_DOCUMENT_SIZE:
                raise ValidationError(
                    self.env._(
                        "%(file)s is larger than %(size)s MB: send a smaller copy.",
                        file=name,
                        size=MAX_DOCUMENT_SIZE // (1024 * 1024),
                    )
                )
            data = bytes(data)
            mimetype = guess_mimetype(data)
            if mimetype not in ACCEPTED_DOCUMENTS:
                # libmagic names some office files by their container only.
                mimetype = _odoo_guess_mimetype(data)
            if get_extension(name) not in ACCEPTED_DOCUMENTS.get(mimetype, ()):
                raise ValidationError(
                    self.env._(
                        "%(file)s is not a document we accept: %(accepted)s",
                        file=name,
                        accepted=accepted,
                    )
                )
            checked.append((name, data, mimetype))
        return checked

    # ------------------------------------------------------------------- log

    def _portal_responsible(self):
        """Who follows up what the customer did: the case's officer, else its team's
        manager, else a collections manager of the company."""
        self.ensure_one()
        case = self.sudo()
        if case.user_id:
            return case.user_id
        if case.team_id.manager_id:
            return case.team_id.manager_id
        managers = self.env.ref("collections_officer.group_collections_manager").sudo().user_ids
        return managers.filtered(
            lambda user: user.active and not user.share and case.company_id in user.company_ids
        ).sorted("id")[:1]

    def _portal_log(self, summary, outcome):
        """Log what the customer did on the page: an inbound contact on the portal with
        its ``outcome``, and a to-do for whoever follows the case up."""
        self.ensure_one()
        case = self._portal_engine()
        customer = case.partner_id
        who = customer.collection_contact_id
        contact = (
            self.env["collection.contact"]
            .with_user(SUPERUSER_ID)
            .sudo()
            .with_context(collection_guard_passed=GUARD_PASSED)
            .create(
                {
                    "case_id": case.id,
                    "partner_id": who.id
                    if who and who.commercial_partner_id == customer
                    else False,
                    "channel": "portal",
                    "direction": "inbound",
                    "date": fields.Datetime.now(),
                    "outcome": outcome,
                    "note": Markup("<p>%s</p>") % summary,
                    "user_id": case.user_id.id,
                }
            )
        )
        responsible = case._portal_responsible()
        if responsible:
            outcomes = dict(contact._fields["outcome"]._description_selection(self.env))
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=case.company_id._collection_today(),
                summary=self.env._(
                    "Customer page: %(outcome)s", outcome=outcomes.get(outcome, outcome)
                ),
                note=Markup("<p>%s</p>") % summary,
                user_id=responsible.id,
            )
        return contact.with_env(self.env)

    # ---------------------------------------------------------------- actions

    def _portal_pay_scope(self, scope, move_ids=None):
        """What the customer pays online: ``(amount, invoices, installment)``, the amount
        in the invoices' currency. ``scope``: "overdue" (every overdue invoice, less what
        open disputes set apart), "invoices" (the open invoices ``move_ids``), or
        "installment" (the next unpaid installment of the active plan; its invoices are
        the plan's). Refused when nothing is payable or the invoices mix currencies.
        Reads only."""
        self.ensure_one()
        case = self._portal_engine()
        installment = self.env["collection.plan.installment"].sudo()
        if scope == "overdue":
            invoices, amount = case._portal_overdue_invoices()
        elif scope == "invoices":
            invoices = case._portal_invoices(move_ids)
            amount = sum(invoices.mapped("amount_residual"))
        elif scope == "installment":
            plan = case._portal_active_plan()
            if not plan:
                raise UserError(self.env._("You have no payment plan to pay an installment of."))
            plan._invalidate_allocation()
            installment = plan.installment_ids.filtered(
                lambda line: not plan.currency_id.is_zero(line.amount_remaining)
            ).sorted(lambda line: (line.date, line.sequence, line.id))[:1]
            if not installment:
                raise UserError(self.env._("Every installment of your payment plan is paid."))
            invoices = plan.line_ids.move_id.filtered(case._portal_is_open_invoice)
            amount = installment.amount_remaining
            if invoices and invoices.currency_id != plan.currency_id:
                raise UserError(
                    self.env._(
                        "Your payment plan covers invoices in several currencies: contact us "
                        "to pay this installment."
                    )
                )
        else:
            raise ValidationError(self.env._("Choose what to pay."))
        if not invoices:
            raise UserError(self.env._("None of your invoices is open: there is nothing to pay."))
        currency = invoices.currency_id
        if len(currency) > 1:
            raise UserError(
                self.env._(
                    "The invoices chosen are in different currencies (%(currencies)s): pay "
                    "the invoices of one currency at a time.",
                    currencies=", ".join(sorted(currency.mapped("name"))),
                )
            )
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(self.env._("There is nothing to pay on the invoices chosen."))
        return currency.round(amount), invoices.with_env(self.env), installment.with_env(self.env)

    def _portal_overdue_invoices(self):
        """The overdue invoices of the case and what is overdue on them, less what open
        disputes set apart: ``(invoices, amount)``."""
        today = self.company_id._collection_today()
        lines = self.env["account.move.line"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("partner_id", "child_of", self.partner_id.id),
                ("move_id.move_type", "=", "out_invoice"),
                ("date_maturity", "<", today),
                ("company_id", "child_of", self.company_id.id),
            ]
        )
        lines = lines.filtered(lambda line: self._portal_is_open_invoice(line.move_id))
        disputed = self._portal_disputed(lines.move_id)
        invoices = self.env["account.move"]
        amount = 0.0
        for invoice, invoice_lines in lines.grouped("move_id").items():
            overdue = sum(invoice_lines.mapped("amount_residual_currency"))
            payable = min(overdue, invoice.amount_residual - disputed.get(invoice.id, 0.0))
            if invoice.currency_id.compare_amounts(payable, 0) > 0:
                invoices |= invoice
                amount += payable
        if not invoices:
            raise UserError(
                self.env._("Nothing is overdue on your account: there is nothing to pay.")
            )
        return invoices, amount

    def _portal_promise(self, amount, date, note=None):
        """The customer promises to pay ``amount`` (in the currency of their invoices) by
        ``date``: active at once within the company's promise limits, else waiting for a
        manager's approval."""
        self.ensure_one()
        self._portal_check_rate()
        self._portal_check_open()
        case = self._portal_engine()
        case._portal_check_no_plan()
        amount = case._portal_number(amount, self.env._("the amount"))
        day = case._portal_date(date, self.env._("the date you promise to pay by"))
        currency, overdue = case._portal_debt()
        if currency.compare_amounts(amount, 0) <= 0:
            raise ValidationError(self.env._("Enter the amount you will pay, above zero."))
        if currency.compare_amounts(amount, overdue) > 0:
            raise ValidationError(
                self.env._(
                    "You can promise at most %(overdue)s, what is overdue; you promised "
                    "%(amount)s.",
                    overdue=currency.format(overdue),
                    amount=currency.format(amount),
                )
            )
        note = (note or "").strip()
        summary = self.env._(
            "The customer promised on the customer page to pay %(amount)s by %(date)s.",
            amount=currency.format(amount),
            date=format_date(self.env, day),
        )
        contact = case._portal_log(
            Markup("%s<br/>%s") % (summary, note) if note else summary, "promised"
        )
        promise = (
            self.env["collection.promise"]
            .with_env(case.env)
            .with_context(collection_customer_promise=CUSTOMER_PROMISE)
            .create(
                {
                    "case_id": case.id,
                    "amount": currency.round(amount),
                    "date": day,
                    "channel": "portal",
                    "note": Markup("<p>%s</p>") % note if note else False,
                    "user_id": case.user_id.id,
                    "contact_log_id": contact.id,
                }
            )
        )
        return promise.with_env(self.env)

    def _portal_propose_plan(
        self, installment_count, down_payment, first_date, frequency="monthly", note=None
    ):
        """The customer proposes to pay all that is overdue in ``installment_count``
        installments from ``first_date``, after ``down_payment`` (due today). Within the
        company's self-service limits the plan starts at once, approved by the engine;
        beyond them it waits for a manager's approval, and the customer is told by
        e-mail when it is accepted or refused."""
        self.ensure_one()
        self._portal_check_rate()
        self._portal_check_open()
        case = self._portal_engine()
        case._portal_check_no_plan()
        Plan = self.env["collection.plan"].with_env(case.env)
        waiting = Plan.search(
            [
                ("case_id", "=", case.id),
                ("portal_requested", "=", True),
                ("state", "in", ("draft", "proposed")),
                ("approval_state", "=", "requested"),
            ],
            limit=1,
        )
        if waiting:
            raise UserError(
                self.env._(
                    "Your proposal of %(date)s is waiting for our answer: you will hear from us "
                    "by e-mail.",
                    date=format_date(self.env, waiting.date_start),
                )
            )
        if frequency not in dict(FREQUENCIES):
            raise ValidationError(self.env._("Choose how often you will pay."))
        count = case._portal_number(
            installment_count, self.env._("the number of installments"), integer=True
        )
        if count < 1:
            raise ValidationError(self.env._("Choose at least one installment."))
        down = case._portal_number(down_payment or 0.0, self.env._("the down payment"))
        first = case._portal_date(first_date, self.env._("the date of the first installment"))
        currency, overdue = case._portal_debt()
        if currency.compare_amounts(down, 0) < 0:
            raise ValidationError(self.env._("The down payment cannot be negative."))
        if currency.compare_amounts(down, overdue) >= 0:
            raise ValidationError(
                self.env._(
                    "A down payment of %(down)s pays all that is overdue (%(overdue)s): pay it "
                    "online instead of proposing a plan.",
                    down=currency.format(down),
                    overdue=currency.format(overdue),
                )
            )
        today = case._portal_today()
        wizard = (
            self.env["collection.plan.wizard"]
            .with_env(case.env)
            .new(
                {
                    "case_id": case.id,
                    "down_payment": currency.round(down),
                    "down_payment_date": today,
                    "frequency": frequency,
                    "split_by": "count",
                    "installment_count": count,
                    "first_date": first,
                }
            )
        )
        # The plan covers what is overdue, in the invoices' currency.
        wizard.update({"currency_id": currency, "amount_total": overdue})
        try:
            schedule = wizard._schedule()
        except UserError as error:
            raise ValidationError(error.args[0]) from None
        months = months_between(today, max(line["date"] for line in schedule))
        reasons = Plan._portal_plan_reasons(case.company_id, overdue, down, currency, months)
        note = (note or "").strip()
        plan = Plan.create(
            {
                "case_id": case.id,
                "amount_total": overdue,
                "down_payment": currency.round(down),
                "frequency": frequency,
                "date_start": today,
                "portal_requested": True,
                "user_id": case.user_id.id,
                "note": Markup("<p>%s</p>") % note if note else False,
                "installment_ids": [Command.create(line) for line in schedule],
            }
        )
        terms = self.env._(
            "%(amount)s in %(count)s installments (%(frequency)s) from %(date)s, %(down)s "
            "paid down",
            amount=currency.format(overdue),
            count=count,
            frequency=dict(FREQUENCIES)[frequency],
            date=format_date(self.env, first),
            down=currency.format(down),
        )
        if reasons:
            plan.action_request_approval()
            summary = self.env._(
                "The customer proposed a payment plan on the customer page: %(terms)s. It "
                "is beyond the self-service limits (%(reasons)s): approve or refuse it.",
                terms=terms,
                reasons="; ".join(reasons),
            )
        else:
            plan._approve()
            plan.with_context(collection_portal_self_service=SELF_SERVICE).action_activate()
            plan._message_log(
                body=self.env._(
                    "Proposed by the customer on the customer page and started at once: "
                    "within the self-service limits."
                )
            )
            summary = self.env._(
                "The customer started a payment plan on the customer page: %(terms)s, "
                "within the self-service limits.",
                terms=terms,
            )
        case._portal_log(
            Markup("%s<br/>%s") % (summary, note) if note else summary, "plan_proposed"
        )
        return plan.with_env(self.env)

    def _portal_dispute(self, move_id, reason, amount, note, attachments):
        """The customer disputes ``amount`` (invoice currency; empty: all that is left to
        dispute) of one of their open invoices, for ``reason``, with documents
        ``attachments`` (``[(filename, bytes)]``; for "already paid", the remittance
        advice). The same dispute as an officer's, with the same deadline."""
        self.ensure_one()
        self._portal_check_rate()
        self._portal_check_open()
        case = self._portal_engine()
        invoice = case._portal_invoices(move_id)
        if len(invoice) != 1:
            raise ValidationError(self.env._("Choose one invoice to dispute."))
        Dispute = self.env["collection.dispute"].with_env(case.env)
        reason = DISPUTE_REASON_ALIASES.get(reason, reason)
        if reason not in dict(Dispute._fields["reason"]._description_selection(self.env)):
            raise ValidationError(self.env._("Choose why you dispute the invoice."))
        currency = invoice.currency_id
        available = invoice.amount_residual - case._portal_disputed(invoice).get(invoice.id, 0.0)
        if currency.compare_amounts(available, 0) <= 0:
            raise UserError(
                self.env._(
                    "All of invoice %(invoice)s is disputed already: we are looking into it.",
                    invoice=invoice.name,
                )
            )
        amount = (
            available
            if amount is None or amount is False or (isinstance(amount, str) and not amount.strip())
            else case._portal_number(amount, self.env._("the amount you dispute"))
        )
        if currency.compare_amounts(amount, 0) <= 0:
            raise ValidationError(self.env._("Enter the amount you dispute, above zero."))
        if currency.compare_amounts(amount, available) > 0:
            raise ValidationError(
                self.env._(
                    "You can dispute at most %(available)s of invoice %(invoice)s.",
                    available=currency.format(available),
                    invoice=invoice.name,
                )
            )
        documents = case._portal_check_documents(attachments)
        note = (note or "").strip()
        responsible = case._portal_responsible()
        dispute = Dispute.create(
            {
                "case_id": case.id,
                "move_id": invoice.id,
                "reason": reason,
                "amount": currency.round(amount),
                "channel": "portal",
                "description": note or False,
                "owner_id": (responsible or case.env.user).id,
            }
        )
        if documents:
            self.env["ir.attachment"].with_env(case.env).create(
                [
                    {
                        "name": name,
                        "raw": data,
                        "mimetype": mimetype,
                        "res_model": dispute._name,
                        "res_id": dispute.id,
                    }
                    for name, data, mimetype in documents
                ]
            )
        reasons = dict(Dispute._fields["reason"]._description_selection(self.env))
        summary = self.env._(
            "The customer disputed %(amount)s of %(invoice)s on the customer page (%(reason)s)"
            ", with %(count)s document(s).",
            amount=currency.format(amount),
            invoice=invoice.name,
            reason=reasons[reason],
            count=len(documents),
        )
        case._portal_log(Markup("%s<br/>%s") % (summary, note) if note else summary, "disputed")
        return dispute.with_env(self.env)

    def _portal_update_preferences(self, name, email, channel_preference):
        """The customer gives the person who receives our messages (their accounts-payable
        contact: ``name`` and ``email``) and how they want them (``channel_preference``:
        "email", "letter" or empty for no preference)."""
        self.ensure_one()
        self._portal_check_rate()
        case = self._portal_engine()
        preference = channel_preference or False
        if preference not in (False, *CHANNEL_PREFERENCES):
            raise ValidationError(self.env._("Choose how you want to receive our messages."))
        name = (name or "").strip()
        email = (email or "").strip()
        normalized = email_normalize(email) if email else False
        if email and not valid_email(normalized):
            raise ValidationError(
                self.env._("%(email)s is not a valid e-mail address.", email=email)
            )
        customer = case.partner_id
        contact = customer.collection_contact_id
        if contact and (contact.commercial_partner_id != customer or contact == customer):
            contact = self.env["res.partner"]
        changes = []
        if name or email:
            if not contact and email:
                # The customer's own contact with that address, else a new one.
                contact = (
                    self.env["res.partner"]
                    .with_env(case.env)
                    .search(
                        [
                            ("id", "child_of", customer.id),
                            ("id", "!=", customer.id),
                            ("email_normalized", "=", normalized),
                        ],
                        limit=1,
                    )
                )
            if not contact:
                contact = (
                    self.env["res.partner"]
                    .with_env(case.env)
                    .create(
                        {
                            "name": name or email,
                            "email": email or False,
                            "parent_id": customer.id,
                            "type": "contact",
                        }
                    )
                )
                changes.append(self.env._("new contact %(name)s", name=contact.display_name))
            else:
                values = {}
                if name and name != contact.name:
                    values["name"] = name
                if email and email != contact.email:
                    values["email"] = email
                if values:
                    contact.write(values)
                    changes.append(
                        self.env._("contact %(name)s updated", name=contact.display_name)
                    )
        values = {}
        if contact and customer.collection_contact_id != contact:
            values["collection_contact_id"] = contact.id
            changes.append(self.env._("%(name)s receives our messages", name=contact.display_name))
        if customer.collection_channel_preference != preference:
            values["collection_channel_preference"] = preference
            labels = dict(
                customer._fields["collection_channel_preference"]._description_selection(self.env)
            )
            changes.append(
                self.env._("messages sent by %(channel)s", channel=labels[preference])
                if preference
                else self.env._("no preferred channel")
            )
        if values:
            customer.write(values)
        summary = self.env._(
            "The customer updated their contact details on the customer page: %(changes)s.",
            changes="; ".join(changes) or self.env._("nothing changed"),
        )
        case._portal_log(summary, "preferences_updated")
        return True
