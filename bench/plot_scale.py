#!/usr/bin/env python3
"""Draws the scale figures of ``bench/scale_figures.json`` as an SVG for the README.

Two panels: seconds against the book's invoices (both axes logarithmic, with the line
a cost proportional to the book would follow), and seconds against the worker
processes sharing the nightly job. Plain SVG: no plotting library to install.

    python3 bench/plot_scale.py            # writes docs/bench_scale.svg
"""

import json
import math
import pathlib
from xml.sax.saxutils import escape

HERE = pathlib.Path(__file__).resolve().parent
FIGURES = HERE / "scale_figures.json"
OUTPUT = HERE.parent / "docs" / "bench_scale.svg"
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
WIDTH, HEIGHT = 960, 380
PANEL = 380  # width of a panel's plotting area
TOP, BOTTOM = 40, 300


def log_ticks(low, high):
    return [
        10**power for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ]


def label(value):
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def panel(left, title, series, x_title, log_x):
    xs = [x for line in series for x, _y in line["points"]]
    ys = [y for line in series for _x, y in line["points"]]
    y_ticks = log_ticks(min(ys), max(ys))
    if log_x:
        x_ticks = log_ticks(min(xs), max(xs))
        x_low, x_high = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    else:
        x_ticks = sorted(set(xs))
        x_low, x_high = 0, max(xs)
    y_low, y_high = math.log10(y_ticks[0]), math.log10(y_ticks[-1])

    def px(x):
        value = math.log10(x) if log_x else x
        return left + PANEL * (value - x_low) / ((x_high - x_low) or 1)

    def py(y):
        return BOTTOM - (BOTTOM - TOP) * (math.log10(y) - y_low) / ((y_high - y_low) or 1)

    out = [
        f'<text x="{left + PANEL / 2}" y="22" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<line x1="{left}" y1="{BOTTOM}" x2="{left + PANEL}" y2="{BOTTOM}" stroke="#333"/>',
        f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{BOTTOM}" stroke="#333"/>',
        f'<text x="{left + PANEL / 2}" y="{BOTTOM + 36}" text-anchor="middle">'
        f"{escape(x_title)}</text>",
    ]
    for tick in x_ticks:
        x = px(tick)
        out.append(f'<line x1="{x}" y1="{BOTTOM}" x2="{x}" y2="{BOTTOM + 5}" stroke="#333"/>')
        out.append(f'<text x="{x}" y="{BOTTOM + 18}" text-anchor="middle">{label(tick)}</text>')
    for tick in y_ticks:
        y = py(tick)
        out.append(
            f'<line x1="{left}" y1="{y}" x2="{left + PANEL}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{label(tick)} s</text>'
        )
    for index, line in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        dash = ' stroke-dasharray="5,4"' if line.get("dashed") else ""
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line["points"])
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        out.extend(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}"/>'
            for x, y in line["points"]
            if not line.get("dashed")
        )
        out.append(
            f'<text x="{left + 10}" y="{TOP + 14 + 16 * index}" fill="{colour}">'
            f"{escape(line['label'])}</text>"
        )
    return out


def main():
    figures = json.loads(FIGURES.read_text())
    body = panel(
        70, figures["size"]["title"], figures["size"]["series"], "invoices in the book", True
    )
    body += panel(
        70 + PANEL + 70,
        figures["workers"]["title"],
        figures["workers"]["series"],
        "worker processes",
        False,
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(body)}</svg>\n'
    )
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
