from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_followup import FollowupCommon

NOTICE = "collections_officer.report_collection_legal_notice"
REPLY_FORM = "collections_officer.report_collection_legal_reply_form"
STATEMENT = "collections_officer.action_report_collection_statement"
PLAN = "collections_officer.action_report_collection_plan"
REMINDER = "collections_officer.mail_template_collection_reminder"

# TODAY is 30 June 2026; the invoices fell due 45 days before, the letter's reply period
# ends 30 days after: each as its reader writes it, and never in figures alone.
WORDS = {
    "fr_FR": {"today": "30 juin 2026", "due": "16 mai 2026", "reply_by": "30 juillet 2026"},
    "en_US": {"today": "June 30, 2026", "due": "May 16, 2026", "reply_by": "July 30, 2026"},
}
FIGURES = ("30/06/2026", "06/30/2026", "16/05/2026", "05/16/2026", "30/07/2026", "07/30/2026")


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionDocumentDates(FollowupCommon):
    """The dates of customer documents have the month written out, in the customer's
    language: "01/02/2027" is the 2nd of January in Chicago and the 1st of February in
    Ghent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.customer.lang = "fr_FR"
        cls.other_customer.write({"lang": "en_US", "email": "ap@globex.example"})
        for customer in cls.customer | cls.other_customer:
            cls._post_invoice(900, due_days_ago=45, partner=customer)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.cases = {
            "fr_FR": self._case(self.customer),
            "en_US": self._case(self.other_customer),
        }

    def _html(self, report, records):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0].decode()

    def _assert_words(self, text, lang, *keys):
        for key in keys:
            self.assertIn(WORDS[lang][key], text, f"{key} in {lang}")
        for figures in FIGURES:
            self.assertNotIn(figures, text)

    def test_letter_before_action_and_its_email(self):
        for lang, case in self.cases.items():
            with self.subTest(lang=lang):
                legal = case._start_legal_action("notice")
                self._assert_words(self._html(NOTICE, legal), lang, "today", "due", "reply_by")
                self._assert_words(self._html(REPLY_FORM, legal), lang, "today", "reply_by")
                legal.action_send_notice()
                email = self._emails(case)[0]
                self._assert_words(email.body, lang, "reply_by")
                # The story on the legal action says it in words too.
                self.assertNotIn(str(TODAY + timedelta(days=30)), legal.message_ids[0].body)

    def test_statement(self):
        for lang, case in self.cases.items():
            with self.subTest(lang=lang):
                self._assert_words(self._html(STATEMENT, case), lang, "today", "due")

    def test_follow_up_email(self):
        template = self.env.ref(REMINDER)
        for lang, case in self.cases.items():
            with self.subTest(lang=lang):
                body = template._generate_template(case.ids, ["body_html"])[case.id]["body_html"]
                self._assert_words(body, lang, "due")

    def test_payment_plan_document(self):
        for lang, case in self.cases.items():
            with self.subTest(lang=lang):
                wizard = self.env["collection.plan.wizard"].create(
                    {"case_id": case.id, "installment_count": 2, "first_date": TODAY}
                )
                self._assert_words(wizard.schedule_preview, "en_US", "today")
                plan = self.env["collection.plan"].browse(wizard.action_create_plan()["res_id"])
                self._assert_words(self._html(PLAN, plan), lang, "today")
