"""Assignment DMs and reminders in Socket Mode: `/mava assign`, `/mava notify`,
`/mava subscribe reminders` and the Home tab's Assign to me arrive as envelopes from
the local Socket Mode server and do what they do over HTTP — a DM for an assignment to
someone else (once, even when the envelope is redelivered), none for assigning
yourself, none after `notify off`, a reminder once per waiting period; a member not on
the allow-list is refused and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from ledger_rows import dm_rows

from mava_bridge.store import assignments
from mava_sandbox.slack_requests import block_actions, slash_command
from mava_sandbox.socket_mode_server import Envelope
from mava_sandbox.stack import Stack

from .conftest import (
    JANE,
    OMAR,
    SAM,
    SLACK_ACK_LIMIT,
    answer,
    flat,
    new_ticket,
    scenario_stack,
    shown,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
CHANNEL = "C0DESKSOCK"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    allowed = f"{JANE},{SAM},{OMAR}"
    async with scenario_stack(
        socket_mode=True, allowed_slack_user_ids=allowed, mava_options={"tickets": 0}
    ) as stack:
        await poll(stack)  # the baseline
        yield stack


async def poll(stack: Stack) -> None:
    await stack.runtime.delivery.desk.dms.poll_once(max_age=0)


async def acked(stack: Stack, envelope: Envelope) -> None:
    ack = await envelope.acked(timeout=SLACK_ACK_LIMIT)
    assert ack.seconds < SLACK_ACK_LIMIT
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    await stack.runtime.delivery.desk.dms.drain()


async def command(stack: Stack, text: str, user: str, **options: Any) -> tuple[JSON, str]:
    """`/mava text` as a slash_commands envelope: what the bot answered, and the body
    (to deliver the same envelope again)."""
    assert stack.socket is not None
    url = stack.slack.response_url(channel=CHANNEL)
    body = slash_command(text, user_id=user, channel_id=CHANNEL, response_url=url)
    await acked(stack, await stack.socket.send_request(body, **options))
    return await answer(stack, url.rsplit("/", 1)[-1]), body


def dm_about(stack: Stack, user: str, ticket: str) -> list[JSON]:
    return [m for m in stack.slack.messages(user) if ticket in flat(shown(m))]


async def test_assign_over_the_socket_dms_once_even_when_redelivered(stack: Stack) -> None:
    assert stack.socket is not None
    ticket = new_ticket(stack, messages=["Socket question"])
    said, body = await command(stack, f"assign {ticket} <@{OMAR}>", JANE)
    assert "assigned to" in flat(shown(said)).lower()
    await acked(stack, await stack.socket.send_request(body))  # Slack redelivers it
    await poll(stack)
    [dm] = dm_about(stack, OMAR, ticket)
    assert "Assigned to you" in flat(shown(dm))
    assert [row.state for row in await dm_rows(stack.runtime.db, ticket)] == ["posted"]


async def test_assign_to_me_from_the_home_tab_sends_nothing(stack: Stack) -> None:
    assert stack.socket is not None
    ticket = new_ticket(stack, priority=3, messages=["Mine now"])
    body = block_actions(
        "home_assign_me", ticket, user_id=OMAR, channel_id=None, view=None, response_url=None
    )
    await acked(stack, await stack.socket.send_request(body))
    stored = stack.mava.sandbox.get(ticket)
    assert stored is not None and stored["assignedTo"] == stack.mava.sandbox.agent_id("Omar Haddad")
    await poll(stack)
    assert dm_about(stack, OMAR, ticket) == []
    assert [row.state for row in await dm_rows(stack.runtime.db, ticket)] == ["self"]


async def test_notify_off_over_the_socket(stack: Stack) -> None:
    said, _ = await command(stack, "notify off", OMAR)
    assert "No more DMs" in flat(shown(said))
    ticket = new_ticket(stack, messages=["Quiet"])
    said, _ = await command(stack, f"assign {ticket} <@{OMAR}>", JANE)
    await poll(stack)
    assert dm_about(stack, OMAR, ticket) == []
    said, _ = await command(stack, "notify on", OMAR)
    assert "You will get a DM" in flat(shown(said))


async def test_a_member_not_allowed_is_refused(stack: Stack) -> None:
    said, _ = await command(stack, "notify off", "U0GUEST")
    assert "can't" in flat(shown(said)).lower() or "not on the list" in flat(shown(said))
    assert await assignments.notify_on(stack.runtime.db, "U0GUEST")


async def test_reminders_subscribed_over_the_socket(stack: Stack) -> None:
    said, _ = await command(stack, "subscribe reminders after 30m", JANE)
    assert "Subscribed" in flat(shown(said))
    reminders = stack.runtime.delivery.desk.reminders
    await reminders.poll_once(max_age=0)  # the first look: what waits already is summed up
    then = datetime.now(UTC) - timedelta(hours=1)
    ticket = str(stack.mava.sandbox.add_ticket(createdAt=then, messages=[])["_id"])
    stack.mava.sandbox.add_message(ticket, "An hour already", created_at=then)
    await reminders.poll_once(max_age=0)
    await reminders.poll_once(max_age=0)
    posts = [m for m in stack.slack.messages(CHANNEL) if ticket in flat(shown(m))]
    assert len(posts) == 1 and "Customer waiting 1 h" in flat(shown(posts[0]))
    listed, _ = await command(stack, "subscriptions", JANE)
    assert "reminders after 30 m: all tickets" in flat(shown(listed))
