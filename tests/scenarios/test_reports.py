"""Support reports through the whole bridge over signed HTTP: `/mava report [7d|30d]`
posts the report in the channel and uploads its chart (files.getUploadURLExternal, the
upload URL, files.completeUploadExternal); the numbers are computed here again,
independently, from the sandbox's own tickets. The sandbox holds only the tickets these
tests make."""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.domain.wording import duration
from mava_bridge.store import sla
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, answer, flat, run, scenario_stack, send, shown
from .log_capture import captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
NOW = datetime.now(UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """A sandbox holding only the tickets `seed` makes."""
    async with scenario_stack(mava_options={"tickets": 0}) as stack:
        seed(stack)
        yield stack


def seed(stack: Stack) -> None:
    """Tickets of every kind a report counts: created in the week, answered after a
    while or not, resolved in it with a rating, resolved in it though created before,
    open from long ago, and resolved before the week (counted nowhere)."""
    sandbox = stack.mava.sandbox
    agents = [a.id for a in sandbox.agents.values()][:2]
    origins = ["discord", "email", "web"]
    for i in range(12):
        created = NOW - timedelta(days=6, hours=-i * 11)
        messages: list[JSON] = [{"content": f"help {i}", "createdAt": created}]
        if i % 4:
            answered = created + timedelta(minutes=7 * i + 3)
            messages.append({"content": "on it", "senderType": "agent", "createdAt": answered})
        fields: JSON = {
            "createdAt": created,
            "sourceType": origins[i % 3],
            "assignedTo": agents[i % 2] if i % 5 else None,
            "messages": messages,
        }
        if i % 3 == 0:
            fields |= {"status": "Resolved", "resolutionTime": (i + 1) * 3_600_000}
            fields["csat"] = [1, 2, 5, 4][i % 4]
        sandbox.add_ticket(**fields)
    old = NOW - timedelta(days=20)
    sandbox.add_ticket(createdAt=old, status="Resolved", resolutionTime=18 * 86_400_000, csat=2)
    sandbox.add_ticket(createdAt=NOW - timedelta(days=60))  # open: backlog
    sandbox.add_ticket(createdAt=old, status="Resolved", resolutionTime=86_400_000)


def first_response(ticket: JSON) -> float | None:
    messages = sorted(ticket["messages"], key=lambda m: m["createdAt"])
    asked = next((m["createdAt"] for m in messages if m["senderType"] == "customer"), None)
    for m in messages:
        if asked is not None and m["senderType"] == "agent" and m["createdAt"] > asked:
            return float((m["createdAt"] - asked).total_seconds())
    return None


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def expected(stack: Stack, days: int) -> list[str]:
    """What the report must say, from the sandbox's tickets."""
    start = NOW - timedelta(days=days)
    tickets = stack.mava.sandbox.tickets
    created = [t for t in tickets if t["createdAt"] >= start]
    resolved = [
        t
        for t in tickets
        if t["status"] == "Resolved"
        and t["createdAt"] + timedelta(milliseconds=t["resolutionTime"]) >= start
    ]
    firsts = [f for t in created if (f := first_response(t)) is not None]
    spans = [t["resolutionTime"] / 1000 for t in resolved]
    ratings = [t["csat"] for t in resolved if t["csat"] is not None]
    backlog = sum(1 for t in tickets if t["status"] != "Resolved")
    return [
        f"*Created* {len(created)}",
        f"*Resolved* {len(resolved)}",
        f"*Open at the end* {backlog}",
        f"median {duration(statistics.median(firsts))}, p90 {duration(p90(firsts))}",
        f"median {duration(statistics.median(spans))}, p90 {duration(p90(spans))}",
        f"{statistics.mean(ratings):.2f} avg of {len(ratings)}",
        *(f"{v}★ {ratings.count(v)}" for v in set(ratings)),
    ]


async def test_report_posts_the_numbers_mava_has_and_a_chart(stack: Stack) -> None:
    said = flat(shown(await run(stack, "report 7d")))
    assert "Building the report of the last 7 days" in said
    await stack.slack.wait_for("files.completeUploadExternal")
    [report] = [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
    text = flat(shown(report))
    for line in expected(stack, 7):
        assert line in text, (line, text)
    start = NOW - timedelta(days=7)
    tickets = stack.mava.sandbox.tickets
    for origin, label in (("discord", "Discord"), ("email", "Email"), ("web", "Web chat")):
        mine = [t for t in tickets if t["sourceType"] == origin]
        made = sum(1 for t in mine if t["createdAt"] >= start)
        shut = sum(
            1
            for t in mine
            if t["status"] == "Resolved"
            and t["createdAt"] + timedelta(milliseconds=t["resolutionTime"]) >= start
        )
        assert f"*{label}*: {made} created · {shut} resolved" in text, (label, text)
    unassigned = sum(1 for t in tickets if t["assignedTo"] is None and t["createdAt"] >= start)
    assert f"*Unassigned*: {unassigned} created" in text
    [chart] = stack.slack.files.shared
    assert chart.channel == CHANNEL
    assert chart.data.startswith(b"\x89PNG")
    assert chart.title.startswith("Support report: last 7 days")


async def test_report_counts_the_sla_warnings_and_breaches_told(stack: Stack) -> None:
    """The SLA line: what the breach job told in the period, each ticket's clock once."""
    db, now = stack.runtime.db, datetime.now(UTC)
    told = [("C0A", "warning"), ("C0B", "warning"), ("C0A", "breach")]
    for channel, level in told:
        item = ("T-sla", "first-response@2026-01-01T00:00:00+00:00", level)
        assert await sla.POSTS.claim(db, (channel, *item), now, "test")
        await sla.POSTS.mark_posted(db, (channel, *item), "1.1", now)
    await run(stack, "report 7d")
    await stack.slack.wait_for("files.completeUploadExternal")
    [report] = [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
    assert "*SLA* 1 warnings · 1 breaches" in flat(shown(report))


async def test_report_30d_and_bad_period(stack: Stack) -> None:
    await run(stack, "report 30d")
    await stack.slack.wait_for("files.completeUploadExternal")
    [report] = [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
    for line in expected(stack, 30):
        assert line in flat(shown(report)), line
    said = flat(shown(await run(stack, "report 90d")))
    assert "'90d' is not a period" in said


async def test_report_in_a_channel_without_the_bot_is_told(stack: Stack) -> None:
    stack.slack.channels_not_found.add("C0NOWHERE")
    sent = await send(stack, "report", channel_id="C0NOWHERE")
    assert "Building the report" in flat(shown(await answer(stack, sent.target)))
    told = flat(shown(await answer(stack, sent.target, 2)))
    assert "not posted" in told and "channel_not_found" in told


async def test_without_files_write_the_numbers_go_out_and_the_chart_is_named(stack: Stack) -> None:
    stack.slack.fail("files.getUploadURLExternal", "missing_scope")
    sent = await send(stack, "report")
    await answer(stack, sent.target)
    told = flat(shown(await answer(stack, sent.target, 2)))
    assert "The report was posted, but its chart was not uploaded" in told
    assert "missing_scope" in told
    assert [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
    assert stack.slack.files.shared == []


async def test_mava_down_is_told_and_logged_once(stack: Stack) -> None:
    stack.mava.sandbox.inject("status", status=503, times=None, path="/api/tickets")
    with captured_logs() as logs:
        sent = await send(stack, "report")
        await answer(stack, sent.target)
        told = flat(shown(await answer(stack, sent.target, 2)))
    assert "The report was not posted: Mava could not be read" in told
    said = [r for r in logs.records() if "report" in r["message"] and r["level"] == "WARNING"]
    assert len(said) == 1 and "exception" not in said[0], said
    assert logs.tracebacks() == 0
    assert not [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
