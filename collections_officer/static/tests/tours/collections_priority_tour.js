import { registry } from "@web/core/registry";

const callback = luxon.DateTime.now().plus({ days: 2 });

// An officer reads why a case ranks where it does, calls, and agrees a callback.
registry.category("web_tour.tours").add("collections_officer_priority_callback", {
    steps: () => [
        {
            content: "Open the priority of the case",
            trigger: ".o_form_view .o_notebook a:contains('Priority')",
            run: "click",
        },
        {
            content: "The points of each input are shown",
            trigger: ".o_form_view table.o_collection_priority td:contains('Days overdue')",
        },
        {
            content: "Log the call",
            trigger: ".o_form_view button:contains('Log a Contact')",
            run: "click",
        },
        {
            content: "What came of it",
            trigger: ".modal .o_field_widget[name=outcome] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "The customer answered",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('Spoke')",
            run: "click",
        },
        {
            content: "Agree a callback",
            trigger: ".modal .o_field_widget[name=callback_date] input",
            run: `edit ${callback.toFormat("MM/dd/yyyy")}`,
        },
        {
            content: "Log it",
            trigger: ".modal button[name=action_log]",
            run: "click",
        },
        {
            content: "The callback is the case's next action",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_field_widget[name=next_action_label]:contains('Call back')",
        },
    ],
});
