from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo.addons.base.models.ir_qweb import IrQweb
from odoo.tests import freeze_time, new_test_user, tagged

from . import web_client
from .common import TODAY, CollectionsCommon, days_ago
from .test_collection_followup import FollowupCommon

# Sending the e-mails of a batch: once for the batch, then per case. The case's page
# (Odoo's portal mixin) costs the batch its links and the sign-up parameters of the
# customers' access buttons, prepared for all of them at once: nothing a case.
EMAIL_BATCH_QUERIES = 26
EMAIL_QUERIES_PER_CASE = 0


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCasePerformance(CollectionsCommon):
    def _customers_with_invoices(self, prefix, invoices_per_customer):
        partners = self.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True} for i in range(3)]
        )
        for partner in partners:
            for index in range(invoices_per_customer):
                self._post_invoice(10 + index, due_days_ago=5 + 20 * index, partner=partner)
        return partners

    def _count_refresh_queries(self, partners):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        cases = self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        self.env.flush_all()
        self.assertEqual(len(cases), len(partners))
        return self.env.cr.sql_log_count - before

    def test_refresh_queries_do_not_grow_with_invoices(self):
        # The first refresh fills Odoo's caches (defaults, xml ids): leave it out.
        warm_up = self._customers_with_invoices("Warm", invoices_per_customer=2)
        self._count_refresh_queries(warm_up)
        few = self._customers_with_invoices("Few", invoices_per_customer=1)
        many = self._customers_with_invoices("Many", invoices_per_customer=4)
        opening_few = self._count_refresh_queries(few)
        opening_many = self._count_refresh_queries(many)
        self.assertEqual(opening_many, opening_few, "4 times the invoices, same queries")

        for partner in few | many:
            self._post_invoice(5, due_days_ago=15, partner=partner)
        self.assertEqual(self._count_refresh_queries(many), self._count_refresh_queries(few))

    def test_opening_notes_are_copied_in_the_database(self):
        partners = self._customers_with_invoices("Note", invoices_per_customer=1)
        message_model = type(self.env["mail.message"])
        create = message_model.create
        built = []

        def counting(messages, vals_list):
            built.extend(vals_list if isinstance(vals_list, list) else [vals_list])
            return create(messages, vals_list)

        with patch.object(message_model, "create", counting):
            self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        self.assertEqual(len(built), 1, "one note built by the ORM, copied to the other cases")
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        notes = self.env["mail.message"].search(
            [("model", "=", "collection.case"), ("res_id", "in", cases.ids)]
        )
        self.assertEqual(sorted(notes.mapped("res_id")), sorted(cases.ids), "a note per case")
        self.assertEqual(cases.message_ids, notes, "each case shows its note")
        # The same note as Odoo's own batch log, whichever case it is on.
        logged = cases[:1]._message_log_batch(bodies={cases[0].id: notes[0].body})
        for name, field in notes._fields.items():
            if not field.store or not field.column_type or name in ("id", "res_id", "message_id"):
                continue
            values, expected = notes.mapped(name), logged.mapped(name)
            if isinstance(values, list):
                values, expected = set(values), set(expected)
            self.assertEqual(values, expected, name)
        self.assertEqual(set(notes.mapped("body")), {logged.body})
        self.assertIn("Case opened", str(logged.body))


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestWorklistPerformance(CollectionsCommon):
    """Opening the worklist and a case form as an officer's browser does (the list,
    kanban and form views' own specifications, see web_client.py) costs the same
    queries whatever the number of cases shown and of invoices on a case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env,
            login="co_officer_colleague",
            groups="base.group_user,collections_officer.group_collections_officer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Desk",
                "company_id": cls.company.id,
                "member_ids": (cls.officer | cls.colleague).ids,
            }
        )
        cls.action = cls.env.ref("collections_officer.collection_case_action")._get_action_dict()

    def _cases(self, prefix, count, invoices_per_case=1, history=1):
        """Cases of the officer's team, half of them the officer's, with what the
        worklist and the form show: ``history`` contacts, a payment plan of ``history``
        installments (else a plan or a promise, every other case), an activity, a
        dispute, a policy of the customer's."""
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {index}",
                    "is_company": True,
                    "phone": f"+32 2 555 {index:04d}",
                    "email": f"{prefix.lower()}{index}@example.com",
                }
                for index in range(count)
            ]
        )
        invoices = self.env["account.move"]
        for partner in partners:
            for index in range(invoices_per_case):
                invoices |= self._post_invoice(
                    100 + index, due_days_ago=10 + index, partner=partner
                )
        self.Case._refresh_from_accounting(companies=self.company, partners=partners)
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(cases), count)
        cases.write({"team_id": self.team.id})
        for index, officer in enumerate(self.officer | self.colleague):
            cases[index::2].user_id = officer
        policy = self.env["collection.policy"].create({"name": f"{prefix} policy"})
        self.env["collection.level"].create(
            {
                "name": f"{prefix} reminder",
                "policy_id": policy.id,
                "delay_days": 5,
                "schedule_call": True,
            }
        )
        partners.collection_policy_id = policy
        for index, case in enumerate(cases):
            self.env["collection.contact"].create(
                [
                    {
                        "case_id": case.id,
                        "channel": "phone",
                        "outcome": "spoke",
                        "user_id": self.officer.id,
                        "partner_id": case.partner_id.id,
                        "date": days_ago(2 + day),
                    }
                    for day in range(history)
                ]
            )
            case.activity_schedule(
                "mail.mail_activity_data_todo", date_deadline=TODAY, user_id=self.officer.id
            )
            installments = history if history > 1 else 2 * (index % 2)
            if installments:
                self.env["collection.plan.wizard"].create(
                    {
                        "case_id": case.id,
                        "installment_count": installments,
                        "first_date": TODAY + timedelta(days=15),
                    }
                )._create_plan().action_activate()
            else:
                self.env["collection.promise"].create(
                    {"case_id": case.id, "amount": 50, "date": TODAY}
                )
            disputed = invoices.filtered(lambda move, case=case: move.partner_id == case.partner_id)
            self.env["collection.dispute"].create(
                {"case_id": case.id, "move_id": disputed[-1].id, "amount": 10, "reason": "quality"}
            )
        cases._update_priority()
        return cases

    def _officer_action(self, cases):
        """The worklist's action, narrowed to these cases (the demo data has others)."""
        return self.action | {"domain": repr([("id", "in", cases.ids)])}

    def _count(self, request):
        """The queries of ``request`` with nothing in the records' cache. Run twice: the
        first run fills Odoo's own caches (views, record rules), the second is counted."""
        self.env.flush_all()
        for _run in range(2):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = request()
        return self.env.cr.sql_log_count - before, result

    def _worklist_queries(self, cases):
        Case = self.Case.with_user(self.officer).with_context(bin_size=True)
        action = self._officer_action(cases)
        listed, result = self._count(lambda: web_client.open_list(Case, action))
        self.assertEqual(result["length"], len(cases))
        self.assertTrue(all(record["partner_phone"] for record in result["records"]))
        grouped, result = self._count(lambda: web_client.open_grouped_list(Case, action, "user_id"))
        self.assertEqual(sum(group["__count"] for group in result["groups"]), len(cases))
        kanban, result = self._count(
            lambda: (
                web_client.open_kanban(Case, action),
                web_client.kanban_progress_bars(Case, action),
            )
        )
        return {"list": listed, "grouped list": grouped, "kanban": kanban}

    def test_opening_the_worklist_costs_the_same_for_more_cases(self):
        few = self._worklist_queries(self._cases("Few", 3))
        many = self._worklist_queries(self._cases("Many", 30, invoices_per_case=2))
        self.assertEqual(many, few, "ten times the cases, twice their invoices, same queries")

    def _form_queries(self, case):
        case = case.with_user(self.officer)
        queries, (values,) = self._count(lambda: web_client.open_form(case))
        self.assertEqual(values["partner_phone"], case.partner_id.phone)
        # One contact a day of history, and the one recording the dispute.
        self.assertEqual(len(values["contact_ids"]), len(values["plan_installment_ids"]) + 1)
        return queries, len(values["open_line_ids"])

    def test_opening_a_case_costs_the_same_for_more_invoices(self):
        few, few_items = self._form_queries(self._cases("Few", 1, invoices_per_case=3, history=3))
        many, many_items = self._form_queries(
            self._cases("Many", 1, invoices_per_case=30, history=30)
        )
        self.assertEqual((few_items, many_items), (3, 30))
        self.assertEqual(many, few, "ten times the invoices, same queries")

    def test_the_specification_is_the_views(self):
        list_spec = web_client.WebView(self.Case.with_user(self.officer), "list").specification
        self.assertEqual(list_spec["partner_id"], {"fields": {"display_name": {}}})
        self.assertIn("activity_state", list_spec, "the activity widget's own fields")
        form_spec = web_client.WebView(self.Case.with_user(self.officer), "form").specification
        items = form_spec["open_line_ids"]
        self.assertEqual(items["fields"]["move_id"], {"fields": {"display_name": {}}})
        self.assertIn("amount_residual", items["fields"])
        self.assertIn("contact_ids", form_spec)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestFollowupRunPerformance(FollowupCommon):
    """The follow-up run's queries per batch: constant where the actions are batched,
    a bounded few per case where each case gets its own e-mail."""

    def _late_customers(self, prefix, count, policy=None):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {i}",
                    "is_company": True,
                    "email": f"{prefix.lower()}{i}@example.com",
                    "collection_policy_id": policy and policy.id,
                }
                for i in range(count)
            ]
        )
        for partner in partners:
            self._post_invoice(100, due_days_ago=10, partner=partner)
        self._refresh()
        return self.Case.search([("partner_id", "in", partners.ids)])

    def _count_run_queries(self, cases):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.env["collection.run"]._run_company(self.company, cases=cases)
        self.env.flush_all()
        self.assertEqual(len(cases.followup_ids), len(cases))
        return self.env.cr.sql_log_count - before

    def test_a_batched_level_costs_the_same_for_more_cases(self):
        policy = self.env["collection.policy"].create({"name": "Letters"})
        self.env["collection.level"].create(
            {
                "name": "Letter",
                "policy_id": policy.id,
                "delay_days": 7,
                "print_letter": True,
                "credit_hold": True,
            }
        )
        self._count_run_queries(self._late_customers("Warm", 2, policy))
        few = self._count_run_queries(self._late_customers("Few", 2, policy))
        many = self._count_run_queries(self._late_customers("Many", 6, policy))
        self.assertEqual(many, few, "three times the cases, same queries")

    def test_an_email_level_costs_a_few_queries_per_case(self):
        self._count_run_queries(self._late_customers("Warm", 2))
        few = self._count_run_queries(self._late_customers("Few", 2))
        many = self._count_run_queries(self._late_customers("Many", 6))
        # The e-mails of a batch are created together, like everything else (figures,
        # blockers, levels, statements, notes): only a few queries grow with the cases.
        self.assertLessEqual((many - few) / 4, 3, f"{many - few} queries for 4 more cases")

    def _pending_email_followups(self, prefix, count):
        cases = self._late_customers(prefix, count)
        # Follow-ups are the engine's records: it creates and executes them as superuser.
        run = self.env["collection.run"].sudo()._get_run(self.company)
        followups = (
            self.env["collection.followup"]
            .sudo()
            .create(
                [
                    {
                        "case_id": case.id,
                        "level_id": self.level_1.id,
                        "run_id": run.id,
                        "state": "pending",
                    }
                    for case in cases
                ]
            )
        )
        # The statements are rendered apart, per batch: only the e-mails are counted.
        self.level_1.attach_statement = False
        self.env.flush_all()
        self.env.invalidate_all()
        return followups

    def test_a_batch_of_emails_costs_a_bounded_number_of_queries_per_case(self):
        self._pending_email_followups("Warm", 2)._action_email()
        few = self._pending_email_followups("Few", 2)
        with self.assertQueryCount(EMAIL_BATCH_QUERIES + 2 * EMAIL_QUERIES_PER_CASE):
            few._action_email()
        many = self._pending_email_followups("Many", 6)
        with self.assertQueryCount(EMAIL_BATCH_QUERIES + 6 * EMAIL_QUERIES_PER_CASE):
            results = many._action_email()
        self.assertEqual(set(results.values()), {False})
        mails = self.env["mail.mail"].search([("mail_message_id", "in", many.message_id.ids)])
        self.assertEqual(len(mails), 6, "one queued e-mail a case")
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})

    def test_a_mail_body_is_compiled_once_for_the_batch(self):
        cases = self._late_customers("Batch", 3)
        template = self.env.ref("collections_officer.mail_template_collection_reminder")
        fields = ("subject", "body_html")
        one_by_one = {
            case.id: template._generate_template(case.ids, fields)[case.id] for case in cases
        }
        compiled = []
        generate = IrQweb._generate_code_uncached

        def counting(qweb, template_ref):
            if isinstance(template_ref, etree._Element):
                compiled.append(template_ref)
            return generate(qweb, template_ref)

        with patch.object(IrQweb, "_generate_code_uncached", counting):
            batch = template.with_context(collection_render_batch=True)._generate_template(
                cases.ids, fields
            )
        self.assertEqual(len(compiled), 1, "one compilation of the body for three cases")
        self.assertEqual(batch, one_by_one, "the same e-mails as rendered one by one")
        self.assertIn(cases[1].name, batch[cases[1].id]["body_html"])
        self.assertNotIn(cases[0].name, batch[cases[1].id]["body_html"])
