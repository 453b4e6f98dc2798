"""A followed ticket's life end to end, through the whole bridge: `/mava follow` posts the
card, the scheduler's thread job mirrors what the customer writes, a message typed in
the thread becomes a private note and is not echoed back, a dashboard change redraws
the card (Reply and Unfollow kept), and `/mava unfollow` ends the mirroring."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mava_bridge.delivery.threads import SyncReport
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, JANE, assert_ack, buttons, flat, messages, new_ticket, run, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


async def sync(stack: Stack) -> SyncReport:
    """One run of the leader's thread job (on SQLite this process always leads)."""
    report = await stack.runtime.delivery.scheduler.run_threads()
    assert report is not None
    return report


def bot_replies(stack: Stack, thread: str) -> list[JSON]:
    """What the bot posted in the thread (the card itself left out)."""
    return [m for m in stack.slack.thread(CHANNEL, thread) if m.get("bot_id") and m["ts"] != thread]


async def test_a_followed_ticket_from_first_message_to_unfollow(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    ticket = new_ticket(stack, messages=["My parcel is lost"])
    said = await run(stack, f"follow {ticket}")
    assert "Following ticket" in flat(shown(said))
    [card] = [m for m in stack.slack.messages(CHANNEL) if ticket in json.dumps(m.get("blocks"))]
    thread = str(card["ts"])
    await sync(stack)
    assert bot_replies(stack, thread) == []  # what was there before the follow: not repeated

    sandbox.customer_writes(ticket, "Any news about my parcel?")
    await sync(stack)
    [customer] = bot_replies(stack, thread)
    assert "Any news about my parcel?" in flat(shown(customer))

    # Jane answers in the thread: a private note in Mava, never to the customer...
    event = stack.slack.user_message(CHANNEL, JANE, "Asked the courier", thread_ts=thread)
    assert_ack(await stack.sender.event(event))
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    assert [m["content"] for m in messages(stack, ticket, "InternalNote")] == [
        "Note from Jane via Slack: Asked the courier"
    ]
    # ...and the next sync does not post it back into the thread.
    await sync(stack)
    assert len(bot_replies(stack, thread)) == 1

    # A change made in the dashboard redraws the card in place, buttons kept.
    sandbox.dashboard(ticket, status="Pending")
    report = await sync(stack)
    assert report.changes == 1
    redrawn = stack.slack.message(CHANNEL, thread)
    assert redrawn is not None
    assert "Pending" in flat(shown(redrawn))
    assert {"ticket_reply", "ticket_unfollow"} <= set(buttons(redrawn))

    # Unfollowed: the thread stops there.
    await run(stack, f"unfollow {ticket}")
    before = len(bot_replies(stack, thread))
    sandbox.customer_writes(ticket, "Hello? Anyone?")
    await sync(stack)
    assert len(bot_replies(stack, thread)) == before
