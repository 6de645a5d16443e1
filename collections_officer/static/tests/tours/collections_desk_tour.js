import { registry } from "@web/core/registry";

function openGroup(name) {
    return {
        content: `Unfold ${name}`,
        trigger: `.o_list_view .o_group_header:contains('${name}')`,
        run() {
            if (!this.anchor.classList.contains("o_group_open")) {
                this.anchor.click();
            }
        },
    };
}

// An officer's morning: the top case of My Day, a call ending in a promise, and
// the case leaves the cases with an action due.
registry.category("web_tour.tours").add("collections_officer_morning", {
    steps: () => [
        openGroup("Action Due"),
        {
            content: "The largest debt due today comes first",
            trigger:
                ".o_list_view .o_group_header.o_group_open:contains('Action Due') + .o_data_row td.o_data_cell[name=partner_id]:contains('Brightwell Ltd')",
            run: "click",
        },
        {
            content: "The case of the customer opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Brightwell Ltd')",
        },
        {
            content: "The customer promises to pay: record it",
            trigger: ".o_form_view button:contains('Record Promise')",
            run: "click",
        },
        {
            content: "Promised for Friday",
            trigger: ".modal .o_field_widget[name=date] input",
            run: `edit ${luxon.DateTime.now().plus({ days: 4 }).toFormat("MM/dd/yyyy")}`,
        },
        {
            content: "Save the promise",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The case waits on the promise",
            trigger:
                "body:not(:has(.modal)) .o_form_view .oe_stat_button:contains('Promises'):contains('1')",
        },
        {
            content: "Back to My Day",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('My Day')",
            run: "click",
        },
        openGroup("Action Due"),
        {
            content: "The next case is still due",
            trigger: ".o_list_view .o_data_row:contains('Calder Ltd')",
        },
        {
            content: "The promised case left the cases with an action due",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Brightwell Ltd')))",
        },
    ],
});

// A manager moves a selection of cases to another officer.
registry.category("web_tour.tours").add("collections_officer_manager_rebalances", {
    steps: () => [
        {
            content: "Select the first case",
            trigger: ".o_list_view .o_data_row:contains('Dunmore Ltd') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Select the second case",
            trigger: ".o_list_view .o_data_row:contains('Elmstead Ltd') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus button:contains('Actions')",
            run: "click",
        },
        {
            content: "Rebalance",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Rebalance Cases')",
            run: "click",
        },
        {
            content: "The selected cases are in the dialog",
            trigger: ".modal .o_field_widget[name=case_ids] .o_data_row:contains('Elmstead Ltd')",
        },
        {
            content: "Pick the officer to give them to",
            trigger: ".modal .o_field_widget[name=user_ids] input",
            run: "edit Relief",
        },
        {
            content: "The relief officer is offered",
            trigger: ".o-autocomplete--dropdown-item:contains('Relief Officer')",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_rebalance]",
            run: "click",
        },
        {
            content: "The dialog closes on the worklist",
            trigger: "body:not(:has(.modal)) .o_list_view",
        },
    ],
});

// The officer sorts the open items of a case by amount and by due date.
registry.category("web_tour.tours").add("collections_officer_sort_open_items", {
    steps: () => [
        {
            content: "The oldest due item comes first",
            trigger: ".o_field_widget[name=open_line_ids] tbody tr.o_data_row:first-child:contains('300.00')",
        },
        {
            content: "Sort by amount",
            trigger: ".o_field_widget[name=open_line_ids] th[data-name=amount_residual]",
            run: "click",
        },
        {
            content: "The smallest amount first",
            trigger: ".o_field_widget[name=open_line_ids] tbody tr.o_data_row:first-child:contains('100.00')",
        },
        {
            content: "Sort by amount again",
            trigger: ".o_field_widget[name=open_line_ids] th[data-name=amount_residual]",
            run: "click",
        },
        {
            content: "The largest amount first",
            trigger: ".o_field_widget[name=open_line_ids] tbody tr.o_data_row:first-child:contains('900.00')",
        },
        {
            content: "Sort by due date",
            trigger: ".o_field_widget[name=open_line_ids] th[data-name=date_maturity]",
            run: "click",
        },
        {
            content: "The oldest due first again",
            trigger: ".o_field_widget[name=open_line_ids] tbody tr.o_data_row:first-child:contains('300.00')",
        },
        {
            content: "Sort by due date again",
            trigger: ".o_field_widget[name=open_line_ids] th[data-name=date_maturity]",
            run: "click",
        },
        {
            content: "The latest due first",
            trigger: ".o_field_widget[name=open_line_ids] tbody tr.o_data_row:first-child:contains('100.00')",
        },
    ],
});

// No header of the worklist is cut off on a 1440 px wide screen.
registry.category("web_tour.tours").add("collections_officer_worklist_headers", {
    steps: () => [
        {
            content: "The worklist shows the cases",
            trigger: ".o_list_view .o_data_row:contains('Fairholme Ltd')",
        },
        {
            content: "Every column header reads in full",
            trigger: ".o_list_view thead th[data-name]",
            run() {
                const headers = [...document.querySelectorAll(".o_list_view thead th[data-name]")];
                const cut = headers.filter((th) => {
                    const label = th.querySelector("span.text-truncate") || th;
                    return label.scrollWidth > label.clientWidth;
                });
                if (window.innerWidth !== 1440) {
                    throw new Error(`The screen is ${window.innerWidth} px wide, not 1440`);
                }
                if (cut.length) {
                    const names = cut.map((th) => `${th.dataset.name} "${th.textContent.trim()}"`);
                    throw new Error(`Headers cut off at 1440 px: ${names.join(", ")}`);
                }
            },
        },
    ],
});
