/* global Chart */
import { registry } from "@web/core/registry";

// The reporting screens show the figures of the hand-computed KPI book of
// test_collection_kpi, on 30 June 2026 (see test_collection_kpi_ui.py).

const OFFICER = "Olivia Officer";

/** The row of ``kpi`` in the officer's report. */
function card(kpi) {
    return (
        `.o_kanban_record:has(.o_kpi_owner:contains('${OFFICER}')) ` +
        `tr:has(.o_kpi_label:text('${kpi}'))`
    );
}

/**
 * The row of ``kpi`` shows ``now`` this month and ``last`` last month, as the screen
 * writes them (a figure, or why there is none), with the arrow of ``trend`` if given.
 */
function cardShows(kpi, now, last, trend) {
    const steps = [
        {
            content: `${kpi}: ${now} this month`,
            trigger: `${card(kpi)} td.o_kpi_value:text('${now}')`,
        },
        {
            content: `${kpi}: ${last} last month`,
            trigger: `${card(kpi)} td.o_kpi_last_value:text('${last}')`,
        },
    ];
    const arrows = { better: "up", worse: "down" };
    steps.push({
        content: `${kpi}: ${trend || "no arrow"} against last month`,
        trigger: trend
            ? `${card(kpi)} i.fa-arrow-${arrows[trend]}`
            : `${card(kpi)}:not(:has(i.fa-arrow-up, i.fa-arrow-down))`,
    });
    return steps;
}

const NO_SALES = "no credit sales in the month";

registry.category("web_tour.tours").add("collections_officer_dashboard", {
    url: "/odoo/action-collections_officer.collection_kpi_card_action_server",
    steps: () => [
        {
            content: "The officer sees their own report and their team's",
            trigger: ".o_kanban_record .o_kpi_owner:contains('Key Accounts')",
        },
        {
            content: "Each report reads under headings, not as a column of cards",
            trigger:
                `.o_kanban_view:not(:has(.o_kanban_group)) .o_kanban_record:has(.o_kpi_owner:contains('${OFFICER}'))` +
                ":has(section[data-section=receivables] h5:text('Receivables'))" +
                ":has(section[data-section=collection] h5:text('Collection'))" +
                ":has(section[data-section=commitments] h5:text('Promises & Plans'))" +
                ":has(section[data-section=activity] h5:text('Activity'))",
        },
        ...cardShows("Collected", "$ 400.00", "$ 300.00", "better"),
        ...cardShows("Receivables", "$ 1,300.00", "$ 1,700.00", "better"),
        ...cardShows("DSO (days)", NO_SALES, "87.83"),
        ...cardShows("Countback DSO (days)", "82.00", "127.75", "better"),
        ...cardShows("Best Possible DSO (days)", NO_SALES, "31.00"),
        ...cardShows("Average Days Delinquent", NO_SALES, "56.83"),
        ...cardShows("CEI (%)", "23.53", "21.43", "better"),
        ...cardShows("Over 90 Days (%)", "0.00", "23.53", "better"),
        ...cardShows("Contacts Made", "1", "3", "worse"),
        ...cardShows("Cases Resolved", "0", "0"),
        {
            content: "Nothing promised: no row of dashes, the report says why",
            trigger:
                `.o_kanban_record:has(.o_kpi_owner:contains('${OFFICER}')) ` +
                "section[data-section=commitments] .o_kpi_unmeasured:contains('Promises Kept (%) (no promise fell due in the month)')",
        },
        {
            content: "No bare dash anywhere on the dashboard",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record td:text('-')))",
        },
    ],
});

/**
 * Waits until the graph's chart satisfies ``check(labels, datasets)``, else fails
 * with what it shows: the chart is drawn on a canvas, its figures are Chart.js data.
 */
