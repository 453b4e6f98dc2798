"""When each ticket the bridge has read was created, so a look-up by id is exact.

Mava has no fetch-one endpoint: a ticket is found by searching `GET /api/tickets`
between two dates. Its id holds a time, but an imported or back-dated ticket's
`createdAt` can be far from it. Every page the bridge reads (searches, alerts,
digests, `/mava show`) records id -> createdAt here in one upsert per page, and a
later look-up searches exactly that instant. Rows not seen for `SEEN_RETENTION` are
pruned by the housekeeping job; a pruned ticket is still found, only less cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select

from mava_bridge.store.db import BATCH, Database, delete_batched
from mava_bridge.store.tables import SeenTicket, utcnow

SEEN_RETENTION: Final = timedelta(days=180)


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
