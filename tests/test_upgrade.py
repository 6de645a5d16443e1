"""An upgrade from the previous release loses nothing.

The previous release is taken from the history: the commit that set the
version the manifest had before the one it has now. It is installed on a copy
of the account template database (``COLLECTIONS_TEMPLATE_DB``, made by
bin/test) with no demo data, as a company's database would be, given a book
with its old code, then upgraded with the current code. Every case, contact,
promise, plan, dispute and charge must still be there with the same meaning,
the migration must have filled what the new release needs, and neither run
may log an error.
"""

import ast
import json
import os
import re
import subprocess
import sys

import pytest

MANIFEST = "collections_officer/__manifest__.py"
ADDONS = ("collections_officer", "collections_officer_sale")
# The last release before cases kept their story (opened and closed dates) and
# disputes replaced whole-case holds: the oldest a site may upgrade from.
RELEASE_BEFORE_STORY = "19.0.1.1.0"
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
STATEMENT_SENTENCE = "Your statement of account is attached."
STATEMENT_CONDITION = "<t t-if=\"ctx.get('collection_statement_attached')\">"
EDITED_SUBJECT = "Our own words on the second reminder ({{ object.name }})"
FRENCH_HOLD = "Contesté : Marchandise abîmée"
LOG_PROBLEM = re.compile(
    r" (ERROR|CRITICAL) |collections_officer.*WARNING|WARNING.*collections_officer"
)

# What must survive the upgrade, read with SQL before and after it.
SNAPSHOT = {
    "cases": "SELECT id, partner_id, company_id, state, overdue_amount FROM collection_case",
    "contacts": "SELECT id, case_id, outcome, channel FROM collection_contact",
    "promises": "SELECT id, case_id, state, amount, date FROM collection_promise",
    "plans": "SELECT id, case_id, state, amount_total FROM collection_plan",
    "installments": "SELECT id, plan_id, amount, date FROM collection_plan_installment",
    "disputes": "SELECT id, case_id, move_id, state, amount FROM collection_dispute",
    "charges": "SELECT id, case_id, state, amount, invoice_id FROM collection_charge",
}

