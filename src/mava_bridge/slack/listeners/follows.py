"""Following a ticket in a channel: `/mava follow|unfollow TICKET`, `/mava thread-notes
on|off`, the Follow / Unfollow buttons, and a ticket just created from Slack.

Following posts the ticket's card in the channel and records the follow on that card's
ts (its thread); the thread sync (`mava_bridge.delivery.threads`) keeps both current.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import threads
from mava_bridge.slack.callback_ids import ACTION_FOLLOW
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import error_code
from mava_bridge.slack.listeners.common import (
    Asked,
    Body,
    actor,
    admit,
    permalink,
    read_message,
    say_error,
    say_outcome,
    told,
    warned,
)
from mava_bridge.store.follows import Follow, ThreadTaken, follow_for_thread, follow_in_channel

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


async def handle_follow_command(asked: Asked, command: FollowCommand, person: SlackPerson) -> None:
    """`/mava follow`, `unfollow` and `thread-notes`."""
    deps, client, answer, channel_id = asked.deps, asked.client, asked.answer, asked.channel_id
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
    existing = await follow_in_channel(deps.db, channel_id, ticket_id)
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
        found, created = await _record(deps, person, ticket, channel_id, card_ts, via)
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
    existing = await follow_in_channel(deps.db, channel_id, ticket_id)
    who = actor(person, channel_id)
    stopped = await deps.follows.unfollow(who, ticket_id, channel_id=channel_id, via=via)
    if not stopped or existing is None:
        await say_error(answer, f"Ticket {ticket_id} is not followed in this channel.")
        return False
    try:
        await client.chat_postMessage(
            channel=channel_id,
            thread_ts=existing.thread_ts,
            text=threads.unfollowed_line(person.id, ticket_id),
            unfurl_links=False,
            unfurl_media=False,
        )
    except Exception as exc:  # the follow has ended all the same
        warned(log, exc, "unfollow line not posted")
    if via != "button":  # the button redraws the card it is on, from its own payload
        card = await read_message(client, channel_id, existing.thread_ts) or {}
        await _offer_follow(client, channel_id, card, ticket_id)
    await say_outcome(
        answer,
        Outcome("ok", f"Stopped following ticket {ticket_id} in this channel."),
    )
    return True


async def _say_already(
    client: AsyncWebClient, answer: Answer, ticket_id: str, channel_id: str, thread_ts: str
) -> None:
    link = await permalink(client, channel_id, thread_ts)
    await answer(
        text=threads.already_followed_text(ticket_id),
        blocks=threads.already_followed(ticket_id, link),
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
            blocks=threads.unfollowed_card(blocks, ticket_id),
        )
    except Exception as exc:
        warned(log, exc, "card not redrawn after unfollow", logging.INFO)


# A ticket just created from Slack is followed where it came from: in the source
# message's thread, else in a card posted in the channel. Every failure is a sentence
# after "Created ticket X": the ticket exists; the person needs to know where it is followed.
async def follow_new_ticket(
    deps: Deps,
    client: AsyncWebClient,
    person: SlackPerson,
    ticket_id: str,
    channel_id: str,
    thread_ts: str | None,
) -> str:
    """Post the card and follow the ticket; a sentence saying where (or why not)."""
    later = f"To follow it later: /mava follow {ticket_id} in a channel where I am."
    try:
        ticket = await deps.tickets.ticket(ticket_id)
    except MavaError as exc:
        log.warning("new ticket not read back", extra={"error": type(exc).__name__})
        return f"Mava did not show it back yet, so it is not followed here. {later}"
    if thread_ts and await follow_for_thread(deps.db, channel_id, thread_ts) is None:
        said = await _follow_in_thread(deps, client, person, ticket, channel_id, thread_ts, later)
        if said is not None:
            return said
    # No message, a thread that mirrors another ticket, or one taken a moment ago.
    return await _follow_in_card(deps, client, person, ticket, channel_id, later)


async def _follow_in_thread(
    deps: Deps,
    client: AsyncWebClient,
    person: SlackPerson,
    ticket: Ticket,
    channel_id: str,
    thread_ts: str,
    later: str,
) -> str | None:
    """Follow in the message's thread, then post the card there. The follow is written
    first (the thread is known): a crash between the two leaves a follow whose card is
    missing, new messages still arriving, never a card saying "Following" with nothing
    behind it. None: the thread was taken a moment ago."""
    try:
        _, created = await _record(deps, person, ticket, channel_id, thread_ts, "create")
    except ThreadTaken:
        return None
    except Exception:
        log.exception("new ticket's follow not recorded")
        return f"Its follow could not be recorded, so it is not followed. {later}"
    if not created:
        return "It is already followed in this channel."
    try:
        await post_card(client, deps, ticket, channel_id, thread_ts)
    except Exception as exc:
        try:
            await deps.follows.unfollow(
                actor(person, channel_id), ticket.id, channel_id=channel_id, via="create"
            )
        except Exception:
            log.exception("new ticket's follow not undone after its card was refused")
        return _refused(exc, later)
    return "Following it in the message's thread."


async def _follow_in_card(
    deps: Deps,
    client: AsyncWebClient,
    person: SlackPerson,
    ticket: Ticket,
    channel_id: str,
    later: str,
) -> str:
    """Post a card in the channel and follow the ticket in the card's own thread (its
    ts is known only once posted; a card whose follow is not recorded is deleted)."""
    try:
        posted = await post_card(client, deps, ticket, channel_id)
    except Exception as exc:
        return _refused(exc, later)
    try:
        _, created = await _record(deps, person, ticket, channel_id, posted, "create")
    except Exception:
        log.exception("new ticket's follow not recorded")
        await delete_card(client, channel_id, posted)
        return f"Its follow could not be recorded, so it is not followed. {later}"
    if not created:
        await delete_card(client, channel_id, posted)
        return "It is already followed in this channel."
    return "Its card is posted in this channel; following it in the card's thread."


async def _record(
    deps: Deps, person: SlackPerson, ticket: Ticket, channel_id: str, thread_ts: str, via: str
) -> tuple[Follow, bool]:
    """Follow the ticket in that thread: the follow, and whether it is new (else the
    ticket was already followed in the channel)."""
    return await deps.follows.follow(
        actor(person, channel_id),
        ticket.id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        ticket_created_at=ticket.created_at,
        via=via,
    )


def _refused(exc: Exception, later: str) -> str:
    error = warned(log, exc, "new ticket's card not posted")
    if error_code(getattr(exc, "response", None)) in NOT_THERE:
        return f"I can't post in this channel ({error}), so it is not followed. {later}"
    return f"Slack refused its card ({error}), so it is not followed. {later}"
