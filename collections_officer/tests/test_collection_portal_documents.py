import re

from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po

from odoo.tests import freeze_time, tagged
from odoo.tools.misc import file_path

from .common import TODAY
from .test_collection_followup import FollowupCommon

REMINDER = "collections_officer.mail_template_collection_reminder"
SMS = "collections_officer.sms_template_collection_reminder"
STATEMENT = "collections_officer.action_report_collection_statement"
LETTER = "collections_officer.action_report_collection_letter"

# A piece of each customer document, by the English text that says it.
SOURCES = {
    "e-mail": ("Unless it crossed with this message", "View your account and pay online"),
    "subject": ("friendly payment reminder",),
    "sms": ("Please pay or call us",),
    "statement": ("Statement of account of",),
    "letter": ("Yours faithfully,", "or scan the code"),
}
LANGUAGES = ("fr_FR", "de_DE", "es_ES", "nl_NL")


def plain(text):
    return re.sub(r"\s+", " ", str(text or "")).strip()


def translated_words(msgstr):
    """The longest run of text of a translation that is not an example value."""
    text = re.sub(r"<(\w+)[^>]*\bt-(?:out|esc|field)=[^>]*>.*?</\1>", " ", msgstr, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "\n", text)
    chunks = [plain(chunk) for chunk in re.split(r"<[^>]+>|\n", text)]
    return max(chunks, key=len)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionPortalDocuments(FollowupCommon):
    """Every reminder carries the customer's page: the signed link in the e-mail, the
    short link in the SMS, the short link and its QR code on the letter; and every
    customer document reads in the customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@deco.example"
        cls.customer.phone = "+32 470 12 34 56"
        cls.invoice = cls._post_invoice(1200, due_days_ago=45)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.case._portal_grant_link()

    def _email(self, field="body_html"):
        template = self.env.ref(REMINDER)
        return template._render_field(field, self.case.ids, compute_lang=True)[self.case.id]

    def _sms(self):
        template = self.env.ref(SMS)
        return template._render_field("body", self.case.ids, compute_lang=True)[self.case.id]

    def _html(self, report, records):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0].decode()

    def _letter(self):
        followup = self.env["collection.followup"].sudo().search(
            [("case_id", "=", self.case.id), ("level_id", "=", self.level_3.id)]
        ) or self.env["collection.followup"].sudo().create(
            {"case_id": self.case.id, "level_id": self.level_3.id}
        )
        return self._html(LETTER, followup)

    def test_the_reminder_email_links_to_the_signed_page(self):
        url = self.case._portal_link_url()
        base = self.case.get_base_url()
        self.assertEqual(
            url, f"{base}/my/collections/{self.case.id}?access_token={self.case.access_token}"
        )
        self.assertIn(f'href="{url}"', self._email())
        self.assertIn("View your account and pay online", plain(self._email()))

    def test_the_sms_carries_the_short_link(self):
        short = self.case._portal_short_url()
        self.assertTrue(short.endswith(f"/pay/{self.case.portal_short_code}"))
        self.assertIn(f"Pay or reply online: {short}", self._sms())

    def test_the_letter_prints_the_short_link_and_its_qr_code(self):
        letter = self._letter()
        self.assertIn(self.case._portal_short_url(), letter)
        self.assertRegex(letter, r'<img [^>]*src="data:image/png;base64,')

    def test_a_revoked_link_is_in_no_document_any_more(self):
        old_token, old_code = self.case.access_token, self.case.portal_short_code
        self.case.action_portal_revoke()
        self.case._portal_grant_link()
        self.assertNotIn(old_token, self._email())
        self.assertNotIn(old_code, self._sms())
        self.assertIn(self.case.access_token, self._email())

    def test_each_document_in_the_customer_language(self):
        catalogs = {}
        for lang in LANGUAGES:
            with open(file_path(f"collections_officer/i18n/{lang[:2]}.po"), "rb") as f:
                catalogs[lang] = {m.id: m.string for m in read_po(f) if m.id}
            self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"]._load_module_terms(
            ["collections_officer"], list(LANGUAGES), overwrite=True
        )
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                self.customer.lang = lang
                self.case.invalidate_recordset()
                documents = {
                    "e-mail": plain(self._email()),
                    "subject": plain(self._email("subject")),
                    "sms": plain(self._sms()),
                    "statement": plain(self._html(STATEMENT, self.case)),
                    "letter": plain(self._letter()),
                }
                for document, sources in SOURCES.items():
                    for source in sources:
                        # The same words may be in several messages: one is this document's.
                        translations = [
                            translated_words(msgstr)
                            for msgid, msgstr in catalogs[lang].items()
                            if source in msgid
                        ]
                        self.assertTrue(
                            any(words in documents[document] for words in translations),
                            f"{source!r} in the {document} in {lang}: {documents[document]}",
                        )
                # Dates are written as the customer reads them.
                due = babel_format_date(self.invoice.invoice_date_due, "long", locale=lang)
                for document in ("e-mail", "statement"):
                    self.assertIn(due, documents[document], f"due date in {document}")
