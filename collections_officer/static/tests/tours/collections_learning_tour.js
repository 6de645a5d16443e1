import { registry } from "@web/core/registry";

/** The visible element of ``selector`` whose text is ``text``. */
function findByText(selector, text) {
    return [...document.querySelectorAll(selector)].find(
        (el) => el.offsetParent && el.textContent.trim() === text
    );
}

/** Steps opening Configuration > ``item`` from the menu bar (or behind its "+"). */
function openConfiguration(item) {
    return [
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
            content: `Configuration > ${item}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains('${item}')`,
            run: "click",
        },
    ];
}

// A manager sets up a policy experiment on the shipped policy and starts it.
registry.category("web_tour.tours").add("collections_officer_learning_start_experiment", {
    steps: () => [
        ...openConfiguration("Policy Experiments"),
        {
            content: "The experiments open",
            trigger: ".o_list_view .o_control_panel .o_breadcrumb:contains('Policy Experiments')",
        },
        {
            content: "New experiment",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Earlier second reminder",
        },
        {
            content: "The champion: the policy in use",
            trigger: ".o_form_view .o_field_widget[name=champion_policy_id] input",
            run: "edit Standard Follow-up",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-item a:contains('Standard Follow-up')",
            run: "click",
        },
        {
            content: "No challenger yet: the share is the default one",
            trigger: ".o_form_view .o_field_widget[name=challenger_share] input:value(20)",
        },
        {
            content: "Create the challenger from the champion",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_create_challenger]",
            run: "click",
        },
        {
            content: "The challenger opens: a copy of the champion",
            trigger:
                ".o_form_view .o_field_widget[name=name] input:value(Standard Follow-up (challenger))",
        },
        {
            content: "With the champion's levels",
            trigger:
                ".o_form_view .o_field_widget[name=level_ids] .o_data_row:contains('Friendly Reminder') ~ .o_data_row:contains('Final Notice')",
        },
        {
            content: "Back to the experiment",
            trigger: ".o_control_panel .breadcrumb-item:contains('Earlier second reminder')",
            run: "click",
        },
        {
            content: "The experiment names its challenger",
            trigger:
                ".o_form_view .o_field_widget[name=challenger_policy_id] input:value(Standard Follow-up (challenger))",
        },
        {
            content: "Half of the new cases try the challenger",
            trigger: ".o_form_view .o_field_widget[name=challenger_share] input",
            run: "edit 50",
        },
        {
            content: "Start",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_start]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:contains('Start the experiment?') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The experiment runs",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_statusbar_status .o_arrow_button_current:contains('Running')",
        },
        {
            content: "Its segment is fixed now: the share is read-only",
            trigger:
                ".o_form_view .o_field_widget[name=challenger_share]:not(:has(input)):contains('50')",
        },
        {
            content: "The seed was drawn, shown as it is kept",
            trigger: ".o_form_view .o_field_widget[name=seed]",
            run() {
                const seed = this.anchor.textContent.trim();
                if (!/^[1-9]\d*$/.test(seed)) {
                    throw new Error(`The seed reads "${seed}"`);
                }
            },
        },
        {
            content: "Its results are shown from now on",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Results')",
        },
    ],
});

// An officer sees on the case which arm of the experiment it follows.
registry.category("web_tour.tours").add("collections_officer_learning_case_arm", {
    steps: () => [
        {
            content: "The case names its experiment",
            trigger:
                ".o_form_view .o_field_widget[name=experiment_id]:contains('Earlier second reminder')",
        },
        {
            content: "And its arm, in words, with the policy it follows",
            trigger: ".o_form_view .o_field_widget[name=experiment_arm]",
            run() {
                const arm = this.anchor.textContent.trim();
                const policy = document
                    .querySelector(".o_form_view .o_field_widget[name=effective_policy_id]")
                    .textContent.trim();
                const expected = {
                    Champion: "Standard Follow-up",
                    Challenger: "Standard Follow-up (challenger)",
                }[arm];
                if (policy !== expected) {
                    throw new Error(`The case shows the arm "${arm}" and follows "${policy}"`);
                }
            },
        },
        {
            content: "And when it was drawn",
            trigger: ".o_form_view .o_field_widget[name=experiment_date]:not(:empty)",
            run() {
                this.anchor.scrollIntoView();
            },
        },
    ],
});

