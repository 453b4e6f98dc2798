"""Reactions that act, over signed HTTP and over Socket Mode: :eyes: on an alert or a
followed card assigns the ticket to whoever reacted, :white_check_mark: resolves it,
:ticket: on anyone's message brings a button that opens the create modal prefilled with
that message. A redelivery acts once; guests, Slack Connect users and people not
allowed are refused, audited, and told once; other emoji and messages are ignored; a
Mava failure is told."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.slack.callback_ids import ACTION_CREATE_REACTED
from mava_bridge.store.follows import follow_for_thread
from mava_sandbox.slack_actions import block_actions
from mava_sandbox.slack_requests import slash_command
from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.slack_view_payloads import view_submission
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    EXTERNAL,
    GUEST,
    JANE,
    LOOKUP_ACK_SECONDS,
    OMAR,
    SAM,
    answer,
    assert_ack,
    audit_rows,
    flat,
    idle,
    mava_ticket,
    new_ticket,
    reset,
    run,
    scenario_stack,
    send_event,
    shown,
    target_of,
    view_update,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["http", "socket"])
async def module_stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    # Jane and Sam are in S0SUPPORT; Omar is a full member outside it: not allowed.
    async with scenario_stack(
        socket_mode=request.param == "socket",
        alert_channel=CHANNEL,
        alert_min_priority="high",
        allowed_slack_usergroup_ids="S0SUPPORT",
    ) as stack:
        await stack.runtime.delivery.poller.poll_once()  # what is there already: baseline
        yield stack


@pytest.fixture
def stack(module_stack: Stack) -> Iterator[Stack]:
    yield reset(module_stack)
    module_stack.slack.replies_of_a_reply = "reply"


async def deliver(stack: Stack, event: JSON, event_id: str | None = None, retry: int = 0) -> str:
    """`event` as Slack sends it (over the socket, or signed over HTTP), handled to the
    end; `event_id` and `retry` make it a redelivery. Returns its event id."""
    ids = {"event_id": event_id} if event_id else {}
    if stack.socket is not None:
        again = {"retry_attempt": retry, "retry_reason": "timeout"} if retry else {}
        envelope = await send_event(stack, event, **ids, **again)
        return str(envelope.payload["event_id"])
    response = await stack.sender.event(event, retry_num=retry or None, **ids)
    assert_ack(response)
    await idle(stack)
    assert stack.sender.last_event_id is not None
    return stack.sender.last_event_id


async def click(stack: Stack, user_id: str, prompt: JSON) -> bool:
    """The Create Mava ticket button on the reaction's ephemeral `prompt`, as Slack sends
    it: the response_url bound to that ephemeral. False, and nothing sent, once Slack no
    longer shows it."""
    channel, ts = prompt["channel"], prompt["message_ts"]
    if stack.slack.ephemeral(channel, ts) is None:
        return False
    [button] = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    url = stack.slack.response_url(channel=channel, message_ts=ts, ephemeral=True)
    body = block_actions(
        ACTION_CREATE_REACTED,
        button["value"],
        user_id=user_id,
        channel_id=channel,
        is_ephemeral=True,
        message_ts=ts,
        response_url=url,
    )
    if stack.socket is not None:
        envelope = await stack.socket.send_request(body)
        await envelope.acked()
    else:
        assert_ack(await stack.sender.post(body))
    return True


async def follow(stack: Stack, ticket: str) -> None:
    """`/mava follow TICKET` in CHANNEL, the way the stack's Slack sends it."""
    if stack.socket is None:
        await run(stack, f"follow {ticket}")
        return
    url = stack.slack.response_url(channel=CHANNEL)
    body = slash_command(f"follow {ticket}", user_id=JANE, channel_id=CHANNEL, response_url=url)
    await (await stack.socket.send_request(body)).acked()
    await answer(stack, target_of(url))


def card_of(stack: Stack, ticket_id: str) -> JSON:
    [card] = [
        m
        for m in stack.slack.messages(CHANNEL)
        if f"actions:{ticket_id}" in json.dumps(m.get("blocks")) and "thread_ts" not in m
    ]
    return card


async def alert(stack: Stack) -> tuple[str, JSON]:
    ticket = new_ticket(stack, priority=3, messages=["My order never came"])
    assert (await stack.runtime.delivery.poller.poll_once()).alerted == 1
    return ticket, card_of(stack, ticket)


def told(stack: Stack, user_id: str) -> list[str]:
    return [flat(shown(e)) for e in stack.slack.ephemerals(user_id)]


async def test_eyes_on_an_alert_assigns_it_to_whoever_reacted(stack: Stack) -> None:
    ticket, card = await alert(stack)
    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "eyes"))
    jane = stack.mava.sandbox.agent_id("jane@example.com")
    assert mava_ticket(stack, ticket)["assignedTo"] == jane
    [update] = stack.slack.calls("chat.update")
    assert update.ok and update.params["ts"] == card["ts"]
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None and f"Assigned to <@{JANE}>" in shown(redrawn)
    [said] = told(stack, JANE)
    assert "assigned" in said.lower() and ticket in said
    [row] = [r for r in await audit_rows(stack, ticket) if r.action == "assign"]
    assert (row.slack_user_id, row.outcome) == (JANE, "ok")


