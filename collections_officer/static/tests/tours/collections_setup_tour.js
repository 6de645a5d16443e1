import { registry } from "@web/core/registry";

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The visible element of ``selector`` whose text is ``text``. */
function findByText(selector, text) {
    return [...document.querySelectorAll(selector)].find(
        (el) => el.offsetParent && el.textContent.trim() === text
    );
}

// A manager opens the collections settings from the Configuration menu, on the bar or
// behind its "+", and raises the limit above which a payment plan needs approval.
registry.category("web_tour.tours").add("collections_officer_setup_manager_settings", {
    steps: () => [
        {
            content: "Open the Configuration menu",
            trigger: ".o_main_navbar .o_menu_sections",
            run() {
                const menu =
                    findByText(".o_main_navbar .o_menu_sections button", "Configuration") ||
                    document.querySelector(".o_main_navbar .o_menu_sections_more button");
                menu.click();
            },
        },
        {
            content: "Collections Settings",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Collections Settings')",
            run: "click",
        },
        {
            content: "The collections settings of the company open",
            trigger: ".o_form_view h1:contains('Collections Settings')",
        },
        {
            content: "The go-live is among them",
            trigger: ".o_form_view:contains('Not live: dry runs only') button:contains('Go Live')",
        },
        {
            content: "Raise the plan approval limit",
            trigger: ".o_form_view .o_field_widget[name=collection_plan_max_amount] input",
            run: "edit 25000",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the new limit is shown",
            trigger:
                ".o_form_view:has(.o_form_status_indicator_buttons.invisible) .o_field_widget[name=collection_plan_max_amount] input:value(25,000.00)",
        },
    ],
});

// A manager writes off a small balance on a company whose write-offs were never set up.
registry.category("web_tour.tours").add("collections_officer_setup_first_writeoff", {
    steps: () => [
        {
            content: "The case of the small balance opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Smallbalance Ltd')",
        },
        {
            content: "Write off (a button of the case, or in its action menu)",
            trigger: ".o_form_view .o_statusbar_buttons",
            async run() {
                const button = findByText(".o_form_view .o_statusbar_buttons button", "Write Off");
                if (button) {
                    button.click();
                    return;
                }
                document.querySelector(".o_form_view .o_cp_action_menus .dropdown-toggle").click();
                for (let i = 0; i < 50; i++) {
                    const item = findByText(".o-dropdown--menu .dropdown-item", "Write Off");
                    if (item) {
                        item.click();
                        return;
                    }
                    await delay(100);
                }
                throw new Error("The case offers no Write Off");
            },
        },
        {
            content: "The dialog says where the write-off will be booked, set up now",
            trigger: ".modal .alert-info:contains('no write-off account yet'):contains('Collections Settings')",
        },
        {
            content: "Give the reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Balance too small to chase",
        },
        {
            content: "Write off",
            trigger: ".modal button[name=action_writeoff]",
            run: "click",
        },
        {
            content: "The case is written off",
            trigger: "body:not(:has(.modal)) .o_form_view .ribbon:contains('Written Off')",
        },
    ],
});

// A manager goes live from the last dry run and lands on what going live did.
registry.category("web_tour.tours").add("collections_officer_setup_go_live", {
    steps: () => [
        {
            content: "The dry run is on screen",
            trigger: ".o_form_view .alert-info:contains('A dry run')",
        },
        {
            content: "Go live",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Go Live')",
            run: "click",
        },
        {
            content: "The dialog tells what today's date leaves out",
            trigger: ".modal .alert-warning:contains('this date leaves out'):contains('never chased')",
        },
        {
            content: "Open the date",
            trigger: ".modal .o_field_widget[name=followup_from] button",
            run: "click",
        },
        {
            content: "Clear it: every item is followed up",
            trigger: ".modal .o_field_widget[name=followup_from] input",
            run: "clear",
        },
        {
            content: "Leave the date",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "The dialog says so at once",
            trigger: ".modal:not(:has(.alert-warning)) p:contains('Every overdue item is followed up')",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_go_live]",
            run: "click",
        },
        {
            content: "Live since now, by the manager",
            trigger:
                "body:not(:has(.modal)) .o_form_view .alert-success:contains('Live'):contains('Golive Manager')",
        },
        {
            content: "With the runs: none yet since going live",
            trigger:
                ".o_form_view:contains('Follow-up Runs'):contains('No run since going live yet') button:contains('All Follow-up Runs')",
        },
        {
            content: "No breadcrumb leads back to the deleted dry run",
            trigger:
                ".o_control_panel:not(:has(.breadcrumb-item)) .o_last_breadcrumb_item:contains('Follow-up of')",
        },
    ],
});
