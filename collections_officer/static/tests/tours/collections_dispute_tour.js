import { registry } from "@web/core/registry";

// An officer records that the customer contests part of an invoice: that part
// shows apart on the case and in the Disputes tab.
registry.category("web_tour.tours").add("collections_officer_dispute", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "Open the disputing customer's case",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Dispute Debtor')",
            run: "click",
        },
        {
            content: "Open the case's action menu",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Record a dispute",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Record Dispute')",
            run: "click",
        },
        {
            content: "Pick the invoice",
            trigger: ".modal .o_field_widget[name=move_id] input",
            run: "edit INV",
        },
        {
            content: "The customer's invoice is offered",
            trigger: ".o-autocomplete--dropdown-item:contains('INV')",
            run: "click",
        },
        {
            content: "The invoice's residual is filled in (the amount proposed with it)",
            trigger: ".modal .o_field_widget[name=invoice_residual]:contains('480')",
        },
        {
            content: "Part of it is disputed",
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 100",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "The quality of the goods",
            trigger: ".o_select_menu_item:contains('Quality')",
            run: "click",
        },
        {
            content: "Save the dispute",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal)) .o_form_view",
        },
        {
            content: "The disputed part shows apart on the case",
            trigger: ".o_form_view .o_field_widget[name=disputed_amount]:contains('100.00')",
        },
        {
            content: "The Disputes tab lists it",
            trigger: ".o_form_view .o_notebook a:contains('Disputes')",
            run: "click",
        },
        {
            content: "The dispute is open",
            trigger: ".o_form_view .o_field_widget[name=dispute_ids] .o_data_row:contains('Quality')",
        },
    ],
});
