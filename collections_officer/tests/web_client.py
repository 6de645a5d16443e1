"""The requests the web client makes to open a list, a kanban or a form view.

Built from the views as ``get_views`` returns them, the way the web client builds
them (web/static/src/model/relational_model/utils.js ``getFieldsSpec`` and
``getAggregateSpecifications``): shared by the query-count tests and the worklist
benchmark, so that both time what a browser really asks.
"""

import ast

from lxml import etree

from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

# The fields the activity widgets read besides their one2many (mail's list_activity
# and kanban_activity ``fieldDependencies``).
ACTIVITY_FIELDS = {
    "activity_exception_decoration": {},
    "activity_exception_icon": {},
    "activity_state": {},
    "activity_summary": {},
    "activity_type_icon": {},
    "activity_type_id": {"fields": {"display_name": {}}},
}
WIDGET_DEPENDENCIES = {"list_activity": ACTIVITY_FIELDS, "kanban_activity": ACTIVITY_FIELDS}
# What a relational widget reads of the records it shows, when no subview says it
# (web's many2many_tags ``relatedFields``; others read nothing but the ids).
WIDGET_RELATED_FIELDS = {"many2many_tags": ("display_name",)}
# Records a one2many list of a form shows at once, the web client's default.
SUBLIST_LIMIT = 40
AGGREGATABLE_TYPES = ("float", "integer", "monetary")


def _client_order(order):
    """An arch's ``default_order`` as the web client sends it: each field with its
    direction spelled out (``date_maturity, id`` -> ``date_maturity ASC, id ASC``)."""
    parts = []
    for part in order.split(","):
        name, *direction = part.split()
        parts.append(f"{name} {(direction[0] if direction else 'asc').upper()}")
    return ", ".join(parts)


class WebView:
    """One view of a model as the web client loads it (``get_views``)."""

    def __init__(self, model, view_type, view_id=False):
        views = model.get_views([(view_id, view_type)])
        self.model = model
        self.view_type = view_type
        self.models = views["models"]
        self.arch = etree.fromstring(views["views"][view_type]["arch"])

    def _fields_info(self, model_name):
        return self.models[model_name]["fields"]

    @staticmethod
    def _own_field_nodes(node):
        """The ``<field>`` nodes of this view, not those of its one2many subviews."""
        level = int(node.xpath("count(ancestor-or-self::field)"))
        return node.xpath(f".//field[count(ancestor::field) = {level}]")

    def _spec(self, node, model_name):
        fields_info = self._fields_info(model_name)
        spec = {}
        for field_node in self._own_field_nodes(node):
            name = field_node.get("name")
            info = fields_info[name]
            entry = spec.setdefault(name, {})
            # A column hidden for good is as invisible as a hidden field: no name read.
            invisible = any(
                field_node.get(attribute) in ("True", "1")
                for attribute in ("invisible", "column_invisible")
            )
            if info["type"] in ("many2one", "reference"):
                entry.setdefault("fields", {})
                if not invisible:
                    entry["fields"]["display_name"] = {}
                    entry.update(self._static_context(field_node))
            elif info["type"] in ("one2many", "many2many") and not invisible:
                modes = (field_node.get("mode") or "list").split(",")
                subviews = [child for child in field_node if child.tag in modes]
                if subviews:
                    subview = subviews[0]
                    entry["fields"] = self._spec(subview, info["relation"])
                    entry["limit"] = int(subview.get("limit") or SUBLIST_LIMIT)
                    if subview.get("default_order"):
                        entry["order"] = _client_order(subview.get("default_order"))
                else:
                    related = WIDGET_RELATED_FIELDS.get(field_node.get("widget"), ())
                    entry["fields"] = {related_name: {} for related_name in related}
                entry.update(self._static_context(field_node))
            for dependency, dependency_spec in WIDGET_DEPENDENCIES.get(
                field_node.get("widget"), {}
            ).items():
                spec.setdefault(dependency, dict(dependency_spec))
        return spec

    @staticmethod
    def _static_context(field_node):
        """The field's context when it is a literal (the web client evaluates the others)."""
        try:
            context = ast.literal_eval(field_node.get("context") or "{}")
        except (SyntaxError, ValueError):
            return {}
        return {"context": context} if context else {}

    @property
    def specification(self):
        """The ``web_read``/``web_search_read`` specification of the view."""
        spec = self._spec(self.arch, self.model._name)
        if self.view_type == "form":
            # The breadcrumbs show the record's name.
            spec.setdefault("display_name", {})
        return spec

    @property
    def default_order(self):
        return self.arch.get("default_order") or None

    @property
    def default_group_by(self):
        return self.arch.get("default_group_by")

    def aggregates(self, names=None):
        """The aggregates a grouped view asks: its numeric fields with an aggregator (or
        ``names`` only: a kanban asks the sum of its progress bar's field)."""
        fields_info = self._fields_info(self.model._name)
        if names is None:
            names = [node.get("name") for node in self._own_field_nodes(self.arch)]
        infos = [fields_info[name] for name in dict.fromkeys(names)]
        aggregates = [
            f"{info['name']}:{info['aggregator']}"
            for info in infos
            if info.get("aggregator") and info["type"] in AGGREGATABLE_TYPES
        ]
        for info in infos:
            if info.get("aggregator") and info.get("currency_field"):
                for aggregate in (
                    f"{info['currency_field']}:array_agg_distinct",
                    f"{info['name']}:sum_currency",
                ):
                    if aggregate not in aggregates:
                        aggregates.append(aggregate)
        return aggregates

    @property
    def progressbar_sum_fields(self):
        return [node.get("sum_field") for node in self.arch.iter("progressbar")]


