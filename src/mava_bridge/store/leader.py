"""Leader election: the delivery jobs run on exactly one replica at a time.

On PostgreSQL the leader holds a session-level `pg_try_advisory_lock(LEADER_LOCK_ID)` on
a connection of its own (not the request pool's). Every `LEADER_CHECK_SECONDS` the
leader checks that connection is alive (if not, leadership is lost and it tries again
on a new one), the others whether the lock is free. A dead leader's connection closes
and frees the lock, so another replica takes over at its next check. On SQLite there is
one process, always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Coroutine
from typing import Any, Final, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from mava_bridge.store.db import Database

log = logging.getLogger(__name__)

# "mavL": distinct from the migration lock.
LEADER_LOCK_ID: Final = 0x6D61764C
T = TypeVar("T")


async def _within(call: Coroutine[Any, Any, T], seconds: float) -> T:
    """`call`'s result within `seconds`, else TimeoutError. Unlike `asyncio.wait_for`,
    it does not wait for a cancelled call to unwind: a cancelled asyncpg query can wait
    forever for its connection, and the leader's checks and stop must stay bounded."""
    task = asyncio.ensure_future(call)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()  # left to unwind on its own
        raise TimeoutError(f"no answer within {seconds:g} s")
    return task.result()


def replica_name() -> str:
    """This process, unlike any other ever: host and pid repeat (pid 1 in every
    container), so a random part tells a restarted process from the one before."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership:
    def __init__(
        self,
        db: Database,
        *,
        check_seconds: float = 5.0,
        key: int = LEADER_LOCK_ID,
        name: str | None = None,
    ) -> None:
        self._db = db
        self._check = float(check_seconds)
        self._key = key
        self.name = name or replica_name()
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._leader = db.is_sqlite
        self._lock = asyncio.Lock()  # one query at a time on the dedicated connection
        self._task: asyncio.Task[None] | None = None

    @property
    def leader(self) -> bool:
        """The last known state (no database round trip)."""
        return self._leader

    async def is_leader(self) -> bool:
        """The scheduler's `should_run`: still holding the lock on a live connection?"""
        if self._db.is_sqlite:
            return True
        if self._leader:
            await self.check()
        return self._leader

    async def start(self) -> None:
        """Try for the lock now (so a lone replica leads from its first poll), then
        keep checking in the background."""
        if self._db.is_sqlite or self._task is not None:
            return
        await self.check()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop checking and release the lock (closing the dedicated connection)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=self._check)  # bounded, as in `_within`
        async with self._lock:
            was_leader = self._leader and not self._db.is_sqlite
            if self._conn is not None and self._leader:
                with contextlib.suppress(Exception):
                    await _within(
                        self._conn.execute(
                            text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                        ),
                        self._check,
                    )
            await self._close()
            if self._engine is not None:
                await self._engine.dispose()
                self._engine = None
            if not self._db.is_sqlite:
                self._leader = False
        if was_leader:
            log.info("leadership released", extra={"replica": self.name})

    async def check(self) -> bool:
        """One check: confirm the lock (leader) or try to take it (follower)."""
        if self._db.is_sqlite:
            return True
        async with self._lock:
            try:
                await _within(self._check_once(), max(self._check, 1.0))
            except Exception as exc:  # connection lost, server down, timeout
                await self._close()
                self._set(False, error=f"{type(exc).__name__}: {exc}")
        return self._leader

    async def _check_once(self) -> None:
        if self._conn is None:
            self._conn = await self._connect()
            self._leader = False  # a new session holds nothing yet
        if self._leader:
            await self._conn.execute(text("SELECT 1"))
            return
        got = await self._conn.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
        )
        self._set(bool(got.scalar()))

    async def _connect(self) -> AsyncConnection:
        if self._engine is None:
            # Its own engine without a pool: closing the connection really closes it.
            self._engine = create_async_engine(
                self._db.url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
        return await self._engine.connect()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await _within(conn.close(), max(self._check, 1.0))
        except Exception:
            with contextlib.suppress(Exception):
                await _within(conn.invalidate(), max(self._check, 1.0))

    def _set(self, leader: bool, *, error: str | None = None) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        if leader:
            log.info("leadership gained", extra={"replica": self.name})
        else:
            log.warning("leadership lost", extra={"replica": self.name, "error": error})

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._check)
            await self.check()
