"""Every undocumented corner of issue #12 at once: the sandbox with `odd_shapes`,
`backdated`, nulls first, priorities as words (sorted above the numbers, then below:
set through POST /_sandbox/switches), random tie order and churn between pages.

Through the whole bridge, each result is compared with the sandbox's own store: every
matching ticket alerted exactly once over several polls, `/mava tickets` and `/mava
tickets high` complete, `/mava show` of every ticket found (or "found but unreadable",
or the honest give-up for an id far from its creation time that the bridge never
read), the digest complete. The poller and the digest are the running bridge's
(`DeliveryParts`: its Mava client, database and renderer) with a poster that does not
wait the 1 s per channel Slack asks for, so a hundred alerts take no minutes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.digests import DigestService
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.queries import ALERT_LOOKBACK
from mava_bridge.domain import ticket_refs
from mava_bridge.domain.filters import DEFAULT_DIGEST_FILTERS
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.lookup import MARGINS
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.observability.metrics import Metrics
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.seen import SeenTickets
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, flat, run, scenario_stack, shown
from .log_capture import captured_logs

ALERTS = "C0ALLALERTS"
OPEN = ("Open", "Pending", "Waiting")
EVERY_SWITCH: dict[str, Any] = {
    "tickets": 40,
    "odd_shapes": True,
    "backdated": True,
    "null_priorities": "first",
    "string_priorities": True,
    "random_ties": True,
}
# Length 5, prime to the sandbox's every-fourth-id words: high numbers and high words.
MIX = (3, 1, None, 2, 3)


def read(sandbox: MavaSandbox, ticket_id: str) -> Ticket | None:
    """The ticket as the bridge reads it from the API, None if it cannot be read."""
    ticket = sandbox.get(ticket_id)
    assert ticket is not None
    try:
        return Ticket.model_validate(sandbox.ticket_json(ticket))
    except ValidationError:
        return None


def open_where(sandbox: MavaSandbox, since: datetime, high: bool = False) -> set[str]:
    """Open, readable tickets created after `since` (and High, if asked)."""
    found = set()
    for ticket in sandbox.tickets:
        if ticket["status"] not in OPEN or ticket["createdAt"] <= since:
            continue
        seen = read(sandbox, ticket["_id"])
        if seen is not None and (not high or seen.priority_level is Priority.HIGH):
            found.add(seen.id)
    return found


def posted_ids(stack: Stack, channel: str) -> list[str]:
    return [
        str(block["block_id"]).removeprefix("ticket:")
        for message in stack.slack.messages(channel)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]


def fast(stack: Stack) -> DeliveryParts:
    """The running bridge's delivery parts, posting without the 1-s pacing."""
    metrics = Metrics(process_metrics=False)
    slack = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stack.slack.api_url)
    poster = SlackPoster(
        slack, metrics=metrics, min_interval=0.0, retry=replace(SLACK_RETRY, base_delay=0.001)
    )
    return replace(stack.runtime.delivery.digests.parts, poster=poster, metrics=metrics)


def listed(body: dict[str, Any]) -> tuple[list[str], int]:
    text = shown(body)
    total = re.search(r"\*(\d+) tickets?\*", text)
    return re.findall(r"ticket\?id=([0-9a-f]{24})", text), int(total.group(1)) if total else 0


@pytest.fixture(params=["first", "last"])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async with scenario_stack(
        mava_options=EVERY_SWITCH, alert_channel=ALERTS, alert_min_priority="high"
    ) as running:
        async with httpx.AsyncClient(base_url=running.mava.url) as http:
            answer = await http.post("/_sandbox/switches", json={"strings_sort": request.param})
            assert answer.status_code == 200 and answer.json()["strings_sort"] == request.param
        yield running