# Run with the previous release's code (odoo-bin shell): a small book worked for a while.
OLD_BOOK = r"""
import json
import os
from datetime import timedelta

from odoo import Command, fields

spec = json.loads(open(os.environ["COLLECTIONS_UPGRADE_SPEC"], encoding="utf-8").read())
company = env.ref("base.main_company")
today = fields.Date.context_today(env.user)
customers = env["res.partner"].create(
    [{"name": f"Upgrade Debtor {index}", "is_company": True} for index in range(7)]
)
for index, customer in enumerate(customers):
    due = today - timedelta(days=10 + 10 * index) if index < 6 else today + timedelta(days=3)
    invoice = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": min(due, today),
            "invoice_date_due": due,
            "invoice_line_ids": [
                Command.create({"name": "Service", "price_unit": 1000 + index, "tax_ids": []}),
                Command.create({"name": "Delivery", "price_unit": 100, "tax_ids": []}),
            ],
        }
    )
    invoice.action_post()
Case = env["collection.case"]
Case._refresh_from_accounting(companies=company)
cases = Case.search([("partner_id", "in", customers.ids)], order="id")
promised, planned, contacted, disputed, closing, held = cases[:6]

env["collection.promise"].create(
    {"case_id": promised.id, "amount": 300, "date": today + timedelta(days=7)}
)
env["collection.plan"].create(
    {
        "case_id": planned.id,
        "amount_total": 600,
        "installment_ids": [
            Command.create({"date": today + timedelta(days=10), "amount": 300}),
            Command.create({"date": today + timedelta(days=40), "amount": 300}),
        ],
    }
)
for outcome in ("no_answer", "spoke"):
    env["collection.contact"].create(
        {"case_id": contacted.id, "channel": "phone", "outcome": outcome, "note": "<p>Called</p>"}
    )
invoice = disputed.open_line_ids.move_id[:1]
env["collection.dispute"].create(
    {
        "case_id": disputed.id,
        "move_id": invoice.id,
        "amount": 50,
        "reason": "other",
        "description": "Short delivery",
    }
)
rule = env["collection.charge.rule"].create(
    {"name": "Late fee", "company_id": company.id, "fee_amount": 40}
)
fee_invoice = env["account.move"].create(
    {
        "move_type": "out_invoice",
        "partner_id": disputed.partner_id.id,
        "invoice_line_ids": [Command.create({"name": "Late fee", "price_unit": 40, "tax_ids": []})],
    }
)
fee_invoice.action_post()
env["collection.charge"].create(
    {
        "case_id": disputed.id,
        "rule_id": rule.id,
        "source_move_id": invoice.id,
        "kind": "fee",
        "amount": 40,
        "invoice_id": fee_invoice.id,
    }
)
# Paid in full: the next refresh closes the case.
for move in closing.open_line_ids.move_id:
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=move.ids
    ).create({"payment_date": today}).action_create_payments()
Case._refresh_from_accounting(companies=company)
# The whole-case hold a "disputed" contact wrote before disputes existed, in French.
env["collection.contact"].create(
    {"case_id": held.id, "channel": "phone", "outcome": "disputed", "note": spec["hold_note"]}
)
held.sudo().write({"state": "hold", "hold_reason": spec["hold_reason"]})
# A customer a level put on credit hold.
if spec.get("credit_hold"):
    promised.partner_id.collection_credit_hold = True
# A manager's own subject on a shipped template.
edited = env.ref("collections_officer.mail_template_collection_second_reminder")
edited.subject = spec["edited_subject"]
# Shipped records as an older release installed them, never edited since.
for xmlid, values in spec["older_shipped"].items():
    env.ref(xmlid).write(values)
# A refresh of every case asked for and not run yet: counted from 19.0.1.8.0, a flag before.
if spec.get("refresh_asked"):
    if "collection_refresh_requested" in company._fields:
        company._collection_ask_refresh()
    else:
        company.collection_refresh_asked = True
# The day's scoring done, as the scheduled refresh does it each morning.
if spec.get("scored_today") and hasattr(Case, "_update_priority_of_the_day"):
    Case._update_priority_of_the_day(company)
env.cr.commit()
print("UPGRADE_BOOK=" + json.dumps(
    {"closed": closing.id, "closed_state": closing.state, "held": held.id, "edited": edited.id}
))
"""


def git(project_dir, *args):
    return subprocess.run(
        ["git", *args], cwd=project_dir, capture_output=True, text=True, check=True
    ).stdout


def manifest_version(text):
    return ast.literal_eval(text)["version"]


def release_commit(project_dir, version):
    """The last commit of ``version``: the code a site runs until it upgrades.

    That is the parent of the commit that moved the version on, or the last
    commit when only the working tree moves it.
    """
    current = manifest_version((project_dir / MANIFEST).read_text())
    head = manifest_version(git(project_dir, "show", f"HEAD:{MANIFEST}"))
    if head == version != current:
        return git(project_dir, "rev-parse", "HEAD").strip()
    for commit in git(project_dir, "log", "--format=%H", "-G", '"version"', "--", MANIFEST).split():
        parents = git(project_dir, "log", "-1", "--format=%P", commit).split()
        if not parents:
            continue
        before = manifest_version(git(project_dir, "show", f"{parents[0]}:{MANIFEST}"))
        after = manifest_version(git(project_dir, "show", f"{commit}:{MANIFEST}"))
        if before == version != after:
            return parents[0]
    pytest.fail(f"No commit of the history is the last of release {version}.")


def previous_version(project_dir):
    """The version the manifest had before the current one."""
    current = manifest_version((project_dir / MANIFEST).read_text())
    for commit in git(project_dir, "log", "--format=%H", "-G", '"version"', "--", MANIFEST).split():
        version = manifest_version(git(project_dir, "show", f"{commit}:{MANIFEST}"))
        if version != current:
            return version
    pytest.fail(f"No commit sets a version of the add-on other than {current}.")


