import { registry } from "@web/core/registry";

// The screens shown in the documentation: each tour ends on its screen, rendered.
registry.category("web_tour.tours").add("collections_officer_screen_worklist", {
    steps: () => [
        {
            content: "The worklist lists the cases, the highest priority first",
            trigger: ".o_list_view tbody .o_data_row:first-child:contains('Glenrock Logistics')",
        },
        {
            content: "Every case is there",
            trigger: ".o_list_view .o_data_row:contains('Fairholme Hotels')",
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_screen_case", {
    steps: () => [
        {
            content: "The case shows its open items",
            trigger: ".o_form_view .o_field_widget[name=open_line_ids] .o_data_row:eq(1)",
        },
        {
            content: "and the customer's phone",
            trigger: ".o_form_view .o_field_widget[name=partner_phone]:contains('+44')",
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_screen_my_day", {
    steps: () => [
        {
            content: "The things to do today, by reason",
            trigger: ".o_list_view .o_group_header:contains('Action Due')",
        },
        {
            content: "Unfold every reason",
            trigger: ".o_list_view .o_group_header:contains('Callbacks')",
            run() {
                for (const header of document.querySelectorAll(".o_list_view .o_group_header")) {
                    if (!header.classList.contains("o_group_open")) {
                        header.click();
                    }
                }
            },
        },
        {
            content: "The callback is listed",
            trigger: ".o_list_view .o_data_row:contains('Call back the AP clerk')",
        },
        {
            content: "The cases with an action due are listed",
            trigger: ".o_list_view .o_data_row:contains('Brightwell Ltd')",
        },
    ],
});
