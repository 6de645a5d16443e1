import { registry } from "@web/core/registry";

// The customer opens the link of a reminder and pays with the demo provider.
function payWithDemo() {
    return [
        {
            content: "The demo payment method is offered",
            trigger: "#o_payment_form input[name=o_payment_radio][data-payment-method-code=demo]",
            run: "click",
        },
        {
            content: "Type the (test) card details",
            trigger: "#customer_input",
            run: "edit 4111 1111 1111 1111",
        },
        {
            content: "Pay",
            trigger: "button[name=o_payment_submit_button]:enabled",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

registry.category("web_tour.tours").add("collections_portal_pay", {
    steps: () => [
        {
            content: "The page shows what is overdue",
            trigger: ".o_collection_portal h2:contains('What you owe today')",
        },
        {
            content: "Pay the invoices I choose",
            trigger: "#pay_invoices",
            run: "click",
        },
        {
            content: "Choose the first invoice",
            trigger: ".o_collection_pay_choice input[name=move_ids]:first",
            run: "click",
        },
        {
            content: "And the second",
            trigger: ".o_collection_pay_choice input[name=move_ids]:last",
            run: "click",
        },
        {
            content: "Continue to payment",
            trigger: ".o_collection_pay_continue",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount is the two invoices' (300 + 200)",
            trigger: ".o_collection_pay_amount:contains('500.00')",
        },
        ...payWithDemo(),
        {
            content: "Back on the page: nothing is overdue any more",
            trigger: ".o_collection_portal .alert-success:contains('Nothing is overdue')",
            timeout: 30000,
        },
    ],
});

registry.category("web_tour.tours").add("collections_portal_plan", {
    steps: () => [
        {
            content: "The self-service limits are stated",
            trigger: "#plan p:contains('starts at once')",
        },
        {
            content: "A down payment",
            trigger: "#plan_down_payment",
            run: "edit 100",
        },
        {
            content: "Four installments",
            trigger: "#plan_installment_count",
            run: "edit 4",
        },
        {
            content: "From next month",
            trigger: "#plan_first_date",
            run() {
                const first = new Date();
                first.setDate(first.getDate() + 30);
                this.anchor.value = first.toISOString().slice(0, 10);
            },
        },
        {
            content: "Propose the plan",
            trigger: ".o_collection_plan_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The plan started at once",
            trigger: ".o_collection_plan .badge:contains('Active')",
        },
        {
            content: "Pay the next installment",
            trigger: "#pay_installment",
            run: "click",
        },
        {
            content: "Continue to payment",
            trigger: ".o_collection_pay_continue",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount is the down payment",
            trigger: ".o_collection_pay_amount:contains('100.00')",
        },
        ...payWithDemo(),
        {
            content: "Back on the page: the down payment is paid",
            trigger: ".o_collection_plan tbody tr:first:contains('Paid')",
            timeout: 30000,
        },
    ],
});

registry.category("web_tour.tours").add("collections_portal_dispute", {
    steps: () => [
        {
            content: "Choose why",
            trigger: "#dispute_reason",
            run: "select quality",
        },
        {
            content: "Explain",
            trigger: "#dispute_note",
            run: "edit The goods arrived broken.",
        },
        {
            content: "Send the dispute",
            trigger: ".o_collection_dispute_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The dispute is recorded",
            trigger: ".o_collection_portal .alert-success:contains('your dispute is recorded')",
        },
        {
            content: "And listed",
            trigger: "#disputes .badge:contains('Open')",
        },
    ],
});
