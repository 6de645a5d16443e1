import { registry } from "@web/core/registry";

// An officer logs in: the day opens on My Day, its groups open, each line saying
// what it is about; the callback agreed for today is under Callbacks.
registry.category("web_tour.tours").add("collections_officer_lands_on_my_day", {
    steps: () => [
        {
            content: "After login, the officer is on My Day",
            trigger: ".o_control_panel .o_breadcrumb:contains('My Day')",
        },
        {
            content: "The callbacks are open, the agreed callback under them",
            trigger:
                ".o_list_view .o_group_header.o_group_open:contains('Callbacks') + .o_data_row:contains('Callback Ltd')",
        },
        {
            content: "Its line says what to do",
            trigger:
                ".o_list_view .o_data_row:contains('Callback Ltd') td.o_data_cell[name=summary]:contains('Call back')",
        },
        {
            content: "The action due says what it is",
            trigger:
                ".o_list_view .o_group_header.o_group_open:contains('Action Due') ~ .o_data_row:contains('Reminder Ltd') td.o_data_cell[name=summary]:contains('Follow-up:')",
        },
    ],
});

// A manager logs in: My Day lists the escalation to decide; the manager opens the
// case, which says why no follow-up level goes meanwhile, and can decide.
registry.category("web_tour.tours").add("collections_manager_decides_from_my_day", {
    steps: () => [
        {
            content: "After login, the manager is on My Day",
            trigger: ".o_control_panel .o_breadcrumb:contains('My Day')",
        },
        {
            content: "The escalation to decide is listed, saying why it was escalated",
            trigger:
                ".o_list_view .o_group_header.o_group_open:contains('Escalations to Decide') + .o_data_row td.o_data_cell[name=summary]:contains('Decide escalation: Unwilling to Pay')",
            run: "click",
        },
        {
            content: "The case opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Refuser Ltd')",
        },
        {
            content: "It says no follow-up level goes until the decision",
            trigger:
                ".o_form_view .o_field_widget[name=followup_blocked_reason]:contains('awaiting a manager')",
        },
        {
            content: "The manager decides from here",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_decide_escalation]",
            run: "click",
        },
        {
            content: "The decision dialog opens",
            trigger: ".modal .o_field_widget[name=decision]",
        },
    ],
});
