"""Deleting old rows in bounded batches.

One short transaction per batch, so a large backlog (the first run after an upgrade)
never holds a long lock on SQLite's single writer or a PostgreSQL table.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, delete, select

from mava_bridge.store.db import Database

BATCH: Final = 1000


async def delete_batched(
    db: Database, key: Any, condition: ColumnElement[bool], *, batch: int = BATCH
) -> int:
    """Delete the rows of `key`'s table matching `condition`, `batch` at a time.

    `key` is the table's primary-key column. Returns how many rows were deleted.
    """
    table = key.table
    total = 0
    while True:
        async with db.session() as session, session.begin():
            chosen = select(key).where(condition).limit(batch).scalar_subquery()
            result = await session.execute(delete(table).where(key.in_(chosen)))
            deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < batch:
            return total
