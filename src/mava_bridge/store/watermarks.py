"""Poll watermarks: how far each poll has seen (alerts per subscription and filter, the
desk's assignment baseline). Moved forward only, never back; see
`mava_bridge.store.ledger` for why a watermark never passes a ticket not yet posted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.tables import PollWatermark


async def load_watermarks(db: Database, keys: Iterable[str]) -> dict[str, datetime]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await db.scalars(select(PollWatermark).where(PollWatermark.query_key.in_(wanted)))
    return {row.query_key: row.seen_until for row in rows}


async def save_watermark(db: Database, key: str, seen_until: datetime, now: datetime) -> None:
    statement = db.insert(PollWatermark).values(
        query_key=key, seen_until=seen_until, updated_at=now
    )
    await db.apply(
        statement.on_conflict_do_update(
            index_elements=["query_key"],
            set_={"seen_until": seen_until, "updated_at": now},
            where=PollWatermark.seen_until < seen_until,  # never backwards
        )
    )
