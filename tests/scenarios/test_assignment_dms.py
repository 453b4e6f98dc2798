"""A DM when a ticket becomes yours, through the whole bridge over signed HTTP requests:
assigned from Slack (`/mava assign`) or in the Mava dashboard (seen by the leader's
poll of the open-tickets board), the member whose Slack email is the agent's gets one
DM with the ticket card — once per assignment, never for assigning yourself, never
after `/mava notify off`, and never retried after Slack refused it for good. The first
poll only records what is assigned already (no flood at install)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from ledger_rows import dm_rows

from mava_bridge.delivery.assignment_dms import DmReport
from mava_bridge.delivery.desk_jobs import DMS_JOB
from mava_bridge.store import assignments
from mava_sandbox.stack import Stack

from .conftest import JANE, OMAR, SAM, flat, new_ticket, run, scenario_stack, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack() as stack:
        # A ticket assigned before the bridge ever polled: the baseline, never DMed.
        before = new_ticket(stack, messages=["Old problem"])
        stack.mava.sandbox.dashboard(before, assignee="Omar Haddad")
        first = await poll(stack)
        assert first.baselined >= 1 and first.sent == 0
        assert dms(stack, OMAR) == []
        stack.before = before  # type: ignore[attr-defined]
        yield stack


async def poll(stack: Stack) -> DmReport:
    """One poll of the leader's DM job, on a board read now."""
    return await stack.runtime.delivery.desk.dms.poll_once(max_age=0)


def dms(stack: Stack, user: str) -> list[JSON]:
    """What the bot posted in its DM with `user`."""
    return stack.slack.messages(user)


def dm_about(stack: Stack, user: str, ticket: str) -> list[JSON]:
    return [m for m in dms(stack, user) if ticket in flat(shown(m))]


async def states(stack: Stack, ticket: str) -> list[str]:
    return [row.state for row in await dm_rows(stack.runtime.db, ticket)]


async def test_the_baseline_is_not_dmed_later_either(stack: Stack) -> None:
    before: str = stack.before  # type: ignore[attr-defined]
    await poll(stack)
    assert dm_about(stack, OMAR, before) == []
    assert await states(stack, before) == []


