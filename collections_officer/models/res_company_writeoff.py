import logging

from markupsafe import Markup

from odoo import Command, api, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

# The journal the set-up creates when the company has none for write-offs.
WRITEOFF_JOURNAL_CODE = "WOFF"


# res.company is extended by job: the accounts and journal of the write-offs.
class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    @api.constrains("collection_writeoff_account_id")
    def _check_collection_writeoff_account(self):
        # Set through a form, an RPC call or the set-up: a debt is only ever written off
        # on an expense account the company itself books on.
        for company in self:
            account = company.collection_writeoff_account_id.sudo()
            if account and (
                account.account_type not in ("expense", "expense_other")
                or not account.company_ids & company.parent_ids
            ):
                raise ValidationError(
                    self.env._(
                        "The bad-debt account of %(company)s must be one of its expense "
                        "accounts: %(account)s is not.",
                        company=company.name,
                        account=account.display_name,
                    )
                )

    @api.constrains("collection_writeoff_journal_id")
    def _check_collection_writeoff_journal(self):
        for company in self:
            journal = company.collection_writeoff_journal_id.sudo()
            if journal and (
                journal.type != "general" or journal.company_id not in company.parent_ids
            ):
                raise ValidationError(
                    self.env._(
                        "The write-off journal of %(company)s must be one of its miscellaneous "
                        "journals: %(journal)s is not.",
                        company=company.name,
                        journal=journal.display_name,
                    )
                )

    def _collection_writeoff_found(self):
        """The bad-debt expense account and the write-off journal of the company: the ones
        set, else the ones of its chart that fit (a bad-debt expense account, a general
        journal for write-offs). ``(account, journal)``, either may be empty."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        Journal = self.env["account.journal"].sudo()
        account = self.collection_writeoff_account_id
        if not account:
            account = Account.search(
                [
                    *Account._check_company_domain(self),
                    ("account_type", "in", ("expense", "expense_other")),
                    ("active", "=", True),
                    "|",
                    ("name", "ilike", "bad debt"),
                    ("name", "ilike", "bad-debt"),
                ],
                order="code",
                limit=1,
            )
        journal = self.collection_writeoff_journal_id
        if not journal:
            journal = Journal.search(
                [
                    *Journal._check_company_domain(self),
                    ("type", "=", "general"),
                    "|",
                    ("code", "=", WRITEOFF_JOURNAL_CODE),
                    "|",
                    ("name", "ilike", "write-off"),
                    ("name", "ilike", "write off"),
                ],
                order="sequence, id",
                limit=1,
            )
        return account, journal

    def _collection_writeoff_new_account_values(self):
        """What the set-up gives the new bad-debt expense account: its code follows the
        company's last expense account."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        last = Account.search(
            [*Account._check_company_domain(self), ("account_type", "=", "expense")],
            order="code desc",
            limit=1,
        )
        if not last:
            raise UserError(
                self.env._(
                    "%(company)s has no chart of accounts yet: install one (Accounting "
                    "settings) before writing debts off.",
                    company=self.name,
                )
            )
        return {
            "name": self.env._("Bad Debts"),
            "code": Account._search_new_account_code(last.code),
            "account_type": "expense",
            "company_ids": [Command.set(self.ids)],
        }

    def _collection_writeoff_setup_note(self):
        """What the first write-off of the company sets up, in words, or False when its
        account and journal are set."""
        self.ensure_one()
        if self.collection_writeoff_account_id and self.collection_writeoff_journal_id:
            return False
        account, journal = self._collection_writeoff_found()
        if account:
            account_words = self.env._(
                "the expense account %(account)s", account=account.display_name
            )
        else:
            try:
                values = self._collection_writeoff_new_account_values()
            except UserError as error:
                return error.args[0]
            account_words = self.env._(
                "a new expense account %(code)s %(name)s", code=values["code"], name=values["name"]
            )
        if journal:
            journal_words = self.env._("the journal %(journal)s", journal=journal.display_name)
        else:
            journal_words = self.env._("a new journal %(name)s", name=self.env._("Write-Offs"))
        return self.env._(
            "%(company)s has no write-off account yet: write-offs will be booked on "
            "%(account)s, in %(journal)s. A collections manager can change both under "
            "Collections Settings.",
            company=self.name,
            account=account_words,
            journal=journal_words,
        )

    def _collection_writeoff_setup(self):
        """Give the companies without them a bad-debt expense account and a write-off
        journal: the ones of their chart when found, else new ones ("Bad Debts" after the
        last expense account, a "Write-Offs" general journal).

        Called by a collections manager's first write-off, or the set-up button of the
        collections settings; each account and journal set says so in its chatter, for
        the accountants."""
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager can set up the write-offs.")
        )
        for company in self.sudo():
            if company.collection_writeoff_account_id and company.collection_writeoff_journal_id:
                continue
            account, journal = company._collection_writeoff_found()
            created = self.env["account.account"]
            if not account:
                account = created = (
                    self.env["account.account"]
                    .sudo()
                    .with_company(company)
                    .create(company._collection_writeoff_new_account_values())
                )
            new_journal = self.env["account.journal"]
            if not journal:
                Journal = self.env["account.journal"].sudo().with_company(company)
                values = {
                    "name": self.env._("Write-Offs"),
                    "type": "general",
                    "company_id": company.id,
                }
                if not Journal.search_count(
                    [("code", "=", WRITEOFF_JOURNAL_CODE), ("company_id", "=", company.id)],
                    limit=1,
                ):
                    values["code"] = WRITEOFF_JOURNAL_CODE
                journal = new_journal = Journal.create(values)
            company.write(
                {
                    "collection_writeoff_account_id": account.id,
                    "collection_writeoff_journal_id": journal.id,
                }
            )
            # The accountants see in the account's and the journal's own history why
            # they are there and who set them up.
            for record, is_new in ((account, bool(created)), (journal, bool(new_journal))):
                body = (
                    self.env._(
                        "Created for the collections write-offs of %(company)s by %(user)s.",
                        company=company.name,
                        user=self.env.user.name,
                    )
                    if is_new
                    else self.env._(
                        "Set as the %(what)s of the collections write-offs of %(company)s "
                        "by %(user)s.",
                        what=self.env._("bad-debt expense account")
                        if record._name == "account.account"
                        else self.env._("journal"),
                        company=company.name,
                        user=self.env.user.name,
                    )
                )
                record.message_post(body=Markup("<p>%s</p>") % body, subtype_xmlid="mail.mt_note")
            _logger.info(
                "Collections write-offs of %s set up by user %s: account %s, journal %s",
                company.name,
                self.env.uid,
                account.code,
                journal.code,
            )
        return True
