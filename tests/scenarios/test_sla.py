"""Response-time targets through the whole bridge over signed HTTP requests: `/mava sla`
shows and sets the policy (who may, audited), `/mava subscribe breaches` in a channel,
then the leader's breach job posts each matching open ticket once at 80% of a target
(a warning, DMed to its assignee too) and once at 100% (a breach), with its card and
buttons. The sandbox holds only the tickets these tests make; the policy is global, so
each test sets the one it needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import update

from mava_bridge.delivery.desk_jobs import BREACHES_JOB
from mava_bridge.delivery.sla_breaches import Breaches, BreachReport
from mava_bridge.store import sla as sla_store
from mava_bridge.store.tables import SlaPause
from mava_sandbox.stack import Stack

from .conftest import (
    GUEST,
    OMAR,
    ago,
    audit_rows,
    buttons,
    flat,
    posts_about,
    run,
    scenario_stack,
    shown,
    waiting_ticket,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """An empty sandbox: the tests make every ticket they see."""
    async with scenario_stack(mava_options={"tickets": 0}) as stack:
        yield stack


async def poll(stack: Stack) -> BreachReport:
    """One run of the leader's breach job on a board read now."""
    return await stack.runtime.delivery.desk.breaches.poll_once(max_age=0)


async def said(stack: Stack, text: str, **fields: Any) -> str:
    return flat(shown(await run(stack, text, **fields)))


async def subscribed(stack: Stack, channel: str, words: str = "") -> int:
    """Subscribed, and its first look taken (what is past a level already: baseline)."""
    answer = await said(stack, f"subscribe breaches {words}", channel_id=channel)
    assert "Subscribed" in answer, answer
    await poll(stack)
    return int(answer.rsplit("/mava unsubscribe ", 1)[1].split(".")[0])


async def test_show_set_and_hours_with_usage_for_bad_input(stack: Stack) -> None:
    answer = await said(stack, "sla set all first-response 2h next-reply 1h resolution 3d")
    assert "SLA policy saved" in answer
    assert "High: first response 2 h, next reply 1 h, resolution 3 d" in answer
    answer = await said(stack, "sla set high first-response 15m")
    assert "High: first response 15 m" in answer and "Low: first response 2 h" in answer
    answer = await said(stack, "sla hours mon-fri 09:00-18:00 Europe/Berlin")
    assert "Business hours: mon-fri 09:00-18:00 (Europe/Berlin)" in answer
    shown_policy = await said(stack, "sla")
    assert "Medium: first response 2 h, next reply 1 h, resolution 3 d" in shown_policy
    assert "mon-fri 09:00-18:00 (Europe/Berlin)" in shown_policy
    assert "Business hours: always" in await said(stack, "sla hours always")
    rows = [r for r in await audit_rows(stack) if r.action == "sla"]
    assert len(rows) == 4 and all(r.outcome == "ok" for r in rows)

    for words, problem in (
        ("sla set urgent first-response 1h", "'urgent' is not a priority"),
        ("sla set high next-reply 1h", "Give at least the first-response target"),
        ("sla set high first-response soon", "How long for first-response?"),
        ("sla set high first-response 1h firstresponse 2h", "'firstresponse' is not a target"),
        ("sla hours mon-fri 9-5", "'9-5' is not a time range"),
        ("sla hours someday 09:00-18:00", "'someday' is not days"),
        ("sla hours mon-fri 18:00-09:00", "The day must end after it starts"),
        ("sla hours mon-fri 09:00-18:00 Mars/Base", "'Mars/Base' is not a time zone"),
        ("sla later", "say set or hours"),
    ):
        answer = await said(stack, words)
        assert problem in answer and "Usage:" in answer, (words, answer)


async def test_a_guest_may_read_but_not_change_the_policy(stack: Stack) -> None:
    await said(stack, "sla set all first-response 1h")
    answer = await said(stack, "sla set all first-response 1m", user_id=GUEST)
    assert "Guests can't" in answer
    assert "first response 1 h" in await said(stack, "sla", user_id=GUEST)
    [refused] = [r for r in await audit_rows(stack) if r.outcome == "refused"][-1:]
    assert refused.slack_user_id == GUEST


