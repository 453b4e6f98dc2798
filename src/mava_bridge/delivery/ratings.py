"""Ratings: `/mava subscribe ratings [1 2 …]` posts each ticket newly rated with one
of those values, once, with its card, the rating and the customer's last message, so a
lead can follow up the same day.

Mava gives a ticket's `csat` and a `csatValues` filter but no time of rating, so
"newly rated" is "not known to this channel yet": each poll reads every ticket created
in the last `RATING_LOOKBACK` with a wanted rating (one search, keyset pages; few
tickets get a low rating) and compares with store.deliveries. A subscription's first
look records what is rated already as its baseline (`changed_since` aside). A rating on
a ticket created before the lookback is not seen. Paced like the desk's jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from mava_bridge.delivery.in_doubt import post_card, rating_tag, settle
from mava_bridge.delivery.parts import DeliveryParts, PostCounts
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import SenderType, Ticket
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries as store

log = logging.getLogger(__name__)

RATINGS_JOB: Final = "ratings"
RATING_LOOKBACK: Final = timedelta(days=90)


@dataclass
class RatingReport(PostCounts):
    rated: int = 0  # tickets read with a wanted rating


def rating_reason(ticket: Ticket, value: int) -> str:
    """The post's first line: the rating and what the customer said last."""
    said = next(
        (
            m.content
            for m in reversed(ticket.messages or [])
            if m.sender_type == SenderType.CUSTOMER and m.content
        ),
        None,
    )
    last = f" · customer's last message: “{' '.join(said.split())}”" if said else ""
    return f"Rated {value}/5{last}"


def changed_since(ticket: Ticket, moment: datetime | None) -> bool:
    """Whether Mava says the ticket changed after `moment` (a subscription's start): on
    the first look such a rating may be new, so it is posted rather than baselined. If
    Mava does not move updatedAt for a rating, one given between the subscription and
    its first look (at most one run later) counts as old: never a flood, maybe a miss."""
    return bool(moment and ticket.updated_at and ticket.updated_at > moment)


class Ratings:
    def __init__(self, parts: DeliveryParts) -> None:
        self.parts = parts
        self.pages = 0  # the Mava requests of the last read (the job's pace)

    def last_pages(self) -> int:
        return self.pages

    async def poll_once(self) -> RatingReport:
        report = RatingReport()
        subs = [s for s in await self.parts.subscriptions.active("ratings") if s.ratings]
        report.subscriptions = len(subs)
        if not subs:
            self.pages = 0
            return report  # no read for nobody
        wanted = sorted({v for s in subs for v in s.ratings})
        now = self.parts.clock()
        query = TicketQuery.recent(
            RATING_LOOKBACK.days, now, csat=tuple(map(str, wanted)), include_messages=True
        )
        rated: dict[str, Ticket] = {}
        pages = 0
        with background():
            async for page in pages_by_created(self.parts.mava, query):
                pages += 1
                rated.update((t.id, t) for t in page.tickets if t.csat and t.csat.value)
        self.pages = pages
        report.rated = len(rated)
        for sub in subs:
            mine = [t for t in rated.values() if t.csat and t.csat.value in sub.ratings]
            await self._deliver(sub, mine, report)
        if report.posted or report.errors or report.baselined:
            log.info("ratings", extra={"report": report})
        return report

    async def take_over(self) -> int:
        return await store.RATINGS.take_over(self.parts.db, self.parts.owner or "")

    async def _deliver(
        self, sub: ActiveSubscription, tickets: list[Ticket], report: RatingReport
    ) -> None:
        parts, channel = self.parts, sub.channel_id
        db, now = parts.db, parts.clock()
        found = await settle(parts, store.RATINGS, (channel,), None, rating_tag, channel)
        report.recovered += len(found)
        if await store.RATINGS.state(db, (channel, store.look(sub.key))) is None:
            old = [t.id for t in tickets if not changed_since(t, sub.created_at)]
            looked = [*old, store.look(sub.key)]  # and the look is done
            await store.RATINGS.record(db, (channel,), looked, store.BASELINE, now)
            report.baselined += len(old)
        done = await store.RATINGS.states(db, (channel,), [t.id for t in tickets])

        async def post(ticket: Ticket) -> str | None:
            value = ticket.csat.value if ticket.csat and ticket.csat.value else 0
            reason = rating_reason(ticket, value)
            key, tag = (channel, ticket.id), rating_tag(ticket.id)
            return await post_card(
                parts, store.RATINGS, key, ticket, reason, tag, log, "rating", now, rating=value
            )

        todo = [t for t in tickets if t.id not in done]
        await parts.post_batch(
            sub, todo, post, report, lambda n: f"posted {n} rating{'s' if n != 1 else ''}"
        )
