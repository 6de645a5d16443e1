import { registry } from "@web/core/registry";
import { toLocaleDateString } from "@web/core/l10n/dates";

function checkScreenWidth() {
    if (window.innerWidth !== 1440) {
        throw new Error(`The screen is ${window.innerWidth} px wide, not 1440`);
    }
}

/** The cells (or any element inside them) whose text is cut off. */
function cutCells(cells) {
    return cells.filter((cell) =>
        [cell, ...cell.querySelectorAll("*")].some(
            (el) => el.clientWidth && el.scrollWidth > el.clientWidth
        )
    );
}

function describe(cells) {
    return cells
        .map((cell) => `${cell.getAttribute("name")} "${cell.textContent.trim()}" (${cell.clientWidth} px)`)
        .join(", ");
}

// The officer's worklist reads in full on a 1440 px wide screen: the customers' names,
// their phone and SMS links, the level and the outcome; the red rows are explained; the
// last contact shows its date.
registry.category("web_tour.tours").add("collections_officer_layout_worklist", {
    steps: () => [
        {
            content: "The worklist shows the cases",
            trigger: ".o_list_view .o_data_row:contains('Kestrel Engineering Services Ltd')",
        },
        {
            content: "The level sent is on the worklist",
            trigger: ".o_list_view .o_data_row td[name=level_id]:contains('Second Reminder')",
        },
        {
            content: "No customer, phone, level, date, outcome, amount or state is cut off",
            trigger: ".o_list_view .o_data_row td.o_data_cell[name=partner_id]",
            run() {
                checkScreenWidth();
                // What comes next is free text (an activity's summary): it may be long.
                const cells = [
                    ...document.querySelectorAll(
                        ".o_list_view .o_data_row td.o_data_cell:not([name=next_action_label])"
                    ),
                ];
                const names = cells.filter((cell) => cell.getAttribute("name") === "partner_id");
                if (names.length < 3) {
                    throw new Error(`Only ${names.length} customers on the worklist`);
                }
                const cut = cutCells(cells);
                if (cut.length) {
                    throw new Error(`Cut off at 1440 px: ${describe(cut)}`);
                }
            },
        },
        {
            content: "The phone is a link to call, with no SMS link cut to an S",
            trigger:
                ".o_list_view td[name=partner_phone]:not(:has(.o_field_phone_sms)) a[href^='tel:']:contains('+44 20 7946 0123')",
        },
        {
            content: "A legend tells what the red rows are",
            trigger:
                ".o_collection_case_legend:visible:contains('Red'):contains('more than 90 days overdue')",
        },
        {
            content: "The red row is the case over 90 days",
            trigger:
                ".o_list_view .o_data_row.text-danger:contains('Kestrel Engineering Services Ltd')",
        },
        {
            content: "The last contact, four days ago, shows its date",
            trigger:
                ".o_list_view .o_data_row:contains('Orchard Supplies Wholesale Ltd') td[name=last_contact_date]",
            run() {
                const expected = toLocaleDateString(luxon.DateTime.now().minus({ days: 4 }));
                const shown = this.anchor.textContent.trim();
                if (shown !== expected) {
                    throw new Error(`The last contact shows "${shown}", not its date "${expected}"`);
                }
            },
        },
    ],
});

function headerOnOneRow(expected) {
    return {
        content: "The case's actions sit on one row",
        trigger: `.o_form_view .o_statusbar_buttons button:contains('${expected[0]}')`,
        run() {
            checkScreenWidth();
            const buttons = [...document.querySelectorAll(".o_form_view .o_statusbar_buttons button")]
                .filter((button) => button.offsetParent);
            const labels = buttons.map((button) => button.textContent.trim());
            if (JSON.stringify(labels.slice(0, expected.length)) !== JSON.stringify(expected)) {
                throw new Error(`The actions come as ${labels.join(", ")}`);
            }
            const rows = new Set(buttons.map((button) => button.offsetTop));
            if (rows.size !== 1) {
                const where = buttons.map((b) => `${b.textContent.trim()} (${b.offsetTop})`);
                throw new Error(`The actions wrap onto ${rows.size} rows: ${where.join(", ")}`);
            }
            const status = document.querySelector(".o_form_view .o_statusbar_status");
            if (status.offsetTop > buttons[0].offsetTop + buttons[0].offsetHeight) {
                throw new Error("The status bar falls below the actions");
            }
        },
    };
}