// A manager reads the results of a running experiment and promotes its challenger.
registry.category("web_tour.tours").add("collections_officer_learning_promote", {
    steps: () => [
        {
            content: "The experiment runs",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Running')",
        },
        {
            content: "Its cases, by arm",
            trigger:
                ".o_form_view button[name=action_view_cases] .o_stat_value:contains('5 / 5')",
        },
        {
            content: "The results",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Results')",
            run: "click",
        },
        {
            content: "A column per arm, each named by its policy",
            trigger:
                ".o_collection_experiment_report thead:contains('Champion: Standard Follow-up'):contains('Challenger: Standard Follow-up (challenger)')",
        },
        {
            content: "Five cases in each arm",
            trigger:
                ".o_collection_experiment_report tbody tr:first-child:contains('Cases'):not(:contains('measured'))",
            run() {
                const cells = [...this.anchor.querySelectorAll("td")].map((td) =>
                    td.textContent.trim()
                );
                if (cells.join("|") !== "5|5") {
                    throw new Error(`The cases by arm read ${cells.join(" | ")}`);
                }
            },
        },
        {
            content: "The 30-day window of every case has passed: each arm is measured",
            trigger:
                ".o_collection_experiment_report tr:contains('Collected within 30 days') td:contains('(5 cases measured)') ~ td:contains('(5 cases measured)')",
        },
        {
            content: "Money is shown in the company's currency",
            trigger: ".o_collection_experiment_report tr:contains('Contact cost per case') td",
            run() {
                const text = this.anchor.textContent.trim();
                if (!/^\S+ \d[\d,]*\.\d\d$/.test(text)) {
                    throw new Error(`The contact cost reads "${text}"`);
                }
            },
        },
        {
            content: "The verdict",
            trigger: ".o_field_widget[name=report_html] p.fw-bold:contains('Not yet significant')",
        },
        {
            content: "Promote the challenger",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_promote]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:contains('Promote it?') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The experiment is over: promoted",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_statusbar_status .o_arrow_button_current:contains('Promoted')",
        },
        {
            content: "The chatter says what changed",
            trigger:
                ".o-mail-Message:contains('Standard Follow-up (challenger) is now the default policy of')",
        },
    ],
});

// A manager reads why the payment model is not used and asks for a training now.
registry.category("web_tour.tours").add("collections_officer_learning_predictions", {
    steps: () => [
        ...openConfiguration("Payment Predictions"),
        {
            content: "The trained record: the median rule",
            trigger: ".o_list_view .o_data_row:first-child:contains('Median rule')",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row:first-child td[name=trained_date]",
            run: "click",
        },
        {
            content: "It says why cases keep the customer's median delay",
            trigger:
                ".o_form_view .alert-warning:contains('median delay'):contains('too little history'):contains('paid invoices, at least 200 needed')",
        },
        {
            content: "Not backtested: no error figures to compare",
            trigger:
                ".o_form_view:not(:has(.o_field_widget[name=mae_model])) .o_field_widget[name=evaluated_count]:contains('0')",
        },
        {
            content: "Its figures: the paid invoices counted",
            trigger: ".o_form_view .o_field_widget[name=paid_count]",
            run() {
                const text = this.anchor.textContent.trim();
                if (!/^\d[\d,]*$/.test(text)) {
                    throw new Error(`The paid invoices read "${text}"`);
                }
            },
        },
        {
            content: "The state",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Median rule')",
        },
        {
            content: "Train now",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_train]",
            run: "click",
        },
        {
            content: "The training is queued, not run in the request",
            trigger: ".o_notification:contains('The training is queued')",
        },
    ],
});

// An officer reads a case predicted by the customer's median delay.
registry.category("web_tour.tours").add("collections_officer_learning_median", {
    steps: () => [
        {
            content: "The case of the customer who pays late",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains('Latepayer Ltd')",
        },
        {
            content: "Predicted by the median delay",
            trigger:
                ".o_form_view .o_field_widget[name=predicted_pay_method]:contains('Median delay')",
        },
        {
            content: "From the paid invoices",
            trigger: ".o_form_view .o_field_widget[name=predicted_pay_basis]:contains('3')",
        },
        {
            content: "No probability without the model",
            trigger: ".o_form_view:not(:has(.o_field_widget[name=predicted_pay_probability]))",
        },
        {
            content: "The priority tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Priority')",
            run: "click",
        },
        {
            content: "It explains the date",
            trigger:
                ".o_form_view .o_notebook .tab-pane.active div[name=prediction]:contains('Predicted by the customer')",
            run() {
                const text = this.anchor.textContent;
                if (!text.includes("median delay over 3 paid invoices.")) {
                    throw new Error(`The explanation reads "${text.trim()}"`);
                }
                this.anchor.scrollIntoView();
            },
        },
    ],
});