async def test_every_switch_at_once(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    with captured_logs() as logs:
        await _alerts_each_once(stack, sandbox)
        await _lists_complete(stack, sandbox)
        await _digest_complete(stack, sandbox)
        await _show_every_ticket(stack, sandbox)
    assert logs.errors() == []  # nothing crashed
    odd = set(sandbox.odd_shape_of.values())
    assert "unreadable" in odd and len(odd) > 4  # the odd shapes were really served


async def _alerts_each_once(stack: Stack, sandbox: MavaSandbox) -> None:
    poller = AlertPoller(fast(stack))
    window = sandbox.now() - ALERT_LOOKBACK + timedelta(minutes=1)
    assert (await poller.poll_once()).alerted == 0  # what matches now is the baseline
    known = open_where(sandbox, window - timedelta(minutes=2), high=True)
    for index in range(120):  # words, nulls and numbers; every 8th unreadable
        sandbox.add_ticket(status="Open", priority=MIX[index % len(MIX)])
    sandbox.churn = 2
    reports = [await poller.poll_once() for _ in range(3)]
    sandbox.churn = 0
    reports += [await poller.poll_once() for _ in range(2)]
    alerted = posted_ids(stack, ALERTS)
    assert [tid for tid, n in Counter(alerted).items() if n > 1] == []  # each once
    now_open = open_where(sandbox, window, high=True) - known
    ever = {
        t["_id"]
        for t in sandbox.tickets
        if t["_id"] not in known
        and t["createdAt"] > window
        and (seen := read(sandbox, t["_id"])) is not None
        and seen.priority_level is Priority.HIGH
    }
    assert now_open <= set(alerted) <= ever
    assert any(isinstance(read(sandbox, t).priority, str) for t in now_open)  # type: ignore[union-attr]
    assert len(now_open) > 40
    assert all(r.mava_errors == 0 and r.errors == 0 for r in reports)


async def _lists_complete(stack: Stack, sandbox: MavaSandbox) -> None:
    wire = {t["_id"]: read(sandbox, t["_id"]) for t in sandbox.tickets if t["status"] in OPEN}
    ids, total = listed(await run(stack, "tickets"))
    assert total == len(wire)  # Mava's count of every match, the unreadable too
    unreadable = sum(1 for seen in wire.values() if seen is None)
    assert len(set(ids)) == len(ids) >= 20 - unreadable
    readable = {tid: seen.created_at for tid, seen in wire.items() if seen is not None}
    assert set(ids) <= set(readable)
    # Newest first: nothing newer than the oldest listed is left out (ties at that
    # millisecond come in Mava's random order, so either may be shown).
    oldest = min(readable[tid] for tid in ids)
    assert {tid for tid, at in readable.items() if at > oldest} <= set(ids)

    year = sandbox.now() + timedelta(minutes=5) - timedelta(days=365)
    before = open_where(sandbox, year, high=True)
    sandbox.churn = 2  # tickets come and go while the high list is read
    churned_ids, churned_total = listed(await run(stack, "tickets high"))
    sandbox.churn = 0
    after = open_where(sandbox, year, high=True)
    assert len(set(churned_ids)) == len(churned_ids)
    assert set(churned_ids) <= before | after
    assert len(before & after) <= churned_total <= len(before | after)

    ids, total = listed(await run(stack, "tickets high"))
    high = {tid: readable[tid] for tid in open_where(sandbox, year, high=True)}
    assert total == len(high) and len(set(ids)) == len(ids) == min(20, total)
    assert set(ids) <= set(high)
    assert {tid for tid, at in high.items() if at > min(high[tid] for tid in ids)} <= set(ids)


async def _digest_complete(stack: Stack, sandbox: MavaSandbox) -> None:
    def wanted() -> set[str]:
        return {
            t["_id"]
            for t in sandbox.tickets
            if t["status"] in OPEN
            and (seen := read(sandbox, t["_id"])) is not None
            and DEFAULT_DIGEST_FILTERS.matches(seen)
        }

    before = wanted()
    sandbox.churn = 2
    result = await DigestService(fast(stack)).post(CHANNEL)
    sandbox.churn = 0
    after = wanted()
    ids = posted_ids(stack, CHANNEL)
    assert result.status == "posted" and result.ticket_count == len(ids)
    assert len(ids) == len(set(ids))
    assert before & after <= set(ids) <= before | after | {t["_id"] for t in sandbox.tickets}
    assert len(before & after) > 40


async def _show_every_ticket(stack: Stack, sandbox: MavaSandbox) -> None:
    memory = SeenTickets(stack.runtime.db)
    outcomes: Counter[str] = Counter()
    for record in list(sandbox.tickets):
        ticket_id = record["_id"]
        body = await run(stack, f"show {ticket_id}")
        text = flat(f"{body.get('text', '')} {shown(body)}")
        link = stack.settings.ticket_url(ticket_id)
        off = abs(record["createdAt"] - ticket_refs.created_at(ticket_id))
        if sandbox.odd_shape_of.get(ticket_id) == "unreadable":
            if off <= MARGINS[-1]:
                assert f"Ticket {ticket_id} was found in Mava, but it could not be" in text
                assert link in text
                outcomes["unreadable"] += 1
                continue
        elif off <= MARGINS[-1] or await memory.created_at(ticket_id) is not None:
            assert f"Ticket id `{ticket_id}`" in text, text[:300]
            outcomes["found"] += 1
            continue
        assert f"Ticket {ticket_id} was not found in Mava within 60 days" in text, text[:300]
        assert link in text
        outcomes["gave up"] += 1
    assert outcomes["found"] > 120 and outcomes["unreadable"] > 10
    assert outcomes["gave up"] < 10  # only ids 90-100 days off, never listed