async def test_a_warning_then_a_breach_once_each_with_the_card_and_a_dm(stack: Stack) -> None:
    channel = "C0SLAWARN"
    await said(stack, "sla hours always")
    await said(stack, "sla set all first-response 1h")
    sub = await subscribed(stack, channel)
    late = waiting_ticket(stack, "Anyone there?", minutes=50)
    stack.mava.sandbox.dashboard(late, assignee="Omar Haddad")
    fresh = waiting_ticket(stack, "Just asked", minutes=10)
    answered = waiting_ticket(stack, "Answered in time", minutes=55)
    stack.mava.sandbox.add_message(
        answered, "Here you go", sender_type="agent", sender_name="Jane Smith", created_at=ago(30)
    )
    report = await poll(stack)
    assert report.posted == 1 and report.dms == 1
    [post] = posts_about(stack, channel, late)
    text = flat(shown(post))
    assert "SLA warning: 80% of the 1 h first response target used" in text
    assert "Anyone there?" in text and buttons(post)
    [dm] = [m for m in stack.slack.messages(OMAR) if late in flat(shown(m))]
    assert "SLA warning" in flat(shown(dm))
    assert posts_about(stack, channel, fresh) == []
    assert posts_about(stack, channel, answered) == []  # answered before the warning

    await poll(stack)
    await stack.runtime.delivery.scheduler.run_job(BREACHES_JOB)  # as the scheduler runs it
    assert len(posts_about(stack, channel, late)) == 1
    assert len([m for m in stack.slack.messages(OMAR) if late in flat(shown(m))]) == 1

    # A tighter target: the same clock is now past it, told once as a breach (no DM).
    await said(stack, "sla set all first-response 45m")
    report = await poll(stack)
    assert report.posted == 1 and report.dms == 0
    breach = posts_about(stack, channel, late)[-1]
    assert "SLA breached: the 45 m first response target was missed" in flat(shown(breach))
    await poll(stack)
    assert len(posts_about(stack, channel, late)) == 2
    listed = await said(stack, "subscriptions", channel_id=channel)
    assert "SLA warnings and breaches" in listed and "posted 1 SLA warning(s)" in listed
    await said(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_what_is_past_a_level_when_subscribing_is_not_posted(stack: Stack) -> None:
    await said(stack, "sla hours always")
    await said(stack, "sla set all first-response 1h")
    old = waiting_ticket(stack, "Long ago", minutes=200, priority=3)
    warned_before = waiting_ticket(stack, "Almost late", minutes=50, priority=3)
    stack.mava.sandbox.dashboard(warned_before, assignee="Omar Haddad")
    channel = "C0SLAFIRST"
    sub = await subscribed(stack, channel, "high")
    urgent = waiting_ticket(stack, "Urgent", minutes=70, priority=3)
    medium = waiting_ticket(stack, "Not urgent", minutes=70, priority=2)
    report = await poll(stack)
    assert report.posted == 1
    assert posts_about(stack, channel, old) == []
    assert posts_about(stack, channel, warned_before) == []
    assert [m for m in stack.slack.messages(OMAR) if warned_before in flat(shown(m))] == []
    assert len(posts_about(stack, channel, urgent)) == 1
    assert posts_about(stack, channel, medium) == []  # the filter
    await said(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_pending_ticket_stops_its_clock(stack: Stack) -> None:
    await said(stack, "sla hours always")
    await said(stack, "sla set all first-response 1h")
    channel = "C0SLAPAUSE"
    sub = await subscribed(stack, channel)
    ticket = waiting_ticket(stack, "On hold", minutes=30)
    await poll(stack)  # seen Open
    stack.mava.sandbox.dashboard(ticket, status="Pending")
    await poll(stack)  # seen Pending: a pause begins at this read
    db = stack.runtime.db
    assert await sla_store.lasting_pauses(db, [ticket]) == {ticket}
    # As if that read had been 25 minutes ago: 5 minutes ran before it, none since.
    async with db.session() as session, session.begin():
        await session.execute(
            update(SlaPause).where(SlaPause.ticket_id == ticket).values(started_at=ago(25))
        )
    await said(stack, "sla set all first-response 35m")  # 30 minutes would be past 80%
    await poll(stack)
    assert posts_about(stack, channel, ticket) == []
    stack.mava.sandbox.dashboard(ticket, status="Open")
    await poll(stack)  # the pause ends at this read
    [(began, ended)] = (await sla_store.pauses_of(db, [ticket]))[ticket]
    assert ended is not None and ended > began
    await poll(stack)
    assert posts_about(stack, channel, ticket) == []
    # Without the pause it would have been warned of: another ticket as old is.
    other = waiting_ticket(stack, "Never paused", minutes=30)
    await poll(stack)
    assert len(posts_about(stack, channel, other)) == 1
    await said(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_claim_left_by_a_dead_leader_is_posted_once_by_the_next(stack: Stack) -> None:
    await said(stack, "sla hours always")
    await said(stack, "sla set all first-response 1h")
    channel = "C0SLADEAD"
    sub = await subscribed(stack, channel)
    ticket = waiting_ticket(stack, "Left mid-post", minutes=50)
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    [seen] = [t for t in snapshot.tickets if t.id == ticket]
    messages = seen.messages or []
    started = messages[0].created_at
    assert started is not None
    item = (ticket, f"first-response@{started.isoformat()}", "warning")
    db = stack.runtime.db
    assert await sla_store.POSTS.claim(db, (channel, *item), snapshot.read_at, "replica-that-died")
    await poll(stack)
    assert posts_about(stack, channel, ticket) == []  # a claim held elsewhere: not ours
    await stack.runtime.delivery.desk.take_over()
    await poll(stack)
    await poll(stack)
    assert len(posts_about(stack, channel, ticket)) == 1
    await said(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_two_leaders_at_once_post_each_warning_once(stack: Stack) -> None:
    """Two processes running the job side by side (a leader cut off from the database
    still posting): the ledger's claim lets one of them post."""
    await said(stack, "sla hours always")
    await said(stack, "sla set all first-response 1h")
    channel = "C0SLATWO"
    sub = await subscribed(stack, channel)
    desk = stack.runtime.delivery.desk
    parts = replace(desk.breaches.parts, owner="other-replica")
    other = Breaches(parts, stack.runtime.delivery.board, desk.dms)
    tickets = [waiting_ticket(stack, f"Twice? {n}", minutes=50) for n in range(3)]
    await asyncio.gather(poll(stack), other.poll_once(max_age=0))
    await asyncio.gather(poll(stack), other.poll_once(max_age=0))
    assert [len(posts_about(stack, channel, t)) for t in tickets] == [1, 1, 1]
    await said(stack, f"unsubscribe {sub}", channel_id=channel)
