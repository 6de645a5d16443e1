import { registry } from "@web/core/registry";

/** The officer opens the worklist, then the overdue customer's case. */
function openTheCase() {
    return [
        {
            content: "The overdue customer is on the worklist",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Tour Debtor')",
            run: "click",
        },
        {
            content: "The case shows the overdue invoice",
            trigger: ".o_form_view .o_field_widget[name=open_line_ids] .o_data_row",
        },
    ];
}

// An officer opens the worklist and the overdue customer's case.
registry.category("web_tour.tours").add("collections_officer_worklist", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => openTheCase(),
});

// The customer paid 200.00 of the 480.00 after the case was last read from
// accounting: the officer refreshes the case and sees what is still overdue.
registry.category("web_tour.tours").add("collections_officer_worklist_refresh", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        ...openTheCase(),
        {
            content: "The case still shows the figures of its last reading",
            trigger: ".o_form_view .o_field_widget[name=overdue_amount]:text('$ 480.00')",
        },
        {
            content: "The payment is already among the customer's open items",
            trigger:
                ".o_form_view .o_field_widget[name=open_line_ids] .o_data_row:contains('-200.00')",
        },
        {
            content: "Open the case's action menu",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Refresh the case from accounting",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Refresh from Accounting')",
            run: "click",
        },
        {
            content: "The payment is deducted from the overdue amount",
            trigger: ".o_form_view .o_field_widget[name=overdue_amount]:text('$ 280.00')",
        },
        {
            content: "and from the total due",
            trigger: ".o_form_view .o_field_widget[name=total_due]:text('$ 280.00')",
        },
        {
            content: "Still open: 280.00 is overdue",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Open')",
        },
        {
            content: "Open the overdue invoice from its line",
            trigger:
                ".o_form_view .o_field_widget[name=open_line_ids] .o_data_row:contains('480.00')" +
                " button[name=action_open_business_doc]",
            run: "click",
        },
        {
            content: "The customer's invoice opens",
            trigger:
                ".o_form_view:has(.o_field_widget[name=invoice_line_ids])" +
                " .o_field_widget[name=partner_id]:contains('Tour Debtor')",
        },
        {
            content: "on the invoice itself",
            trigger: ".o_breadcrumb .active:contains('INV/')",
        },
    ],
});
