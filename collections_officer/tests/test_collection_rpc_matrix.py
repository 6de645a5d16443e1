"""Every role against every stored field of every model, as an RPC client would.

The matrix is generated from the registry: each stored field of each of the
add-on's models is written by an officer, a manager, an accountant and an
internal user without collections rights, with a plain JSON value. Only the
writes listed in ``USER_FIELDS`` (the ones the README documents) may succeed;
a field added later is refused until someone decides, here, who may write it.
Create with engine fields set, copy and unlink of history are played the same way.
"""

from contextlib import closing
from datetime import date, datetime

import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, CollectionsCommon, days_ago

# A database constraint refusing the value counts as a refusal too.
REFUSED = (AccessError, UserError, ValidationError, MissingError, psycopg2.Error)

# Fields the ORM or mail write for everyone, never a business decision.
FRAMEWORK_FIELDS = {"id", "create_uid", "create_date", "write_uid", "write_date", "display_name"}
FRAMEWORK_PREFIXES = ("message_", "activity_", "website_message", "rating_")

# Stored fields a role may write on an existing record, per model. Everything else
# stored is the engine's, or an action's: a plain write of it must fail.
OFFICER_CASE = {
    "callback_date",
    "next_action_date",
    "user_id",
    "team_id",
}
OFFICER_CONTACT = {"callback_date", "correction_ids"}
OFFICER_PROMISE = {"note", "contact_id", "user_id", "channel"}
# The terms of a plan are the officer's until it is proposed; its approval resets on change.
OFFICER_PLAN = {
    "note",
    "contact_id",
    "user_id",
    "amount_total",
    "down_payment",
    "frequency",
    "monthly_income",
    "monthly_expenses",
}
OFFICER_DISPUTE = {"description", "owner_id", "deadline", "reason", "resolution_note", "channel"}
CONFIGURATION = "all"  # a manager configures the whole record