async def test_check_on_a_followed_card_resolves_it(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Where is my refund?"])
    await follow(stack, ticket)
    card = card_of(stack, ticket)
    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], SAM, ":white_check_mark:"))
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None and f"Resolved by <@{SAM}>" in shown(redrawn)
    assert redrawn["text"] == f"Ticket {ticket}: Resolved"
    [said] = told(stack, SAM)
    assert "resolved" in said.lower()


async def test_eyes_on_an_alert_of_a_ticket_followed_elsewhere_finds_it_by_its_tag(
    stack: Stack,
) -> None:
    """Followed before its alert, the ticket's follow is the card's thread, not the
    alert's: the alert is known by its message metadata, and its item redrawn."""
    ticket = new_ticket(stack, priority=3, messages=["Site is down"])
    await follow(stack, ticket)
    assert (await stack.runtime.delivery.poller.poll_once()).alerted == 1
    [alerted] = [
        m
        for m in stack.slack.messages(CHANNEL)
        if (m.get("metadata") or {}).get("event_payload", {}).get("kind") == "alert"
        and ticket in json.dumps(m["metadata"])
    ]
    assert await follow_for_thread(stack.runtime.db, CHANNEL, alerted["ts"]) is None
    await deliver(stack, stack.slack.user_reaction(CHANNEL, alerted["ts"], JANE, "eyes"))
    jane = stack.mava.sandbox.agent_id("jane@example.com")
    assert mava_ticket(stack, ticket)["assignedTo"] == jane
    redrawn = stack.slack.message(CHANNEL, alerted["ts"])
    assert redrawn is not None and f"Assigned to <@{JANE}>" in shown(redrawn)
    assert "New High-priority ticket" in shown(redrawn)  # the alert's own words stay
    [said] = told(stack, JANE)
    assert "assigned" in said.lower()


@pytest.mark.parametrize("reading", ["reply", "thread"])
async def test_ticket_emoji_brings_a_button_that_opens_the_prefilled_modal(
    stack: Stack, reading: str
) -> None:
    stack.slack.replies_of_a_reply = reading  # either reading of a reply's ts works
    root = stack.slack.user_message(CHANNEL, SAM, "Anyone seen this?")
    reply = stack.slack.user_message(
        CHANNEL, SAM, "Customer bob@example.com cannot log in", thread_ts=root["ts"]
    )
    await deliver(stack, stack.slack.user_reaction(CHANNEL, reply["ts"], JANE, "ticket"))
    [prompt] = stack.slack.ephemerals(JANE)
    [button] = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == (ACTION_CREATE_REACTED, reply["ts"])
    assert writes(stack, "/api/ticket") == []

    assert await click(stack, JANE, prompt)
    [opened] = await stack.slack.wait_for("views.open")
    assert opened.ok and opened.response is not None
    # Then the prompt goes (deleted through the click's response_url), so its button
    # cannot open a second modal.
    [deleted] = await stack.slack.wait_for("response_url")
    assert deleted.ok and deleted.params.get("delete_original") is True
    assert stack.slack.ephemerals(JANE) == []
    assert not await click(stack, JANE, prompt)
    view = await view_update(stack, opened.response["view"]["id"])
    assert len(stack.slack.calls("views.open")) == 1
    [text] = [b["element"] for b in view["blocks"] if b.get("block_id") == "text"]
    [link] = stack.slack.calls("chat.getPermalink")
    assert link.ok and link.response is not None and link.params["message_ts"] == reply["ts"]
    permalink = link.response["permalink"]
    assert text["initial_value"] == (
        f"Customer bob@example.com cannot log in\n\nFrom Slack: {permalink}"
    )
    assert root["ts"] in view["private_metadata"]  # followed in that thread once created


