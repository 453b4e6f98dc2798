"""Waiting-too-long reminders through the whole bridge over signed HTTP requests:
`/mava subscribe reminders after 30m …` in a channel, then the leader's reminder job
posts each matching open ticket whose customer has waited longer than that for an
agent — once per waiting period, again after an agent answered and the customer wrote
again — with the ticket's buttons. Shown in `/mava subscriptions`, removed by
`/mava unsubscribe`. The sandbox holds only the tickets these tests make."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.delivery.desk_jobs import REMINDERS_JOB
from mava_bridge.delivery.in_doubt import reminder_tag
from mava_bridge.delivery.reminders import ReminderReport
from mava_bridge.domain.waiting import waiting_period_start
from mava_bridge.store import deliveries
from mava_sandbox.stack import Stack

from .conftest import (
    JANE,
    ago,
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


async def remind(stack: Stack) -> ReminderReport:
    """One run of the leader's reminder job on a board read now."""
    return await stack.runtime.delivery.desk.reminders.poll_once(max_age=0)


async def subscribe(stack: Stack, channel: str, words: str) -> int:
    said = flat(shown(await run(stack, f"subscribe reminders {words}", channel_id=channel)))
    assert "Subscribed" in said, said
    return int(said.rsplit("/mava unsubscribe ", 1)[1].split(".")[0])


async def subscribed(stack: Stack, channel: str, words: str) -> int:
    """Subscribed, and its first look taken: what waited already (other tests' tickets)
    is summed up in one post, and tickets made after it are reminded one by one."""
    sub = await subscribe(stack, channel, words)
    await remind(stack)
    return sub


async def test_subscribe_list_and_unsubscribe(stack: Stack) -> None:
    channel = "C0REMLIST"
    sub = await subscribe(stack, channel, "after 2h high unassigned origin discord")
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert f"#{sub}" in listed
    assert "reminders after 2 h: unassigned High-priority tickets from Discord" in listed
    said = flat(shown(await run(stack, f"unsubscribe {sub}", channel_id=channel)))
    assert f"Unsubscribed #{sub}" in said
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "reminders" not in listed


async def test_a_bad_wait_is_explained(stack: Stack) -> None:
    said = flat(shown(await run(stack, "subscribe reminders after soon")))
    assert "'soon' is not a wait" in said and "/mava subscribe reminders after 30m" in said


