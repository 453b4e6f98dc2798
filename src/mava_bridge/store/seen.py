"""What the bridge has seen, kept for a while, on any replica.

- Tickets: when each ticket read was created, so a look-up by id is exact. Mava has no
  fetch-one endpoint: a ticket is found by searching `GET /api/tickets` between two
  dates, and an imported or back-dated ticket's `createdAt` can be far from the time in
  its id. Every page the bridge reads records id -> createdAt in one upsert, and a
  later look-up searches exactly that instant. Rows not seen for `SEEN_RETENTION` are
  pruned by the housekeeping job; a pruned ticket is still found, only less cheaply.
- Webhooks, by `webhookId`, for `SEEN_FOR`. Mava retries a webhook ("up to 3"
  attempts) and says `webhookId` is for de-duplication: the first row wins, a repeat is
  answered 2xx and does nothing. The rows are also how a webhook any replica received
  reaches the leader's jobs, which read the newest every second (`delivery.nudges`).
- Slack profiles (users.info answers), shared by replicas. Only a cache: when it cannot
  be read or written (a pool exhausted by a burst, a database restart) that is one
  WARNING and a miss, and the caller asks Slack (`slack.access`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.store.db import BATCH, Database, delete_batched, utcnow
from mava_bridge.store.tables import SeenTicket, SeenWebhook, SlackUser

log = logging.getLogger(__name__)

SEEN_RETENTION: Final = timedelta(days=180)
SEEN_FOR: Final = timedelta(days=1)


class SeenTickets:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def remember(self, seen: Iterable[tuple[str, datetime]]) -> None:
        """Record id -> createdAt for a page of tickets: one statement."""
        rows: dict[str, datetime] = {ticket_id: created for ticket_id, created in seen}
        if not rows:
            return
        now = self._clock()
        values = [
            {"ticket_id": ticket_id, "created_at": created, "seen_at": now}
            for ticket_id, created in rows.items()
        ]
        statement = self._db.insert(SeenTicket).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[SeenTicket.ticket_id],
            set_={"created_at": statement.excluded.created_at, "seen_at": now},
        )
        await self._db.apply(statement)

    async def created_at(self, ticket_id: str) -> datetime | None:
        return await self._db.scalar(
            select(SeenTicket.created_at).where(SeenTicket.ticket_id == ticket_id)
        )

    async def ending_with(self, tail: str, *, limit: int = 5) -> list[str]:
        """Ids of remembered tickets that end with `tail` (hex, as `short_tail` reads
        it), at most `limit`: a short id as lists show it, typed back by a person."""
        if not tail or not all(c in "0123456789abcdef" for c in tail.lower()):
            return []  # only hex reaches LIKE, so no pattern character can
        return await self._db.scalars(
            select(SeenTicket.ticket_id)
            .where(func.lower(SeenTicket.ticket_id).like(f"%{tail.lower()}"))
            .order_by(SeenTicket.seen_at.desc())
            .limit(limit)
        )

    async def purge(self, *, batch: int = BATCH) -> int:
        """Forget tickets not seen for `SEEN_RETENTION`; returns how many rows went."""
        cutoff = self._clock() - SEEN_RETENTION
        return await delete_batched(
            self._db, SeenTicket.ticket_id, SeenTicket.seen_at < cutoff, batch=batch
        )


class SeenWebhooks:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def record(self, webhook_id: str, ticket_id: str | None) -> bool:
        """True for a webhook not seen before (on any replica); False for a repeat."""
        row = SeenWebhook(webhook_id=webhook_id, ticket_id=ticket_id, received_at=self._clock())
        return await self._db.insert_new(row)

    async def since(self, after: datetime) -> list[tuple[str, str | None]]:
        """(webhook id, ticket id or None) of the webhooks received after `after`."""
        rows = await self._db.scalars(select(SeenWebhook).where(SeenWebhook.received_at > after))
        return [(row.webhook_id, row.ticket_id) for row in rows]

    async def purge(self, *, batch: int = BATCH) -> int:
        """Forget webhooks older than `SEEN_FOR`; returns how many rows went."""
        cutoff = self._clock() - SEEN_FOR
        return await delete_batched(
            self._db, SeenWebhook.webhook_id, SeenWebhook.received_at < cutoff, batch=batch
        )


@dataclass(frozen=True)
class CachedProfile:
    data: dict[str, Any]  # users.info's `user`
    fetched_at: datetime


async def cached_profile(db: Database, user_id: str) -> CachedProfile | None:
    """The cached answer for this person, None if there is none or it cannot be read."""
    try:
        row = await db.get(SlackUser, user_id)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("profile cache not read (%s); asking Slack", type(exc).__name__)
        return None
    return None if row is None else CachedProfile(row.data, row.fetched_at)


async def cache_profile(db: Database, user_id: str, data: dict[str, Any], now: datetime) -> None:
    """Remember users.info's answer; not written: the next look-up asks Slack again."""
    try:
        await db.upsert(SlackUser, ["user_id"], user_id=user_id, data=data, fetched_at=now)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("profile cache not written (%s)", type(exc).__name__)