def action_context(action):
    """The action's context, as a dict."""
    context = action.get("context") or {}
    return ast.literal_eval(context) if isinstance(context, str) else context


def action_domain(action, model):
    """The domain the action opens with: its own and its ``search_default_`` filters."""
    context = action_context(action)
    domain = action.get("domain") or "[]"
    domain = Domain(ast.literal_eval(domain) if isinstance(domain, str) else domain)
    search = etree.fromstring(model.get_views([(False, "search")])["views"]["search"]["arch"])
    for key, value in context.items():
        if not key.startswith("search_default_") or not value:
            continue
        for node in search.xpath(f"//filter[@name='{key[len('search_default_') :]}']"):
            if node.get("domain"):
                # Filters like "Mine" name the user: the web client evaluates them with uid.
                domain &= Domain(safe_eval(node.get("domain"), {"uid": model.env.uid}))
    return domain


def open_list(model, action, limit=80, count_limit=10001):
    """What opening the action's list asks: ``web_search_read`` with the list's
    specification, the action's default filters and the list's default order."""
    view = WebView(model, "list")
    return model.web_search_read(
        list(action_domain(action, model)),
        view.specification,
        limit=limit,
        order=view.default_order,
        count_limit=count_limit,
    )


def open_grouped_list(model, action, groupby, limit=80, expand=False):
    """What grouping the list asks: ``web_read_group`` with the columns' sums (a list
    with ``expand="1"`` opens its first groups with their rows)."""
    view = WebView(model, "list")
    return model.with_context(read_group_expand=True).web_read_group(
        list(action_domain(action, model)),
        [groupby],
        view.aggregates(),
        order=view.default_order,
        auto_unfold=expand,
        unfold_read_specification=view.specification,
        unfold_read_default_limit=limit,
    )


def open_kanban(model, action, limit=40):
    """What opening the kanban asks: its columns with their sums, the first ones
    unfolded with their cards (an ungrouped kanban: its first cards)."""
    view = WebView(model, "kanban")
    if not view.default_group_by:
        return model.web_search_read(
            list(action_domain(action, model)), view.specification, limit=limit
        )
    return model.with_context(read_group_expand=True).web_read_group(
        list(action_domain(action, model)),
        [view.default_group_by],
        view.aggregates(view.progressbar_sum_fields),
        auto_unfold=True,
        unfold_read_specification=view.specification,
        unfold_read_default_limit=limit,
    )


def kanban_progress_bars(model, action):
    """What the kanban asks for its columns' progress bars."""
    view = WebView(model, "kanban")
    domain = list(action_domain(action, model))
    return [
        model.read_progress_bar(
            domain,
            view.default_group_by,
            {
                "field": node.get("field"),
                "colors": ast.literal_eval(node.get("colors")),
                "sum_field": node.get("sum_field"),
            },
        )
        for node in view.arch.iter("progressbar")
    ]


def open_graph(model, action):
    """What opening the graph asks: its groups (rows, then columns) with its measures."""
    view = WebView(model, "graph")
    groupby = [
        f"{node.get('name')}:{node.get('interval')}" if node.get("interval") else node.get("name")
        for node in view.arch.iter("field")
        if node.get("type") != "measure"
    ]
    measures = [
        f"{node.get('name')}:sum"
        for node in view.arch.iter("field")
        if node.get("type") == "measure"
    ]
    return model.formatted_read_group(
        list(action_domain(action, model)), groupby, [*measures, "__count"]
    )


def open_pivot(model, action):
    """What opening the pivot asks: its rows, columns and totals in one grouping sets call."""
    view = WebView(model, "pivot")

    def groupby(kind):
        return [
            f"{node.get('name')}:{node.get('interval')}"
            if node.get("interval")
            else node.get("name")
            for node in view.arch.iter("field")
            if node.get("type") == kind
        ]

    # The action's context may choose the rows the pivot opens with, as the web client reads it.
    rows = action_context(action).get("pivot_row_groupby") or groupby("row")
    columns = groupby("col")
    measures = [f"{name}:sum" for name in groupby("measure")]
    return model.formatted_read_grouping_sets(
        list(action_domain(action, model)),
        [rows + columns, rows, columns, []],
        [*measures, "__count"],
    )


def open_form(record):
    """What opening a record's form asks: ``web_read`` with the form's specification."""
    return record.web_read(WebView(record.browse(), "form").specification)