def older_shipped_body(project_dir, xmlid):
    """The body of a shipped template before it said "attached" only when it was."""
    path = "collections_officer/data/mail_template_data.xml"
    commit = git(
        project_dir, "log", "--format=%H", "-S", "collection_statement_attached", "--", path
    ).split()[-1]
    from lxml import etree

    root = etree.fromstring(git(project_dir, "show", f"{commit}^:{path}").encode())
    (node,) = root.xpath(f"//record[@id='{xmlid}']/field[@name='body_html']")
    body = "".join(etree.tostring(child, method="html", encoding="unicode") for child in node)
    assert STATEMENT_SENTENCE in body and STATEMENT_CONDITION not in body
    return body


def extract_release(project_dir, commit, tmp_path):
    """The add-on as ``commit`` had it, in a folder of its own: its addons path."""
    old_code = tmp_path / "previous"
    old_code.mkdir()
    # The add-ons of the repository the release had: a bridge came with later ones.
    shipped = git(project_dir, "ls-tree", "--name-only", commit).split()
    addons = [name for name in ADDONS if name in shipped]
    archive = subprocess.run(
        ["git", "archive", commit, *addons],
        cwd=project_dir,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old_code)], input=archive, check=True)
    return old_code


def psql(db, query):
    result = subprocess.run(
        ["psql", "-X", "-qtAd", db, "-c", query], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{query}\n{result.stderr}"
    return result.stdout


def rows(db, query):
    """The rows of ``query``, ordered, as JSON values."""
    text = psql(db, f"SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM ({query}) t")
    return json.loads(text)


def snapshot(db):
    return {name: rows(db, query) for name, query in SNAPSHOT.items()}


def odoo(db, addons_dir, log, *args, stdin=None, env=None):
    """odoo-bin on ``db`` with the add-on from ``addons_dir``; fails on an error logged."""
    addons_path = f"{ODOO_SRC}/odoo/addons,{ODOO_SRC}/addons,{addons_dir}"
    result = subprocess.run(
        [
            sys.executable,
            f"{ODOO_SRC}/odoo-bin",
            *args,
            "-d",
            db,
            f"--addons-path={addons_path}",
            f"--db-filter=^{db}$",
            "--no-http",
            "--log-level=info",
            "--stop-after-init",
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, **(env or {})),
        check=False,
    )
    log.write_text(result.stdout + result.stderr)
    problems = [line for line in log.read_text().splitlines() if LOG_PROBLEM.search(line)]
    assert result.returncode == 0 and not problems, (
        f"odoo-bin {' '.join(args)} on {db} failed:\n"
        + "\n".join(problems or log.read_text().splitlines()[-30:])
    )
    return result.stdout


def write_book(db, old_code, tmp_path, spec_values):
    """The book of ``OLD_BOOK`` written with the release's code; its ids."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_values))
    out = odoo(
        db,
        old_code,
        tmp_path / "book.log",
        "shell",
        stdin=OLD_BOOK,
        env={"COLLECTIONS_UPGRADE_SPEC": str(spec)},
    )
    return json.loads(re.search(r"^UPGRADE_BOOK=(.*)$", out, re.MULTILINE)[1])


def installed_version(db):
    return psql(
        db, "SELECT latest_version FROM ir_module_module WHERE name = 'collections_officer'"
    ).strip()


def assert_customer_pages(db):
    """What 19.0.1.5.0 brought: every case has its customer page (a signed link and a
    short code), the shipped reminders the company never edited carry the link, an
    edited one is left as the company has it."""
    pages = rows(
        db,
        "SELECT id, access_token, portal_short_code FROM collection_case",
    )
    assert pages and all(row["access_token"] and row["portal_short_code"] for row in pages), (
        "every case has its customer page"
    )
    assert len({row["portal_short_code"] for row in pages}) == len(pages)
    for module in ("portal", "account_payment"):
        state = psql(db, f"SELECT state FROM ir_module_module WHERE name = '{module}'")
        assert state.strip() == "installed", f"{module} comes with the release"
    templates = rows(
        db,
        "SELECT t.id, d.name, t.body_html->>'en_US' AS body, t.subject->>'en_US' AS subject "
        "FROM mail_template t JOIN ir_model_data d ON d.model = 'mail.template' "
        "AND d.res_id = t.id AND d.module = 'collections_officer' "
        "AND d.name IN ('mail_template_collection_reminder', "
        "'mail_template_collection_second_reminder')",
    )
    by_name = {row["name"]: row for row in templates}
    link = "object._portal_link_url()"
    assert link in by_name["mail_template_collection_reminder"]["body"], (
        "an e-mail the company never edited links to the customer's page"
    )
    edited = by_name["mail_template_collection_second_reminder"]
    assert edited["subject"] == EDITED_SUBJECT, "the company's own words are kept"
    assert link not in edited["body"], "an edited e-mail is left as the company has it"
    sms = psql(
        db,
        "SELECT t.body->>'en_US' FROM sms_template t JOIN ir_model_data d "
        "ON d.model = 'sms.template' AND d.res_id = t.id AND d.module = 'collections_officer' "
        "AND d.name = 'sms_template_collection_reminder'",
    )
    assert "_portal_short_url()" in sms, "the shipped SMS gives the short link"


@pytest.fixture
def upgrade_db():
    template = os.environ.get("COLLECTIONS_TEMPLATE_DB")
    if not template:
        pytest.fail("COLLECTIONS_TEMPLATE_DB is not set: run the suite with bin/test.")
    if psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{template}'").strip() != "1":
        pytest.fail(f"The template database {template} does not exist: run bin/test.")
    db = os.environ.get("COLLECTIONS_UPGRADE_DB", "collections_officer_upgrade")
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)
    subprocess.run(["createdb", "-T", template, db], check=True)
    # A company's database: the add-on installs without its demo book.
    psql(db, "UPDATE ir_module_module SET demo = FALSE")
    # Nor does it know of add-ons a later release brings (the template's module list
    # was made with this release's addons path).
    psql(
        db,
        "DELETE FROM ir_model_data WHERE model = 'ir.module.module' "
        "AND name = 'module_collections_officer_sale';"
        "DELETE FROM ir_module_module WHERE name = 'collections_officer_sale'",
    )
    yield db
    if not os.environ.get("COLLECTIONS_KEEP_UPGRADE_DB"):
        subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)


def test_an_upgrade_from_the_release_before_the_story_loses_nothing(
    project_dir, tmp_path, upgrade_db
):
    db = upgrade_db
    old_version = RELEASE_BEFORE_STORY
    commit = release_commit(project_dir, old_version)
    current_version = manifest_version((project_dir / MANIFEST).read_text())
    old_code = extract_release(project_dir, commit, tmp_path)

    odoo(db, old_code, tmp_path / "install.log", "-i", "collections_officer")
    reminder = "collections_officer.mail_template_collection_reminder"
    book = write_book(
        db,
        old_code,
        tmp_path,
        {
            "hold_note": "<p>Marchandise abîmée</p>",
            "hold_reason": FRENCH_HOLD,
            "edited_subject": EDITED_SUBJECT,
            "older_shipped": {
                reminder: {"body_html": older_shipped_body(project_dir, reminder.split(".")[1])}
            },
        },
    )
    assert book["closed_state"] == "closed"
    # Cases of a release before the story was kept: no opened or closed date.
    psql(
        db,
        "UPDATE collection_case SET opened_date = NULL, closed_date = NULL "
        "WHERE id IN (SELECT id FROM collection_case ORDER BY id LIMIT 3) "
        f"OR id = {book['closed']}",
    )
    before = snapshot(db)
    assert installed_version(db) == old_version
    assert all(before[name] for name in SNAPSHOT), "the book has some of everything"

    odoo(db, project_dir, tmp_path / "upgrade.log", "-u", "collections_officer")
    after = snapshot(db)

    assert installed_version(db) == current_version, f"upgraded from {old_version}"
    held = book["held"]
    for name in SNAPSHOT:
        kept = [row for row in after[name] if row["id"] in {r["id"] for r in before[name]}]
        assert len(kept) == len(before[name]), f"{name}: rows lost"
        if name == "cases":
            changed = [old for old, new in zip(before[name], kept, strict=True) if old != new]
            assert [row["id"] for row in changed] == [held], "only the dispute hold moves"
        elif name == "disputes":
            assert kept == before[name]
            new = [row for row in after[name] if row not in kept]
            assert {row["case_id"] for row in new} == {held}
        else:
            assert kept == before[name], f"{name} changed"
    case_held = rows(db, f"SELECT id, state, hold_reason FROM collection_case WHERE id = {held}")
    assert case_held == [{"id": held, "state": "open", "hold_reason": None}]

    stories = rows(
        db,
        "SELECT id, state, opened_date, closed_date, create_date::date AS created FROM "
        "collection_case",
    )
    assert all(row["opened_date"] for row in stories), "every case has its opening date"
    assert all(
        row["closed_date"] and row["closed_date"] >= row["opened_date"]
        for row in stories
        if row["state"] == "closed"
    )

    bodies = rows(
        db,
        "SELECT t.id, d.name, t.body_html->>'en_US' AS body, t.subject->>'en_US' AS subject "
        "FROM mail_template t JOIN ir_model_data d ON d.model = 'mail.template' "
        "AND d.res_id = t.id AND d.module = 'collections_officer'",
    )
    for row in bodies:
        for found in re.finditer(re.escape(STATEMENT_SENTENCE), row["body"] or ""):
            before_sentence = re.sub(r"\s+", "", row["body"][: found.start()])
            assert before_sentence.endswith(STATEMENT_CONDITION.replace(" ", "")), (
                f"{row['name']} announces a statement it may not attach"
            )
    (edited,) = [row for row in bodies if row["id"] == book["edited"]]
    assert edited["subject"] == EDITED_SUBJECT, "the company's own words are kept"
    notices = psql(
        db,
        "SELECT count(*) FROM mail_message WHERE model = 'mail.template' "
        f"AND res_id = {book['edited']} AND message_type = 'user_notification'",
    )
    assert int(notices) >= 1, "the managers are told what the release changed in it"
    assert_customer_pages(db)


def test_an_upgrade_from_the_previous_release_loses_nothing(project_dir, tmp_path, upgrade_db):
    """The release a site runs today upgrades to this one with its book intact, and gets
    what this release changed: a company scored today keeps the day's overdue book; and
    what earlier ones did: a refresh asked for and not run yet stays asked for, as a
    counted request, the KPIs' indexes are built, every active case says how its pay
    date is predicted, the weekly training is scheduled, no case is in an experiment's
    arm and the aged receivables keep no table of their own."""
    db = upgrade_db
    old_version = previous_version(project_dir)
    current_version = manifest_version((project_dir / MANIFEST).read_text())
    old_code = extract_release(project_dir, release_commit(project_dir, old_version), tmp_path)
    odoo(db, old_code, tmp_path / "install.log", "-i", "collections_officer")
    write_book(
        db,
        old_code,
        tmp_path,
        {
            "hold_note": "<p>Damaged goods</p>",
            "hold_reason": "Disputed: damaged goods",
            "edited_subject": EDITED_SUBJECT,
            "older_shipped": {},
            "credit_hold": True,
            "refresh_asked": True,
            "scored_today": True,
        },
    )
    before = snapshot(db)
    held = "jsonb_path_exists(collection_credit_hold, '$.* ? (@ == true)')"
    held_customers = rows(db, f"SELECT id FROM res_partner WHERE {held}")
    assert len(held_customers) == 1
    money = "SELECT id, collected_amount, credited_amount FROM collection_case ORDER BY id"
    money_before = rows(db, money)

    odoo(db, project_dir, tmp_path / "upgrade.log", "-u", "collections_officer")
    after = snapshot(db)

    assert installed_version(db) == current_version, f"upgraded from {old_version}"
    for name in SNAPSHOT:
        kept = [row for row in after[name] if row["id"] in {r["id"] for r in before[name]}]
        assert kept == before[name], f"{name} changed"
    assert rows(db, f"SELECT id FROM res_partner WHERE {held}") == held_customers
    assert rows(db, money) == money_before
    holds = rows(db, "SELECT id FROM collection_case WHERE hold_until IS NOT NULL")
    assert holds == [], "no hold gets an end date it was not given"
    crons = rows(
        db,
        "SELECT c.id, c.interval_number, c.interval_type FROM ir_cron c "
        "JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id "
        "AND d.module = 'collections_officer' AND d.name IN ("
        "'ir_cron_collection_case_refresh', 'ir_cron_collection_commitment_judge', "
        "'ir_cron_collection_followup_run')",
    )
    assert [(row["interval_number"], row["interval_type"]) for row in crons] == [(1, "hours")] * 3
    bridge = psql(db, "SELECT state FROM ir_module_module WHERE name = 'collections_officer_sale'")
    assert bridge.strip() == "installed"
    predictions = rows(
        db,
        "SELECT id, predicted_pay_method AS method, experiment_arm AS arm "
        "FROM collection_case WHERE state != 'closed'",
    )
    assert predictions, "the book has active cases"
    # No model is trained yet: the customer's median, or nothing without a paid invoice.
    assert {row["method"] for row in predictions} <= {"median", "none"}, predictions
    assert {row["arm"] for row in predictions} == {None}
    training = rows(
        db,
        "SELECT c.id, c.active FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron' "
        "AND d.res_id = c.id AND d.module = 'collections_officer' "
        "AND d.name = 'ir_cron_collection_prediction_train'",
    )
    assert [row["active"] for row in training] == [True], "the weekly training is scheduled"
    # The aged receivables read the ledger: the tables of the old runs are gone.
    tables = psql(
        db,
        "SELECT count(*) FROM pg_class WHERE relname IN "
        "('collection_aging_line', 'collection_aging_bucket')",
    )
    assert int(tables) == 0, "the aging's transient tables are dropped"
    old_rules = psql(
        db,
        "SELECT count(*) FROM ir_model_data WHERE module = 'collections_officer' "
        "AND name IN ('collection_aging_line_rule_own', 'collection_aging_bucket_rule_own')",
    )
    assert int(old_rules) == 0, "the rules of the old runs' items are gone"
    # The refresh asked for before the upgrade is still to run, now as a counted request.
    requests = rows(
        db,
        "SELECT id, collection_refresh_requested AS requested, "
        "COALESCE(collection_refresh_answered, 0) AS answered FROM res_company "
        "WHERE id = (SELECT res_id FROM ir_model_data WHERE module = 'base' "
        "AND name = 'main_company')",
    )
    assert [(row["requested"], row["answered"]) for row in requests] == [(1, 0)], requests
    flag = psql(
        db,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_company' "
        "AND column_name = 'collection_refresh_asked'",
    )
    assert int(flag) == 0, "the old flag is gone"
    # The KPIs read the open receivable items and the invoices' totals from indexes.
    indexes = psql(
        db,
        "SELECT count(*) FROM pg_indexes WHERE indexname IN "
        "('account_move_line_collection_open_items_idx', "
        "'account_move_collection_credit_sales_idx')",
    )
    assert int(indexes) == 2, "the KPIs' indexes are built"
    # Scored today before the upgrade: the day's book is kept from the upgrade on.
    main_company = (
        "(SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'main_company')"
    )
    book = rows(
        db,
        "SELECT id, collection_priority_book::float8 AS book, "
        "(SELECT SUM(overdue_amount)::float8 FROM collection_case WHERE company_id = c.id "
        "AND state != 'closed' AND overdue_amount > 0) AS overdue "
        f"FROM res_company c WHERE id = {main_company}",
    )
    assert book[0]["overdue"] > 0 and book[0]["book"] == book[0]["overdue"], book
