from lxml import etree

from odoo.tests import freeze_time, new_test_user, tagged

from . import web_client
from .common import TODAY, CollectionsCommon, days_ago


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionDesk(CollectionsCommon):
    """What the officer reads on the forms of the desk and of the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.both_officer = new_test_user(
            cls.env,
            login="co_both_officer",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id, cls.company_b.id],
        )
        cls.salesman = new_test_user(
            cls.env, login="co_salesman", groups="base.group_user", company_id=cls.company.id
        )
        cls.paid_invoice = cls._post_invoice(400, due_days_ago=20)
        cls._create_invoice_one_line(
            price_unit=70,
            tax_ids=cls.env["account.tax"],
            partner_id=cls.customer,
            invoice_date="2026-05-01",
            invoice_date_due="2026-05-01",
            company_id=cls.company_b.id,
            post=True,
        )
        cls.Case._refresh_from_accounting(companies=cls.company | cls.company_b)
        cls._pay(cls.paid_invoice, 400)

    def _arch(self, model, view_xmlid, user=None):
        views = (
            self.env[model]
            .with_user(user or self.officer)
            .get_views([(self.env.ref(view_xmlid).id, "form")])
        )
        return etree.fromstring(views["views"]["form"]["arch"])

    def test_partner_form_shows_the_case_history_of_every_company(self):
        closed, open_b = self._case(), self._case(company=self.company_b)
        self.assertEqual((closed.state, open_b.state), ("closed", "open"))
        both = self.both_officer
        history = self.customer.with_user(both).collection_case_history_ids
        self.assertEqual(set(history.ids), {closed.id, open_b.id}, "closed ones too")
        self.assertEqual(
            self.contact.with_user(both).collection_case_history_ids,
            history,
            "a contact person shows the history of the company it works for",
        )
        # As the form reads it: the list's fields, the close reason of the closed case.
        arch = self._arch("res.partner", "base.view_partner_form", both)
        columns = arch.xpath("//field[@name='collection_case_history_ids']/list/field/@name")
        for name in ("name", "state", "user_id", "opened_date", "closed_date", "close_reason"):
            self.assertIn(name, columns)
        [values] = (
            self.customer.with_user(both)
            .with_context(allowed_company_ids=[self.company.id, self.company_b.id])
            .web_read(
                {
                    "collection_case_history_ids": {
                        "fields": {name: {} for name in (*columns, "overdue_amount")}
                    }
                }
            )
        )
        rows = {row["id"]: row for row in values["collection_case_history_ids"]}
        self.assertEqual(rows[closed.id]["state"], "closed")
        self.assertEqual(rows[closed.id]["closed_date"], TODAY)
        self.assertEqual(rows[open_b.id]["overdue_amount"], 70.0)

    def test_case_history_follows_the_readers_rights(self):
        closed, open_b = self._case(), self._case(company=self.company_b)
        history = self.customer.with_user(self.officer).collection_case_history_ids
        self.assertEqual(history, closed, "the officer of one company sees its cases only")
        colleague = new_test_user(
            self.env,
            login="co_history_colleague",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=self.company.id,
        )
        team = self.env["collection.team"].create({"name": "Theirs", "member_ids": colleague.ids})
        closed.write({"user_id": colleague.id, "team_id": team.id})
        self.assertFalse(
            self.customer.with_user(self.officer).collection_case_history_ids,
            "another team's case stays out of sight",
        )
        self.assertEqual(self.customer.with_user(self.manager).collection_case_history_ids, closed)
        self.assertNotIn(open_b, self.customer.with_user(self.manager).collection_case_history_ids)

    def test_sales_user_opens_the_customer_without_the_collections_tab(self):
        arch = self._arch("res.partner", "base.view_partner_form", self.salesman)
        self.assertFalse(arch.xpath("//page[@name='collections']"))
        self.assertFalse(arch.xpath("//field[@name='collection_case_history_ids']"))
        # Reading what the form shows raises nothing.
        fields_shown = {name: {} for name in arch.xpath("//field[not(ancestor::field)]/@name")}
        [values] = self.customer.with_user(self.salesman).web_read(fields_shown)
        self.assertEqual(values["name"], "Acme Debtor")

    def test_open_items_show_the_oldest_debt_first_and_open_their_invoice(self):
        """The case form reads the open items oldest due first; the button on an item's
        line (the line itself opens nothing) opens its invoice."""
        # Posted in an order that is neither that of the due dates nor of the amounts.
        recent = self._post_invoice(300, due_days_ago=5, partner=self.other_customer)
        oldest = self._post_invoice(100, due_days_ago=50, partner=self.other_customer)
        middle = self._post_invoice(900, due_days_ago=20, partner=self.other_customer)
        self._refresh()
        case = self._case(self.other_customer).with_user(self.officer)
        [values] = web_client.open_form(case)
        rows = values["open_line_ids"]
        self.assertEqual(
            [(row["move_id"]["id"], row["date_maturity"]) for row in rows],
            [
                (oldest.id, days_ago(50)),
                (middle.id, days_ago(20)),
                (recent.id, days_ago(5)),
            ],
        )
        self.assertEqual([row["amount_residual"] for row in rows], [100.0, 900.0, 300.0])
        # The officer clicks the line's button: the web client calls the method it names.
        form = web_client.WebView(case, "form")
        [button] = form.arch.xpath("//field[@name='open_line_ids']/list/button")
        line = self.env["account.move.line"].with_user(self.officer).browse(rows[0]["id"])
        action = getattr(line, button.get("name"))()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", oldest.id))
        self.assertEqual(action.get("view_mode", "form"), "form")
        opened = self.env["account.move"].with_user(self.officer).browse(action["res_id"])
        self.assertEqual(opened.display_name, oldest.name)

    def test_rows_of_lists_on_forms_open_dialogs_named_in_words(self):
        """A row opens a dialog titled "Open: <label>": the label names one record."""
        forms = {
            "collection.case": "collections_officer.collection_case_view_form",
            "collection.policy": "collections_officer.collection_policy_view_form",
            "collection.plan": "collections_officer.collection_plan_view_form",
        }
        expected = {
            "contact_ids": "Contact",
            "followup_ids": "Follow-up",
            "promise_ids": "Promise to Pay",
            "plan_installment_ids": "Installment",
            "dispute_ids": "Dispute",
            "escalation_ids": "Escalation",
            "writeoff_ids": "Write-off",
            "level_ids": "Follow-up Level",
            "installment_ids": "Installment",
        }
        seen = {}
        for model, xmlid in forms.items():
            arch = self._arch(model, xmlid, self.manager)
            for node in arch.xpath("//field[not(ancestor::field)]"):
                field = self.env[model]._fields.get(node.get("name"))
                if field is None or field.type not in ("one2many", "many2many"):
                    continue
                if node.get("widget") or node.xpath("list[@no_open='1']"):
                    continue  # tags, or rows that open nothing
                seen[node.get("name")] = node.get("string") or field.string
        self.assertEqual(seen, expected)
