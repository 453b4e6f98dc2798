"""Buttons on ticket cards, digest items and alerts: reply, note, assign to me, resolve.

Assign and Resolve act on one ticket and redraw the card they were pressed on with the
builder that drew it: a followed ticket's card whole, a digest's item alone (the other
tickets keep their state).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import threads
from mava_bridge.slack.callback_ids import (
    ACTION_ASSIGN_ME,
    ACTION_FOLLOW,
    ACTION_NOTE,
    ACTION_OPEN_IN_MAVA,
    ACTION_REPLY,
    ACTION_RESOLVE,
    actions_block_id,
)
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.listeners.common import actor, admit, say_error, say_outcome, told
from mava_bridge.slack.listeners.compose import open_compose
from mava_bridge.slack.listeners.handoff import after_ack, only_ack
from mava_bridge.store.follows import HEADLINE, Follow

log = logging.getLogger("mava_bridge.slack.actions")


def register(app: AsyncApp, deps: Deps) -> None:
    app.action(ACTION_OPEN_IN_MAVA)(only_ack)  # Slack opens the URL itself

    for action_id in (ACTION_REPLY, ACTION_NOTE):
        app.action(action_id)(after_ack(deps, "action", open_compose_for))
    for action_id in (ACTION_ASSIGN_ME, ACTION_RESOLVE):
        app.action(action_id)(after_ack(deps, "action", act_or_refuse))


async def open_compose_for(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    action = body["actions"][0]
    ticket_id = action["value"]
    command = (
        cmd.Note(ticket_id, None)
        if action["action_id"] == ACTION_NOTE
        else cmd.Reply(ticket_id, None)
    )
    await open_compose(
        deps, client, answer, body["trigger_id"], command, answer.channel_id, "button"
    )


async def act_or_refuse(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    try:
        await act_in_place(deps, body, answer, client)
    except Exception as exc:
        await say_error(answer, told(exc, log, "button"))


async def act_in_place(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    action = body["actions"][0]
    ticket_id: str = action["value"]
    resolve = action["action_id"] == ACTION_RESOLVE
    message: dict[str, Any] = body.get("message") or {}
    channel_id = answer.channel_id
    person = await admit(
        deps,
        user_id=answer.user_id,
        user_name=(body.get("user") or {}).get("username"),
        channel_id=channel_id,
        action="resolve" if resolve else "assign",
        ticket_id=ticket_id,
        via="button",
    )
    where = message.get("ts") or (body.get("container") or {}).get("message_ts") or ""
    actions = deps.actions.tickets
    who = actor(person, channel_id)
    if resolve:
        outcome = await actions.resolve(who, ticket_id, submission=where)
    else:
        outcome = await actions.take(who, ticket_id, submission=where)
    name = "resolve" if resolve else "assign"
    deps.metrics.observe_slack_request("action", name, outcome.kind)
    await redraw(deps, body, answer, client, ticket_id, outcome, resolve, person.id)


async def redraw(
    deps: Deps,
    body: dict[str, Any],
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
        error = slack_error(exc)
        log.warning("chat.update failed (%s)", error, extra={"error": error})
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
    follow = await deps.follows.in_channel(channel_id, ticket.id) if channel_id else None
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
