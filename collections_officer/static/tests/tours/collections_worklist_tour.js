import { registry } from "@web/core/registry";

// An officer opens the worklist, opens the overdue customer's case and
// refreshes it from accounting.
registry.category("web_tour.tours").add("collections_officer_worklist", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "The overdue customer is on the worklist",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Tour Debtor')",
            run: "click",
        },
        {
            content: "The case shows the overdue invoice",
            trigger: ".o_form_view .o_field_widget[name=open_line_ids] .o_data_row",
        },
        {
            content: "Refresh the case from accounting",
            trigger: ".o_form_view button[name=action_refresh]",
            run: "click",
        },
        {
            content: "Still open after the refresh",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Open')",
        },
    ],
});
