"""The Mava budget every replica draws from, on the PostgreSQL database they share.

One sliding window per API key: `mava_sends` holds each send still inside it (the key
only as a hash). `take` is one short transaction under `pg_advisory_xact_lock` of the
key (replicas of one key decide one at a time, others do not wait), counting by the
database's clock since replicas' clocks differ.

PostgreSQL rather than Redis: every replica shares it already (no new service to run),
and a send costs a few milliseconds against a budget of a few sends per second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from mava_bridge.store.tables import MavaSend

# Sends of keys no longer used (a rotated key) are dropped once this old.
FORGET_AFTER: Final = timedelta(hours=1)


def key_hash(api_key: str) -> str:
    """What the table stores instead of the key (a long random string: its hash cannot
    be guessed back)."""
    return hashlib.sha256(b"mava-budget:" + api_key.encode()).hexdigest()


class PostgresBudget:
    """`mava_bridge.mava.ratelimit.SharedBudget` on PostgreSQL."""

    def __init__(self, engine: AsyncEngine, api_key: str, *, owned: bool = False) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the shared Mava budget needs PostgreSQL")
        self._engine = engine
        self._owned = owned
        self._hash = key_hash(api_key)
        # The key's advisory lock: the hash's first 8 bytes as a signed bigint.
        self._lock = int.from_bytes(bytes.fromhex(self._hash[:16]), "big", signed=True)

    @classmethod
    def connect(cls, url: str, api_key: str) -> PostgresBudget:
        """A budget with a connection of its own: a request pool busy with Slack's work
        (every slot taken) must not make the budget look unreachable. One process asks
        one question at a time, so one connection is enough."""
        engine = create_async_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=True)
        return cls(engine, api_key, owned=True)

    async def record(self, sent: Sequence[tuple[float, str]]) -> None:
        if not sent:
            return
        async with self._engine.begin() as conn:
            await conn.execute(select(func.pg_advisory_xact_lock(self._lock)))
            now: datetime = (await conn.execute(select(func.clock_timestamp()))).scalar_one()
            rows = [
                {"key_hash": self._hash, "sent_at": now - timedelta(seconds=ago), "lane": lane}
                for ago, lane in sent
            ]
            await conn.execute(insert(MavaSend).values(rows))

    async def aclose(self) -> None:
        if self._owned:
            await self._engine.dispose()

    async def take(self, cap: int, window: float, lane: str) -> float:
        async with self._engine.begin() as conn:
            await conn.execute(select(func.pg_advisory_xact_lock(self._lock)))
            # clock_timestamp(), not now(): now() is when the transaction began, before
            # the lock was ours, and could be earlier than a send already counted.
            now: datetime = (await conn.execute(select(func.clock_timestamp()))).scalar_one()
            await conn.execute(
                delete(MavaSend).where(
                    or_(
                        (MavaSend.key_hash == self._hash)
                        & (MavaSend.sent_at <= now - timedelta(seconds=window)),
                        MavaSend.sent_at <= now - FORGET_AFTER,
                    )
                )
            )
            mine = MavaSend.key_hash == self._hash
            held = (
                await conn.execute(select(func.count()).select_from(MavaSend).where(mine))
            ).scalar_one()
            if held >= cap:
                # The send whose leaving makes room: index held - cap, oldest first.
                freeing: datetime = (
                    await conn.execute(
                        select(MavaSend.sent_at)
                        .where(mine)
                        .order_by(MavaSend.sent_at)
                        .offset(held - cap)
                        .limit(1)
                    )
                ).scalar_one()
                # Every row left is inside the window, so this is > 0.
                return max((freeing - now).total_seconds() + window, 0.001)
            await conn.execute(insert(MavaSend).values(key_hash=self._hash, sent_at=now, lane=lane))
            return 0.0