async def test_a_ticket_waiting_too_long_is_posted_once_per_waiting_period(stack: Stack) -> None:
    channel = "C0REMIND"
    sub = await subscribed(stack, channel, "after 30m")
    late = waiting_ticket(stack, "Still no answer?", minutes=180)
    fresh = waiting_ticket(stack, "Just asked", minutes=10)
    answered = waiting_ticket(stack, "Answered already", minutes=120)
    stack.mava.sandbox.add_message(
        answered, "Here you go", sender_type="agent", sender_name="Jane Smith", created_at=ago(100)
    )
    report = await remind(stack)
    assert report.posted == 1
    [post] = posts_about(stack, channel, late)
    text = flat(shown(post))
    assert "Customer waiting 3 h" in text and "Still no answer?" in text
    assert buttons(post)  # acts in place: the alert's buttons
    assert posts_about(stack, channel, fresh) == []
    assert posts_about(stack, channel, answered) == []

    # The customer adds a message in the same wait: no second reminder.
    stack.mava.sandbox.add_message(late, "Hello??", created_at=ago(90))
    await remind(stack)
    await stack.runtime.delivery.scheduler.run_job(REMINDERS_JOB)  # as the scheduler runs it
    assert len(posts_about(stack, channel, late)) == 1

    # An agent answers, the customer writes again and waits too long: reminded again.
    stack.mava.sandbox.add_message(
        late, "Looking", sender_type="agent", sender_name="Jane Smith", created_at=ago(80)
    )
    await remind(stack)
    assert len(posts_about(stack, channel, late)) == 1
    stack.mava.sandbox.add_message(late, "It broke again", created_at=ago(60))
    await remind(stack)
    await remind(stack)
    assert len(posts_about(stack, channel, late)) == 2
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "posted 1 reminder" in listed
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_filters_and_a_private_note_is_no_answer(stack: Stack) -> None:
    channel = "C0REMHIGH"
    sub = await subscribed(stack, channel, "after 30m high unassigned")
    high = waiting_ticket(stack, "Urgent", minutes=60, priority=3)
    medium = waiting_ticket(stack, "Not urgent", minutes=60, priority=2)
    taken = waiting_ticket(stack, "Someone has it", minutes=60, priority=3)
    stack.mava.sandbox.dashboard(taken, assignee="Jane Smith")
    stack.mava.sandbox.add_message(
        high,
        "internal only",
        sender_type="agent",
        sender_name="Jane Smith",
        message_type="InternalNote",
        created_at=ago(50),
    )
    await remind(stack)
    assert len(posts_about(stack, channel, high)) == 1
    assert posts_about(stack, channel, medium) == []
    assert posts_about(stack, channel, taken) == []
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_refused_post_is_told_and_posted_once_when_slack_takes_it(stack: Stack) -> None:
    channel = "C0REMFAIL"
    sub = await subscribed(stack, channel, "after 30m")
    ticket = waiting_ticket(stack, "Nobody sees me", minutes=45)
    stack.slack.fail("chat.postMessage", "not_in_channel", times=None)
    report = await remind(stack)
    assert report.errors == 1 and report.posted == 0
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "not_in_channel" in listed
    stack.slack.clear_faults()
    await remind(stack)
    await remind(stack)
    assert len(posts_about(stack, channel, ticket)) == 1
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_claim_left_by_a_dead_leader_is_posted_once_by_the_next(stack: Stack) -> None:
    channel = "C0REMDEAD"
    sub = await subscribed(stack, channel, "after 30m")
    ticket = waiting_ticket(stack, "Left mid-post", minutes=45)
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    [seen] = [t for t in snapshot.tickets if t.id == ticket]
    start = waiting_period_start(seen)
    assert start is not None
    db = stack.runtime.db
    assert await deliveries.REMINDERS.claim(
        db, (channel, ticket, start.isoformat()), snapshot.read_at, "replica-that-died"
    )
    await remind(stack)
    assert posts_about(stack, channel, ticket) == []  # a claim held elsewhere: not ours
    await stack.runtime.delivery.desk.take_over()
    await remind(stack)
    await remind(stack)
    assert len(posts_about(stack, channel, ticket)) == 1
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_dead_leaders_reminder_that_reached_slack_is_not_posted_again(
    stack: Stack,
) -> None:
    channel = "C0REMLANDED"
    sub = await subscribed(stack, channel, "after 30m")
    ticket = waiting_ticket(stack, "Posted, then the leader died", minutes=45)
    snapshot = await stack.runtime.delivery.board.snapshot(max_age=0)
    [seen] = [t for t in snapshot.tickets if t.id == ticket]
    start = waiting_period_start(seen)
    assert start is not None
    db, period = stack.runtime.db, start.isoformat()
    assert await deliveries.REMINDERS.claim(db, (channel, ticket, period), snapshot.read_at, "gone")
    # The dead leader's post went out (tagged, as every reminder is); its mark did not.
    ts = await stack.runtime.delivery.poster.post(
        channel, f"Customer waiting: {ticket}", tag=reminder_tag(ticket, period)
    )
    await stack.runtime.delivery.desk.take_over()
    report = await remind(stack)
    assert report.recovered == 1 and report.posted == 0
    assert [m["ts"] for m in stack.slack.messages(channel) if ticket in str(m)] == [ts]
    told = await deliveries.REMINDERS.state(db, (channel, ticket, period))
    assert told not in (None, deliveries.BASELINE)
    assert (await remind(stack)).posted == 0
    assert [m["ts"] for m in stack.slack.messages(channel) if ticket in str(m)] == [ts]
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_no_subscription_no_mava_read(stack: Stack) -> None:
    before = len(stack.mava.sandbox.requests)
    report = await remind(stack)
    assert report.subscriptions == 0
    assert len(stack.mava.sandbox.requests) == before


async def test_a_guest_cannot_subscribe(stack: Stack) -> None:
    said = flat(shown(await run(stack, "subscribe reminders after 30m", user_id="U0GUEST")))
    assert "Guests can't" in said
    listed = flat(shown(await run(stack, "subscriptions", user_id=JANE)))
    assert "reminders" not in listed
