import functools
from unittest.mock import patch

from odoo.tests import tagged

from . import web_client
from .browser_common import CollectionsBrowserCase


def shape(specification):
    """The fields a specification reads, with those of its relational fields."""
    return {
        name: shape(spec["fields"]) if spec.get("fields") else None
        for name, spec in specification.items()
    }


@tagged("post_install", "-at_install")
class TestWebClientRequests(CollectionsBrowserCase):
    """The requests the benchmark and the query-count tests make are those a real
    browser makes to open the worklist and a case."""

    def test_the_browser_asks_what_the_tests_ask(self):
        officer = self._browser_user("spec_officer")
        self._overdue_case("Tour Debtor", 480)
        self.env.flush_all()
        Case = type(self.env["collection.case"])
        calls = []
        web_search_read, web_read = Case.web_search_read, Case.web_read

        # Wrapped: the RPC layer reads how the original is decorated (model method, readonly).
        @functools.wraps(web_search_read)
        def recording_search_read(records, domain, specification, *args, **kwargs):
            calls.append(("web_search_read", specification, kwargs))
            return web_search_read(records, domain, specification, *args, **kwargs)

        @functools.wraps(web_read)
        def recording_read(records, specification):
            calls.append(("web_read", specification, {}))
            return web_read(records, specification)

        with (
            patch.object(Case, "web_search_read", recording_search_read),
            patch.object(Case, "web_read", recording_read),
        ):
            self.start_tour(
                "/odoo/action-collections_officer.collection_case_action",
                "collections_officer_worklist",
                login=officer.login,
            )
        Officer = self.env["collection.case"].with_user(officer)
        list_view = web_client.WebView(Officer, "list")
        form_view = web_client.WebView(Officer, "form")
        # The worklist as it opens: its columns, its first page in its default order.
        method, searched, kwargs = calls[0]
        self.assertEqual(method, "web_search_read")
        self.assertEqual(shape(searched), shape(list_view.specification))
        self.assertEqual((kwargs["limit"], kwargs["count_limit"]), (80, 10001))
        self.assertEqual(
            [part.split()[0] for part in kwargs["order"].split(",")],
            [part.split()[0] for part in list_view.default_order.split(",")],
        )
        # The case form, its open items with the subfields of their list.
        read = next(spec for method, spec, _kwargs in calls if "open_line_ids" in spec)
        self.assertEqual(shape(read), shape(form_view.specification))
        self.assertEqual(read["open_line_ids"], form_view.specification["open_line_ids"])
