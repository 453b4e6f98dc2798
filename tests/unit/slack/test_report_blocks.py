"""A report's message: totals, breakdowns by origin and agent, and the SLA line only when
the SLA part gave its counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mava_bridge.domain.report_stats import Report, TicketFacts, build
from mava_bridge.slack.blocks.report import report_message

START = datetime(2026, 3, 23, tzinfo=UTC)


def report() -> Report:
    facts = TicketFacts("1", "discord", "Ann", START, START + timedelta(hours=2), 600.0, 2)
    return build([facts], START, START + timedelta(days=7), 3, UTC)


def test_totals_and_breakdowns() -> None:
    text, blocks = report_message(report(), UTC)
    shown = json.dumps(blocks)
    assert text.startswith("Support report: last 7 days")
    assert "*Open at the end*\\n3" in shown and "median 10 m, p90 10 m" in shown
    assert "*Discord*: 1 created" in shown and "*Ann*: 1 created" in shown
    assert "SLA" not in shown


def test_the_sla_line_shows_only_when_given() -> None:
    _, blocks = report_message(replace(report(), sla_warnings=4, sla_breaches=1), UTC)
    assert "*SLA*\\n4 warnings · 1 breaches" in json.dumps(blocks, ensure_ascii=False)
