"""The customer's page of a collection case on the portal."""

from collections import defaultdict

from odoo import Command
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request, route
from odoo.tools import consteq

from ..models.collection_ledger import AGING_FIELDS

# The forms of the page: each posts to its own route and shows its own message.
FORMS = ("pay", "promise", "plan", "dispute", "preferences")
PAY_SCOPES = ("overdue", "invoices", "installment")


class CollectionPortal(PortalAccount):
    """The customer's page of their collection case, opened with the signed link of the
    messages (``access_token``, until the link expires) or by the logged-in customer.

    Everything the customer does goes through the case's ``_portal_*`` methods, which
    check again what they are given: the page only checks who is asking, and shows
    nothing of a case to anyone else.
    """

    # ------------------------------------------------------------- My Account

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "collection_count" in counters:
            values["collection_count"] = len(self._collection_my_cases())
        return values

    def _collection_my_cases(self):
        """The cases of the logged-in customer's company (their commercial partner)."""
        user = request.env.user
        if user._is_public():
            return request.env["collection.case"]
        cases = (
            request.env["collection.case"]
            .sudo()
            .search(
                [("partner_id", "=", user.partner_id.commercial_partner_id.id)],
                order="opened_date desc, id desc",
            )
        )
        # The cases being worked first, then the closed ones.
        return cases.filtered(lambda case: case.state != "closed") | cases

    @route(["/my/collections"], type="http", auth="user", website=True)
    def portal_my_collections(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "collections", "cases": self._collection_my_cases()})
        return request.render("collections_officer.portal_my_collections", values)

    # ---------------------------------------------------------------- access

    def _collection_case_access(self, case_id, access_token=None):
        """``(case_sudo, how)`` of the case the visitor may open: ``how`` is "owner" (the
        logged-in customer), "user" (an internal user who may read it) or "token" (a
        live link). Raises ``MissingError`` for no such case, ``AccessError`` for
        anything else, and returns ``(case_sudo, "expired")`` for the case's own link
        past its expiry: the customer is told to ask for a new one."""
        case_sudo = request.env["collection.case"].sudo().browse(case_id).exists()
        if not case_sudo:
            raise MissingError(request.env._("This document does not exist."))
        user = request.env.user
        if not user._is_public():
            if user.partner_id.commercial_partner_id == case_sudo.partner_id:
                return case_sudo, "owner"
            if not user.share and case_sudo.with_user(user).sudo(False).has_access("read"):
                return case_sudo, "user"
        if access_token and isinstance(access_token, str):
            if case_sudo._portal_check_token(access_token):
                return case_sudo, "token"
            if case_sudo.access_token and consteq(case_sudo.access_token, access_token):
                return case_sudo, "expired"
        raise AccessError(request.env._("You cannot open this page."))

    def _collection_case_or_refusal(self, case_id, access_token):
        """The case and how it was opened, or the response to give instead."""
        try:
            case_sudo, how = self._collection_case_access(case_id, access_token)
        except (AccessError, MissingError):
            return None, request.redirect("/my")
        if how == "expired":
            return None, request.render(
                "collections_officer.portal_collection_link_expired",
                {"company": case_sudo.company_id, "no_breadcrumbs": True},
                status=403,
            )
        return case_sudo, None

    # ------------------------------------------------------------------ page

    @route(
        ["/my/collections/<int:case_id>"], type="http", auth="public", website=True, sitemap=False
    )
    def portal_my_collection(self, case_id, access_token=None, message=None, **kw):
        case_sudo, refusal = self._collection_case_or_refusal(case_id, access_token)
        if refusal:
            return refusal
        if request.env.user._is_public():
            # The customer reads the page in their own language, whoever's browser it is.
            lang = case_sudo.partner_id.lang
            if lang and request.env["res.lang"]._get_data(code=lang):
                request.update_context(lang=lang)
        if request.env.user.share or request.env.user._is_public():
            case_sudo._portal_record_visit()
        # Checkboxes send one move_ids per invoice chosen.
        pay = {
            "scope": kw.get("pay"),
            "move_ids": self._collection_ids(request.httprequest.args.getlist("move_ids")),
        }
        return self._collection_render(case_sudo, access_token, message=message, pay=pay)

    @route(["/pay/<string:code>"], type="http", auth="public", website=True, sitemap=False)
    def portal_collection_short_link(self, code, **kw):
        case_sudo = (
            request.env["collection.case"]
            .sudo()
            .search([("portal_short_code", "=", code)], limit=1)
            if code and len(code) <= 32
            else None
        )
        if not case_sudo or not case_sudo.access_token:
            return request.redirect("/my")
        return request.redirect(
            f"{case_sudo.access_url}?access_token={case_sudo.access_token}", local=True
        )

    @staticmethod
    def _collection_ids(value):
        """Ids sent by the page (a list, or text with commas), as integers; junk dropped."""
        if not value:
            return []
        if isinstance(value, str):
            value = value.split(",")
        return [int(part) for part in value if str(part).strip().isdigit()]

    def _collection_render(
        self, case_sudo, access_token, message=None, pay=None, errors=None, typed=None, status=200
    ):
        values = self._collection_page_values(case_sudo, access_token, pay or {})
        values.update(
            {
                "message": self._collection_messages().get(message),
                "errors": errors or {},
                "typed": typed or {},
            }
        )
        return request.render("collections_officer.portal_collection_page", values, status=status)

    def _collection_messages(self):
        env = request.env
        return {
            "promise": env._("Thank you: your promise to pay is recorded."),
            "plan": env._("Thank you: your payment plan proposal is recorded."),
            "dispute": env._("Thank you: your dispute is recorded. We will look into it."),
            "preferences": env._("Thank you: your contact details are saved."),
        }

    def _collection_page_values(self, case_sudo, access_token, pay):
        """What the page shows: what is owed today, line by line in each document's
        currency, the commitments, the disputes and the forms."""
        company = case_sudo.company_id
        today = company._collection_today()
        ledger = request.env["collection.ledger"].sudo()
        lines = (
            request.env["account.move.line"]
            .sudo()
            .search(ledger._open_items_domain(case_sudo.partner_id, case_sudo.company_id))
            .sorted(lambda line: (line.date_maturity or line.date, line.id))
        )
        rows, owed, overdue = [], defaultdict(float), defaultdict(float)
        for line in lines:
            due = line.date_maturity
            late = bool(due and due < today and line.amount_residual > 0)
            rows.append(
                {
                    "line": line,
                    "move": line.move_id,
                    "currency": line.currency_id,
                    "due": due,
                    "late": late,
                    "days_late": (today - due).days if late else 0,
                    "residual": line.amount_residual_currency,
                }
            )
            owed[line.currency_id] += line.amount_residual_currency
            if late:
                overdue[line.currency_id] += line.amount_residual_currency
        open_invoices = lines.move_id.filtered(case_sudo._portal_is_open_invoice).sorted(
            lambda move: (move.invoice_date_due or move.date, move.id)
        )
        plans = case_sudo.env["collection.plan"].search(
            [("case_id", "=", case_sudo.id), ("state", "in", ("draft", "proposed", "active"))],
            order="id desc",
        )
        plan = (
            plans.filtered(lambda p: p.state == "active")[:1]
            or plans.filtered("portal_requested")[:1]
        )
        next_installment = plan.installment_ids.filtered(
            lambda i: not plan.currency_id.is_zero(i.amount_remaining)
        )[:1]
        values = {
            "page_name": "collection",
            "case": case_sudo,
            "company": company,
            "customer": case_sudo.partner_id,
            "today": today,
            "rows": rows,
            "owed": dict(owed),
            "overdue": dict(overdue),
            "aging": [
                (case_sudo._fields[name]._description_string(request.env), case_sudo[name])
                for name in AGING_FIELDS
            ],
            "open_invoices": open_invoices,
            "promises": case_sudo.env["collection.promise"].search(
                [("case_id", "=", case_sudo.id), ("state", "=", "open")], order="date"
            ),
            "plan": plan,
            "next_installment": next_installment if plan.state == "active" else False,
            "disputes": case_sudo.env["collection.dispute"].search(
                [("case_id", "=", case_sudo.id)], order="id desc"
            ),
            "dispute_reasons": request.env["collection.dispute"]
            ._fields["reason"]
            ._description_selection(request.env),
            "frequencies": request.env["collection.plan"]
            ._fields["frequency"]
            ._description_selection(request.env),
            "channel_preferences": request.env["res.partner"]
            ._fields["collection_channel_preference"]
            ._description_selection(request.env),
            "contact": case_sudo.partner_id.collection_contact_id,
            "access_token": access_token,
            "token_query": f"?access_token={access_token}" if access_token else "",
            "invoice_urls": {
                move.id: move.get_portal_url(report_type="pdf", download=True)
                for move in lines.move_id.filtered(lambda m: m.is_invoice(include_receipts=True))
            },
            "no_breadcrumbs": not request.env.user.share or request.env.user._is_public(),
            "pay": pay,
        }
        values["pay_error"] = False
        if pay.get("scope"):
            try:
                values.update(self._collection_pay_values(case_sudo, access_token, pay))
            except (UserError, ValidationError) as error:
                values["pay_error"] = error.args[0]
        return values

    def _collection_pay_values(self, case_sudo, access_token, pay):
        """The payment form for what the customer chose to pay, the amount computed here."""
        scope = pay["scope"]
        if scope not in PAY_SCOPES:
            raise ValidationError(request.env._("Choose what to pay."))
        amount, invoices, installment = case_sudo._portal_pay_scope(scope, pay["move_ids"])
        currency = invoices.currency_id
        transaction_route = f"/my/collections/{case_sudo.id}/transaction/{scope}"
        if scope == "invoices":
            transaction_route += "/" + ",".join(str(i) for i in invoices.ids)
        landing_route = (
            f"{case_sudo.access_url}{'?access_token=' + access_token if access_token else ''}"
        )
        form_values = self._get_common_page_view_values(
            invoices_data={
                "partner": case_sudo.partner_id,
                "company": case_sudo.company_id,
                "total_amount": amount,
                "currency": currency,
                "amount_residual": amount,
                "landing_route": landing_route,
                "transaction_route": transaction_route,
            },
            access_token=access_token,
        )
        return {
            **form_values,
            "amount": amount,
            "pay_amount": amount,
            "pay_invoices": invoices,
            "pay_installment": installment,
            "pay_currency": currency,
        }

    # -------------------------------------------------------------- payment

    @route(
        [
            "/my/collections/<int:case_id>/transaction/<string:scope>",
            "/my/collections/<int:case_id>/transaction/<string:scope>/<string:move_ids>",
        ],
        type="jsonrpc",
        auth="public",
    )
    def portal_collection_transaction(
        self, case_id, scope, move_ids=None, access_token=None, amount=None, **kwargs
    ):
        """Create the transaction of what the customer pays, computed here from the case:
        the amount the page sends is only compared, never used."""
        try:
            case_sudo, how = self._collection_case_access(case_id, access_token)
        except (AccessError, MissingError):
            how = None
        if how in (None, "expired"):
            raise ValidationError(
                request.env._("This link does not work any more: reload the page.")
            )
        if scope not in PAY_SCOPES:
            raise ValidationError(request.env._("Choose what to pay."))
        case_sudo._portal_check_rate()
        due, invoices, _installment = case_sudo._portal_pay_scope(
            scope, self._collection_ids(move_ids)
        )
        currency = invoices.currency_id
        try:
            shown = float(amount) if amount is not None else None
        except (TypeError, ValueError):
            shown = None
        if shown is None or currency.compare_amounts(shown, due):
            raise ValidationError(
                request.env._(
                    "What you owe changed since the page was opened: reload the page to pay "
                    "%(amount)s.",
                    amount=currency.format(due),
                )
            )
        kwargs.pop("payment_reference", None)  # Sent by every invoice payment form: unused.
        self._validate_transaction_kwargs(kwargs)
        user = request.env.user
        partner = user.partner_id if not user._is_public() else case_sudo.partner_id
        kwargs.update(
            {
                "currency_id": currency.id,
                "partner_id": partner.id,
                # Never a validation: its amount is the provider's, not the debt.
                "is_validation": False,
                "landing_route": case_sudo.access_url
                + (f"?access_token={access_token}" if access_token else ""),
            }
        )
        tx_sudo = self._create_transaction(
            amount=due,
            custom_create_values={"invoice_ids": [Command.set(invoices.ids)]},
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    # ----------------------------------------------------------------- forms

    def _collection_post(self, case_id, access_token, form, action, typed):
        """Run ``action(case_sudo)`` for a form of the page: on a refusal, the page again
        with the message and what was typed, nothing written; else back to the page
        with a confirmation."""
        case_sudo, refusal = self._collection_case_or_refusal(case_id, access_token)
        if refusal:
            return refusal
        try:
            with request.env.cr.savepoint():
                action(case_sudo.with_context(collection_portal=True))
        except (UserError, ValidationError) as error:
            return self._collection_render(
                case_sudo, access_token, errors={form: error.args[0]}, typed={form: typed}
            )
        query = (
            f"?access_token={access_token}&message={form}" if access_token else f"?message={form}"
        )
        return request.redirect(f"{case_sudo.access_url}{query}#{form}")

    @route(
        ["/my/collections/<int:case_id>/promise"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_collection_promise(self, case_id, access_token=None, **post):
        typed = {key: post.get(key, "") for key in ("amount", "date", "note")}
        return self._collection_post(
            case_id,
            access_token,
            "promise",
            lambda case: case._portal_promise(typed["amount"], typed["date"], typed["note"]),
            typed,
        )

    @route(
        ["/my/collections/<int:case_id>/plan"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_collection_plan(self, case_id, access_token=None, **post):
        keys = ("installment_count", "down_payment", "first_date", "frequency", "note")
        typed = {key: post.get(key, "") for key in keys}
        return self._collection_post(
            case_id,
            access_token,
            "plan",
            lambda case: case._portal_propose_plan(
                typed["installment_count"],
                typed["down_payment"] or 0.0,
                typed["first_date"],
                frequency=typed["frequency"] or "monthly",
                note=typed["note"],
            ),
            typed,
        )

    @route(
        ["/my/collections/<int:case_id>/dispute"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_collection_dispute(self, case_id, access_token=None, **post):
        typed = {key: post.get(key, "") for key in ("move_id", "reason", "amount", "note")}
        files = [
            (upload.filename, upload.read())
            for upload in request.httprequest.files.getlist("attachments")
            if upload.filename
        ]
        return self._collection_post(
            case_id,
            access_token,
            "dispute",
            lambda case: case._portal_dispute(
                self._collection_ids(typed["move_id"]),
                typed["reason"],
                typed["amount"],
                typed["note"],
                files,
            ),
            typed,
        )

    @route(
        ["/my/collections/<int:case_id>/preferences"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_collection_preferences(self, case_id, access_token=None, **post):
        typed = {key: post.get(key, "") for key in ("name", "email", "channel_preference")}
        return self._collection_post(
            case_id,
            access_token,
            "preferences",
            lambda case: case._portal_update_preferences(
                typed["name"], typed["email"], typed["channel_preference"]
            ),
            typed,
        )

    # ------------------------------------------------------------- downloads

    @route(
        ["/my/collections/<int:case_id>/statement"],
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def portal_collection_statement(self, case_id, access_token=None, **kw):
        case_sudo, refusal = self._collection_case_or_refusal(case_id, access_token)
        if refusal:
            return refusal
        # Odoo's own report rendering, as the engine: the visitor reads no case.
        pdf = (
            request.env["ir.actions.report"]
            .sudo()
            .with_company(case_sudo.company_id)
            ._render_qweb_pdf(
                "collections_officer.action_report_collection_statement", case_sudo.ids
            )[0]
        )
        filename = (
            request.env["report.collections_officer.report_collection_statement"]
            .sudo()
            ._statement_file_name(case_sudo)
        )
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
