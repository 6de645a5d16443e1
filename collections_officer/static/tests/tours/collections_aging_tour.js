import { registry } from "@web/core/registry";

// The aged receivables of the demo book, with one more customer 60 days overdue
// (4,321.00) and one not yet due (1,234.00): see test_collection_aging_ui.py.

registry.category("web_tour.tours").add("collections_officer_aged_receivables", {
    url: "/odoo/action-collections_officer.collection_aging_wizard_action",
    steps: () => [
        {
            content: "Show the aging as of today",
            trigger: ".modal button[name='action_open_report']",
            run: "click",
        },
        {
            content: "The pivot has the run's buckets as columns, in age order",
            trigger: ".o_pivot:not(:has(.o_view_sample_data)) thead th:contains('31-60')",
            run: () => {
                const headers = [...document.querySelectorAll(".o_pivot thead th")].map((th) =>
                    th.textContent.trim()
                );
                const notDue = headers.indexOf("Not Due");
                const overdue = headers.indexOf("31-60");
                if (notDue < 0 || overdue < notDue) {
                    throw new Error(`Buckets out of age order: ${headers.join(", ")}`);
                }
            },
        },
        {
            content: "The overdue customer's 4,321.00 is in the 31-60 bucket",
            trigger: ".o_pivot tbody tr:has(th:contains('Aging Overdue Debtor')) td:contains('4,321.00')",
        },
        {
            content: "The customer not yet due owes 1,234.00",
            trigger: ".o_pivot tbody tr:has(th:contains('Aging Early Debtor')) td:contains('1,234.00')",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph draws the buckets",
            trigger: ".o_graph_view:not(:has(.o_view_sample_data)) .o_graph_renderer canvas",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list has an item per invoice",
            trigger: ".o_list_view .o_data_row:contains('Aging Overdue Debtor'):contains('31-60')",
        },
        {
            content: "Open the overdue invoice from its item",
            trigger:
                ".o_data_row:contains('Aging Overdue Debtor') button[name='action_open_entry']",
            run: "click",
        },
        {
            content: "The invoice opens",
            trigger: ".o_form_view .o_field_widget[name='partner_id']:contains('Aging Overdue Debtor')",
        },
    ],
});

// A run of more customers than the pivot lists at once (the limit lowered to one by
// test_collection_aging_ui.py): a row per officer, their customers a click away.
registry.category("web_tour.tours").add("collections_officer_aged_receivables_by_officer", {
    url: "/odoo/action-collections_officer.collection_aging_wizard_action",
    steps: () => [
        {
            content: "Show the aging as of today",
            trigger: ".modal button[name='action_open_report']",
            run: "click",
        },
        {
            content: "The pivot has a row per officer, no customer yet",
            trigger: ".o_pivot:not(:has(.o_view_sample_data)) tbody th:contains('Aging Desk Officer')",
            run: () => {
                const rows = document.querySelector(".o_pivot tbody").textContent;
                if (rows.includes("Aging Overdue Debtor")) {
                    throw new Error("The pivot opened with a row per customer.");
                }
            },
        },
        {
            content: "Open the officer's row",
            trigger: ".o_pivot tbody th.o_pivot_header_cell_closed:contains('Aging Desk Officer')",
            run: "click",
        },
        {
            content: "By customer",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Customer')",
            run: "click",
        },
        {
            content: "The officer's customer owes 4,321.00 in the 31-60 bucket",
            trigger: ".o_pivot tbody tr:has(th:contains('Aging Overdue Debtor')) td:contains('4,321.00')",
        },
    ],
});