async function graphShows(description, check) {
    let shown = "no chart";
    for (let attempt = 0; attempt < 50; attempt++) {
        const canvas = document.querySelector(".o_graph_view .o_graph_renderer canvas");
        const chart = canvas && !canvas.closest(".o_view_sample_data") && Chart.getChart(canvas);
        if (chart) {
            const { labels, datasets } = chart.data;
            shown = JSON.stringify({
                labels,
                datasets: datasets.map(({ label, data }) => ({ label, data })),
            });
            if (check(labels, datasets)) {
                return;
            }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The graph should show ${description}; it shows ${shown}`);
}

registry.category("web_tour.tours").add("collections_officer_aging_trend", {
    url: "/odoo/action-collections_officer.collection_snapshot_bucket_action",
    steps: () => [
        {
            content: "The aging trend is a graph of the monthly snapshots, not sample data",
            trigger: ".o_graph_view:not(:has(.o_view_sample_data)) .o_graph_renderer canvas",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Keep the company's snapshots",
            trigger: ".o_filter_menu .o-dropdown-item:contains('Company')",
            run: "click",
        },
        {
            content: "The company owed 2,000.00 at the end of May, in the buckets it had then",
            trigger: ".o_searchview_facet:contains('Company')",
            run: () =>
                graphShows("May 2026 in 15, 30 and 45 days", (labels, datasets) => {
                    const index = labels.indexOf("May 2026");
                    if (labels.filter(Boolean).length !== 1 || index < 0) {
                        return false;
                    }
                    // A stacked bar chart adds the total of the stack as "Sum".
                    const shown = Object.fromEntries(
                        datasets
                            .filter(({ label }) => label !== "Sum")
                            .map(({ label, data }) => [label, data[index]])
                    );
                    const expected = {
                        "Not Due": 900,
                        "1-15": 0,
                        "16-30": 700,
                        "31-45": 0,
                        "Over 45": 400,
                    };
                    return (
                        Object.keys(shown).length === Object.keys(expected).length &&
                        Object.entries(expected).every(([label, amount]) => shown[label] === amount)
                    );
                }),
        },
    ],
});

registry.category("web_tour.tours").add("collections_officer_expected_cash", {
    url: "/odoo/action-collections_officer.collection_expected_cash_action_server",
    steps: () => [
        {
            content: "The expected cash of the next weeks is a graph",
            trigger: ".o_graph_view .o_graph_renderer canvas",
            run: () =>
                graphShows("Acme's promise of 250.00 in the week of 3 July", (labels, datasets) => {
                    const promise = datasets.find((dataset) => dataset.label === "Promise");
                    if (!promise) {
                        return false;
                    }
                    const weeks = labels.filter((label, index) => promise.data[index]);
                    return (
                        weeks.length === 1 &&
                        weeks[0] === "W27 2026" &&
                        promise.data.reduce((total, amount) => total + amount, 0) === 250
                    );
                }),
        },
    ],
});

/** The count the pivot shows for the row ``row`` and the column ``column`` ("Total"). */
function pivotCount(row, column) {
    const table = document.querySelector(".o_pivot_view table");
    const columns = [...table.querySelectorAll("thead th.o_pivot_header_cell_closed")].map(
        (header) => header.innerText.trim()
    );
    const index = column === "Total" ? columns.length : columns.indexOf(column);
    const line = [...table.querySelectorAll("tbody tr")].find(
        (tr) => tr.querySelector("th").innerText.trim() === row
    );
    return index < 0 || !line ? undefined : line.querySelectorAll("td")[index].innerText.trim();
}

/** The pivot's counts are ``expected``: ``[row, column, count]`` triples. */
function pivotShows(expected) {
    const shown = expected.map(([row, column]) => [row, column, pivotCount(row, column)]);
    const wrong = shown.filter(([, , count], index) => count !== expected[index][2]);
    if (wrong.length) {
        throw new Error(`The pivot should show ${JSON.stringify(expected)}: ${JSON.stringify(shown)}`);
    }
}

registry.category("web_tour.tours").add("collections_officer_contacts_made", {
    url: "/odoo/action-collections_officer.collection_contact_analysis_action",
    steps: () => [
        {
            content: "The contacts made, by channel and outcome",
            trigger: ".o_pivot_view tbody tr:has(th:contains('Phone'))",
            run: () =>
                pivotShows([
                    ["Phone", "Spoke", "3"],
                    ["Phone", "No Answer", "1"],
                    // Acme's promise, taken on the phone.
                    ["Phone", "Promised to Pay", "1"],
                    ["Phone", "Total", "5"],
                    ["Letter", "Sent", "1"],
                    ["Letter", "Spoke", ""],
                    ["Total", "Total", "6"],
                ]),
        },
    ],
});
