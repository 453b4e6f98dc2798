"""Following a ticket in a channel: `/mava follow|unfollow TICKET`, `/mava thread-notes
on|off`, and the Follow / Unfollow buttons.

Following posts the ticket's card in the channel and records the follow on that card's
ts (its thread); the thread sync (`mava_bridge.delivery.threads`) keeps both current.
Access is checked as for any other write, before anything is posted.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import follows as fb
from mava_bridge.slack.blocks import threads
from mava_bridge.slack.callback_ids import ACTION_FOLLOW
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import error_code
from mava_bridge.slack.listeners.common import (
    Body,
    actor,
    admit,
    say_error,
    say_outcome,
    told,
    warned,
)
from mava_bridge.store.follows import Follow

log = logging.getLogger("mava_bridge.slack.follows")

# Slack's answers to a post in a channel the bot cannot post in.
NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})

FollowCommand = cmd.Follow | cmd.Unfollow | cmd.ThreadNotes


async def button(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    action = body["actions"][0]
    ticket_id: str = action["value"]
    follow = action["action_id"] == ACTION_FOLLOW
    name = "follow" if follow else "unfollow"
    outcome = "ok"
    try:
        channel_id = answer.channel_id
        if not channel_id:
            await say_error(answer, "This button works only on a message in a channel.")
            return
        person = await admit(
            deps, answer.user_id, channel_id, name, ticket_id, via="button", body=body
        )
        if follow:
            await follow_here(deps, client, answer, person, ticket_id, channel_id, "button")
        elif await unfollow_here(deps, client, answer, person, ticket_id, channel_id, "button"):
            message: dict[str, Any] = body.get("message") or {}
            await _offer_follow(client, channel_id, message, ticket_id)
    except Exception as exc:
        outcome = "error"
        await say_error(answer, told(exc, log, "follow button"))
    finally:
        deps.metrics.observe_slack_request("action", name, outcome)


async def handle_follow_command(
    deps: Deps,
    command: FollowCommand,
    person: SlackPerson,
    channel_id: str | None,
    answer: Answer,
    client: AsyncWebClient,
) -> None:
    """`/mava follow`, `unfollow` and `thread-notes` (access already checked)."""
    if not channel_id:
        await say_error(answer, "Run this in the channel where the ticket should be followed.")
        return
    if isinstance(command, cmd.Follow):
        await follow_here(deps, client, answer, person, command.ticket, channel_id, "/mava")
    elif isinstance(command, cmd.Unfollow):
        await unfollow_here(deps, client, answer, person, command.ticket, channel_id, "/mava")
    else:
        await deps.follows.set_notes(actor(person, channel_id), channel_id, command.enabled)
        sentence = (
            "Messages typed in this channel's followed ticket threads now become private "
            "notes on the ticket (never replies to the customer)."
            if command.enabled
            else "Messages typed in this channel's followed ticket threads stay in Slack "
            "now; they no longer become notes. Updates from Mava still appear."
        )
        await say_outcome(answer, Outcome("ok", sentence))


async def follow_here(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    person: SlackPerson,
    ticket_id: str,
    channel_id: str,
    via: str,
) -> None:
    """Post the followed card in the channel and follow the ticket in its thread; if it
    is already followed there, say where."""
    existing = await deps.follows.in_channel(channel_id, ticket_id)
    if existing is not None and existing.active:
        await _say_already(client, answer, ticket_id, channel_id, existing.thread_ts)
        return
    ticket = await deps.tickets.ticket(ticket_id)
    try:
        card_ts = await post_card(client, deps, ticket, channel_id)
    except Exception as exc:
        error = warned(log, exc, "followed card not posted")
        if error_code(getattr(exc, "response", None)) in NOT_THERE:
            await say_error(
                answer,
                f"I can't post in this channel ({error}), so the ticket is not followed. "
                "Invite me with /invite @Mava, then try again.",
            )
        else:
            await say_error(answer, f"Slack refused the card ({error}); nothing is followed.")
        return
    try:
        found, created = await deps.follows.follow(
            actor(person, channel_id),
            ticket.id,
            channel_id=channel_id,
            thread_ts=card_ts,
            ticket_created_at=ticket.created_at,
            via=via,
        )
    except Exception:  # not recorded: a card nobody follows would only mislead
        await delete_card(client, channel_id, card_ts)
        raise
    if not created:  # someone followed it here at the same moment: keep theirs only
        await delete_card(client, channel_id, card_ts)
        await _say_already(client, answer, ticket.id, channel_id, found.thread_ts)
        return
    await say_outcome(
        answer,
        Outcome(
            "ok",
            f"Following ticket {ticket.id} here: its updates appear in the card's thread, "
            "and messages typed there become private notes.",
        ),
    )


async def unfollow_here(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    person: SlackPerson,
    ticket_id: str,
    channel_id: str,
    via: str,
) -> bool:
    """Stop following in the channel, with a last line in its thread; False if it was
    not followed there."""
    existing = await deps.follows.in_channel(channel_id, ticket_id)
    who = actor(person, channel_id)
    stopped = await deps.follows.unfollow(who, ticket_id, channel_id=channel_id, via=via)
    if not stopped or existing is None:
        await say_error(answer, f"Ticket {ticket_id} is not followed in this channel.")
        return False
    try:
        await client.chat_postMessage(
            channel=channel_id,
            thread_ts=existing.thread_ts,
            text=fb.unfollowed_line(person.id, ticket_id),
            unfurl_links=False,
            unfurl_media=False,
        )
    except Exception as exc:  # the follow has ended all the same
        warned(log, exc, "unfollow line not posted")
    if via != "button":  # the button redraws the card it is on, from its own payload
        await _offer_follow(client, channel_id, await _card(client, existing), ticket_id)
    await say_outcome(
        answer,
        Outcome("ok", f"Stopped following ticket {ticket_id} in this channel."),
    )
    return True


async def _card(client: AsyncWebClient, follow: Follow) -> dict[str, Any]:
    """The followed card as Slack holds it now (the first message of its thread)."""
    try:
        found = await client.conversations_replies(
            channel=follow.channel_id, ts=follow.thread_ts, limit=1
        )
    except Exception as exc:  # the follow has ended; only the card keeps its old buttons
        warned(log, exc, "followed card not read", logging.INFO)
        return {}
    first = (found.get("messages") or [{}])[0]
    return first if isinstance(first, dict) and first.get("ts") == follow.thread_ts else {}


async def _say_already(
    client: AsyncWebClient, answer: Answer, ticket_id: str, channel_id: str, thread_ts: str
) -> None:
    link = None
    try:
        found = await client.chat_getPermalink(channel=channel_id, message_ts=thread_ts)
        link = str(found["permalink"])
    except Exception as exc:  # the sentence still says it is followed here
        warned(log, exc, "permalink not found", logging.INFO)
    await answer(
        text=fb.already_followed_text(ticket_id), blocks=fb.already_followed(ticket_id, link)
    )


async def post_card(
    client: AsyncWebClient,
    deps: Deps,
    ticket: Ticket,
    channel_id: str,
    thread_ts: str | None = None,
) -> str:
    """Post a followed ticket's card (in the thread at `thread_ts`, if given); its ts."""
    posted = await client.chat_postMessage(
        channel=channel_id,
        text=threads.card_text(ticket),
        blocks=threads.card(ticket, link=deps.link, now=deps.clock()),
        thread_ts=thread_ts,
        unfurl_links=False,  # chat.update keeps it: the card is never unfurled
        unfurl_media=False,
    )
    return str(posted["ts"])


async def delete_card(client: AsyncWebClient, channel_id: str, ts: str) -> None:
    """Delete a card whose follow was not recorded (or is another's); never raises."""
    try:
        await client.chat_delete(channel=channel_id, ts=ts)
    except Exception as exc:
        warned(log, exc, "unused card not deleted")


async def _offer_follow(
    client: AsyncWebClient, channel: str, message: dict[str, Any], ticket_id: str
) -> None:
    """On the followed card (`message`), offer Follow instead of Unfollow."""
    blocks = message.get("blocks")
    if not blocks or not message.get("ts"):
        return
    try:
        await client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=message.get("text") or b.success_text(f"Ticket {ticket_id}"),
            blocks=fb.unfollowed_card(blocks, ticket_id),
        )
    except Exception as exc:
        warned(log, exc, "card not redrawn after unfollow", logging.INFO)
