import gc
from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, new_test_user, tagged

from . import screens
from .common import TODAY, CollectionsCommon, days_ago

# The queries of each screen, opened as the browser asks for it: the same on a book
# ten times larger. A screen whose count moves has grown a query per record.
OFFICER_QUERIES = {
    "my day": 170,
    "worklist": 31,
    "worklist by officer": 18,
    "worklist by state": 49,
    "kanban": 55,
    "case form": 72,
    "dashboard": 63,
    "kpi cards": 51,
    "expected cash": 64,
    "aged receivables": 55,
    "aged receivables graph": 54,
}
MANAGER_QUERIES = {
    "my day": 164,
    "worklist": 28,
    "worklist by officer": 17,
    "worklist by state": 40,
    "kanban": 45,
    "case form": 57,
    "dashboard": 58,
    "kpi cards": 46,
    "expected cash": 51,
    "aged receivables": 48,
    "aged receivables graph": 47,
}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionScreenQueries(CollectionsCommon):
    """Every screen of the desk costs the same queries on a small book and on a book
    ten times larger, for an officer (their record rules applying) and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env,
            login="co_screen_colleague",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.second_manager = new_test_user(
            cls.env,
            login="co_screen_manager_2",
            groups="base.group_user,collections_officer.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Screens Desk",
                "company_id": cls.company.id,
                "manager_id": cls.manager.id,
                "member_ids": [Command.set((cls.officer | cls.colleague).ids)],
            }
        )
        cls.company.write(
            {
                "collection_writeoff_account_id": cls.company_data["default_account_expense"].id,
                "collection_writeoff_journal_id": cls.company_data["default_journal_misc"].id,
                "collection_writeoff_limit": 100,
                # A partly paid customer's plan (260) within it, a whole debt's (300) above.
                "collection_plan_max_amount": 280,
            }
        )
        cls.env["collection.target"].create(
            [
                {"month": TODAY, "user_id": cls.officer.id, "target_amount_collected": 1000},
                {"month": TODAY, "team_id": cls.team.id, "target_amount_collected": 5000},
            ]
        )

    def _book(self, prefix, scale, key_invoices):
        """``6 * scale`` customers, each with an invoice paid late last month (their
        payment history) and two overdue, every other one partly paid; one key
        customer with ``key_invoices`` overdue invoices and as many calls logged. The
        cases opened by the refresh, given to the team's two officers, each with
        something due today: a promise, an installment, a dispute near its deadline
        or a call; some escalated, some plans and write-offs awaiting a manager.
        Returns the key customer's case."""
        count = 6 * scale
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {index}",
                    "is_company": True,
                    "phone": f"+32 2 555 {index:04d}",
                    "email": f"{prefix.lower()}{index}@example.com",
                }
                for index in range(count + 1)
            ]
        )
        key = partners[-1]
        overdue = {}
        for index, partner in enumerate(partners[:-1]):
            paid = self._post_invoice(80, due_days_ago=60, partner=partner)
            self._pay(paid, 80, days_ago_paid=45)
            recent = self._post_invoice(100, due_days_ago=15, partner=partner)
            overdue[partner] = self._post_invoice(200, due_days_ago=100, partner=partner) | recent
            if index % 2:
                self._pay(recent, 40, days_ago_paid=5)
        for index in range(key_invoices):
            self._post_invoice(50 + index, due_days_ago=10 + 5 * index, partner=key)
        self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        cases = self.Case.search([("partner_id", "in", partners.ids)], order="id")
        self.assertEqual(len(cases), count + 1)
        cases.write({"team_id": self.team.id})
        for index, officer in enumerate(self.officer | self.colleague):
            cases[index::2].user_id = officer
        key_case = cases.filtered(lambda case: case.partner_id == key)
        self.env["collection.contact"].create(
            [
                {
                    "case_id": case.id,
                    "channel": "phone",
                    "outcome": "spoke",
                    "user_id": case.user_id.id,
                    "partner_id": case.partner_id.id,
                    "date": days_ago(2 + day),
                }
                for case in cases
                for day in range(key_invoices if case == key_case else 1)
            ]
        )
        for index, case in enumerate(cases - key_case):
            invoices = overdue[case.partner_id]
            kind = index % 6
            if kind == 0:
                self.env["collection.promise"].create(
                    {"case_id": case.id, "amount": 50, "date": TODAY}
                )
            elif kind in (1, 2):
                plan = (
                    self.env["collection.plan.wizard"]
                    .with_user(case.user_id)
                    .create({"case_id": case.id, "installment_count": 2, "first_date": TODAY})
                    ._create_plan()
                )
                if kind == 1:
                    plan.action_activate()
                else:
                    plan.action_request_approval()
            elif kind == 3:
                self.env["collection.dispute"].create(
                    {
                        "case_id": case.id,
                        "move_id": invoices[-1].id,
                        "amount": 10,
                        "reason": "quality",
                        "deadline": TODAY + timedelta(days=1),
                    }
                )
            else:
                case.activity_schedule(
                    "mail.mail_activity_data_call", date_deadline=TODAY, user_id=case.user_id.id
                )
                if kind == 4:
                    self.env["collection.escalate.wizard"].with_user(case.user_id).create(
                        {"case_id": case.id, "reason": "unwilling", "note": "Refused twice."}
                    ).action_escalate()
                else:
                    case.with_user(self.second_manager)._request_writeoff(
                        invoices[:1], "Customer ceased trading."
                    )
        cases._update_priority()
        self.env.flush_all()
        return key_case

    def _count(self, env, screen, *args):
        """The queries of opening ``screen`` with nothing in the records' cache, as a
        new request finds it. Opened three times: the first fills Odoo's own caches
        (views, record rules, and those of the records the second replaces); the
        second and the third are counted, up to what they write, and the fewer is
        kept."""
        env.flush_all()
        counts = []
        for _run in range(3):
            env.invalidate_all()
            # Environments only kept by reference cycles go now, not whenever the
            # collector passes: one made again recomputes its company and language.
            gc.collect()
            before = env.cr.sql_log_count
            result = screen(env, *args)
            env.flush_all()
            counts.append(env.cr.sql_log_count - before)
        return min(counts[1:]), result

    def _screen_queries(self, user, key_case):
        env = self.env(user=user)
        counts, results = {}, {}
        for name, screen in screens.SCREENS:
            args = (key_case.id,) if screen is screens.case_form else ()
            counts[name], results[name] = self._count(env, screen, *args)
        return counts, results

    def _check_results(self, user, results, key_case):
        """What each screen showed: the book, so that a count is of a full screen."""
        reasons = {group["reason"] for group in results["my day"]["groups"]}
        decisions = {"6_escalation", "7_approval", "8_writeoff"}
        if user == self.officer:
            self.assertTrue(reasons and not reasons & decisions, reasons)
        else:
            self.assertTrue(decisions <= reasons, reasons)
        cases = self.Case.with_user(user).search_count(
            [("state", "not in", ("closed", "upcoming"))]
        )
        self.assertEqual(results["worklist"]["length"], cases)
        self.assertEqual(
            sum(group["__count"] for group in results["worklist by state"]["groups"]),
            results["worklist"]["length"],
        )
        form = results["case form"]
        self.assertEqual(len(form["open_line_ids"]), len(key_case.open_line_ids))
        self.assertEqual(len(form["contact_ids"]), len(key_case.contact_ids))
        self.assertTrue(results["dashboard"]["records"], "the dashboard shows its reports")
        self.assertTrue(results["kpi cards"]["records"], "the cards are listed")
        graph, _pivot = results["expected cash"]
        self.assertTrue(graph, "cash is expected from the promises and plans")
        pivot, graph = results["aged receivables"], results["aged receivables graph"]
        self.assertTrue(graph, "the graph draws the buckets")
        customers = {group["partner_id"][0] for group in pivot[1]}
        self.assertIn(key_case.partner_id.id, customers, "the pivot has a row per customer")

    def _user_screens(self, key_case):
        counts = {}
        for role, user in (("officer", self.officer), ("manager", self.manager)):
            counts[role], results = self._screen_queries(user, key_case)
            self._check_results(user, results, key_case)
        return counts

    def test_the_screens_cost_the_same_on_a_book_ten_times_larger(self):
        small = self._user_screens(self._book("Small", 1, key_invoices=3))
        small_cases = self.Case.search_count([("company_id", "=", self.company.id)])
        # The larger book comes on top of the small one: ten times its customers and
        # invoices in all, and a key customer with ten times the invoices and calls.
        large = self._user_screens(self._book("Large", 9, key_invoices=30))
        cases = self.Case.search_count([("company_id", "=", self.company.id)])
        self.assertEqual(cases - 2, 10 * (small_cases - 1), "the books' key cases apart")
        self.assertEqual(large, small, "ten times the book, the same queries")
        self.assertEqual(small, {"officer": OFFICER_QUERIES, "manager": MANAGER_QUERIES})
