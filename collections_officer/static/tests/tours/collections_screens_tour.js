import { registry } from "@web/core/registry";

// The screens shown in the documentation: each tour checks what its screen shows of
// the book of test_collection_screenshots.py, then ends on it, rendered.

/** The worklist row of ``customer`` shows these cells (column name: text). */
function worklistRow(customer, cells) {
    const row = `.o_list_view tbody .o_data_row:has(td[name=partner_id]:text('${customer}'))`;
    return Object.entries(cells).map(([name, text]) => ({
        content: `${customer}: ${name} ${text}`,
        trigger: `${row} td[name=${name}]:text('${text}')`,
    }));
}

registry.category("web_tour.tours").add("collections_officer_screen_worklist", {
    steps: () => [
        {
            content: "The officer's team's six cases, and no other",
            trigger: ".o_list_view tbody:has(.o_data_row:count(6))",
        },
        {
            content: "The highest priority first: the colleague's oldest, largest debt",
            trigger:
                ".o_list_view tbody .o_data_row:first-child" +
                " td[name=partner_id]:text('Glenrock Logistics')",
        },
        // The officer and the channel are columns shown on demand at 1440 px.
        ...worklistRow("Glenrock Logistics", {
            overdue_amount: "$ 18,700.00",
            days_overdue: "130",
            state: "Open",
        }),
        // Three invoices: 4,200.00, 1,250.00 and 640.00, the oldest 75 days overdue.
        ...worklistRow("Brightwell Ltd", {
            overdue_amount: "$ 6,090.00",
            days_overdue: "75",
            last_contact_outcome: "No Answer",
            state: "Open",
        }),
        ...worklistRow("Dunmore Foods", {
            overdue_amount: "$ 6,800.00",
            days_overdue: "62",
            last_contact_outcome: "Refused",
            state: "Escalated",
        }),
        ...worklistRow("Calder & Sons", {
            overdue_amount: "$ 3,200.00",
            days_overdue: "40",
            state: "Promised",
        }),
        ...worklistRow("Fairholme Hotels", {
            overdue_amount: "$ 2,300.00",
            days_overdue: "33",
            last_contact_outcome: "Disputed",
            state: "On Hold",
        }),
        ...worklistRow("Elmstead Garden Centre", {
            overdue_amount: "$ 950.00",
            days_overdue: "12",
            state: "Open",
        }),
        {
            content: "The total overdue of the six",
            trigger: ".o_list_view tfoot td:text('$ 38,040.00')",
        },
    ],
});

/** The ``n``th line of the case's open items (from 1) shows ``amount`` due. */
function openItem(n, amount) {
    return (
        `.o_form_view .o_field_widget[name=open_line_ids] .o_data_row:nth-child(${n}) ` +
        `td[name=amount_residual]:text('${amount}')`
    );
}

registry.category("web_tour.tours").add("collections_officer_screen_case", {
    steps: () => [
        {
            content: "The case of Brightwell Ltd",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Brightwell Ltd')",
        },
        {
            content: "and the customer's phone",
            trigger: ".o_form_view .o_field_widget[name=partner_phone]:contains('+44 20 7946 0101')",
        },
        {
            content: "The three invoices are overdue",
            trigger: ".o_form_view .o_field_widget[name=overdue_amount]:text('$ 6,090.00')",
        },
        {
            content: "and all that is due",
            trigger: ".o_form_view .o_field_widget[name=total_due]:text('$ 6,090.00')",
        },
        {
            content: "The oldest is 75 days overdue",
            trigger: ".o_form_view .o_field_widget[name=days_overdue]:text('75')",
        },
        {
            content: "Aged: 640.00 under 30 days,",
            trigger: ".o_form_view .o_field_widget[name=amount_1_30]:text('$ 640.00')",
        },
        {
            content: "1,250.00 at 31-60 days,",
            trigger: ".o_form_view .o_field_widget[name=amount_31_60]:text('$ 1,250.00')",
        },
        {
            content: "4,200.00 at 61-90 days",
            trigger: ".o_form_view .o_field_widget[name=amount_61_90]:text('$ 4,200.00')",
        },
        {
            content: "Three open items",
            trigger: ".o_form_view .o_field_widget[name=open_line_ids] tbody:has(.o_data_row:count(3))",
        },
        { content: "the oldest first", trigger: openItem(1, "$ 4,200.00") },
        { content: "then the 40 days old", trigger: openItem(2, "$ 1,250.00") },
        { content: "the most recent last", trigger: openItem(3, "$ 640.00") },
    ],
});

registry.category("web_tour.tours").add("collections_officer_screen_my_day", {
    steps: () => [
        {
            content: "The things to do today, by reason: one case with an action due",
            trigger: ".o_list_view .o_group_header:contains('Action Due (1)')",
        },
        {
            content: "and one callback",
            trigger: ".o_list_view .o_group_header:contains('Callbacks (1)')",
        },
        {
            content: "and nothing else",
            trigger: ".o_list_view tbody:has(.o_group_header:count(2))",
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
            trigger:
                ".o_list_view .o_data_row:contains('Call back the AP clerk')" +
                ":contains('Elmstead Garden Centre')",
        },
        {
            content: "The cases with an action due are listed",
            trigger: ".o_list_view .o_data_row:contains('Brightwell Ltd'):contains('$ 6,090.00')",
        },
        {
            content:
                "The colleague's case is not the officer's to do, nor the escalated one " +
                "while its manager decides",
            trigger:
                ".o_list_view tbody:has(.o_data_row:count(2))" +
                ":not(:contains('Glenrock Logistics')):not(:contains('Dunmore Foods'))",
        },
        {
            content: "What is overdue on the day's cases",
            trigger: ".o_list_view tfoot td:text('$ 7,040.00')",
        },
    ],
});