USER_FIELDS = {
    "collection.case": {
        "officer": OFFICER_CASE,
        "manager": OFFICER_CASE
        | {
            "policy_id",
            "hold_reason",
            "hold_until",
            "breathing_space_from",
            "breathing_space_until",
            "hardship",
            "insolvency_type",
            "insolvency_date",
            "insolvency_contact_id",
            "claim_date",
            "claim_reference",
            "active",
        },
    },
    "collection.contact": {"officer": OFFICER_CONTACT, "manager": OFFICER_CONTACT},
    "collection.promise": {"officer": OFFICER_PROMISE, "manager": OFFICER_PROMISE},
    "collection.plan": {"officer": OFFICER_PLAN, "manager": OFFICER_PLAN},
    "collection.plan.installment": {},
    "collection.dispute": {"officer": OFFICER_DISPUTE, "manager": OFFICER_DISPUTE},
    "collection.escalation": {"manager": {"note"}},
    "collection.writeoff": {"manager": {"reason"}},
    "collection.legal": {
        "manager": {
            "legal_type",
            "party_id",
            "party_reference",
            "court_reference",
            "user_id",
            "commission_rate",
            "principal_amount",
            "interest_amount",
            "charges_amount",
            "costs_amount",
            "costs_incurred",
            "filing_date",
            "hearing_date",
            "judgment_date",
            "judgment_amount",
            "enforcement_date",
            "outcome",
        }
    },
    "collection.followup": {},
    "collection.charge": {},
    "collection.run": {},
    "collection.snapshot": {},
    "collection.snapshot.bucket": {},
    "collection.team": {"manager": CONFIGURATION},
    "collection.policy": {"manager": CONFIGURATION},
    "collection.level": {"manager": CONFIGURATION},
    "collection.charge.rule": {"manager": CONFIGURATION},
    "collection.target": {"manager": CONFIGURATION},
    "collection.reference.rate": {"manager": CONFIGURATION},
    # The segment and the arms' share until it starts; its figures are the report's.
    "collection.experiment": {"manager": CONFIGURATION},
    # Trained by the scheduled action; a manager's button only queues it.
    "collection.prediction.model": {},
}
# Never written by hand, whoever configures: computed from the other fields.
COMPUTED_EXCEPTIONS = {"collection.team": {"assignment_last_user_id", "case_ids"}}
# Who creates a record of each model with a plain ``create`` (its required values), the
# way its documented path does: the forms and wizards of the README. Anyone else, and
# every create of the engine's records (runs, follow-ups, charges, snapshots and their
# aging lines, an installment outside its plan), is refused.
CREATORS = {
    "collection.case": {"officer", "manager"},
    "collection.contact": {"officer", "manager"},
    "collection.promise": {"officer", "manager"},
    "collection.plan": {"officer", "manager"},
    # Record a Dispute: the same checks as Log a Contact (the case's invoice, within
    # what is left of its residual, an installment of the case's own plan).
    "collection.dispute": {"officer", "manager"},
    "collection.escalation": {"officer", "manager"},
    "collection.writeoff": {"manager"},
    "collection.legal": {"manager"},
    "collection.team": {"manager"},
    "collection.policy": {"manager"},
    "collection.level": {"manager"},
    "collection.charge.rule": {"manager"},
    "collection.target": {"manager"},
    "collection.reference.rate": {"manager"},
    "collection.experiment": {"manager"},
}
# History: a copy would duplicate evidence, a deletion would lose it.
HISTORY_MODELS = (
    "collection.case",
    "collection.contact",
    "collection.promise",
    "collection.plan",
    "collection.dispute",
    "collection.escalation",
    "collection.writeoff",
    "collection.legal",
    "collection.followup",
    "collection.charge",
    "collection.snapshot",
    "collection.snapshot.bucket",
)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionRpcMatrix(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="co_matrix_accountant",
            groups="base.group_user,account.group_account_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.internal = new_test_user(
            cls.env,
            login="co_matrix_internal",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.roles = {
            "officer": cls.officer,
            "manager": cls.manager,
            "accountant": cls.accountant,
            "internal": cls.internal,
        }
        cls.invoice = cls._post_invoice(1000.0, 40)
        cls._post_invoice(500.0, 20)
        cls.Case._refresh_from_accounting(companies=cls.company)
        cls.case = cls.Case.search(
            [("partner_id", "=", cls.customer.id), ("company_id", "=", cls.company.id)]
        )
        cls.case.sudo().user_id = cls.officer
        cls.records = cls._one_record_per_model()

    @classmethod
    def _models(cls):
        """The add-on's own stored models: a new one is in the matrix by itself."""
        models = cls.env["ir.model"].sudo().search([("model", "=like", "collection.%")])
        return sorted(
            name
            for name in models.mapped("model")
            if name in cls.env
            and not cls.env[name]._transient
            and not cls.env[name]._abstract
            and cls.env[name]._auto
        )

    @classmethod
    def _one_record_per_model(cls):
        env = cls.env
        case = cls.case
        sudo = env(su=True)
        records = {"collection.case": case}
        records["collection.contact"] = (
            sudo["collection.contact"]
            .with_context(collection_contact_skip_chatter=True)
            .create(
                {
                    "case_id": case.id,
                    "channel": "visit",
                    "direction": "outbound",
                    "outcome": "spoke",
                    "date": datetime(2026, 6, 29, 10, 0),
                    "note": "Met the customer.",
                }
            )
        )
        records["collection.promise"] = sudo["collection.promise"].create(
            {"case_id": case.id, "amount": 100.0, "date": days_ago(-5)}
        )
        plan = sudo["collection.plan"].create(
            {
                "case_id": case.id,
                "amount_total": 1500.0,
                "installment_ids": [
                    Command.create({"date": days_ago(-10), "amount": 750.0}),
                    Command.create({"date": days_ago(-40), "amount": 750.0}),
                ],
            }
        )
        records["collection.plan"] = plan
        records["collection.plan.installment"] = plan.installment_ids[:1]
        records["collection.dispute"] = sudo["collection.dispute"].create(
            {
                "case_id": case.id,
                "move_id": cls.invoice.id,
                "amount": 100.0,
                "reason": "quality",
                "description": "Broken goods.",
            }
        )
        records["collection.charge.rule"] = sudo["collection.charge.rule"].create(
            {"name": "Matrix fee", "company_id": cls.company.id, "fee_amount": 40.0}
        )
        for name in cls._models():
            if name not in records:
                records[name] = sudo[name].search([("company_id", "in", cls.company.ids)], limit=1)
        missing = [name for name, record in records.items() if not record]
        records |= cls._build_missing(missing)
        return records

    @classmethod
    def _build_missing(cls, names):
        sudo = cls.env(su=True)
        built = {}
        for name in names:
            if name == "collection.team":
                built[name] = sudo[name].create({"name": "Matrix team"})
            elif name == "collection.target":
                built[name] = sudo[name].create(
                    {"month": date(2026, 6, 1), "user_id": cls.officer.id}
                )
            elif name == "collection.snapshot":
                built[name] = sudo[name].create(
                    {"month": date(2026, 5, 1), "scope": "company", "company_id": cls.company.id}
                )
            elif name == "collection.snapshot.bucket":
                snapshot = sudo["collection.snapshot"].create(
                    {"month": date(2026, 4, 1), "scope": "company", "company_id": cls.company.id}
                )
                built[name] = sudo[name].create(
                    {"snapshot_id": snapshot.id, "label": "Not Due", "amount": 100.0}
                )
            elif name == "collection.run":
                built[name] = sudo[name].create({"company_id": cls.company.id})
            elif name == "collection.prediction.model":
                built[name] = sudo[name].create({"company_id": cls.company.id})
            elif name == "collection.experiment":
                policy = sudo["collection.policy"].search(
                    [("company_id", "=", cls.company.id)], limit=1
                )
                built[name] = sudo[name].create(
                    {
                        "name": "Matrix experiment",
                        "company_id": cls.company.id,
                        "champion_policy_id": policy.id,
                    }
                )
            elif name == "collection.escalation":
                built[name] = sudo[name].create(
                    {"case_id": cls.case.id, "reason": "unwilling", "note": "Refuses."}
                )
            elif name == "collection.writeoff":
                built[name] = sudo[name].create(
                    {
                        "case_id": cls.case.id,
                        "invoice_ids": [Command.set(cls.invoice.ids)],
                        "amount": 1000.0,
                        "reason": "Uncollectable.",
                    }
                )
            elif name == "collection.legal":
                built[name] = sudo[name].create({"case_id": cls.case.id})
            elif name == "collection.followup":
                level = sudo["collection.level"].search(
                    [("company_id", "=", cls.company.id)], limit=1
                )
                built[name] = sudo[name].create(
                    {"case_id": cls.case.id, "level_id": level.id, "date": days_ago(1)}
                )
            elif name == "collection.charge":
                rule = sudo["collection.charge.rule"].search(
                    [("company_id", "=", cls.company.id)], limit=1
                )
                built[name] = sudo[name].create(
                    {
                        "case_id": cls.case.id,
                        "rule_id": rule.id,
                        "source_move_id": cls.invoice.id,
                        "kind": "fee",
                        "amount": 40.0,
                        "date": days_ago(1),
                        "date_from": days_ago(40),
                        "date_to": days_ago(1),
                        "currency_id": cls.company.currency_id.id,
                    }
                )
            elif name == "collection.reference.rate":
                built[name] = sudo[name].create(
                    {
                        "company_id": cls.company.id,
                        "rate_type": sudo[name]._fields["rate_type"].get_values(sudo)[0],
                        "date_from": date(2020, 1, 1),
                        "rate": 1.0,
                    }
                )
        return built

    # ---------------------------------------------------------------- values

    def _fields_of(self, model):
        for name, field in self.env[model]._fields.items():
            if (
                not field.store
                or name in FRAMEWORK_FIELDS
                or name.startswith(FRAMEWORK_PREFIXES)
                or field.type == "one2many"
            ):
                continue
            yield name, field

    def _other_value(self, record, name, field):
        """A plain JSON value different from the record's, as a client would send."""
        current = record.sudo()[name]
        match field.type:
            case "boolean":
                return not current
            case "integer":
                return (current or 0) + 7
            case "float" | "monetary":
                return (current or 0.0) + 7.0
            case "char" | "text" | "html":
                return "matrix"
            case "date":
                return "2026-01-15" if current != date(2026, 1, 15) else "2026-01-16"
            case "datetime":
                return "2026-01-15 10:00:00"
            case "selection":
                values = [value for value in field.get_values(self.env) if value != current]
                return values[0] if values else False
            case "many2one":
                other = (
                    self.env[field.comodel_name]
                    .sudo()
                    .search([("id", "!=", current.id)], limit=1, order="id desc")
                )
                return other.id or False
            case "many2many":
                other = self.env[field.comodel_name].sudo().search([], limit=1, order="id desc")
                return [Command.set(other.ids)]
            case "json":
                return {"matrix": 1}
            case "binary":
                return "bWF0cml4"
        return False

    def _allowed(self, model, role, name):
        allowed = USER_FIELDS.get(model, {}).get(role, set())
        if allowed == CONFIGURATION:
            field = self.env[model]._fields[name]
            return not (field.compute and not field.inverse) and name not in (
                COMPUTED_EXCEPTIONS.get(model, set())
            )
        return name in allowed

    def _attempt(self, call):
        """Run ``call`` in a savepoint rolled back afterwards; True when the ORM accepted
        it. An accepted write (a plan rescheduled) leaves the next attempt the same records."""
        try:
            with closing(self.env.cr.savepoint()):
                call()
                self.env.flush_all()
        except REFUSED:
            return False
        finally:
            self.env.invalidate_all()
        return True

    # ----------------------------------------------------------------- tests

    def test_every_model_is_in_the_matrix(self):
        """A new model needs its rules written here before the suite passes."""
        self.assertEqual(set(self._models()) - set(USER_FIELDS), set())
        for name in self._models():
            self.assertTrue(self.records.get(name), f"no {name} record to play the matrix on")

    def test_writes_of_every_stored_field_by_every_role(self):
        wrong = []
        for model in self._models():
            record = self.records[model]
            for name, field in self._fields_of(model):
                value = self._other_value(record, name, field)
                for role, user in self.roles.items():
                    accepted = self._attempt(
                        lambda record=record, user=user, name=name, value=value: record.with_user(
                            user
                        ).write({name: value})
                    )
                    expected = self._allowed(model, role, name)
                    if accepted and not expected:
                        wrong.append(f"{role} could write {model}.{name}")
        self._assert_none(wrong)

    def test_create_with_engine_fields_by_every_role(self):
        """A user's create cannot bring what only the engine or an action writes."""
        wrong = []
        for model in self._models():
            record = self.records[model]
            base = self._create_values(model, record)
            for name, field in self._fields_of(model):
                if name in base or field.required or field.related:
                    continue
                value = self._other_value(record, name, field)
                if value in (False, None):
                    continue
                for role, user in self.roles.items():
                    if self._allowed(model, role, name) or self._create_open(model, role, name):
                        continue
                    vals = dict(base, **{name: value})
                    stored = []
                    self._attempt(
                        lambda user=user, vals=vals, model=model, name=name, stored=stored: (
                            stored.append(self._stores(model, user, vals, name))
                        )
                    )
                    if any(stored):
                        wrong.append(f"{role} could create {model} with {name}")
                    # The same value as a default in the context, which a JSON client sends too.
                    stored = []
                    self._attempt(
                        lambda user=user, model=model, name=name, value=value, stored=stored, base=base: (  # noqa: E501
                            stored.append(
                                self._stores(
                                    model,
                                    user,
                                    base,
                                    name,
                                    context={f"default_{name}": value},
                                    given=value,
                                )
                            )
                        )
                    )
                    if any(stored):
                        wrong.append(f"{role} could create {model} with default_{name}")
        self._assert_none(wrong)

    def test_copy_and_unlink_of_history(self):
        wrong = []
        for model in HISTORY_MODELS:
            record = self.records[model]
            for role, user in self.roles.items():
                # A promise or a plan may be copied as a new, unjudged one (checked in
                # test_collection_rpc_guards); any other history is never copied.
                copyable = model in ("collection.promise", "collection.plan")
                if not copyable and self._attempt(
                    lambda record=record, user=user: record.with_user(user).copy()
                ):
                    wrong.append(f"{role} could copy {model}")
                if self._attempt(lambda record=record, user=user: record.with_user(user).unlink()):
                    wrong.append(f"{role} could delete {model}")
        self._assert_none(wrong)

    def test_plain_create_by_every_role(self):
        """Only the roles whose documented path creates a record of a model create one."""
        wrong = []
        for model in self._models():
            base = self._create_values(model, self.records[model])
            for role, user in self.roles.items():
                if role in CREATORS.get(model, ()):
                    continue
                if self._attempt(
                    lambda user=user, model=model, base=base: (
                        self.env[model].with_user(user).create(dict(base))
                    )
                ):
                    wrong.append(f"{role} could create {model}")
        self._assert_none(wrong)

    def test_documented_writes_succeed(self):
        """The fields the README leaves to people really are theirs."""
        checks = [
            ("officer", "collection.case", {"callback_date": "2026-07-03"}),
            ("officer", "collection.promise", {"note": "<p>Called back</p>"}),
            ("officer", "collection.dispute", {"description": "More detail."}),
            ("manager", "collection.case", {"hold_reason": "Awaiting the lawyer."}),
            ("manager", "collection.case", {"breathing_space_until": "2026-08-31"}),
            ("manager", "collection.policy", {"name": "Matrix policy"}),
        ]
        for role, model, vals in checks:
            with self.subTest(role=role, model=model):
                self.assertTrue(
                    self._attempt(
                        lambda role=role, model=model, vals=vals: (
                            self.records[model].with_user(self.roles[role]).write(vals)
                        )
                    ),
                    f"{role} could not write {vals} on {model}",
                )

    def test_a_dispute_is_recorded_with_the_checks_of_log_a_contact(self):
        """An officer records a dispute with a plain create, checked as Log a Contact
        checks it; what is disputed is then fixed, the dispute neither copied nor deleted."""
        Dispute = self.env["collection.dispute"].with_user(self.officer)
        invoice = self._post_invoice(1000.0, 15)
        vals = {"case_id": self.case.id, "move_id": invoice.id, "amount": 200.0}
        elsewhere = self._post_invoice(300.0, 10, partner=self.other_customer)
        savepoint = self.env.cr.savepoint
        with self.assertRaisesRegex(ValidationError, "not a posted customer invoice"), savepoint():
            Dispute.create(dict(vals, move_id=elsewhere.id))
        with self.assertRaisesRegex(ValidationError, "left to dispute"), savepoint():
            Dispute.create(dict(vals, amount=1050.0))
        other_case = self.Case.sudo().create({"partner_id": self.other_customer.id})
        other_plan = (
            self.env["collection.plan"]
            .sudo()
            .create(
                {
                    "case_id": other_case.id,
                    "amount_total": 300.0,
                    "installment_ids": [Command.create({"date": days_ago(-10), "amount": 300.0})],
                }
            )
        )
        with self.assertRaisesRegex(ValidationError, "not an installment"), savepoint():
            Dispute.create(dict(vals, installment_id=other_plan.installment_ids.id))
        with self.assertRaisesRegex(UserError, "accepting, rejecting or withdrawing"):
            Dispute.with_context(default_accepted_amount=200.0).create(vals)
        dispute = Dispute.create(
            dict(vals, installment_id=self.records["collection.plan.installment"].id)
        )
        self.assertEqual((dispute.state, dispute.amount_set_apart), ("open", 200.0))
        for name, value in (("amount", 100.0), ("move_id", elsewhere.id)):
            with self.subTest(field=name), self.assertRaisesRegex(UserError, "record another"):
                dispute.write({name: value})
        with self.assertRaisesRegex(UserError, "never copied"):
            dispute.copy()
        with self.assertRaises(AccessError):
            dispute.with_user(self.manager).unlink()
        # Withdrawing is the action; the narrower dispute is recorded anew.
        dispute.action_withdraw()
        self.assertEqual(Dispute.create(dict(vals, amount=100.0)).amount_set_apart, 100.0)
        self.case.sudo().state = "closed"
        with self.assertRaisesRegex(UserError, "is closed"):
            Dispute.create(vals)

    def test_the_plan_reschedules_its_installments(self):
        """Installments are never written by hand: the plan computes them again, as the
        plan wizard does, when its amount, down payment or frequency change."""
        self._post_invoice(2000.0, 15)
        self.Case._refresh_from_accounting(companies=self.company)
        plan = self.records["collection.plan"].with_user(self.officer)
        first, second = plan.installment_ids.sorted("date")
        with self.assertRaisesRegex(UserError, "reschedule"):
            first.with_user(self.manager).write({"amount": 700.0})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            plan.write({"installment_ids": [Command.update(second.id, {"amount": 800.0})]})
        plan.write({"amount_total": 1400.0, "down_payment": 200.0})
        self.assertEqual(
            [(i.date, i.amount, i.is_down_payment) for i in plan.installment_ids.sorted("date")],
            [
                (TODAY, 200.0, True),
                (date(2026, 7, 10), 600.0, False),
                (date(2026, 8, 10), 600.0, False),
            ],
        )
        self.assertFalse(first.exists())
        plan.write({"frequency": "weekly"})
        self.assertEqual(
            plan.installment_ids.mapped("date"), [TODAY, date(2026, 7, 10), date(2026, 7, 17)]
        )
        with self.assertRaisesRegex(UserError, "above what the customer owes"):
            plan.write({"amount_total": 5000.0})

    def test_the_engine_still_writes_what_people_cannot(self):
        """Each closed write still has its owner: Log a Contact links its contact to the
        promise (from a correction's context too), Dry Run queues its run."""
        person = self.env["res.partner"].create(
            {"name": "Jane Debtor", "parent_id": self.customer.id}
        )
        wizard = (
            self.env["collection.contact.wizard"]
            .with_user(self.officer)
            .with_context(
                default_case_id=self.case.id,
                default_partner_id=person.id,
                default_channel="visit",
                default_outcome="promised",
            )
            .create(
                {
                    "direction": "outbound",
                    "date": datetime(2026, 6, 29, 10, 0),
                    "promise_amount": 300.0,
                    "promise_date": days_ago(-5),
                }
            )
        )
        wizard.action_log()
        promise = self.env["collection.promise"].search(
            [("case_id", "=", self.case.id), ("state", "=", "open")]
        )
        self.assertEqual(promise.amount, 300.0)
        self.assertEqual(promise.contact_log_id.outcome, "promised")
        self.assertEqual(promise.contact_log_id.partner_id, person)
        self.assertEqual(promise.partner_id, self.customer, "the contact's defaults stay its own")
        self.env["collection.run"].with_user(self.manager).action_dry_run()
        run = self.env["collection.run"].search(
            [("company_id", "=", self.company.id), ("dry_run", "=", True)]
        )
        self.assertTrue(run.dry_run_queued)
        with self.assertRaisesRegex(UserError, "not created by hand"):
            self.env["collection.run"].with_user(self.manager).create({})

    def test_report_rows_are_read_only(self):
        """The aged receivables' items and buckets are rows of a query on the ledger
        (not stored, so not in the matrix above): read by the desk, written by nobody."""
        context = {
            "collection_aging_as_of": "2026-06-30",
            "collection_aging_company_ids": self.company.ids,
        }
        wrong = []
        for model, field in (
            ("collection.aging.line", "days"),
            ("collection.aging.bucket", "sequence"),
        ):
            record = self.env[model].with_context(**context).search([], limit=1)
            self.assertTrue(record, f"no {model} row to play the matrix on")
            for role, user in self.roles.items():
                as_user = record.with_user(user)
                readable = self._attempt(lambda as_user=as_user: as_user.search([]).read())
                if readable != (role != "internal"):
                    wrong.append(f"{role} {'could' if readable else 'could not'} read {model}")
                for verb, call in (
                    ("create", lambda as_user=as_user, field=field: as_user.create({field: 1})),
                    ("write", lambda as_user=as_user, field=field: as_user.write({field: 1})),
                    ("delete", lambda as_user=as_user: as_user.unlink()),
                ):
                    if self._attempt(call):
                        wrong.append(f"{role} could {verb} {model}")
        self._assert_none(wrong)

    def _assert_none(self, wrong):
        wrong = sorted(set(wrong))
        self.assertEqual(wrong, [], "\n".join(wrong))

    # -------------------------------------------------------------- create

    def _create_values(self, model, record):
        """The values a user creating a record of ``model`` gives: its required fields."""
        vals = {}
        for name, field in self._fields_of(model):
            if field.required and not field.default and not field.compute:
                value = record.sudo()[name]
                if field.type == "many2one":
                    value = value.id
                elif field.type == "many2many":
                    value = [Command.set(value.ids)]
                elif field.type in ("date", "datetime"):
                    value = value and field.to_string(value)
                vals[name] = value
        return vals

    def _stores(self, model, user, vals, name, context=None, given=None):
        """Create as ``user``; True when the record keeps the value given for ``name``
        (a value the create drops, as a new promise drops a judgment, is no harm)."""
        records = self.env[model].with_user(user).with_context(**(context or {}))
        record = records.create(vals).sudo()
        field = record._fields[name]
        given = record.new({name: vals[name] if context is None else given})[name]
        return field.convert_to_cache(record[name], record) == field.convert_to_cache(given, record)

    def _create_open(self, model, role, name):
        """What a user states when creating a record through its documented path."""
        creatable = {
            "collection.contact": {
                "channel",
                "direction",
                "outcome",
                "note",
                "date",
                "partner_id",
                "user_id",
                "level_id",
                "blocked_reason",
                "case_id",
            },
            "collection.promise": {"amount", "date", "case_id", "contact_id", "note", "channel"},
            "collection.plan": {
                "amount_total",
                "down_payment",
                "frequency",
                "monthly_income",
                "monthly_expenses",
                "installment_ids",
                "case_id",
                "contact_id",
                "note",
            },
            "collection.plan.installment": {"plan_id", "date", "amount", "sequence"},
            "collection.dispute": {
                "case_id",
                "move_id",
                "amount",
                "installment_id",
                "partner_id",
            },
            "collection.escalation": {"case_id", "reason", "note"},
            "collection.writeoff": {"case_id", "invoice_ids", "amount", "date"},
            "collection.legal": {"case_id", "party_id"},
        }
        return name in creatable.get(model, set())
