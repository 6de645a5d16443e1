from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .collection_case_chatter import SentAs
from .customer_dates import customer_date

# The documents of the letter before action, each its own PDF.
NOTICE_REPORTS = (
    "collections_officer.action_report_collection_legal_notice",
    "collections_officer.action_report_collection_legal_info_sheet",
    "collections_officer.action_report_collection_legal_reply_form",
)


class CollectionLegal(models.Model):
    """The letter before action: e-mailed or printed to post, with its information sheet
    and reply form (a validation notice for a US consumer), and the reply period it gives."""

    _inherit = "collection.legal"  # pylint: disable=consider-merging-classes-inherited

    is_us_consumer = fields.Boolean(
        compute="_compute_is_us_consumer",
        help="A consumer debt in the US: the notice is a validation notice with its dispute "
        "window.",
    )

    @api.depends("company_id.country_id", "partner_id.is_company")
    def _compute_is_us_consumer(self):
        for legal in self:
            legal.is_us_consumer = (
                legal.company_id.country_id.code == "US" and not legal.partner_id.is_company
            )

    # --------------------------------------------------------------- actions

    def action_open_send_notice(self):
        """The dialog that sends the letter: what it does, and what the guard says of it."""
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft",))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send the Letter Before Action"),
            "res_model": "collection.legal.notice.wizard",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_legal_id": self.id},
        }

    def action_send_notice(self, override_reason=None):
        """E-mail the letter before action with its information sheet and reply form.

        The e-mail goes through the case's chatter, hence through the compliance
        guard (a collections manager may override it with ``override_reason``); the
        notice date is recorded when it is sent. The letter is the company's own: it
        needs no agency, lawyer or claimant yet.
        """
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft",))
        recipient = self.case_id.followup_partner_id
        if not recipient.email:
            raise UserError(
                self.env._(
                    "%(partner)s has no e-mail address: print the letter and post it.",
                    partner=recipient.display_name,
                )
            )
        today = self.company_id._collection_today()
        attachments = self._render_notice_attachments()
        deadline = customer_date(self.env, self._deadline_from(today), recipient.lang)
        if self.is_us_consumer:
            body = self.env._(
                "Dear %(name)s, please find attached a validation notice about your account "
                "%(case)s. You may dispute the debt until %(deadline)s.",
                name=recipient.name,
                case=self.case_id.name,
                deadline=deadline,
            )
        else:
            body = self.env._(
                "Dear %(name)s, please find attached our letter before action about your "
                "account %(case)s, with an information sheet and a reply form. Please reply "
                "by %(deadline)s.",
                name=recipient.name,
                case=self.case_id.name,
                deadline=deadline,
            )
        # Logged in the contact log as the letter before action, under the sender.
        case = self.case_id.with_context(collection_sent_as=SentAs("letter_before_action"))
        if override_reason:
            case = case.with_context(collection_override_reason=override_reason)
        case.message_post(
            body=Markup("<p>%s</p>") % body,
            subject=self.env._("Letter before action %(name)s", name=self.name),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipient.ids,
            attachment_ids=attachments.ids,
        )
        self._record_notice(today)
        return True

    def action_print_notice(self):
        """Print the letter before action to post it: the notice date is today's."""
        self.ensure_one()
        self._check_manager()
        self._check_state(("draft",))
        today = self.company_id._collection_today()
        self._render_notice_attachments()
        self._record_notice(today)
        # Posted by the user who prints it: a letter to the customer, in the contact log.
        self.env["collection.contact"]._log_sent(
            [
                {
                    "case_id": self.case_id.id,
                    "partner_id": self.case_id.followup_partner_id.id,
                    "channel": "letter",
                    "outcome": "letter_before_action",
                    "note": self.env._(
                        "Letter before action %(name)s printed to post.", name=self.name
                    ),
                }
            ],
            post_on_case=True,
        )
        return self.env.ref(NOTICE_REPORTS[0]).report_action(self)

    # ------------------------------------------------------- business methods

    def _deadline_from(self, notice_date):
        self.ensure_one()
        return notice_date + timedelta(days=self.company_id.collection_legal_reply_days)

    def _notice_dates(self):
        """The notice date and reply deadline the letter states: the recorded ones, else
        today's (a letter printed to preview it)."""
        self.ensure_one()
        notice = self.notice_date or self.company_id._collection_today()
        return notice, self.reply_deadline or self._deadline_from(notice)

    def _notice_lines(self):
        """The open items the letter claims, oldest first."""
        self.ensure_one()
        return self.case_id.open_line_ids.filtered(lambda line: line.amount_residual > 0).sorted(
            lambda line: (line.date_maturity or line.date, line.id)
        )

    def _record_notice(self, notice_date):
        self._set_state("notice_sent", {"notice_date": notice_date})
        for legal in self:
            # The to-do the manager's decision left is done: the letter is on its way.
            todo = self.env._("Send the letter before action %(name)s", name=legal.name)
            legal.activity_ids.filtered(lambda act, s=todo: act.summary == s).action_done()
            legal.message_post(
                body=self.env._(
                    "Letter before action sent on %(date)s: the customer may reply until "
                    "%(deadline)s.",
                    date=customer_date(self.env, notice_date),
                    deadline=customer_date(self.env, legal.reply_deadline),
                )
            )

    def _notice_reports(self):
        """The letter, its information sheet and reply form; a US consumer's validation
        notice carries its own dispute form."""
        self.ensure_one()
        return NOTICE_REPORTS[:1] if self.is_us_consumer else NOTICE_REPORTS

    def _render_notice_attachments(self):
        """The notice documents as PDFs on the legal action."""
        self.ensure_one()
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        values = []
        for xmlid in self._notice_reports():
            action = self.env.ref(xmlid)
            pdf, _type = report._render_qweb_pdf(xmlid, self.ids)
            values.append(
                {
                    "name": f"{action.name} - {self.name}.pdf".replace("/", "-"),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        return self.env["ir.attachment"].create(values)
