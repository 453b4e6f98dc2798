"""Bulk assignment in the Mava dashboard, through the whole bridge: 60 tickets given to
Omar and one to Jane in the same poll make ONE DM for Omar ("60 tickets were assigned to
you", five cards, the rest pointed to App Home) and one for Jane, sent side by side so
Jane's never waits behind Omar's. Each assignment is still told once: every generation
is claimed, one DM is posted, all are marked; claims a dead leader left are taken over
and told in one DM by the next."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from ledger_rows import dm_rows

from mava_bridge.delivery.assignment_dms import CARDS_PER_DM, DmReport
from mava_bridge.store import assignments
from mava_sandbox.stack import Stack

from .conftest import JANE, OMAR, flat, new_ticket, scenario_stack, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
SLOW = 2.0  # seconds the stub holds each chat.postMessage in the overlap test


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack() as stack:
        await poll(stack)  # the baseline: what the seed has assigned is never DMed
        yield stack


async def poll(stack: Stack) -> DmReport:
    return await stack.runtime.delivery.desk.dms.poll_once(max_age=0)


def cards(message: JSON) -> list[str]:
    """The ticket ids a message shows as cards."""
    return [
        str(block["block_id"]).removeprefix("ticket:")
        for block in message.get("blocks", [])
        if str(block.get("block_id", "")).startswith("ticket:")
    ]


async def unassigned_tickets(stack: Stack, count: int, text: str) -> list[str]:
    made = [new_ticket(stack, messages=[f"{text} {n}"]) for n in range(count)]
    await poll(stack)  # seen unassigned
    return made


async def test_sixty_for_one_agent_and_one_for_another_make_two_dms(stack: Stack) -> None:
    many = await unassigned_tickets(stack, 60, "Bulk")
    [single] = await unassigned_tickets(stack, 1, "Alone")
    for ticket in many:
        stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    stack.mava.sandbox.dashboard(single, assignee="Jane Smith")
    stack.slack.slow_down("chat.postMessage", SLOW)

    report = await poll(stack)

    assert (report.sent, report.dms, report.failed) == (61, 2, 0)
    [omar] = stack.slack.messages(OMAR)
    said = flat(shown(omar))
    assert "60 tickets were assigned to you" in said
    assert "55 more" in said and "Home" in said
    shown_ids = cards(omar)
    assert len(shown_ids) == CARDS_PER_DM and set(shown_ids) <= set(many)
    assert len(omar["blocks"]) <= 50  # Slack's limit (the stub refuses more)
    [jane] = stack.slack.messages(JANE)
    assert "Assigned to you" in flat(shown(jane)) and cards(jane) == [single]
    # Side by side: Jane's post reached Slack while Omar's was still held there.
    posts = stack.slack.calls("chat.postMessage")
    assert len(posts) == 2
    assert abs(posts[0].time - posts[1].time) < SLOW
    # Every assignment marked posted, all with the one DM's ts; nothing told twice.
    rows = [row for ticket in many for row in await dm_rows(stack.runtime.db, ticket)]
    assert {(row.state, row.message_ts) for row in rows} == {("posted", omar["ts"])}
    stack.slack.clear_faults()
    await poll(stack)
    await poll(stack)
    assert len(stack.slack.messages(OMAR)) == 1 and len(stack.slack.messages(JANE)) == 1


async def test_a_dead_leaders_claims_are_told_once_in_one_dm(stack: Stack) -> None:
    """A leader claimed three of four new assignments, then died before posting: the
    next leader takes them over and tells all four in one DM, once."""
    tickets = await unassigned_tickets(stack, 4, "Left mid-send")
    for ticket in tickets:
        stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    db = stack.runtime.db
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    agent = {t.id: t.assigned_to for t in snapshot.tickets}
    for ticket in tickets[:3]:
        seen = agent[ticket]
        assert seen is not None
        generation = await assignments.record(db, ticket, seen.id, snapshot.read_at)
        assert generation is not None
        assert await assignments.claim_dm(
            db, ticket, generation, seen.id, snapshot.read_at, owner="replica-that-died"
        )
    report = await poll(stack)
    [first] = stack.slack.messages(OMAR)  # only the one nobody held
    assert cards(first) == [tickets[3]] and report.sent == 1
    await stack.runtime.delivery.desk.take_over()
    await poll(stack)
    await poll(stack)
    dms = stack.slack.messages(OMAR)
    assert len(dms) == 2
    assert "3 tickets were assigned to you" in flat(shown(dms[1]))
    assert sorted(cards(dms[1])) == sorted(tickets[:3])
    for ticket in tickets:
        assert [row.state for row in await dm_rows(db, ticket)] == ["posted"]


async def test_a_refused_grouped_dm_is_recorded_for_each_assignment(stack: Stack) -> None:
    tickets = await unassigned_tickets(stack, 3, "Blocked")
    stack.slack.fail("chat.postMessage", "messages_tab_disabled", times=None)
    for ticket in tickets:
        stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    report = await poll(stack)
    assert (report.failed, report.sent) == (3, 0)
    attempts = len(stack.slack.calls("chat.postMessage"))
    assert attempts == 1  # one DM tried for the three
    for ticket in tickets:
        [row] = await dm_rows(stack.runtime.db, ticket)
        assert (row.state, row.error) == ("failed", "messages_tab_disabled")
    await poll(stack)
    assert len(stack.slack.calls("chat.postMessage")) == attempts  # never retried
