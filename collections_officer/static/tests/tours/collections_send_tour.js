import { registry } from "@web/core/registry";

// An officer sends the case's follow-up level after rewording the e-mail: the
// dialog shows the e-mail as the customer will get it, with its statement.
registry.category("web_tour.tours").add("collections_officer_send_edited", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "Open the customer's case",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Send Debtor')",
            run: "click",
        },
        {
            content: "Send the follow-up now",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Send Follow-up Now')",
            run: "click",
        },
        {
            content: "The e-mail goes to the customer",
            trigger: ".modal .o_field_widget[name=mail_to]:contains('send.debtor@example.com')",
        },
        {
            content: "The level's template wrote it",
            trigger: ".modal .o_field_widget[name=mail_body]:contains('past their due date')",
        },
        {
            content: "The statement is attached",
            trigger: ".modal .o_field_widget[name=attachment_ids]:contains('Statement')",
        },
        {
            content: "Reword the subject",
            trigger: ".modal .o_field_widget[name=mail_subject] input",
            run: "edit As agreed on the phone today",
        },
        {
            content: "Send",
            trigger: ".modal button[name=action_send]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal)) .o_form_view",
        },
    ],
});

// An officer e-mails the customer its statement alone, from the case's actions.
registry.category("web_tour.tours").add("collections_officer_send_statement", {
    url: "/odoo/action-collections_officer.collection_case_action",
    steps: () => [
        {
            content: "Open the customer's case",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains('Statement Debtor')",
            run: "click",
        },
        {
            content: "Open the case's actions",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Send the statement",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Send Statement')",
            run: "click",
        },
        {
            content: "The statement is attached",
            trigger: ".modal .o_field_widget[name=attachment_ids]:contains('Statement')",
        },
        {
            content: "Reword the subject",
            trigger: ".modal .o_field_widget[name=mail_subject] input",
            run: "edit The statement you asked for",
        },
        {
            content: "Send",
            trigger: ".modal button[name=action_send]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal)) .o_form_view",
        },
    ],
});
