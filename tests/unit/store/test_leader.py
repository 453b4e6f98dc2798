"""Leader election: one leader among replicas on PostgreSQL, take-over when it goes away,
always the leader on SQLite. Each test uses a lock key of its own, so runs sharing the
database do not see each other."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backends import PG_URL, needs_postgres
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mava_bridge.store.db import Database
from mava_bridge.store.leader import Leadership

CHECK = 0.5


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    db = Database(PG_URL)
    yield db
    await db.dispose()


@pytest.fixture
def key() -> int:
    return random.randint(1, 2**62)


async def wait_until_leader(leadership: Leadership, within: float) -> float:
    started = time.monotonic()
    while not leadership.leader:
        if time.monotonic() - started > within:
            raise AssertionError(f"{leadership.name} did not become leader in {within} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_sqlite_is_always_the_leader(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    leadership = Leadership(db, check_seconds=CHECK)
    try:
        assert await leadership.is_leader()
        await leadership.start()
        assert await leadership.is_leader()
        await leadership.stop()
        assert await leadership.is_leader()
    finally:
        await db.dispose()


@needs_postgres
async def test_exactly_one_of_two_replicas_leads_and_the_other_takes_over(
    pg: Database, key: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mava_bridge.store.leader")
    a = Leadership(pg, check_seconds=CHECK, key=key, name="a")
    b = Leadership(pg, check_seconds=CHECK, key=key, name="b")
    assert not await a.is_leader()  # not started: never assumes it leads
    await a.start()
    await b.start()
    try:
        for _ in range(3):  # stays stable over several checks
            assert [await a.is_leader(), await b.is_leader()] == [True, False]
            await asyncio.sleep(CHECK)
        await a.stop()
        assert not await a.is_leader()
        took = await wait_until_leader(b, within=CHECK * 4)
        assert took <= CHECK * 2 + 0.5
        assert await b.is_leader()
    finally:
        await a.stop()
        await b.stop()
    messages = [(r.getMessage(), getattr(r, "replica", None)) for r in caplog.records]
    assert ("leadership gained", "a") in messages
    assert ("leadership released", "a") in messages
    assert ("leadership gained", "b") in messages


@needs_postgres
async def test_a_leader_whose_connection_dies_loses_leadership_and_another_takes_over(
    pg: Database, key: int
) -> None:
    a = Leadership(pg, check_seconds=CHECK, key=key, name="a")
    b = Leadership(pg, check_seconds=CHECK, key=key, name="b")
    await a.start()
    await b.start()
    try:
        assert a.leader and not b.leader
        # Kill a's dedicated connection from outside, as a crash or network cut would.
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            killed = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": key},
            )
            assert [row[0] for row in killed] == [True]
        await admin.dispose()
        deadline = time.monotonic() + 2
        while await a.is_leader():  # the next use notices (once the backend is gone)
            assert time.monotonic() < deadline, "a still thinks it leads"
            await asyncio.sleep(0.05)
        # a reconnects and competes again: whoever gets the lock first leads, alone.
        deadline = time.monotonic() + CHECK * 4
        while not (a.leader or b.leader):
            assert time.monotonic() < deadline, "no one took over"
            await asyncio.sleep(0.05)
        await asyncio.sleep(CHECK * 2)
        assert sorted([await a.is_leader(), await b.is_leader()]) == [False, True]
    finally:
        await a.stop()
        await b.stop()


@needs_postgres
async def test_the_leader_uses_its_own_connection_not_the_pool(pg: Database, key: int) -> None:
    leadership = Leadership(pg, check_seconds=CHECK, key=key)
    await leadership.start()
    try:
        assert leadership.leader
        assert pg.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        await pg.engine.dispose()  # the request pool going away does not end leadership
        assert await leadership.is_leader()
    finally:
        await leadership.stop()
