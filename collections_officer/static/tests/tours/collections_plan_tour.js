import { registry } from "@web/core/registry";

// A payment plan above the company's limits (10,000.00 or 12 months), from the officer's
// case to the manager's refusal and the officer's new plan (see test_collection_plan_ui.py).

const HEADER = ".o_form_view .o_statusbar_buttons";

// The officer sees the limits before Create, creates the plan over the limit and asks
// for the approval: then only what can be done next is offered.
registry.category("web_tour.tours").add("collections_officer_plan_approval", {
    steps: () => [
        {
            content: "Build a payment plan for the case",
            trigger: `${HEADER} button:contains('Payment Plan')`,
            run: "click",
        },
        {
            content: "The wizard says the company's limits before Create",
            trigger:
                ".modal div[name=approval_needed]:contains('Plans above'):contains('10,000.00'):contains('12 months need a manager')",
        },
        {
            content: "...and that this plan of 12,000.00 will need a manager's approval",
            trigger:
                ".modal div[name=approval_needed]:contains('This plan will need a manager'):contains('12,000.00 is above')",
        },
        {
            content: "It cannot be sent before the approval: only Create is offered",
            trigger:
                ".modal footer:has(button[name=action_create_plan]):not(:has(button[name=action_create_and_propose]))",
        },
        {
            content: "Create the plan over the limit",
            trigger: ".modal button[name=action_create_plan]",
            run: "click",
        },
        {
            content: "The plan asks for a manager's approval before sending or activating",
            trigger: ".o_form_view div[name=approval_needed]:contains('request a manager')",
        },
        {
            content: "Neither Send to Customer nor Activate is offered yet",
            trigger: `${HEADER}:has(button[name=action_request_approval]):not(:has(button[name=action_propose], button[name=action_activate]))`,
        },
        {
            content: "Request the approval",
            trigger: `${HEADER} button[name=action_request_approval]`,
            run: "click",
        },
        {
            content: "The officer sees the plan awaiting a manager's approval",
            trigger: ".o_form_view div[name=approval_awaited]:contains('Awaiting approval by a manager')",
        },
        {
            content: "Only what can be done next: no second request, no sending, no activating",
            trigger: `${HEADER}:has(button[name=action_cancel]):not(:has(button[name=action_request_approval], button[name=action_propose], button[name=action_activate], button[name=action_approve]))`,
        },
    ],
});

// The team's manager refuses the plan, with a reason.
registry.category("web_tour.tours").add("collections_officer_plan_refuse", {
    steps: () => [
        {
            content: "The manager is asked to decide",
            trigger: ".o_form_view div[name=approval_to_decide]:contains('approve or refuse')",
        },
        {
            content: "Refuse it",
            trigger: `${HEADER} button[name=action_refuse]`,
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Too much at once for this customer",
        },
        {
            content: "Confirm the refusal",
            trigger: ".modal footer button[name=action_refuse]",
            run: "click",
        },
        {
            content: "The plan shows the refusal and its reason",
            trigger:
                ".o_form_view div[name=approval_refused]:contains('Too much at once')",
        },
        {
            content: "A refused plan offers nothing but a new plan",
            trigger: `${HEADER}:has(button[name=action_new_plan]):not(:has(button[name=action_approve], button[name=action_refuse], button[name=action_request_approval], button[name=action_propose], button[name=action_activate], button[name=action_cancel]))`,
        },
    ],
});

// The officer reads the refusal and builds a new plan within the limits.
registry.category("web_tour.tours").add("collections_officer_plan_new", {
    steps: () => [
        {
            content: "The officer reads why the plan was refused",
            trigger:
                ".o_form_view div[name=approval_refused]:contains('Too much at once'):contains('New Plan')",
        },
        {
            content: "Only New Plan is offered: no Approve, no Request Approval",
            trigger: `${HEADER}:has(button[name=action_new_plan]):not(:has(button[name=action_approve], button[name=action_request_approval], button[name=action_propose], button[name=action_activate]))`,
        },
        {
            content: "Build a new plan",
            trigger: `${HEADER} button[name=action_new_plan]`,
            run: "click",
        },
        {
            content: "The wizard opens on the same case",
            trigger: ".modal .o_field_widget[name=case_id]:contains('Kestrel Freight')",
        },
        {
            content: "Plan 9,000.00 this time",
            trigger: ".modal .o_field_widget[name=amount_total] input",
            run: "edit 9000",
        },
        {
            content: "Leave the amount: the wizard recomputes the schedule and the approval",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "Within the limits: no approval needed, and it can be sent at once",
            trigger:
                ".modal div[name=approval_limits]:contains('within the limits')",
        },
        {
            content: "Create and Send is offered again",
            trigger: ".modal footer button[name=action_create_and_propose]",
        },
        {
            content: "Create the new plan",
            trigger: ".modal button[name=action_create_plan]",
            run: "click",
        },
        {
            content: "The new plan can be sent and activated at once",
            trigger: `${HEADER}:has(button[name=action_propose]):has(button[name=action_activate]):not(:has(button[name=action_request_approval]))`,
        },
    ],
});
