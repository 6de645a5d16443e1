"""The screens an officer or a manager opens, each asked the way the web client asks it.

Shared by the query-count tests (``test_collection_screen_queries.py``) and the
screens benchmark (``bench/bench_screens.py``), so that both count and time the
same requests. Each screen is a function of an environment (the user's, their
record rules applying) and, for the case form, of the case to open; it returns
what the web client would receive.
"""

from . import web_client


def _action(env, xmlid):
    """The window action as the web client loads it."""
    return env.ref(xmlid)._get_action_dict()


def _cases(env):
    return env["collection.case"].with_context(bin_size=True)


def my_day(env):
    """My Day: its list grouped by reason (its default), the groups open."""
    action = _action(env, "collections_officer.collection_my_day_action")
    return web_client.open_grouped_list(
        env["collection.my.day"].with_context(bin_size=True), action, "reason", expand=True
    )


def worklist(env):
    """The worklist, sorted by priority (the list's default order)."""
    return web_client.open_list(
        _cases(env), _action(env, "collections_officer.collection_case_action")
    )


def worklist_by_officer(env):
    return web_client.open_grouped_list(
        _cases(env), _action(env, "collections_officer.collection_case_action"), "user_id"
    )


def worklist_by_state(env):
    return web_client.open_grouped_list(
        _cases(env), _action(env, "collections_officer.collection_case_action"), "state"
    )


def worklist_kanban(env):
    action = _action(env, "collections_officer.collection_case_action")
    return (
        web_client.open_kanban(_cases(env), action),
        web_client.kanban_progress_bars(_cases(env), action),
    )


def case_form(env, case_id):
    (values,) = web_client.open_form(_cases(env).browse(case_id))
    return values


def _server_action(env, model, method):
    """What a menu bound to a server action runs, then the window action it returns."""
    return getattr(env[model], method)()


def dashboard(env):
    """The dashboard menu: the user's KPI cards built, their reports shown as a kanban."""
    action = _server_action(env, "collection.kpi.card", "action_open_dashboard")
    return web_client.open_kanban(env["collection.kpi.board"], action)


def kpi_cards(env):
    """The user's KPI cards built (the dashboard's figures, without its reports), then
    shown as their list."""
    Card = env["collection.kpi.card"]
    Card.search([("create_uid", "=", env.uid)]).unlink()
    Card.create(Card._card_values())
    action = _action(env, "collections_officer.collection_kpi_card_action")
    action["domain"] = [("create_uid", "=", env.uid)]
    return web_client.open_list(Card, action)


def expected_cash(env):
    """The expected cash menu: the user's lines built, shown week by week (its graph),
    then as its pivot."""
    action = _server_action(env, "collection.expected.cash", "action_open_expected_cash")
    Cash = env["collection.expected.cash"]
    return web_client.open_graph(Cash, action), web_client.open_pivot(Cash, action)


def _aging_lines(env):
    """The aged receivables menu: its wizard's defaults (as of today, the user's
    companies), the report's lines and action."""
    wizard = env["collection.aging.wizard"].create({})
    action = wizard.action_open_report()
    return env["collection.aging.line"].with_context(**action["context"]), action


def aged_receivables(env):
    """The aged receivables menu opened: the pivot as it opens (a row per customer, or
    per officer on a run of many customers)."""
    lines, action = _aging_lines(env)
    return web_client.open_pivot(lines, action)


def aged_receivables_graph(env):
    """The aged receivables switched to their graph (the menu's wizard and action
    counted again: a screen of its own, opened by a click)."""
    lines, action = _aging_lines(env)
    return web_client.open_graph(lines, action)


# (name, function): the case form is opened on a case given apart.
SCREENS = (
    ("my day", my_day),
    ("worklist", worklist),
    ("worklist by officer", worklist_by_officer),
    ("worklist by state", worklist_by_state),
    ("kanban", worklist_kanban),
    ("case form", case_form),
    ("dashboard", dashboard),
    ("kpi cards", kpi_cards),
    ("expected cash", expected_cash),
    ("aged receivables", aged_receivables),
    ("aged receivables graph", aged_receivables_graph),
)
