"""Idempotency keys: the same submission delivered twice makes at most one Mava write.

A key is claimed with an INSERT before the write; the primary key makes a second claim
fail on every replica. A definite failure releases the key (trying again is safe); an
unknown outcome keeps it until it expires, because the write may have happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update

from mava_bridge.store.db import BATCH, Database, delete_batched
from mava_bridge.store.tables import IdempotencyKey


def make_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class IdempotencyStore:
    def __init__(
        self,
        db: Database,
        window_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.window = timedelta(seconds=window_seconds)
        self._clock = clock

    async def claim(self, key: str, *, window_seconds: float | None = None) -> bool:
        """True if this caller may do the write; False if it is a duplicate within the
        store's window (or `window_seconds`, for a key kept longer or shorter)."""
        now = self._clock()
        window = self.window if window_seconds is None else timedelta(seconds=window_seconds)
        # An expired key no longer protects anything: clear it so the claim can win.
        await self.db.apply(
            delete(IdempotencyKey).where(
                IdempotencyKey.key == key, IdempotencyKey.expires_at <= now
            )
        )
        return await self.db.insert_new(
            IdempotencyKey(key=key, created_at=now, expires_at=now + window)
        )

    async def finish(self, key: str, state: str, result: str | None = None) -> None:
        await self.db.apply(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == key)
            .values(state=state, result=result)
        )

    async def release(self, key: str) -> None:
        await self.db.apply(delete(IdempotencyKey).where(IdempotencyKey.key == key))

    async def purge_expired(self, *, batch: int = BATCH) -> int:
        """Delete expired keys (they protect nothing any more); returns how many.
        Run hourly by the housekeeping job (mava_bridge.delivery.housekeeping)."""
        return await delete_batched(
            self.db, IdempotencyKey.key, IdempotencyKey.expires_at <= self._clock(), batch=batch
        )
