"""A report's chart: tickets created and resolved per day (bars) and the day's median
first response (a line, on its own axis), as a PNG.

matplotlib's object API with the Agg backend (no display, no pyplot state), imported on
first use: it costs tens of MB and a second at start-up, which a bridge that never
draws a report should not pay (bench/memory_startup.py). delivery.reports calls it in
a worker thread, one chart at a time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from mava_bridge.domain.report_stats import Day


def chart_png(days: Sequence[Day], title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.subplots()
    labels = [f"{d.day:%b %d}" for d in days]
    positions = list(range(len(days)))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], [d.created for d in days], width, label="created")
    axes.bar(
        [p + width / 2 for p in positions], [d.resolved for d in days], width, label="resolved"
    )
    axes.set_ylabel("tickets")
    axes.set_xticks(positions, labels, rotation=45, ha="right", fontsize=7)
    axes.set_title(title)
    hours = axes.twinx()
    medians = [
        d.first_response_median / 3600 if d.first_response_median is not None else float("nan")
        for d in days
    ]
    hours.plot(positions, medians, color="black", marker="o", label="median first response")
    hours.set_ylabel("median first response (h)")
    hours.set_ylim(bottom=0)
    lines, names = axes.get_legend_handles_labels()
    more, more_names = hours.get_legend_handles_labels()
    axes.legend(lines + more, names + more_names, loc="upper left", fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
