from datetime import datetime, timedelta

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import format_date
from odoo.tools.safe_eval import safe_eval

from .common import TODAY, CollectionsCommon, days_ago

NOON = datetime(2026, 6, 30, 12, 0)
STATE_ORDER = ["upcoming", "open", "promised", "plan", "escalated", "legal", "hold", "closed"]


@freeze_time(NOON)
@tagged("post_install", "-at_install")
class TestCollectionWorklist(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"phone": "+44 20 7946 0000", "email": "ap@acme.example"})
        cls._post_invoice(1000, due_days_ago=3)
        cls._post_invoice(250, due_days_ago=40, partner=cls.other_customer)

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()
        self.other_case = self._case(self.other_customer)

    def _filter_domain(self, name):
        arch = etree.fromstring(self.Case.get_views([(False, "search")])["views"]["search"]["arch"])
        [node] = arch.xpath(f"//filter[@name='{name}']")
        return safe_eval(node.get("domain"), {"uid": self.env.uid})

    def test_grouped_worklist_sums_the_amounts(self):
        described = self.Case.fields_get(["overdue_amount", "total_due"], ["aggregator"])
        self.assertEqual(described["overdue_amount"]["aggregator"], "sum")
        self.assertEqual(described["total_due"]["aggregator"], "sum")
        self.other_case.user_id = self.officer
        # What the list asks for its groups, monetary fields summed per currency.
        groups = self.Case.formatted_read_group(
            [("id", "in", (self.case | self.other_case).ids)],
            ["user_id"],
            ["overdue_amount:sum", "currency_id:array_agg_distinct", "overdue_amount:sum_currency"],
        )
        totals = {group["user_id"] and group["user_id"][0]: group for group in groups}
        self.assertEqual(totals[self.officer.id]["overdue_amount:sum"], 250)
        self.assertEqual(totals[False]["overdue_amount:sum"], 1000)
        self.assertEqual(
            totals[False]["currency_id:array_agg_distinct"], [self.company.currency_id.id]
        )

    def test_kanban_columns_follow_the_workflow_and_fold_when_empty(self):
        groups = self.Case.with_context(read_group_expand=True).formatted_read_group(
            [], ["state"], ["__count", "overdue_amount:sum"]
        )
        self.assertEqual([group["state"] for group in groups], STATE_ORDER)
        folded = {group["state"]: group["__fold"] for group in groups}
        self.assertEqual(folded["open"], False)
        self.assertEqual(folded["plan"], True, "no case on a plan: folded")
        open_group = next(group for group in groups if group["state"] == "open")
        self.assertEqual(open_group["overdue_amount:sum"], 1250)

    def test_default_worklist_keeps_promised_and_planned_cases(self):
        action = self.env.ref("collections_officer.collection_case_action")
        self.assertEqual(safe_eval(action.context), {"search_default_active_cases": 1})
        self.env["collection.promise"].create(
            {"case_id": self.case.id, "amount": 1000, "date": TODAY + timedelta(days=5)}
        )
        self.assertEqual(self.case.state, "promised")
        shown = self.Case.search(self._filter_domain("active_cases"))
        self.assertIn(self.case, shown)
        self.assertIn(self.other_case, shown)

    def test_last_contact_is_on_the_case(self):
        self.assertFalse(self.case.last_contact_id)
        self.env["collection.contact"].create(
            {
                "case_id": self.case.id,
                "channel": "phone",
                "outcome": "no_answer",
                "date": NOON - timedelta(days=2),
            }
        )
        self.env["collection.contact"].create(
            {
                "case_id": self.case.id,
                "channel": "email",
                "outcome": "spoke",
                "date": NOON - timedelta(days=1),
            }
        )
        self.assertEqual(
            (self.case.last_contact_channel, self.case.last_contact_outcome), ("email", "spoke")
        )
        self.assertEqual(self.case.last_contact_date, NOON - timedelta(days=1))
        # Stored: the worklist sorts and filters on it.
        self.assertEqual(self.Case.search([("last_contact_outcome", "=", "spoke")]), self.case)

    def test_the_form_shows_how_to_reach_the_customer_and_what_comes_next(self):
        arch = self.Case.get_views([(False, "form")])["views"]["form"]["arch"]
        form = etree.fromstring(arch)
        for name, widget in (("partner_phone", "phone"), ("partner_email", "email")):
            [node] = form.xpath(f"//field[@name='{name}']")
            self.assertEqual(node.get("widget"), widget)
        for name in (
            "collection_contact_id",
            "effective_policy_id",
            "next_level_id",
            "next_level_date",
            "last_contact_id",
            "partner_credit_limit",
            "partner_credit_hold",
        ):
            self.assertTrue(form.xpath(f"//field[@name='{name}']"), name)
        self.assertEqual(form.get("create"), "0")
        self.assertEqual(form.get("duplicate"), "0")
        case = self.case.with_user(self.officer)
        self.assertEqual(case.partner_phone, "+44 20 7946 0000")
        self.assertEqual(case.next_level_id.name, "Friendly Reminder")
        self.assertEqual(case.next_level_date, days_ago(3) + timedelta(days=7))
        self.customer.sudo().with_company(self.company).credit_limit = 5000
        self.case.invalidate_recordset(["partner_credit_limit"])
        self.assertEqual(case.partner_credit_limit, 5000, "read by an officer without accounting")

    def test_open_items_open_invoices(self):
        action = self.case.action_view_open_items()
        self.assertEqual(action["res_model"], "account.move")
        moves = self.env["account.move"].search(action["domain"])
        self.assertEqual(moves.mapped("amount_total"), [1000])
        arch = self.Case.get_views([(False, "form")])["views"]["form"]["arch"]
        items = etree.fromstring(arch).xpath("//field[@name='open_line_ids']/list")[0]
        self.assertEqual(items.get("no_open"), "1")
        self.assertTrue(items.xpath("button[@name='action_open_business_doc']"))

    def test_a_case_cannot_be_duplicated(self):
        with self.assertRaisesRegex(UserError, "cannot be duplicated"):
            self.case.with_user(self.officer).copy()

    def test_names_are_words(self):
        contact = self.env["collection.contact"].create(
            {"case_id": self.case.id, "channel": "phone", "outcome": "left_message"}
        )
        self.assertEqual(contact.display_name, "Phone: Left Message")
        self.case.breathing_space_until = TODAY + timedelta(days=10)
        reason = self.case._get_contact_blockers()[self.case.id]
        self.assertIn(format_date(self.env, TODAY + timedelta(days=10)), reason)
        self.assertNotIn("2026-07-10", reason)
        followup = self.env["collection.followup"].new({"done_actions": "email,letter"})
        self.assertEqual(followup.done_actions_label, "E-mail, Letter")

    def test_the_customer_has_a_collections_tab(self):
        arch = self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"]
        page = etree.fromstring(arch).xpath("//notebook/page[@name='collections']")
        self.assertEqual(len(page), 1)
        for name in ("collection_user_id", "collection_credit_hold", "collection_reliability"):
            self.assertTrue(page[0].xpath(f".//field[@name='{name}']"), name)

    def test_worklist_puts_the_highest_priority_first(self):
        arch = etree.fromstring(self.Case.get_views([(False, "list")])["views"]["list"]["arch"])
        order = arch.get("default_order")
        self.assertTrue(order.startswith("priority_score desc"))
        self.assertTrue(arch.xpath("//field[@name='next_action_label']"))
        # The model's own order puts the older debt first: the score overrides it.
        self.case.sudo().priority_score = 90
        self.other_case.sudo().priority_score = 10
        cases = self.Case.search([("id", "in", (self.case | self.other_case).ids)], order=order)
        self.assertEqual(cases.ids, [self.case.id, self.other_case.id])
