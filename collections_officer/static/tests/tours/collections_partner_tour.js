import { registry } from "@web/core/registry";

// A collections manager who may not edit contacts sets a customer's officer and policy
// from the contact's Collections tab.
registry.category("web_tour.tours").add("collections_officer_partner_settings", {
    steps: () => [
        {
            content: "The contact is read-only to the manager",
            trigger: ".o_form_view .o_form_readonly .o_field_widget[name=name]:contains('Kestrel Supplies')",
        },
        {
            content: "Open the Collections tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Collections')",
            run: "click",
        },
        {
            content: "Edit the collections settings",
            trigger: ".o_form_view button[name=action_edit_collection_settings]",
            run: "click",
        },
        {
            content: "Pick the officer",
            trigger: ".modal .o_field_widget[name=collection_user_id] input",
            run: "edit Partner Officer",
        },
        {
            content: "The officer is offered",
            trigger: ".o-autocomplete--dropdown-item:contains('Partner Officer')",
            run: "click",
        },
        {
            content: "Pick the policy",
            trigger: ".modal .o_field_widget[name=collection_policy_id] input",
            run: "edit Gentle",
        },
        {
            content: "The policy is offered",
            trigger: ".o-autocomplete--dropdown-item:contains('Gentle Policy')",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal footer button.btn-primary:contains('Save')",
            run: "click",
        },
        {
            content: "The contact shows the policy saved",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name=collection_policy_id]:contains('Gentle Policy')",
        },
        {
            content: "and the officer",
            trigger: ".o_form_view .o_field_widget[name=collection_user_id]:contains('Partner Officer')",
        },
    ],
});
