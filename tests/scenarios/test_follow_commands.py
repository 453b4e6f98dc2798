"""Following a ticket from Slack: `/mava follow|unfollow TICKET`, the Follow button on
ticket cards and digest items, Unfollow on the followed card, and the Reply to customer
shortcut inside a followed thread (which still needs its confirm step)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mava_bridge.store.follows import follow_in_channel
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    GUEST,
    JANE,
    LOOKUP_ACK_SECONDS,
    SAM,
    ack_json,
    answer,
    assert_ack,
    audit_rows,
    buttons,
    flat,
    idle,
    messages,
    new_ticket,
    run,
    shown,
    view_update,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
OTHER_CHANNEL = "C0OTHER"


def cards(stack: Stack, ticket: str, channel: str = CHANNEL) -> list[JSON]:
    """Top-level messages in `channel` showing `ticket` (thread replies left out)."""
    return [
        m
        for m in stack.slack.messages(channel)
        if ticket in json.dumps(m.get("blocks")) and m.get("thread_ts") in (None, m["ts"])
    ]


async def test_follow_posts_one_card_and_says_where_it_is_when_asked_again(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Cannot log in"])
    body = await run(stack, f"follow {ticket}")
    assert f"Following ticket {ticket} here" in flat(shown(body))
    [card] = cards(stack, ticket)
    assert "ticket_unfollow" in buttons(card)
    assert "ticket_reply" in buttons(card)
    assert "Following this ticket in the thread" in flat(shown(card))

    again = await run(stack, f"follow {ticket}")
    assert "already followed" in flat(shown(again))
    permalink = stack.slack.permalink(CHANNEL, card["ts"])
    assert permalink in json.dumps(again["blocks"])
    assert len(cards(stack, ticket)) == 1  # no second card

    # Another channel gets its own card and thread.
    await run(stack, f"follow {ticket}", channel_id=OTHER_CHANNEL)
    assert len(cards(stack, ticket, OTHER_CHANNEL)) == 1
    rows = [r for r in await audit_rows(stack, ticket) if r.action == "follow"]
    assert [(r.channel_id, r.outcome) for r in rows] == [(CHANNEL, "ok"), (OTHER_CHANNEL, "ok")]


async def test_unfollow_ends_the_follow_with_a_line_in_its_thread(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await run(stack, f"follow {ticket}")
    [card] = cards(stack, ticket)
    body = await run(stack, f"unfollow {ticket}")
    assert f"Stopped following ticket {ticket}" in flat(shown(body))
    [line] = [m for m in stack.slack.thread(CHANNEL, card["ts"]) if m["ts"] != card["ts"]]
    assert "No longer following" in line["text"]
    assert f"/mava follow {ticket}" in line["text"]
    # The card itself now offers Follow, as after the button.
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None
    assert "ticket_follow" in buttons(redrawn) and "ticket_unfollow" not in buttons(redrawn)
    # A message typed in the thread now stays in Slack.
    event = stack.slack.user_message(CHANNEL, JANE, "after unfollow", thread_ts=card["ts"])
    assert_ack(await stack.sender.event(event))
    await idle(stack)
    assert messages(stack, ticket, "InternalNote") == []

    again = await run(stack, f"unfollow {ticket}")
    assert "is not followed in this channel" in flat(shown(again))

    # Following again starts a new card and thread.
    await run(stack, f"follow {ticket}")
    assert len(cards(stack, ticket)) == 2


async def test_follow_is_refused_to_a_guest_and_audited(stack: Stack) -> None:
    ticket = new_ticket(stack)
    body = await run(stack, f"follow {ticket}", user_id=GUEST)
    assert "Guests can't act" in flat(shown(body))
    assert cards(stack, ticket) == []
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.action, row.outcome) == (GUEST, "follow", "refused")


async def test_follow_in_a_channel_the_bot_is_not_in_says_to_invite_it(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.slack.fail("chat.postMessage", "not_in_channel")
    body = await run(stack, f"follow {ticket}", channel_id="C0NOTIN")
    assert "/invite @Mava" in flat(shown(body))
    assert [r.action for r in await audit_rows(stack, ticket)] == []


async def test_usage_of_the_new_subcommands(stack: Stack) -> None:
    assert "Which ticket?" in flat(shown(await run(stack, "follow")))
    assert "not on or off" in flat(shown(await run(stack, "thread-notes maybe")))
    help_text = flat(shown(await run(stack, "help")))
    for syntax in ("/mava follow TICKET", "/mava unfollow TICKET", "/mava thread-notes on|off"):
        assert syntax in help_text
    assert "Slash commands can't run in threads" in help_text


async def test_follow_button_on_a_show_card_posts_a_followed_card(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Where is my refund?"])
    card = await run(stack, f"show {ticket}")
    assert "ticket_follow" in buttons(card)
    url = stack.slack.response_url(channel=CHANNEL)
    assert_ack(
        await stack.sender.action(
            "ticket_follow",
            ticket,
            is_ephemeral=True,
            message_ts="1767225600.000100",
            response_url=url,
        )
    )
    said = await answer(stack, url.rsplit("/", 1)[-1])
    assert f"Following ticket {ticket}" in flat(shown(said))
    [posted] = cards(stack, ticket)
    assert "ticket_unfollow" in buttons(posted)


async def test_unfollow_button_ends_the_follow_and_offers_follow_again(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await run(stack, f"follow {ticket}")
    [card] = cards(stack, ticket)
    assert_ack(await stack.sender.action("ticket_unfollow", ticket, message=card))
    await idle(stack)
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None
    assert "ticket_unfollow" not in buttons(redrawn)
    assert "ticket_follow" in buttons(redrawn)
    assert "Following this ticket" not in flat(shown(redrawn))
    assert (await follow_in_channel(stack.runtime.db, CHANNEL, ticket)).active is False  # type: ignore[union-attr]
    # Follow on that card follows it again, in a new card.
    assert_ack(await stack.sender.action("ticket_follow", ticket, message=redrawn))
    await idle(stack)
    assert len(cards(stack, ticket)) == 2
    actions = [r.action for r in await audit_rows(stack, ticket)]
    assert actions == ["follow", "unfollow", "follow"]


async def test_reply_shortcut_in_a_followed_thread_uses_its_ticket_and_still_confirms(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack, customer={"name": "Kim Customer"})
    await run(stack, f"follow {ticket}")
    [card] = cards(stack, ticket)
    thread_message = stack.slack.user_message(
        CHANNEL, SAM, "Tell them it ships Monday", thread_ts=card["ts"]
    )
    assert_ack(await stack.sender.shortcut("reply_to_customer", message=thread_message))
    [call] = await stack.slack.wait_for("views.open")
    assert call.response is not None
    view_id = call.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None
    [ticket_input] = [b for b in view["blocks"] if b.get("block_id") == "ticket"]
    assert ticket_input["element"]["initial_value"] == ticket

    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_modal",
            {"ticket": ticket, "text": "It ships Monday."},
            view=view,
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["view"]["callback_id"] == "shortcut_reply_confirm"
    agent_replies = [
        m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"
    ]
    assert agent_replies == []  # nothing reaches the customer before the confirm
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_confirm", {}, view={**ack["view"], "id": view["id"]}
        )
    )
    await view_update(stack, view["id"], 2)
    sent = [m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"]
    assert [m["content"] for m in sent] == ["It ships Monday."]
