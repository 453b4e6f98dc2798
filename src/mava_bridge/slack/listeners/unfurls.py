"""`link_shared` events: a Mava dashboard ticket link unfurls to a compact card.

Nothing is unfurled, and each ticket audited as refused, when the person may not act
on tickets or the channel is shared with another organisation (customer data would
leave the workspace). A link still in the composer is left alone: Slack sends the event
again once it is posted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final
from urllib.parse import urlsplit

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import InvalidTicketRef, parse_ticket_ref
from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Actor
from mava_bridge.settings import Settings
from mava_bridge.slack.access import Denied
from mava_bridge.slack.blocks.tickets import ticket_unfurl
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import Body, shared_outside, warned

log = logging.getLogger("mava_bridge.slack.unfurls")

# Tickets looked up per event: a message pasting a whole list costs a few Mava reads,
# not one per link (Slack itself sends at most a handful of links per event).
MAX_TICKETS: Final = 3
SHARED_CHANNEL: Final = (
    "This channel is shared with another organisation (Slack Connect), so Mava ticket "
    "links are not unfurled here."
)


def ticket_links(settings: Settings, event: dict[str, Any]) -> dict[str, str]:
    """URL -> ticket id for the event's Mava ticket links (the dashboard's host only),
    the first `MAX_TICKETS` distinct tickets; a ticket pasted twice is unfurled twice."""
    host = urlsplit(settings.ticket_url("0" * 24)).hostname
    found: dict[str, str] = {}
    for link in event.get("links") or []:
        url = str(link.get("url") or "")
        try:
            if urlsplit(url).hostname != host:
                continue
            ticket_id = parse_ticket_ref(url)
        except (ValueError, InvalidTicketRef):
            continue
        if ticket_id not in found.values() and len(set(found.values())) >= MAX_TICKETS:
            continue
        found[url] = ticket_id
    return found


async def unfurl(deps: Deps, client: AsyncWebClient, body: Body) -> str:
    event: dict[str, Any] = body.get("event") or {}
    channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
    links = ticket_links(deps.settings, event)
    if not (links and channel and user) or "composer" in (event.get("source"), channel.lower()):
        return "ignored"
    if not await deps.follows.first_delivery(str(body.get("event_id") or "")):
        return "duplicate"
    tickets = sorted(set(links.values()))
    try:
        shared = body.get("is_ext_shared_channel")  # the envelope says so; else Slack is asked
        if not isinstance(shared, bool):
            shared = await shared_outside(client, channel)
        if shared:
            raise Denied(SHARED_CHANNEL)
        await deps.access.require(user)
    except Denied as exc:
        who = Actor(user, None, None, channel)
        for ticket_id in tickets:
            await deps.actions.auditor.refused(
                who, "unfurl", ticket_id, via="link", reason=exc.user_message
            )
        return "refused"
    found = dict(
        zip(
            tickets,
            await asyncio.gather(*map(deps.tickets.ticket, tickets), return_exceptions=True),
            strict=True,
        )
    )
    now = deps.clock()
    unfurls = {
        url: ticket_unfurl(ticket, url, now)
        for url, ticket_id in links.items()
        if isinstance(ticket := found[ticket_id], Ticket)
    }
    for ticket_id, result in found.items():
        if not isinstance(result, Ticket):
            log.warning(
                "ticket link not unfurled (%s)", type(result).__name__, extra={"ticket": ticket_id}
            )
    if not unfurls:
        return "error"
    unfurl_id, source = event.get("unfurl_id"), event.get("source")
    try:
        if unfurl_id and source:  # Slack's form since 2021; also right for threads
            await client.chat_unfurl(unfurls=unfurls, unfurl_id=unfurl_id, source=source)
        else:
            ts = str(event.get("message_ts") or "")
            await client.chat_unfurl(unfurls=unfurls, channel=channel, ts=ts)
    except Exception as exc:
        warned(log, exc, "chat.unfurl failed")
        return "error"
    return "ok"
