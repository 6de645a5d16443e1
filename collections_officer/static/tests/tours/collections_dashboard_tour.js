import { registry } from "@web/core/registry";

// The reporting screens open and show their figures.
registry.category("web_tour.tours").add("collections_officer_dashboard", {
    url: "/odoo/action-collections_officer.collection_kpi_card_action_server",
    steps: () => [
        {
            content: "The dashboard shows the amount collected of the month",
            trigger: ".o_kanban_view .o_kanban_record:contains('Collected')",
        },
        {
            content: "and the DSO",
            trigger: ".o_kanban_view .o_kanban_record:contains('DSO (days)')",
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_aging_trend", {
    url: "/odoo/action-collections_officer.collection_snapshot_action",
    steps: () => [
        {
            content: "The aging trend is a graph of the monthly snapshots",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_expected_cash", {
    url: "/odoo/action-collections_officer.collection_expected_cash_action_server",
    steps: () => [
        {
            content: "The expected cash of the next weeks is a graph",
            trigger: ".o_graph_view",
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_contacts_made", {
    url: "/odoo/action-collections_officer.collection_contact_analysis_action",
    steps: () => [
        {
            content: "The contacts made, by channel and outcome",
            trigger: ".o_pivot_view",
        },
    ],
});