async def test_a_prompt_slack_will_not_delete_stays_and_the_modal_is_open(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    source = stack.slack.user_message(CHANNEL, SAM, "Lost my parcel, kim@example.com")
    await deliver(stack, stack.slack.user_reaction(CHANNEL, source["ts"], JANE, "ticket"))
    [prompt] = stack.slack.ephemerals(JANE)
    stack.slack.fail(RESPONSE_URL, "expired_url")  # Slack: 404 "expired_url"
    assert await click(stack, JANE, prompt)
    [opened] = await stack.slack.wait_for("views.open")
    await view_update(stack, opened.response["view"]["id"] if opened.response else "")
    [refused] = await stack.slack.wait_for("response_url")
    assert not refused.ok and refused.params.get("delete_original") is True
    assert stack.slack.ephemerals(JANE) == [prompt]
    await idle(stack)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["response_url refused to delete the message (expired_url)"]


async def test_a_ticket_made_from_a_reaction_is_then_resolved_by_one_on_its_card(
    stack: Stack,
) -> None:
    """Created from a message, the ticket's card is a reply in that message's thread:
    a card all the same, redrawn whole."""
    source = stack.slack.user_message(CHANNEL, SAM, "Printer on fire, ann@example.com says")
    await deliver(stack, stack.slack.user_reaction(CHANNEL, source["ts"], JANE, "ticket"))
    [prompt] = stack.slack.ephemerals(JANE)
    assert await click(stack, JANE, prompt)
    [opened] = await stack.slack.wait_for("views.open")
    assert opened.response is not None
    view_id = opened.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None
    [text] = [b["element"] for b in view["blocks"] if b.get("block_id") == "text"]
    values = {"customer_email": "ann.react@example.com", "text": text["initial_value"]}
    body = view_submission(
        "create_ticket_modal", {**values, "priority": "2"}, user_id=JANE, view=view
    )
    if stack.socket is not None:
        await (await stack.socket.send_request(body)).acked()
    else:
        assert_ack(await stack.sender.post(body), LOOKUP_ACK_SECONDS)
    await view_update(stack, view_id, 2)  # filled in, then the result
    [card] = [m for m in stack.slack.thread(CHANNEL, source["ts"]) if m.get("bot_id")]
    [ticket] = [t for t in stack.mava.sandbox.tickets if t["_id"] in json.dumps(card["blocks"])]

    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "white_check_mark"))
    assert mava_ticket(stack, ticket["_id"])["status"] == "Resolved"
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None and f"Resolved by <@{JANE}>" in shown(redrawn)
    assert redrawn["text"] == f"Ticket {ticket['_id']}: Resolved"  # the followed card's


async def test_a_redelivered_reaction_acts_once(stack: Stack) -> None:
    ticket, card = await alert(stack)
    event = stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "white_check_mark")
    event_id = await deliver(stack, event)
    await deliver(stack, event, event_id=event_id, retry=1)
    await deliver(stack, event, event_id=event_id, retry=2)
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    assert len(writes(stack, "/api/ticket")) == 1
    assert len(stack.slack.calls("chat.update")) == 1
    assert len(told(stack, JANE)) == 1
    assert len([r for r in await audit_rows(stack, ticket) if r.action == "resolve"]) == 1


@pytest.mark.parametrize("who", [GUEST, EXTERNAL, OMAR])
async def test_a_person_who_may_not_act_is_refused_audited_and_told_once(
    stack: Stack, who: str
) -> None:
    ticket, card = await alert(stack)
    before = len(await audit_rows(stack))
    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], who, "eyes"))
    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], who, "white_check_mark"))
    message = stack.slack.user_message(CHANNEL, SAM, "Please make this a ticket")
    await deliver(stack, stack.slack.user_reaction(CHANNEL, message["ts"], who, "ticket"))
    assert writes(stack, "/api/ticket") == []
    assert mava_ticket(stack, ticket)["status"] == "Open"
    assert stack.slack.calls("chat.update") == []
    rows = (await audit_rows(stack))[before:]
    assert [(r.slack_user_id, r.action, r.outcome) for r in rows] == [
        (who, "assign", "refused"),
        (who, "resolve", "refused"),
        (who, "create", "refused"),
    ]
    [said] = stack.slack.ephemerals(who)
    assert ":warning:" in shown(said) and said["channel"] == CHANNEL


async def test_other_emoji_messages_and_the_bot_itself_are_ignored(stack: Stack) -> None:
    ticket, card = await alert(stack)
    message = stack.slack.user_message(CHANNEL, SAM, "Lunch?")
    before = len(await audit_rows(stack))
    bot = stack.slack.bot_user_id
    for event in (
        stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "tada"),  # not one of ours
        stack.slack.user_reaction(CHANNEL, message["ts"], JANE, "eyes"),  # not our card
        stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "ticket"),  # our own post
        stack.slack.user_reaction(CHANNEL, message["ts"], bot, "ticket"),  # the bot itself
    ):
        await deliver(stack, event)
    assert mava_ticket(stack, ticket)["assignedTo"] is None
    assert writes(stack, "/api/ticket") == []
    assert stack.slack.ephemerals() == []
    assert stack.slack.calls("chat.update") == []
    assert len(await audit_rows(stack)) == before


async def test_a_mava_failure_is_told_and_the_card_kept(stack: Stack) -> None:
    ticket, card = await alert(stack)
    stack.mava.sandbox.inject("status", status=500, path="/api/ticket", method="PUT", times=None)
    try:
        await deliver(
            stack, stack.slack.user_reaction(CHANNEL, card["ts"], JANE, "white_check_mark")
        )
    finally:
        stack.mava.sandbox.clear_faults()
    assert mava_ticket(stack, ticket)["status"] == "Open"
    [said] = told(stack, JANE)
    assert ":warning:" in said
    assert stack.slack.calls("chat.update") == []


async def test_eyes_from_someone_with_no_mava_agent_is_told_why(stack: Stack) -> None:
    ticket, card = await alert(stack)  # Sam's email is no Mava agent's
    await deliver(stack, stack.slack.user_reaction(CHANNEL, card["ts"], SAM, "eyes"))
    assert mava_ticket(stack, ticket)["assignedTo"] is None
    [said] = told(stack, SAM)
    assert ":warning:" in said and "sam@example.com" in said, said
    assert stack.slack.calls("chat.update") == []
