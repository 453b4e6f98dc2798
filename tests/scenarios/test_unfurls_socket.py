"""Ticket link unfurls in Socket Mode: `link_shared` as an `events_api` envelope reaches
the same listener as over HTTP, is acked at once, and a redelivered envelope unfurls
nothing twice. This stack allows only Jane and Sam (ALLOWED_SLACK_USER_IDS): a member
not on the list pastes a link and gets no card, only a refused audit row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    GUEST,
    JANE,
    OMAR,
    SAM,
    audit_rows,
    flat,
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


def link(stack: Stack, ticket: str) -> str:
    return stack.runtime.deps.settings.ticket_url(ticket)


async def test_a_link_envelope_unfurls_once_even_when_redelivered(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Refund please"])
    url = link(stack, ticket)
    event = stack.slack.user_link(CHANNEL, SAM, f"see {url}")
    first = await send_event(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    assert call.ok and call.params["unfurl_id"] == event["unfurl_id"]
    text = flat(shown(stack.slack.unfurls(CHANNEL, event["message_ts"])[url]["blocks"]))
    assert "*Status* Open" in text and "*Waiting* just now" in text, text
    await send_event(
        stack, event, event_id=first.payload["event_id"], retry_attempt=1, retry_reason="timeout"
    )
    assert len(stack.slack.calls("chat.unfurl")) == 1


@pytest.mark.parametrize("user", [OMAR, GUEST])
async def test_members_not_allowed_and_guests_get_no_card(stack: Stack, user: str) -> None:
    ticket = new_ticket(stack)
    await send_event(stack, stack.slack.user_link(CHANNEL, user, link(stack, ticket)))
    assert stack.slack.calls("chat.unfurl") == []
    assert stack.mava.sandbox.requests == []
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.action, row.outcome) == (user, "unfurl", "refused")


async def test_a_shared_channel_envelope_gets_no_card(stack: Stack) -> None:
    ticket = new_ticket(stack)
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, ticket))
    await send_event(stack, event, is_ext_shared_channel=True)
    assert stack.slack.calls("chat.unfurl") == []
    [row] = await audit_rows(stack, ticket)
    assert row.outcome == "refused" and "Slack Connect" in row.summary


async def test_slack_failing_the_unfurl_over_the_socket_is_survived(stack: Stack) -> None:
    stack.slack.fail("chat.unfurl", "invalid_unfurl_id")
    url = link(stack, new_ticket(stack))
    await send_event(stack, stack.slack.user_link(CHANNEL, JANE, url))
    [failed] = stack.slack.calls("chat.unfurl")
    assert not failed.ok
    # The next link works: nothing was left broken.
    event = stack.slack.user_link(CHANNEL, JANE, url)
    await send_event(stack, event)
    assert list(stack.slack.unfurls(CHANNEL, event["message_ts"])) == [url]