async def test_a_dashboard_assignment_is_dmed_once(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Where is my refund?"])
    await poll(stack)  # seen unassigned
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    report = await poll(stack)
    assert report.sent == 1
    [dm] = dm_about(stack, OMAR, ticket)
    text = flat(shown(dm))
    assert "Assigned to you" in text and "Where is my refund?" in text
    assert dm.get("channel", "D0OMAR").startswith("D")
    await poll(stack)
    await poll(stack)
    assert len(dm_about(stack, OMAR, ticket)) == 1  # once per assignment
    assert await states(stack, ticket) == ["posted"]
    # Reassigned to Jane: her DM; back to Omar: a new assignment, a new DM.
    stack.mava.sandbox.dashboard(ticket, assignee="Jane Smith")
    await poll(stack)
    assert len(dm_about(stack, JANE, ticket)) == 1
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    await poll(stack)
    assert len(dm_about(stack, OMAR, ticket)) == 2
    # The job as the scheduler runs it (this process leads): nothing new, nothing sent.
    assert await stack.runtime.delivery.scheduler.run_job(DMS_JOB) is not None
    assert len(dm_about(stack, OMAR, ticket)) == 2


async def test_a_ticket_assigned_in_slack_is_dmed_at_once_and_not_again_by_the_poll(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack, messages=["Cannot log in"])
    said = await run(stack, f"assign {ticket} <@{OMAR}>", user_id=JANE)
    assert "assigned to" in flat(shown(said)).lower()
    await stack.runtime.delivery.desk.dms.drain()
    [dm] = dm_about(stack, OMAR, ticket)
    assert "Cannot log in" in flat(shown(dm))
    await poll(stack)
    await poll(stack)
    assert len(dm_about(stack, OMAR, ticket)) == 1
    assert await states(stack, ticket) == ["posted"]


async def test_assigning_yourself_sends_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Billing question"])
    said = await run(stack, f"assign {ticket} me", user_id=OMAR)
    assert "assigned to" in flat(shown(said)).lower()
    await stack.runtime.delivery.desk.dms.drain()
    await poll(stack)
    assert dm_about(stack, OMAR, ticket) == []
    assert await states(stack, ticket) == ["self"]


async def test_notify_off_stops_the_dms_and_on_brings_them_back(stack: Stack) -> None:
    said = await run(stack, "notify off", user_id=OMAR)
    assert "No more DMs" in flat(shown(said))
    ticket = new_ticket(stack, messages=["Quiet please"])
    await poll(stack)
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    await poll(stack)
    assert dm_about(stack, OMAR, ticket) == []
    assert await states(stack, ticket) == ["off"]

    said = await run(stack, "notify on", user_id=OMAR)
    assert "You will get a DM" in flat(shown(said))
    other = new_ticket(stack, messages=["Loud again"])
    await poll(stack)
    stack.mava.sandbox.dashboard(other, assignee="Omar Haddad")
    await poll(stack)
    assert len(dm_about(stack, OMAR, other)) == 1


async def test_notify_needs_on_or_off(stack: Stack) -> None:
    said = await run(stack, "notify maybe", user_id=OMAR)
    assert "'maybe' is not on or off" in flat(shown(said))


async def test_a_dm_slack_refuses_for_good_is_logged_and_never_retried(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = new_ticket(stack, messages=["Blocked DMs"])
    await poll(stack)
    stack.slack.fail("chat.postMessage", "messages_tab_disabled", times=None)
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    report = await poll(stack)
    assert report.failed == 1
    [row] = await dm_rows(stack.runtime.db, ticket)
    assert (row.state, row.error) == ("failed", "messages_tab_disabled")
    assert any("messages_tab_disabled" in str(r.__dict__.get("error")) for r in caplog.records)
    attempts = len(stack.slack.calls("chat.postMessage"))
    for _ in range(3):
        await poll(stack)
    assert len(stack.slack.calls("chat.postMessage")) == attempts  # no retry storm
    stack.slack.clear_faults()


async def test_an_agent_with_no_slack_member_is_recorded_not_retried(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Nobody in Slack"])
    await poll(stack)
    stack.mava.sandbox.dashboard(ticket, assignee="Li Wei")  # no Slack member has the email
    await poll(stack)
    assert await states(stack, ticket) == ["no_member"]
    lookups = len(stack.slack.calls("users.lookupByEmail"))
    await poll(stack)
    assert len(stack.slack.calls("users.lookupByEmail")) == lookups


async def test_a_claim_left_by_a_dead_leader_is_sent_once_by_the_next(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Left mid-send"])
    await poll(stack)
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
    db = stack.runtime.db
    # A leader recorded the assignment and claimed its DM, then died before posting.
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    [seen] = [t for t in snapshot.tickets if t.id == ticket]
    assert seen.assigned_to is not None
    generation = await assignments.record(db, ticket, seen.assigned_to.id, snapshot.read_at)
    assert generation is not None
    now = snapshot.read_at
    claimed = await assignments.claim_dm(
        db, ticket, generation, seen.assigned_to.id, now, owner="replica-that-died"
    )
    assert claimed
    await poll(stack)
    assert dm_about(stack, OMAR, ticket) == []  # a live claim elsewhere: not ours
    # This process becomes the leader: it takes the claim over and sends it, once.
    await stack.runtime.delivery.desk.take_over()
    await poll(stack)
    await poll(stack)
    assert len(dm_about(stack, OMAR, ticket)) == 1
    assert await states(stack, ticket) == ["posted"]


async def test_a_guest_cannot_turn_notify_off_for_anyone(stack: Stack) -> None:
    said = await run(stack, "notify off", user_id="U0GUEST")
    assert "Guests can't" in flat(shown(said))
    assert await assignments.notify_on(stack.runtime.db, "U0GUEST")
    assert await assignments.notify_on(stack.runtime.db, SAM)


async def test_a_board_read_before_a_slack_assignment_does_not_undo_it(stack: Stack) -> None:
    """The board is shared and cached: a poll serving a snapshot read before the Slack
    action must not take the old assignee for a change (that would DM twice)."""
    ticket = new_ticket(stack, messages=["Race me"])
    board = stack.runtime.delivery.board
    await board.snapshot(max_age=0)  # read while the ticket is unassigned, then cached
    await run(stack, f"assign {ticket} <@{OMAR}>", user_id=JANE)
    await stack.runtime.delivery.desk.dms.drain()
    await stack.runtime.delivery.desk.dms.poll_once(max_age=3600)  # the stale snapshot
    await poll(stack)  # a fresh one: Omar, as recorded
    assert len(dm_about(stack, OMAR, ticket)) == 1
    assert await states(stack, ticket) == ["posted"]
    [row] = (await assignments.known(stack.runtime.db, [ticket])).values()
    assert row.generation == 1


async def test_no_dm_to_a_guest_even_with_the_agents_email(stack: Stack) -> None:
    """Nothing shown to someone who may not see it: a guest whose Slack email is an
    agent's gets no ticket card by DM (recorded, not retried)."""
    stack.slack.add_user(
        "U0PRIYA",
        name="priya",
        real_name="Priya Patel",
        email="priya@example.com",
        is_restricted=True,
    )
    ticket = new_ticket(stack, messages=["For a guest?"])
    await poll(stack)
    stack.mava.sandbox.dashboard(ticket, assignee="Priya Patel")
    await poll(stack)
    await poll(stack)
    assert dm_about(stack, "U0PRIYA", ticket) == []
    assert await states(stack, ticket) == ["not_allowed"]
