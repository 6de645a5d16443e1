import { registry } from "@web/core/registry";

// An officer protects a customer who asked not to be contacted.
registry.category("web_tour.tours").add("collections_officer_protect_customer", {
    steps: () => [
        {
            content: "Open the case's action menu",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Open the wizard from the case",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Protect Customer')",
            run: "click",
        },
        {
            content: "The wizard says who may lift the flag",
            trigger: ".modal .text-muted:contains('Only a collections manager can lift a flag')",
        },
        {
            content: "Do not contact",
            trigger: ".modal .o_field_widget[name=collection_do_not_contact] input",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] input, .modal .o_field_widget[name=reason] textarea",
            run: "edit Letter of 12 June asking us to stop calling",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "Back on the case",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name=partner_id]",
        },
    ],
});

// A manager approves a plan above the company's limits.
registry.category("web_tour.tours").add("collections_officer_manager_approves_plan", {
    steps: () => [
        {
            content: "The plan waits for approval",
            trigger: ".o_form_view .alert-info:contains('Approval requested')",
        },
        {
            content: "Approve it",
            trigger: ".o_form_view button[name=action_approve]",
            run: "click",
        },
        {
            content: "The plan shows it is approved",
            trigger: ".o_form_view .o_field_widget[name=approval_state]:contains('Approved')",
        },
    ],
});

// A manager ends the dry runs from the last one.
registry.category("web_tour.tours").add("collections_officer_manager_goes_live", {
    steps: () => [
        {
            content: "Go live from the dry run",
            trigger: ".o_form_view button:contains('Go Live')",
            run: "click",
        },
        {
            content: "The wizard counts what the dry run prepared",
            trigger: ".modal p:contains('prepared')",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_go_live]",
            run: "click",
        },
        {
            content: "On the follow-up status: live, with the runs (the dry runs are gone)",
            trigger: "body:not(:has(.modal)) .o_form_view .alert-success:contains('Live')",
        },
    ],
});
