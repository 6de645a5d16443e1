import { registry } from "@web/core/registry";

// An officer escalates an overdue customer's case to a manager, saying why.
registry.category("web_tour.tours").add("collections_officer_escalation", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "Open the overdue customer's case",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Escalation Debtor')",
            run: "click",
        },
        {
            content: "Escalate it",
            trigger: ".o_form_view button[name=action_escalate]",
            run: "click",
        },
        {
            content: "Why: unwilling to pay",
            trigger: ".modal .o_field_widget[name=reason] input[data-value=unwilling]",
            run: "click",
        },
        {
            content: "What was tried",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Refused to pay on three calls.",
        },
        {
            content: "Send it to the manager",
            trigger: ".modal button[name=action_escalate]",
            run: "click",
        },
        {
            content: "The case is escalated",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Escalated')",
        },
        {
            content: "The manager is asked: no second escalation meanwhile",
            trigger: ".o_form_view .o_statusbar_buttons:not(:has(button[name=action_escalate]))",
        },
    ],
});
