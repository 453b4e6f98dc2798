"""Reactions that act (`reaction_added`).

On a ticket's card, an alert or a followed thread's root, REACTION_ASSIGN and
REACTION_RESOLVE do what the Assign to me and Resolve buttons do, the card redrawn the
same way and the outcome told. On any message, REACTION_CREATE sends the person a Create
Mava ticket button: a reaction carries no trigger_id to open a modal, a click does.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import ALERT
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import create as cb
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.actions import is_card, redraw
from mava_bridge.slack.listeners.common import (
    Body,
    actor,
    admit,
    read_message,
    say_error,
    say_outcome,
    told,
)
from mava_bridge.slack.listeners.create import open_create_modal
from mava_bridge.slack.lookback import EVENT_TYPE

log = logging.getLogger("mava_bridge.slack.reactions")

UNREADABLE = (
    "The bot could not read that message (deleted, or in a conversation it cannot "
    "read), so no ticket was made from it."
)


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
    own = (await deps.identity.auth_test()).get("user_id")
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
    follow = await deps.follows.for_thread(channel, ts)
    if follow is None and message.get("thread_ts") not in (None, ts):
        follow = await deps.follows.for_thread(channel, str(message["thread_ts"]))
    if follow is not None and is_card(follow, message):
        return follow.ticket_id
    tag = message.get("metadata") or {}
    payload = tag.get("event_payload") or {}
    if tag.get("event_type") == EVENT_TYPE and payload.get("kind") == ALERT:
        found = payload.get("ticket")
        return str(found) if found else None
    return None


async def create_from_reaction(
    deps: Deps, body: Body, answer: Answer, client: AsyncWebClient
) -> None:
    """The Create Mava ticket button of `reacted_prompt`: the modal, prefilled; once it
    is open the prompt goes, so a second click cannot open another (the trigger_id
    expires in 3 s: the modal first)."""
    ts = str(body["actions"][0].get("value") or "")
    message = await read_message(client, answer.channel_id or "", ts) if ts else None
    if message is None:
        await say_error(answer, UNREADABLE)
        return
    if await open_create_modal(deps, client, answer, body["trigger_id"], None, message=message):
        await answer.delete_original()
