"""Assignment DMs a dead leader left in doubt (issue #19): each DM names the assignments
it tells in its metadata, so the next leader reads the person's DM (conversations.open,
then conversations.history since the claim) before telling them again. Told already:
recorded with that DM's ts, not sent again; not there: sent, once. Slack refusing the
read (no im:history): sent again as before, nothing lost, one WARNING."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from ledger_rows import dm_rows

from mava_bridge.delivery.assignment_dms import DmReport
from mava_bridge.delivery.in_doubt import dm_tag
from mava_bridge.store import assignments
from mava_sandbox.stack import Stack

from .conftest import OMAR, new_ticket, scenario_stack
from .log_capture import captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEAD = "replica-that-died"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack() as stack:
        await poll(stack)  # the baseline
        yield stack


async def poll(stack: Stack) -> DmReport:
    return await stack.runtime.delivery.desk.dms.poll_once(max_age=0)


def dm_about(stack: Stack, ticket: str) -> list[dict[str, Any]]:
    """Omar's DMs telling `ticket` (by their text, cards or metadata)."""
    return [m for m in stack.slack.messages(OMAR) if ticket in json.dumps(m)]


async def claimed_by_a_dead_leader(stack: Stack, count: int) -> list[tuple[str, int]]:
    """`count` tickets newly assigned to Omar, their DMs claimed by a leader that died."""
    tickets = [new_ticket(stack, messages=[f"Left mid-send {n}"]) for n in range(count)]
    await poll(stack)  # seen unassigned
    for ticket in tickets:
        stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    db = stack.runtime.db
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    keys = []
    for seen in (t for t in snapshot.tickets if t.id in tickets):
        assert seen.assigned_to is not None
        agent = seen.assigned_to.id
        generation = await assignments.record(db, seen.id, agent, snapshot.read_at)
        assert generation is not None
        assert await assignments.claim_dm(
            db, seen.id, generation, agent, snapshot.read_at, owner=DEAD
        )
        keys.append((seen.id, generation))
    return sorted(keys, key=lambda key: tickets.index(key[0]))


async def test_a_dead_leaders_dm_that_reached_slack_is_not_sent_again(stack: Stack) -> None:
    keys = await claimed_by_a_dead_leader(stack, 3)
    told, untold = keys[:2], keys[2]
    # The dead leader's grouped DM about the first two went out; its mark did not. The
    # third was claimed for a DM that never left.
    ts = await stack.runtime.delivery.poster.post(
        OMAR, f"Assigned to you: {told[0][0]}, {told[1][0]}", tag=dm_tag(OMAR, told)
    )
    await stack.runtime.delivery.desk.take_over()
    report = await poll(stack)
    assert (report.recovered, report.sent, report.dms) == (2, 1, 1)
    for ticket, _ in told:
        assert [m["ts"] for m in dm_about(stack, ticket)] == [ts]
        [row] = await dm_rows(stack.runtime.db, ticket)
        assert (row.state, row.message_ts, row.slack_user_id) == ("posted", ts, OMAR)
    [dm] = dm_about(stack, untold[0])
    assert dm["ts"] != ts and dm["metadata"]["event_payload"]["items"] == [
        f"{untold[0]}/{untold[1]}"
    ]
    [opened] = stack.slack.calls("conversations.open")
    assert opened.params["users"] == OMAR
    [read] = stack.slack.calls("conversations.history")
    assert read.params["channel"] == stack.slack.dm_channel(OMAR)
    again = await poll(stack)
    assert (again.recovered, again.sent) == (0, 0)
    assert len(stack.slack.messages(OMAR)) == 2  # one DM each, none twice


async def test_without_im_history_the_dm_is_sent_again_once_with_one_warning(
    stack: Stack,
) -> None:
    keys = await claimed_by_a_dead_leader(stack, 2)
    await stack.runtime.delivery.poster.post(
        OMAR, f"Assigned to you: {keys[0][0]}, {keys[1][0]}", tag=dm_tag(OMAR, keys)
    )
    stack.slack.fail("conversations.history", "missing_scope", times=None)
    await stack.runtime.delivery.desk.take_over()
    with captured_logs() as logs:
        report = await poll(stack)
        assert await poll(stack) == DmReport(tickets=report.tickets)
    assert (report.recovered, report.sent, report.dms) == (0, 2, 1)
    for ticket, _ in keys:
        assert len(dm_about(stack, ticket)) == 2  # the one Slack could not see, and now
        [row] = await dm_rows(stack.runtime.db, ticket)
        assert row.state == "posted"
    warned = [r for r in logs.records() if r["message"].startswith("Slack could not")]
    assert [(r["level"], r["message"]) for r in warned] == [
        (
            "WARNING",
            "Slack could not tell whether an interrupted post went out (missing_scope: the "
            "app lacks im:history: reinstall it from manifest.yml); posting it again, so it "
            "may show twice",
        )
    ]
    assert not logs.errors()
