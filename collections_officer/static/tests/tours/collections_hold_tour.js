import { registry } from "@web/core/registry";

// A manager rejects a dispute on a case on hold: the dialog says why the compliance
// guard stops the e-mail, and the override reason is given there.
registry.category("web_tour.tours").add("collections_officer_hold_dispute", {
    url: "/odoo/action-collections_officer.collection_dispute_action",
    steps: () => [
        {
            content: "Open the held customer's dispute",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Held Debtor')",
            run: "click",
        },
        {
            content: "Decide on it",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Accept or Reject')",
            run: "click",
        },
        {
            content: "Reject it",
            trigger: ".modal .o_field_widget[name=decision] input[data-value=reject]",
            run: "click",
        },
        {
            content: "The dialog says the guard stops the e-mail, and why",
            trigger:
                ".modal .o_field_widget[name=guard_note]:contains('compliance guard'):contains('Main customer bankrupt')",
        },
        {
            content: "Say why the dispute is rejected",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit The goods were signed for in good condition.",
        },
        {
            content: "Confirm without an override reason",
            trigger: ".modal button[name=action_resolve]",
            run: "click",
        },
        {
            content: "Refused: the error says to give the override reason",
            trigger: ".o_error_dialog:contains('give the reason for overriding the guard')",
        },
        {
            content: "Close the error",
            trigger: ".o_error_dialog .o-default-button",
            run: "click",
        },
        {
            content: "Nothing lost: the reason is still in the dialog",
            trigger:
                ".modal .o_field_widget[name=note] textarea:value('The goods were signed for in good condition.')",
        },
        {
            content: "Give the override reason, in the same dialog",
            trigger: ".modal .o_field_widget[name=override_reason] input",
            run: "edit Rejected before the hold ends.",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_resolve]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The dispute is rejected",
            // The current state, even when the status bar folds its steps away.
            trigger:
                ".o_form_view .o_statusbar_status:has(button.o_arrow_button_current[data-value=rejected])",
        },
    ],
});

// A manager lifts a hold from the case, with the reason: the case is back in
// follow-up and its chatter says who lifted it and why.
registry.category("web_tour.tours").add("collections_officer_hold_lift", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "Open the held case",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Lifted Debtor')",
            run: "click",
        },
        {
            content: "The case says it is on hold, until when and why",
            trigger:
                ".o_form_view [name=hold_banner]:contains('On hold'):contains('until'):contains('Insurance claim pending')",
        },
        {
            content: "Lift the hold",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_lift_hold]",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The insurer settled early.",
        },
        {
            content: "Lift it",
            trigger: ".modal button[name=action_lift]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The case is back in follow-up",
            // The current state, even when the status bar folds its steps away.
            trigger: ".o_form_view .o_statusbar_status:has(button.o_arrow_button_current[data-value=open])",
        },
        {
            content: "No hold banner any more",
            trigger: ".o_form_view:not(:has([name=hold_banner]))",
        },
        {
            content: "The chatter says who lifted it and why",
            trigger: ".o-mail-Message:contains('Hold lifted by'):contains('The insurer settled early.')",
        },
    ],
});
