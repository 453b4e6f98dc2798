"""Assign to me and Resolve on ticket cards, digest items and alerts, by button or by
reaction (REACTION_ASSIGN, REACTION_RESOLVE): the card is redrawn by the builder that
drew it (a digest's other items keep their state). REACTION_CREATE, on any message,
sends the person a Create Mava ticket button: a reaction carries no trigger_id to open
a modal, a click does.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import ALERT
from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import modals as cb
from mava_bridge.slack.blocks import threads
from mava_bridge.slack.callback_ids import ACTION_FOLLOW, ACTION_RESOLVE, actions_block_id
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import (
    Body,
    actor,
    admit,
    read_message,
    say_error,
    say_outcome,
    told,
    warned,
)
from mava_bridge.slack.lookback import EVENT_TYPE
from mava_bridge.store.follows import HEADLINE, Follow, follow_for_thread, follow_in_channel

log = logging.getLogger("mava_bridge.slack.actions")


async def act_in_place(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """Assign to me / Resolve on a card or digest item, which is then redrawn."""
    try:
        action = body["actions"][0]
        ticket_id: str = action["value"]
        resolve = action["action_id"] == ACTION_RESOLVE
        name = "resolve" if resolve else "assign"
        channel_id = answer.channel_id
        person = await admit(
            deps, answer.user_id, channel_id, name, ticket_id, via="button", body=body
        )
        message: dict[str, Any] = body.get("message") or {}
        where = message.get("ts") or (body.get("container") or {}).get("message_ts") or ""
        act = deps.actions.tickets.resolve if resolve else deps.actions.tickets.take
        outcome = await act(actor(person, channel_id), ticket_id, submission=where)
        deps.metrics.observe_slack_request("action", name, outcome.kind)
        await redraw(deps, body, answer, client, ticket_id, outcome, resolve, person.id)
    except Exception as exc:
        await say_error(answer, told(exc, log, "button"))


async def reacted(deps: Deps, client: AsyncWebClient, body: Body) -> str:
    event: dict[str, Any] = body.get("event") or {}
    item: dict[str, Any] = event.get("item") or {}
    channel, ts = item.get("channel"), item.get("ts")
    user, name = event.get("user"), event.get("reaction")
    settings = deps.settings
    action = {
        settings.reaction_assign: "assign",
        settings.reaction_resolve: "resolve",
        settings.reaction_create: "create",
    }.get(str(name))
    if action is None or item.get("type") != "message" or not (channel and ts and user):
        return "ignored"
    own = (await deps.access.identity.auth_test()).get("user_id")
    on_ours = event.get("item_user") == own
    if user == own or on_ours == (action == "create"):
        return "ignored"  # the bot's own reaction; a ticket emoji on ours, a card's on others'
    message: dict[str, Any] = {"ts": ts}
    ticket_id = None
    if action != "create":
        message = await read_message(client, channel, ts) or message
        ticket_id = await ticket_of(deps, channel, ts, message)
        if ticket_id is None:
            return "ignored"  # a digest, a thread item: not one ticket's card
    if not await deps.follows.first_delivery(
        f"reaction:{channel}:{ts}:{name}:{user}:{event.get('event_ts')}"
    ):
        log.info("reaction delivered again; already handled", extra={"channel": channel})
        return "duplicate"
    answer = Answer(client, user, channel)
    try:
        person = await admit(deps, user, channel, action, ticket_id, via="reaction")
    except Denied as exc:  # audited by `admit`
        if await deps.follows.first_telling(channel, "reactions", user):
            await say_error(answer, exc.user_message)
        return "refused"
    if ticket_id is None:
        await answer(text=cb.TITLE, blocks=cb.reacted_prompt(ts))
        return "ok"
    resolve = action == "resolve"
    act = deps.actions.tickets.resolve if resolve else deps.actions.tickets.take
    try:
        outcome = await act(actor(person, channel), ticket_id, submission=f"reaction:{ts}")
    except Exception as exc:
        await say_error(answer, told(exc, log, f"reaction on {ticket_id}"))
        return "error"
    on = {"message": message, "channel": {"id": channel}}
    said = await redraw(deps, on, answer, client, ticket_id, outcome, resolve, person.id)
    if not said and outcome.kind != "duplicate":  # the card is redrawn: say it in words too
        await say_outcome(answer, outcome)
    return outcome.kind


async def ticket_of(deps: Deps, channel: str, ts: str, message: dict[str, Any]) -> str | None:
    """The ticket of a followed card (its thread's root: a card, an alert followed; or
    the card of a ticket created from a message, in that message's thread), else of an
    alert by its metadata tag (`lookback.metadata`)."""
    follow = await follow_for_thread(deps.db, channel, ts)
    if follow is None and message.get("thread_ts") not in (None, ts):
        follow = await follow_for_thread(deps.db, channel, str(message["thread_ts"]))
    if follow is not None and is_card(follow, message):
        return follow.ticket_id
    tag = message.get("metadata") or {}
    payload = tag.get("event_payload") or {}
    if tag.get("event_type") == EVENT_TYPE and payload.get("kind") == ALERT:
        found = payload.get("ticket")
        return str(found) if found else None
    return None


async def redraw(
    deps: Deps,
    body: Body,
    answer: Answer,
    client: AsyncWebClient,
    ticket_id: str,
    outcome: Outcome,
    resolve: bool,
    user_id: str,
) -> bool:
    """Redraw the card; True when the person was told in words instead (or as well)."""
    if outcome.kind == "error":
        await say_error(answer, outcome.message)
        return True
    if outcome.kind == "duplicate":
        return False  # the first click redraws the item
    try:
        ticket = await deps.tickets.ticket(ticket_id)
    except Exception as exc:
        # The write is done; without the ticket to redraw, say what happened instead.
        log.warning("ticket reload for redraw failed", extra={"error": type(exc).__name__})
        await say_outcome(answer, outcome)
        return True
    if outcome.kind == "unknown":
        state = f":warning: {t.escape(outcome.message)}"
    elif outcome.kind == "unchanged":  # a stale card: the item shows the ticket as it is
        state = f":information_source: {t.escape(outcome.message)}"
    elif resolve:
        state = f":white_check_mark: Resolved by <@{user_id}>"
    else:
        state = f":bust_in_silhouette: Assigned to <@{user_id}>"
    message: dict[str, Any] = body.get("message") or {}
    container: dict[str, Any] = body.get("container") or {}
    now = deps.clock()
    try:
        drawn = (
            None
            if container.get("is_ephemeral")
            else await redrawn(deps, answer.channel_id, message, ticket, state, now)
        )
    except Exception as exc:  # the write is done: say so rather than guess the card
        log.warning("card kind not read for redraw", extra={"error": type(exc).__name__})
        await say_outcome(answer, outcome)
        return True
    if drawn is None:
        # An ephemeral card, or a ticket card: replaced through the response URL.
        blocks = b.ticket_card(ticket, ticket_url=deps.link(ticket_id), now=now)
        if outcome.kind == "unchanged":
            blocks = [*b.notice_blocks(outcome.message), *blocks]
        await answer(text=b.ticket_card_text(ticket), blocks=blocks, replace_original=True)
        return True
    text, blocks = drawn
    try:
        await client.chat_update(
            channel=body["channel"]["id"], ts=message["ts"], text=text, blocks=blocks
        )
    except Exception as exc:
        warned(log, exc, "chat.update failed")
        await say_outcome(answer, outcome)
        return True
    return False


def is_card(follow: Follow, message: dict[str, Any]) -> bool:
    """Whether `message` is the followed ticket's card: its thread's root, or (a ticket
    created from a message) the card posted in that message's thread, the one reply
    there with the ticket's buttons."""
    if message.get("ts") == follow.thread_ts:
        return True
    buttons = actions_block_id(follow.ticket_id)
    return message.get("thread_ts") == follow.thread_ts and any(
        block.get("block_id") == buttons for block in message.get("blocks") or []
    )


async def redrawn(
    deps: Deps,
    channel_id: str | None,
    message: dict[str, Any],
    ticket: Ticket,
    state: str,
    now: datetime,
) -> tuple[str, list[b.Block]] | None:
    """The message's new fallback text and blocks, drawn by the builder that drew it,
    or None when it is neither kind below (a ticket card).

    The root of the ticket's active follow in this channel is its followed card, drawn
    again whole (an alert's keeps its headline); a message holding the ticket's item (a
    digest, an alert not yet followed, a DM) gets that item swapped, the rest kept.
    """
    old: list[dict[str, Any]] = message.get("blocks") or []
    follow = await follow_in_channel(deps.db, channel_id, ticket.id) if channel_id else None
    if follow is not None and follow.active and is_card(follow, message):
        headline = (follow.snapshot or {}).get(HEADLINE)
        blocks = threads.card(ticket, link=deps.link, now=now, headline=headline, state_line=state)
        return threads.card_text(ticket), blocks
    if b.item_span(old, ticket.id) is None:
        return None
    followable = any(  # a digest item keeps its Follow button
        element.get("action_id") == ACTION_FOLLOW and element.get("value") == ticket.id
        for block in old
        for element in block.get("elements") or []
        if isinstance(element, dict)
    )
    item = b.digest_item(ticket, link=deps.link, now=now, state_line=state, follow=followable)
    # The item's own words (a digest's count, an alert's reason) still hold.
    return message.get("text") or b.ticket_card_text(ticket), b.replace_item(old, ticket.id, item)