function openActionMenu() {
    return {
        content: "Open the case's action menu",
        trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle",
        run: "click",
    };
}

// An officer's case: the most used actions first, on one row; the rest in the action menu.
registry.category("web_tour.tours").add("collections_officer_layout_case_form", {
    steps: () => [
        {
            content: "The customer's case opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Kestrel Engineering')",
        },
        headerOnOneRow([
            "Log a Contact",
            "Record Promise",
            "Send Follow-up Now",
            "Payment Plan",
            "Escalate",
        ]),
        openActionMenu(),
        {
            content: "The statement is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Send Statement')",
        },
        {
            content: "Recording a dispute is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Record Dispute')",
        },
        {
            content: "Refresh from accounting is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Refresh from Accounting')",
            run: "click",
        },
        {
            content: "The case is read again from accounting: the payment is deducted",
            trigger: ".o_form_view .o_field_widget[name=overdue_amount]:contains('2,600.00')",
        },
    ],
});

// A manager's case awaiting a decision: Decide first, the manager's other actions in
// the action menu.
registry.category("web_tour.tours").add("collections_officer_layout_case_form_manager", {
    steps: () => [
        {
            content: "The escalated case opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Bluewave Logistics')",
        },
        headerOnOneRow(["Decide", "Log a Contact", "Record Promise", "Send Follow-up Now", "Payment Plan"]),
        openActionMenu(),
        {
            content: "Registering a payment is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Register Payment')",
        },
        {
            content: "Writing off is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Write Off')",
        },
        {
            content: "Legal action is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Legal Action')",
        },
        {
            content: "Protecting the customer is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Protect Customer')",
        },
        {
            content: "The credit hold is in the action menu",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Credit Hold')",
            run: "click",
        },
        {
            content: "It puts the customer on credit hold",
            trigger: ".modal .modal-footer button:contains('Put on Credit Hold')",
        },
        {
            content: "Give the reason",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Ten invoices unpaid",
        },
        {
            content: "Apply",
            trigger: ".modal .modal-footer button:contains('Put on Credit Hold')",
            run: "click",
        },
        {
            content: "The case shows the hold",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name=partner_credit_hold] input:checked",
        },
    ],
});

// A manager's case on hold: Lift Hold first, the everyday actions after it, on one row.
registry.category("web_tour.tours").add("collections_officer_layout_case_form_held", {
    steps: () => [
        {
            content: "The held case opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Orchard Supplies')",
        },
        headerOnOneRow([
            "Lift Hold",
            "Log a Contact",
            "Record Promise",
            "Send Follow-up Now",
            "Payment Plan",
            "Escalate",
        ]),
    ],
});

// The manager's menu fits a 1440 px wide screen: nothing behind the "+".
registry.category("web_tour.tours").add("collections_officer_layout_manager_menu", {
    steps: () => [
        {
            content: "The collections menu is shown",
            trigger: ".o_main_navbar .o_menu_sections:contains('Configuration')",
        },
        {
            content: "Every menu sits on the bar, none behind the +",
            trigger: ".o_main_navbar .o_menu_sections:contains('Reporting')",
            async run() {
                checkScreenWidth();
                // The bar folds its overflow away after a short debounce.
                await new Promise((resolve) => setTimeout(resolve, 600));
                const more = document.querySelector(".o_main_navbar .o_menu_sections_more");
                if (more) {
                    throw new Error(`Menus behind the +: the bar holds ${this.anchor.textContent}`);
                }
                const hidden = [...this.anchor.querySelectorAll(":scope > .d-none")];
                if (hidden.length) {
                    throw new Error(`Hidden menus: ${hidden.map((el) => el.textContent).join(", ")}`);
                }
            },
        },
        {
            content: "Decisions gathers escalations, write-offs and legal actions",
            trigger: ".o_main_navbar .o_menu_sections button:contains('Decisions')",
            run: "click",
        },
        {
            content: "Write-offs are under Decisions",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Write-Offs')",
            run: "click",
        },
        {
            content: "The write-offs open",
            trigger: ".o_breadcrumb .active:contains('Write-Offs')",
        },
    ],
});
