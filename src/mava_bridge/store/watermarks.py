"""Poll watermarks: how far each poll has seen (alerts per subscription and filter, the
desk's assignment baseline). Moved forward only, never back; see
`mava_bridge.store.ledger` for why a watermark never passes a ticket not yet posted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mava_bridge.store.db import Database
from mava_bridge.store.tables import PollWatermark


async def load_watermarks(db: Database, keys: Iterable[str]) -> dict[str, datetime]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    async with db.session() as session:
        rows = await session.execute(
            select(PollWatermark.query_key, PollWatermark.seen_until).where(
                PollWatermark.query_key.in_(wanted)
            )
        )
        return {row.query_key: row.seen_until for row in rows}


async def save_watermark(db: Database, key: str, seen_until: datetime, now: datetime) -> None:
    for _ in range(2):  # a second try when another process inserted the row meanwhile
        try:
            async with db.session() as session, session.begin():
                row = await session.get(PollWatermark, key)
                if row is None:
                    session.add(PollWatermark(query_key=key, seen_until=seen_until, updated_at=now))
                elif seen_until > row.seen_until:  # never backwards
                    row.seen_until = seen_until
                    row.updated_at = now
            return
        except IntegrityError:
            continue
