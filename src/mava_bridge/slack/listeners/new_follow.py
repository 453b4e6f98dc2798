"""Following a ticket just created from Slack, where it came from: in the source
message's thread (the shortcut; the follow recorded before the card, so a card never
claims a follow a crash left unwritten), else in a card posted in the channel, as
`/mava follow` does. Every failure is a sentence after "Created ticket X": the ticket
exists, and the person needs to know only whether and where it is followed.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import Ticket
from mava_bridge.services.follows import ThreadTaken
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import error_code
from mava_bridge.slack.listeners.common import actor, warned
from mava_bridge.slack.listeners.follows import NOT_THERE, delete_card, post_card

log = logging.getLogger("mava_bridge.slack.create")


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
    if thread_ts and await deps.follows.for_thread(channel_id, thread_ts) is None:
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
        created = await _record(deps, person, ticket, channel_id, thread_ts)
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
        created = await _record(deps, person, ticket, channel_id, posted)
    except Exception:
        log.exception("new ticket's follow not recorded")
        await delete_card(client, channel_id, posted)
        return f"Its follow could not be recorded, so it is not followed. {later}"
    if not created:
        await delete_card(client, channel_id, posted)
        return "It is already followed in this channel."
    return "Its card is posted in this channel; following it in the card's thread."


async def _record(
    deps: Deps, person: SlackPerson, ticket: Ticket, channel_id: str, thread_ts: str
) -> bool:
    """Follow the new ticket in that thread; False if already followed in the channel."""
    _, created = await deps.follows.follow(
        actor(person, channel_id),
        ticket.id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        ticket_created_at=ticket.created_at,
        via="create",
    )
    return created


def _refused(exc: Exception, later: str) -> str:
    error = warned(log, exc, "new ticket's card not posted")
    if error_code(getattr(exc, "response", None)) in NOT_THERE:
        return f"I can't post in this channel ({error}), so it is not followed. {later}"
    return f"Slack refused its card ({error}), so it is not followed. {later}"
