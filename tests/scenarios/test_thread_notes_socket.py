"""Followed ticket threads in Socket Mode: `events_api` envelopes from the local Socket
Mode server reach the same listener as HTTP events, are acked at once, and a redelivered
envelope (same event id) makes no second note. This stack allows only Jane and Sam
(ALLOWED_SLACK_USER_IDS), so a member who is not on the list is refused and told."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.slack_requests import slash_command
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    OMAR,
    SAM,
    SLACK_ACK_LIMIT,
    answer,
    audit_rows,
    flat,
    messages,
    new_ticket,
    scenario_stack,
    send_event,
    shown,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(socket_mode=True, allowed_slack_user_ids=f"{JANE},{SAM}") as stack:
        yield stack


async def follow(stack: Stack, ticket: str) -> str:
    """`/mava follow TICKET` as a slash_commands envelope; the card's ts."""
    assert stack.socket is not None
    url = stack.slack.response_url(channel=CHANNEL)
    envelope = await stack.socket.send_request(
        slash_command(f"follow {ticket}", user_id=JANE, channel_id=CHANNEL, response_url=url)
    )
    await envelope.acked(timeout=SLACK_ACK_LIMIT)
    said = await answer(stack, url.rsplit("/", 1)[-1])
    assert "Following ticket" in flat(shown(said))
    [card] = [
        m
        for m in stack.slack.messages(CHANNEL)
        if ticket in json.dumps(m.get("blocks")) and "thread_ts" not in m
    ]
    return str(card["ts"])


def notes(stack: Stack, ticket: str) -> list[str]:
    return [m["content"] for m in messages(stack, ticket, "InternalNote")]


async def test_a_thread_reply_envelope_becomes_one_note_even_when_redelivered(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, SAM, "Customer called too", thread_ts=thread)
    first = await send_event(stack, event)
    assert notes(stack, ticket) == ["Note from Sam via Slack: Customer called too"]
    assert stack.slack.reactions(CHANNEL, event["ts"]) == ["white_check_mark"]
    # Slack redelivers the envelope (e.g. on a new connection): the same event id.
    await send_event(
        stack, event, event_id=first.payload["event_id"], retry_attempt=1, retry_reason="timeout"
    )
    assert notes(stack, ticket) == ["Note from Sam via Slack: Customer called too"]


async def test_bot_messages_over_the_socket_do_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    await send_event(stack, stack.slack.bot_message(CHANNEL, "CI is green", thread_ts=thread))
    await send_event(stack, stack.slack.user_message(CHANNEL, JANE, "top level, no thread"))
    assert notes(stack, ticket) == []
    assert stack.slack.calls("reactions.add") == []


async def test_a_member_not_on_the_allowed_list_is_refused_audited_and_told_once(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    for text in ("I am Omar", "Still Omar"):
        await send_event(stack, stack.slack.user_message(CHANNEL, OMAR, text, thread_ts=thread))
    assert notes(stack, ticket) == []
    rows = [r for r in await audit_rows(stack, ticket) if r.outcome == "refused"]
    assert [(r.slack_user_id, r.action) for r in rows] == [(OMAR, "note"), (OMAR, "note")]
    [told] = stack.slack.ephemerals(OMAR)
    assert told["thread_ts"] == thread
    assert "not on the list of people allowed" in flat(shown(told["blocks"]))
    assert "not added to the Mava ticket" in flat(shown(told["blocks"]))


async def test_edits_over_the_socket_get_one_notice(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, JANE, "Typo hree", thread_ts=thread)
    await send_event(stack, event)
    await send_event(stack, stack.slack.user_edit(CHANNEL, event["ts"], "Typo here"))
    await send_event(stack, stack.slack.user_delete(CHANNEL, event["ts"]))
    replies = [str(m.get("text")) for m in stack.slack.thread(CHANNEL, thread)]
    assert sum("Edits and deletions in Slack don't reach Mava" in r for r in replies) == 1
