"""A support report as one message: the period's totals, then by origin and by agent (the
chart goes with it as a file: delivery.reports)."""

from __future__ import annotations

from datetime import tzinfo

from mava_bridge.domain.report_stats import Group, Report
from mava_bridge.domain.tickets import ORIGIN_LABELS, Origin
from mava_bridge.domain.wording import duration
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    Block,
    chunk_lines,
    context,
    fields_section,
    header,
    plural,
)
from mava_bridge.slack.blocks.common import section as section_block

MAX_ROWS = 15  # per breakdown; the rest said in one line


def _time(median: float | None, p90: float | None) -> str:
    if median is None or p90 is None:
        return "none yet"
    return f"median {duration(median)}, p90 {duration(p90)}"


def _csat(group: Group) -> str:
    count = sum(group.csat_counts.values())
    if not count or group.csat_average is None:
        return "no ratings"
    per = " · ".join(f"{v}★ {n}" for v, n in sorted(group.csat_counts.items(), reverse=True))
    return f"{group.csat_average:.2f} avg of {count} ({per})"


def _row(name: str, group: Group) -> str:
    median = group.first_response_median
    first = "no first response" if median is None else f"first response {duration(median)}"
    return (
        f"*{t.escape(name)}*: {group.created} created · {group.resolved} resolved · "
        f"{first} · CSAT {_csat(group)}"
    )


def _origin_name(value: str) -> str:
    try:
        return ORIGIN_LABELS[Origin(value)]
    except ValueError:
        return value


def report_title(report: Report, zone: tzinfo) -> str:
    start, end = report.start.astimezone(zone), report.end.astimezone(zone)
    days = round((report.end - report.start).total_seconds() / 86400)
    return f"Support report: last {plural(days, 'day')} ({start:%b %d} – {end:%b %d})"


def report_message(report: Report, zone: tzinfo) -> tuple[str, list[Block]]:
    total = report.total
    fields = [
        f"*Created*\n{total.created}",
        f"*Resolved*\n{total.resolved}",
        f"*Open at the end*\n{report.backlog}",
        f"*CSAT*\n{_csat(total)}",
        f"*First response*\n{_time(total.first_response_median, total.first_response_p90)}",
        f"*Resolution*\n{_time(total.resolution_median, total.resolution_p90)}",
    ]
    if report.sla_warnings is not None and report.sla_breaches is not None:
        fields.append(f"*SLA*\n{report.sla_warnings} warnings · {report.sla_breaches} breaches")
    title = report_title(report, zone)
    blocks: list[Block] = [header(title), fields_section(fields)]
    for by, groups, name in (
        ("By origin", report.origins, _origin_name),
        ("By agent", report.agents, str),
    ):
        rows = [_row(name(key), group) for key, group in list(groups.items())[:MAX_ROWS]]
        if len(groups) > MAX_ROWS:
            rows.append(f"…and {len(groups) - MAX_ROWS} more")
        for text in chunk_lines([f"*{by}*", *rows] if rows else []):
            blocks.append(section_block(text))
    blocks.append(
        context(
            "Created and first response: tickets created in the period. Resolved, resolution "
            "and CSAT: tickets resolved in it. The chart follows as a file."
        )
    )
    summary = f"{title}: {total.created} created, {total.resolved} resolved, {report.backlog} open"
    return summary, blocks
