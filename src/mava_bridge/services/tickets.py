"""Ticket reads (show, list, a short id made whole, agents and categories, cached) and
what Mava accepts in a message."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mava_bridge.domain import ticket_refs
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.keyset import at_or_above
from mava_bridge.mava.lookup import TicketNotFoundNear, TicketUnreadable
from mava_bridge.mava.models import (
    UNASSIGNED,
    Agent,
    Category,
    Origin,
    Priority,
    SortBy,
    SortOrder,
    Status,
    Ticket,
)
from mava_bridge.mava.query import TicketQuery
from mava_bridge.services.outcome import ServiceError
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenTickets

log = logging.getLogger(__name__)

LIST_LIMIT = 20
# The most characters Mava stores in one message or note (it answers 400 beyond; the
# sandbox does the same). Every message the bridge writes is checked against it
# before Mava is called, so a long text is refused with its length, never cut.
MESSAGE_LIMIT = 10_000


@dataclass(frozen=True)
class TicketFilter:
    """What `/mava tickets` asks for, resolved to Mava terms."""

    statuses: tuple[Status, ...] = OPEN_STATUSES
    assignee_ids: tuple[str, ...] = ()  # agent ids or UNASSIGNED
    origins: tuple[Origin, ...] = ()
    high_only: bool = False


@dataclass(frozen=True)
class TicketListing:
    tickets: list[Ticket]
    total: int


class TicketService:
    def __init__(
        self,
        mava: MavaClient,
        *,
        cache_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        link: Callable[[str], str] | None = None,
        db: Database | None = None,  # short ids are looked up in the tickets read
    ) -> None:
        self.mava = mava
        self._db = db
        self._link = link
        self._ttl = cache_ttl
        self._clock = clock
        self._agents: tuple[float, list[Agent]] | None = None
        self._categories: tuple[float, list[Category]] | None = None

    async def whole_id(self, ref: str) -> str:
        """`ref` as it was, or for a short id as lists show it (`…562460`) the one ticket
        the bridge has read whose id ends so (Mava cannot search by the end of an id)."""
        tail = ticket_refs.short_tail(ref)
        if tail is None:
            return ref
        shown = ticket_refs.SHORT_MARK + tail
        matches = await SeenTickets(self._db).ending_with(tail) if self._db else []
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ServiceError(
                f"No ticket the bot has read ends in {shown}. Give the whole 24-character "
                "id or paste the ticket's dashboard link."
            )
        listed = ", ".join(self._link(m) if self._link else m for m in matches)
        raise ServiceError(
            f"{shown} is the end of more than one ticket's id ({listed}). "
            "Give the whole id or paste the dashboard link."
        )

    async def ticket(self, ref: str) -> Ticket:
        try:
            return await self.mava.get_ticket(ref)
        except (TicketNotFoundNear, TicketUnreadable) as exc:
            # Both end with "open it in Mava": give them the ticket's dashboard link.
            if self._link is None or not exc.ticket_id:
                raise
            raise exc.with_link(self._link(exc.ticket_id)) from None

    async def categories(self, *, fresh: bool = False) -> list[Category]:
        if fresh or not self._valid(self._categories):
            self._categories = (self._clock(), await self.mava.list_categories())
        assert self._categories is not None
        return self._categories[1]

    async def agents(self, *, fresh: bool = False) -> list[Agent]:
        if fresh or not self._valid(self._agents):
            self._agents = (self._clock(), await self.mava.list_agents())
        assert self._agents is not None
        return self._agents[1]

    async def list_tickets(self, wanted: TicketFilter, *, limit: int = LIST_LIMIT) -> TicketListing:
        """Newest first; `total` counts every match. Mava cannot filter on priority, so
        "high only" is checked here."""
        query = TicketQuery.recent(
            statuses=wanted.statuses,
            assigned_to=wanted.assignee_ids,
            origins=wanted.origins,
            sort_by=SortBy.PRIORITY if wanted.high_only else SortBy.CREATED_AT,
            sort_order=SortOrder.DESC,
            include_messages=True,
        )
        if not wanted.high_only:
            page = await self.mava.fetch_tickets(query, limit=limit)
            return TicketListing(page.tickets, page.count)
        found: dict[str, Ticket] = {}
        async for page in at_or_above(self.mava, query, int(Priority.HIGH)):
            for ticket in page.tickets:
                found.setdefault(ticket.id, ticket)
        high = [t for t in found.values() if t.priority_level is Priority.HIGH]
        high.sort(key=lambda t: t.created_at, reverse=True)
        return TicketListing(high[:limit], len(high))

    async def agent_for_email(self, email: str | None, *, who: str) -> Agent:
        """The Mava agent whose email is this Slack user's profile email."""
        if not email:
            raise ServiceError(
                f"{who} has no email address visible to the bot, so they can't be matched "
                "to a Mava agent. Check the app has the users:read.email scope."
            )
        for fresh in (False, True):  # a newly added agent may not be cached yet
            for agent in await self.agents(fresh=fresh):
                if agent.email and agent.email.casefold() == email.casefold():
                    return agent
        raise ServiceError(
            f"No Mava agent has the email {email} ({who}'s Slack email). Invite them as an "
            "agent in Mava with that email, or change their Slack profile email to match."
        )

    def _valid(self, cached: tuple[float, object] | None) -> bool:
        return cached is not None and self._clock() - cached[0] < self._ttl


def match_category(name: str, categories: Sequence[Category]) -> Category:
    """Case-insensitive exact name, else a unique prefix; otherwise list the valid names."""
    wanted = name.strip().casefold()
    exact = [c for c in categories if c.name.casefold() == wanted]
    if exact:
        return exact[0]
    prefixed = [c for c in categories if c.name.casefold().startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0]
    names = ", ".join(sorted(c.name for c in categories)) or "(none)"
    if prefixed:
        matches = ", ".join(sorted(c.name for c in prefixed))
        raise ServiceError(f"'{name}' matches several categories: {matches}. Be more specific.")
    raise ServiceError(
        f"No active category is called '{name}' (archived categories can't be used). "
        f"Valid categories: {names}."
    )


def list_filter(
    statuses: Sequence[Status],
    assignee: str,
    origins: Sequence[Origin],
    high_only: bool,
    my_agent: Agent | None = None,
) -> TicketFilter:
    ids: tuple[str, ...] = ()
    if assignee == "unassigned":
        ids = (UNASSIGNED,)
    elif assignee == "mine" and my_agent is not None:
        ids = (my_agent.id,)
    return TicketFilter(
        statuses=tuple(statuses) or OPEN_STATUSES,
        assignee_ids=ids,
        origins=tuple(origins),
        high_only=high_only,
    )


def too_long(text: str, *, note: bool = False) -> str | None:
    """Why Mava would refuse `text` for its length (None when it fits)."""
    if len(text) <= MESSAGE_LIMIT:
        return None
    what = (
        'The note (with the "Note from … via Slack" line and any link to the original) is'
        if note
        else "The message is"
    )
    over = len(text) - MESSAGE_LIMIT
    return (
        f"{what} {len(text):,} characters; Mava accepts at most {MESSAGE_LIMIT:,} per "
        f"message. Shorten it by {over:,} characters, or send it in parts. Nothing was sent."
    )
