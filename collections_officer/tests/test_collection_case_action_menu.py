from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon

MENU = "collections_officer.collection_case_action_menu_"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseActionMenu(CollectionsCommon):
    """The case form's header keeps the everyday actions; the rest is in its action menu,
    offered to the roles that take them, each saying when it does not apply."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._post_invoice(1200, due_days_ago=50)
        cls.accountant = new_test_user(
            cls.env,
            login="co_menu_accountant",
            groups="base.group_user,account.group_account_invoice",
        )

    def setUp(self):
        super().setUp()
        self._refresh()
        self.case = self._case()

    def _menu(self, user):
        bindings = self.env["ir.actions.actions"].with_user(user).get_bindings("collection.case")
        return {
            binding["name"]
            for binding in bindings.get("action", [])
            if "form" in (binding.get("binding_view_types") or "")
        }

    def _run(self, name, user, case=None):
        action = self.env.ref(MENU + name).with_user(user)
        return action.with_context(
            active_model="collection.case",
            active_id=(case or self.case).id,
            active_ids=(case or self.case).ids,
        ).run()

    def _header(self, user):
        arch = self.Case.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
        header = etree.fromstring(arch).xpath("//header")[0]
        return [button.get("string") for button in header.iter("button")]

    def test_the_header_starts_with_the_everyday_actions(self):
        for user in (self.officer, self.manager):
            header = self._header(user)
            self.assertEqual(
                header[header.index("Log a Contact") :][:5],
                [
                    "Log a Contact",
                    "Record Promise",
                    "Send Follow-up Now",
                    "Payment Plan",
                    "Escalate",
                ],
                user.login,
            )
            for moved in ("Refresh", "Record Dispute", "Write Off", "Legal Action", "Credit Hold"):
                self.assertNotIn(moved, header, user.login)
        # Then the buttons shown only when they apply.
        self.assertEqual(self._header(self.manager)[:3], ["Mark Reply Read", "Lift Hold", "Decide"])

    def test_each_role_finds_its_actions_in_the_menu(self):
        officer = {"Record Dispute", "Refresh from Accounting", "Protect Customer"}
        manager = officer | {"Credit Hold", "Legal Action", "Write Off"}
        self.assertLessEqual(officer, self._menu(self.officer))
        self.assertFalse(self._menu(self.officer) & (manager - officer))
        self.assertLessEqual(manager, self._menu(self.manager))
        self.assertIn("Register Payment", self._menu(self.accountant))
        self.assertFalse(self._menu(self.accountant) & manager)
        # Send Follow-up Now is the header's: not twice on the form.
        self.assertNotIn("Send Follow-up Now", self._menu(self.officer))

    def test_the_menu_opens_the_credit_hold_the_right_way_round(self):
        action = self._run("credit_hold", self.manager)
        self.assertEqual(action["res_model"], "collection.credit.hold.wizard")
        self.assertEqual(action["context"], {"default_case_id": self.case.id, "default_hold": True})
        self.customer.with_company(self.company).sudo().write(
            {"collection_credit_hold": True, "collection_credit_hold_reason": "Unpaid"}
        )
        self.case.invalidate_recordset(["partner_credit_hold"])
        action = self._run("credit_hold", self.manager)
        self.assertFalse(action["context"]["default_hold"], "held: the menu lifts the hold")
        with self.assertRaises(AccessError):
            self._run("credit_hold", self.officer)

    def test_the_menu_opens_the_other_wizards_on_the_case(self):
        self.assertEqual(
            self._run("protect", self.officer)["context"], {"default_case_id": self.case.id}
        )
        dispute = self._run("dispute", self.officer)
        self.assertEqual(
            (dispute["res_model"], dispute["context"]["default_case_id"]),
            ("collection.dispute", self.case.id),
        )
        writeoff = self._run("writeoff", self.manager)
        self.assertEqual(writeoff["res_model"], "collection.writeoff.wizard")
        self.assertEqual(self._run("legal", self.manager)["res_model"], "collection.legal")

    def test_the_refresh_reads_the_case_again(self):
        self._receive_unallocated(200)
        self.assertEqual(self.case.overdue_amount, 1200)
        self._run("refresh", self.officer)
        self.assertEqual(self.case.overdue_amount, 1000)

    def test_what_does_not_apply_to_a_closed_case_says_so(self):
        self.case.sudo().state = "closed"
        for name, user in (
            ("writeoff", self.manager),
            ("legal", self.manager),
            ("dispute", self.officer),
            ("credit_hold", self.manager),
        ):
            with self.assertRaisesRegex(UserError, "is closed"):
                self._run(name, user)

    def test_a_case_in_legal_action_gets_no_second_one_from_the_menu(self):
        self.case.sudo().state = "legal"
        with self.assertRaisesRegex(UserError, "already in legal action"):
            self._run("legal", self.manager)
