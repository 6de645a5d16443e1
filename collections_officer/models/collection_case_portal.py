import secrets
import uuid
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq

# What the customer page writes and reads to let the customer in: never a person's value.
PORTAL_FIELDS = frozenset(
    {
        "access_token",
        "portal_link_expiry",
        "portal_short_code",
        "portal_last_visit",
        "portal_visit_count",
    }
)
# Short codes are typed from paper too: no 0/O, 1/l/I to mistake for one another.
SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 10


# collection.case is split by job on purpose: the customer's page of the case, its link.
class CollectionCase(models.Model):
    """The customer's page of a case: a signed link that works for a while.

    Every real send (e-mail, SMS, letter) grants the link for the company's number
    of days from now (``_portal_grant_link``), never shortening it; an officer
    revokes it at once (``action_portal_revoke``): a new token and short code, the
    old links refused. The link is the access token of ``portal.mixin``, checked
    with its expiry by ``_portal_check_token``; the short code is for SMS and the
    QR code of letters (``/pay/<code>``).
    """

    _name = "collection.case"
    _inherit = ["collection.case", "portal.mixin"]

    portal_link_expiry = fields.Datetime(
        string="Link Valid Until",
        copy=False,
        readonly=True,
        help="The customer's link to the case's page works until then; every e-mail, SMS "
        "or letter sent extends it.",
    )
    portal_short_code = fields.Char(
        string="Short Code",
        copy=False,
        readonly=True,
        help="The short link (/pay/<code>) printed on letters and sent by SMS.",
    )
    portal_last_visit = fields.Datetime(string="Last Visit", copy=False, readonly=True)
    portal_visit_count = fields.Integer(string="Visits", copy=False, readonly=True)
    portal_link_url = fields.Char(
        string="Customer Page Link", compute="_compute_portal_link_url", compute_sudo=False
    )

    _portal_short_code_uniq = models.UniqueIndex(
        "(portal_short_code) WHERE portal_short_code IS NOT NULL",
        "A short code opens one case only.",
    )

    def _compute_access_url(self):
        # The mixin's own value is a placeholder: replaced, not extended.
        for case in self:
            case.access_url = f"/my/collections/{case.id}"

    @api.depends("access_token")
    @api.depends_context("uid")
    def _compute_portal_link_url(self):
        for case in self:
            case.portal_link_url = case._portal_link_url() if case.id else False

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        self._check_portal_fields(vals_list)
        # Every case has its page from the start, so that any message composed for
        # it carries the link; the link works once a real send grants it.
        for vals in vals_list:
            vals["access_token"] = str(uuid.uuid4())
            vals["portal_short_code"] = self._portal_new_short_code()
        return super().create(vals_list)

    def write(self, vals):
        self._check_portal_fields([vals])
        return super().write(vals)

    def _check_portal_fields(self, vals_list):
        # A token or an expiry set by hand would open the case to whoever knows it.
        if self.env.su:
            return
        touched = PORTAL_FIELDS & {name for vals in vals_list for name in vals}
        if touched:
            raise UserError(
                self.env._(
                    "%(fields)s of a collection case are set by the messages sent to the "
                    "customer and by their visits: they cannot be set by hand. Revoke the "
                    "link to stop it working.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in touched)
                    ),
                )
            )

    # --------------------------------------------------------------- actions

    def action_portal_revoke(self):
        """Stop the customer's links at once: a new token and short code, no expiry."""
        if not self.env["collection.compliance"]._is_collections_manager() and not (
            self.env.user.has_group("collections_officer.group_collections_officer")
        ):
            raise UserError(
                self.env._("Only collections officers and managers revoke a customer's link.")
            )
        # The officer may only revoke the links of cases they may change.
        self.check_access("write")
        for case in self.sudo():
            case.write(
                {
                    "access_token": str(uuid.uuid4()),
                    "portal_short_code": self._portal_new_short_code(),
                    "portal_link_expiry": False,
                }
            )
        self._message_log_batch(
            bodies={
                case.id: Markup("<p>%s</p>")
                % self.env._(
                    "Customer page link revoked by %(user)s: the links sent so far no "
                    "longer open the case. The next message sent gives the customer a new one.",
                    user=self.env.user.name,
                )
                for case in self
            }
        )
        return True

    # ------------------------------------------------------- business methods

    @api.model
    def _portal_new_short_code(self):
        return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _i in range(SHORT_CODE_LENGTH))

    def _portal_grant_link(self):
        """Make the customer's link work for the company's number of days from now.

        Called by every real send before rendering: ensures the token and the short
        code and extends the expiry, never shortening it. Written as the engine.
        """
        cases = self.sudo()
        cases._portal_ensure_codes()
        now = fields.Datetime.now()
        for company, company_cases in cases.grouped("company_id").items():
            until = now + timedelta(days=max(company.collection_portal_link_days, 1))
            company_cases.filtered(
                lambda c, until=until: not c.portal_link_expiry or c.portal_link_expiry < until
            ).write({"portal_link_expiry": until})
        return True

    def _portal_ensure_codes(self):
        """Give the cases that have none a token and a short code (not a working link)."""
        for case in self.sudo().filtered(lambda c: not c.access_token or not c.portal_short_code):
            case.write(
                {
                    "access_token": case.access_token or str(uuid.uuid4()),
                    "portal_short_code": case.portal_short_code or self._portal_new_short_code(),
                }
            )
        return True

    def _portal_link_url(self):
        """The customer's signed link to the case's page, or False before any was granted."""
        self.ensure_one()
        token = self.sudo().access_token
        if not token:
            return False
        return f"{self.get_base_url()}{self.access_url}?access_token={token}"

    def _portal_short_url(self):
        """The short link for SMS and letters, or False before any was granted."""
        self.ensure_one()
        code = self.sudo().portal_short_code
        if not code:
            return False
        return f"{self.get_base_url()}/pay/{code}"

    def _portal_check_token(self, token):
        """Whether ``token`` opens this case now: the case's token, and the link not expired."""
        self.ensure_one()
        case = self.sudo()
        if not (token and isinstance(token, str) and case.access_token):
            return False
        if not consteq(case.access_token, token):
            return False
        return bool(case.portal_link_expiry) and case.portal_link_expiry > fields.Datetime.now()

    def _portal_record_visit(self):
        """The customer opened the page: counted for the officer and the KPIs."""
        now = fields.Datetime.now()
        for case in self.sudo():
            case.write(
                {"portal_visit_count": case.portal_visit_count + 1, "portal_last_visit": now}
            )

    # ------------------------------------------------------------- mail.thread

    @api.model
    def _get_thread_with_access(self, thread_id, *, mode="read", **kwargs):
        # The chatter of the page opens with the token, or with a hash signed with it: both
        # only while the link works, like the page itself.
        thread = super()._get_thread_with_access(thread_id, mode=mode, **kwargs)
        if not thread or thread.sudo(False).has_access(mode):
            return thread
        return thread if thread._portal_link_live() else self.browse()

    def _portal_link_live(self):
        self.ensure_one()
        expiry = self.sudo().portal_link_expiry
        return bool(expiry) and expiry > fields.Datetime.now()

    def _notify_get_recipients_groups(self, message, model_description, msg_vals=False):
        # The customer's "view" button carries the token: only while the link works.
        groups = super()._notify_get_recipients_groups(
            message, model_description, msg_vals=msg_vals
        )
        if self and len(self) == 1 and not self._portal_link_live():
            for group in groups:
                if group[0] == "portal_customer":
                    group[2]["has_button_access"] = False
        return groups
