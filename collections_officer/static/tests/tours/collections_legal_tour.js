import { registry } from "@web/core/registry";

// A manager decides an escalation as Legal Action: the legal action opens on its
// letter before action, which is sent at once, with no external party to choose.
registry.category("web_tour.tours").add("collections_officer_legal_start", {
    url: "/odoo/action-collections_officer.collection_escalation_action",
    steps: () => [
        {
            content: "Open the escalation of the customer who refuses to pay",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Legal Debtor')",
            run: "click",
        },
        {
            content: "Decide on it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_open_decision]",
            run: "click",
        },
        {
            content: "Legal Action",
            trigger: ".modal .o_field_widget[name=decision] input[data-value=legal]",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=decision_note] textarea",
            run: "edit Refuses to pay after the final notice.",
        },
        {
            content: "Decide",
            trigger: ".modal button[name=action_decide]",
            run: "click",
        },
        {
            content: "The legal action opens on its letter before action",
            trigger: ".o_breadcrumb .active:contains('Letter Before Action')",
        },
        {
            content: "No external party is asked for the letter",
            trigger: ".o_form_view:not(:has(.o_field_widget[name=party_id]))",
        },
        {
            content: "Send the letter before action",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_open_send_notice]",
            run: "click",
        },
        {
            content: "It says the letter is e-mailed now: go on",
            trigger: ".modal:contains('e-mailed to the customer now') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The letter is sent (its three PDFs are rendered first)",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Notice Sent')",
            timeout: 60000,
        },
        {
            content: "Its next step is at hand",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_open_hand_over]",
        },
        {
            content: "The chatter says when, and until when the customer may reply",
            trigger: ".o-mail-Message:contains('Letter before action sent on'):contains('may reply until')",
        },
    ],
});
