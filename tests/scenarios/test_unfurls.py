"""Ticket link unfurls over signed HTTP events: a permitted member pastes a Mava
dashboard ticket link and `link_shared` becomes one chat.unfurl with a compact card
(status, priority, assignee, customer, waiting time). Guests, Slack Connect users and
shared channels get no card and leave a refused audit row; other links, the composer,
redeliveries and Slack's or Mava's failures are handled without a stray call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    EXTERNAL,
    GUEST,
    JANE,
    MISSING_TICKET,
    assert_ack,
    audit_rows,
    flat,
    new_ticket,
    shown,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


def link(stack: Stack, ticket: str) -> str:
    return stack.runtime.deps.settings.ticket_url(ticket)


async def deliver(stack: Stack, event: JSON, **fields: Any) -> None:
    """Send `event` signed over HTTP, check the ack, wait for its handling."""
    assert_ack(await stack.sender.event(event, **fields))
    assert await stack.runtime.deps.inflight.wait_idle(10.0)


def card(stack: Stack, ts: str, url: str) -> str:
    unfurl = stack.slack.unfurls(CHANNEL, ts)[url]
    return flat(shown(unfurl["blocks"]))


async def test_a_permitted_members_ticket_link_unfurls_to_a_compact_card(stack: Stack) -> None:
    omar = next(a.id for a in stack.mava.sandbox.agents.values() if a.name == "Omar Haddad")
    ticket = new_ticket(stack, messages=["My order is late"], priority="High", assignedTo=omar)
    url = link(stack, ticket)
    event = stack.slack.user_link(CHANNEL, JANE, f"Can someone look at {url} please?")
    await deliver(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    assert call.ok, call.response
    # Slack's 2021 form: the unfurl id and source from the event, not channel + ts.
    assert call.params["unfurl_id"] == event["unfurl_id"]
    assert call.params["source"] == "conversations_history"
    assert list(call.params["unfurls"]) == [url]
    text = card(stack, event["message_ts"], url)
    for fact in (
        "*Status* Open",
        "*Priority* :red_circle: High",
        "*Assignee* Omar Haddad",
        "*Customer* Sandbox Customer",
        "*Waiting* just now",  # the customer's message has no answer yet
    ):
        assert fact in text, text
    assert f"…{ticket[-6:]}" in text


async def test_an_answered_ticket_says_it_is_not_waiting_and_shows_its_agent(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack, messages=["Hello?"])
    stack.mava.sandbox.agent_writes(ticket, "Hi, looking now", agent="Omar Haddad")
    url = link(stack, ticket)
    event = stack.slack.user_link(CHANNEL, JANE, url)
    await deliver(stack, event)
    assert "not waiting (answered)" in card(stack, event["message_ts"], url)


async def test_an_event_without_unfurl_id_is_unfurled_by_channel_and_ts(stack: Stack) -> None:
    ticket = new_ticket(stack)
    url = link(stack, ticket)
    event = stack.slack.user_link(CHANNEL, JANE, f"<{url}>", with_unfurl_id=False)
    await deliver(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    assert (call.params["channel"], call.params["ts"]) == (CHANNEL, event["message_ts"])
    assert "unfurl_id" not in call.params
    assert list(stack.slack.unfurls(CHANNEL, event["message_ts"])) == [url]


async def test_at_most_three_tickets_per_message_and_other_links_are_left_alone(
    stack: Stack,
) -> None:
    # The last two were created 30 days ago: a look-up of them would search back there.
    old = datetime.now(UTC) - timedelta(days=30)
    tickets = [new_ticket(stack) for _ in range(3)] + [
        new_ticket(stack, createdAt=old) for _ in range(2)
    ]
    urls = [link(stack, t) for t in tickets]
    text = " ".join([*urls, "https://example.com/docs", urls[0] + "&x=1"])
    event = stack.slack.user_link(CHANNEL, JANE, text)
    await deliver(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    unfurled = set(call.params["unfurls"])
    assert unfurled == {*urls[:3], urls[0] + "&x=1"}
    # Only the first three were looked up, each once (the one pasted twice too).
    starts = [
        datetime.fromisoformat(dict(r.query)["startDate"]) for r in stack.mava.sandbox.requests
    ]
    assert starts and all(start > old + timedelta(days=20) for start in starts), starts
    assert len(starts) <= 2 * 3  # a window search and an exact read each, at most


async def test_a_redelivered_event_unfurls_once(stack: Stack) -> None:
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    await deliver(stack, event, event_id="EvUNFURL0001")
    reads = len(stack.mava.sandbox.requests)
    for attempt in (1, 2):
        assert_ack(await stack.sender.redeliver(attempt))
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    assert len(stack.slack.calls("chat.unfurl")) == 1
    assert len(stack.mava.sandbox.requests) == reads


@pytest.mark.parametrize("user", [GUEST, EXTERNAL])
async def test_guests_and_slack_connect_users_get_no_card_and_are_audited(
    stack: Stack, user: str
) -> None:
    ticket = new_ticket(stack)
    event = stack.slack.user_link(CHANNEL, user, link(stack, ticket))
    await deliver(stack, event)
    assert stack.slack.calls("chat.unfurl") == []
    assert stack.mava.sandbox.requests == []  # nothing read for them
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.action, row.outcome) == (user, "unfurl", "refused")
    assert row.summary.startswith("link: ")


async def test_a_channel_shared_with_another_organisation_gets_no_card(stack: Stack) -> None:
    ticket = new_ticket(stack)
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, ticket))
    await deliver(stack, event, is_ext_shared_channel=True)
    assert stack.slack.calls("chat.unfurl") == []
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.outcome) == (JANE, "refused")
    assert "Slack Connect" in row.summary


async def test_without_the_shared_flag_the_channel_is_asked_and_a_failure_means_no_card(
    stack: Stack,
) -> None:
    """Slack's envelope carries is_ext_shared_channel; when it does not, conversations.info
    decides, and a channel it cannot describe gets no card."""
    stack.slack.add_channel("C0CONNECT", is_ext_shared=True)
    for channel, expected in (("C0CONNECT", 0), (CHANNEL, 1)):
        stack.slack.clear()
        event = stack.slack.user_link(channel, JANE, link(stack, new_ticket(stack)))
        body = json.loads(_without_shared_flag(stack, event))
        assert_ack(await stack.sender.post(json.dumps(body)))
        assert await stack.runtime.deps.inflight.wait_idle(10.0)
        assert len(stack.slack.calls("chat.unfurl")) == expected, channel
    stack.slack.fail("conversations.info", "internal_error")
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    assert_ack(await stack.sender.post(_without_shared_flag(stack, event)))
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    assert len(stack.slack.calls("chat.unfurl")) == 1  # still only the one from before


def _without_shared_flag(stack: Stack, event: JSON) -> str:
    from mava_sandbox.slack_requests import event_callback

    body = json.loads(event_callback(event))
    del body["is_ext_shared_channel"]
    return json.dumps(body)


async def test_a_link_in_the_composer_is_left_until_it_is_posted(stack: Stack) -> None:
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)), source="composer")
    await deliver(stack, event)
    assert stack.slack.calls("chat.unfurl") == []
    assert stack.mava.sandbox.requests == []


async def test_slack_refusing_the_unfurl_is_logged_not_retried(stack: Stack) -> None:
    stack.slack.fail("chat.unfurl", "cannot_unfurl_message")
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    await deliver(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    assert not call.ok
    assert stack.slack.unfurls(CHANNEL, event["message_ts"]) == {}


async def test_slack_5xx_is_retried_once_then_given_up(stack: Stack) -> None:
    stack.slack.http_error("chat.unfurl", 503)  # once: the client's retry gets through
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    await deliver(stack, event)
    assert len(stack.slack.unfurls(CHANNEL, event["message_ts"])) == 1
    stack.slack.clear()
    stack.slack.http_error("chat.unfurl", 503, times=None)
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    await deliver(stack, event)
    assert [c.status for c in stack.slack.calls("chat.unfurl")] == [503, 503]
    assert stack.slack.unfurls(CHANNEL, event["message_ts"]) == {}


async def test_a_ticket_mava_does_not_find_is_not_unfurled_the_others_are(stack: Stack) -> None:
    found = link(stack, new_ticket(stack))
    missing = link(stack, MISSING_TICKET)
    event = stack.slack.user_link(CHANNEL, JANE, f"{missing} and {found}")
    await deliver(stack, event)
    [call] = stack.slack.calls("chat.unfurl")
    assert list(call.params["unfurls"]) == [found]


async def test_mava_failing_means_no_card_and_no_slack_call(stack: Stack) -> None:
    stack.mava.sandbox.inject("status", status=500, times=None, path="/api/tickets")
    event = stack.slack.user_link(CHANNEL, JANE, link(stack, new_ticket(stack)))
    await deliver(stack, event)
    assert stack.slack.calls("chat.unfurl") == []


async def test_the_bridges_own_messages_ask_slack_not_to_unfurl_them(stack: Stack) -> None:
    """Cards, command answers and thread lines carry dashboard links: each post and
    response_url answer sets unfurl_links false, so Slack shows no second preview (our
    own messages send no link_shared). chat.update has no such flag: it keeps the
    original post's."""
    from .conftest import run

    ticket = new_ticket(stack)
    await run(stack, f"show {ticket}")
    await run(stack, f"follow {ticket}")
    await run(stack, f"unfollow {ticket}")
    posts = stack.slack.calls("chat.postMessage")
    answers = stack.slack.responses()
    assert posts and answers
    assert all(c.params.get("unfurl_links") is False for c in posts), [c.params for c in posts]
    assert all(a.get("unfurl_links") is False for a in answers), answers
