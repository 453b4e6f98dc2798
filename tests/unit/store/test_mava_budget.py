"""The Mava budget on PostgreSQL (mava_bridge.store.mava_budget): "replicas" (each its own
`Database`, engine and `SharedLimiter`) on one database never send more than the limit in
any window, background work of all of them keeps the reserve free for people, a replica
that cannot reach the database falls back to its local share, and the key is never
stored or logged. Skipped without TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backends import PG_URL, Backend, backend_for, needs_postgres
from running import free_port, wait_for
from sqlalchemy import select
from sqlalchemy.engine import make_url

from mava_bridge.app import mava_client
from mava_bridge.mava.ratelimit import ARRIVAL_MARGIN, Lane, RateLimiter, SharedLimiter, background
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.mava_budget import PostgresBudget, key_hash
from mava_bridge.store.tables import MavaSend

pytestmark = needs_postgres

KEY = "mava-secret-key-0123456789abcdef"
WINDOW = 1.5  # Mava's; the limiters add ARRIVAL_MARGIN
SPAN = WINDOW + ARRIVAL_MARGIN
# Grant times are read when `acquire` returns, a few ms after the grant (more on a busy
# machine): a window this much shorter still proves the limit.
JITTER = 0.1


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[Backend]:
    async with backend_for("postgresql", tmp_path) as found:
        await found.database().migrate()
        yield found


def replicas(pg: Backend, limit: int, count: int = 3, key: str = KEY) -> list[SharedLimiter]:
    return [
        SharedLimiter(PostgresBudget(pg.database().engine, key), limit, WINDOW, fallback_limit=1)
        for _ in range(count)
    ]


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_take_counts_by_the_database_clock_and_per_key(pg: Backend) -> None:
    engine = pg.database().engine
    budget, other = PostgresBudget(engine, KEY), PostgresBudget(engine, "another-key-xyz")
    assert await budget.take(2, 1.0, "interactive") == 0.0
    assert await budget.take(2, 1.0, "background") == 0.0
    wait = await budget.take(2, 1.0, "interactive")
    assert 0.5 < wait <= 1.0  # the first send leaves the window then
    assert await other.take(2, 1.0, "interactive") == 0.0  # another key, another window
    assert await budget.take(3, 1.0, "interactive") == 0.0  # a higher cap has room
    await asyncio.sleep(wait)
    assert await budget.take(3, 1.0, "interactive") == 0.0


async def test_sends_made_during_an_outage_are_counted_when_it_is_back(pg: Backend) -> None:
    budget = PostgresBudget(pg.database().engine, KEY)
    await budget.record([(0.6, "interactive"), (0.3, "background")])
    wait = await budget.take(2, 1.0, "interactive")
    assert 0.2 < wait <= 0.4  # the one sent 0.6 s ago leaves the 1-s window first
    assert await budget.take(3, 1.0, "interactive") == 0.0
    await budget.record([])  # nothing to tell: no transaction


async def test_three_replicas_never_send_more_than_the_limit_in_any_window(pg: Backend) -> None:
    limit = 6
    limiters = replicas(pg, limit)
    granted: list[float] = []

    async def send(limiter: SharedLimiter, lane: Lane) -> None:
        await limiter.acquire(lane)
        granted.append(time.monotonic())

    lanes = [Lane.INTERACTIVE, Lane.BACKGROUND]
    await asyncio.gather(*(send(limiters[i % 3], lanes[i % 2]) for i in range(3 * limit)))
    assert len(granted) == 3 * limit
    # One replica alone would send 6 at once, three 18.
    assert most_in_any_window(granted, SPAN - JITTER) <= limit
    assert max(granted) - min(granted) >= 2 * SPAN - JITTER
    assert all(limiter.shared for limiter in limiters)


async def test_background_of_all_replicas_leaves_the_reserve_to_a_person(pg: Backend) -> None:
    limiters = replicas(pg, 10)
    assert limiters[0].reserve == 1
    began = time.monotonic()
    with background():
        jobs = [asyncio.create_task(r.acquire()) for r in limiters for _ in range(5)]
    await wait_for(lambda: sum(job.done() for job in jobs) >= 9, WINDOW, "9 grants")
    # A quiet look for a tenth, while every grant is still inside its window (all came
    # after `began`): no event tells that none more is coming.
    await asyncio.sleep(max(0.0, min(0.5, began + WINDOW - 0.2 - time.monotonic())))
    assert sum(job.done() for job in jobs) == 9  # 10 - 1 across the three, not 9 each
    started = time.monotonic()
    await limiters[1].acquire(Lane.INTERACTIVE)
    assert time.monotonic() - started < 0.5
    db = pg.database()
    async with db.session() as session:
        lanes = list(await session.scalars(select(MavaSend.lane)))
    assert sorted(lanes) == ["background"] * 9 + ["interactive"]
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


async def test_the_key_is_never_stored(pg: Backend) -> None:
    limiters = replicas(pg, 5, count=2)
    for limiter in limiters:
        await limiter.acquire()
    db = pg.database()
    async with db.session() as session:
        rows = list(await session.execute(select(MavaSend.key_hash, MavaSend.lane)))
    assert rows == [(key_hash(KEY), "interactive")] * 2
    assert KEY not in repr(rows)


async def test_a_replica_that_cannot_reach_the_database_uses_its_local_share(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = make_url(PG_URL).set(port=free_port()).render_as_string(hide_password=False)
    budget = PostgresBudget.connect(closed, KEY)  # its own connection, as app.py makes it
    limiter = SharedLimiter(budget, 9, WINDOW, fallback_limit=3)
    try:
        caplog.set_level(logging.INFO)
        granted: list[float] = []

        async def send() -> None:
            await limiter.acquire(Lane.INTERACTIVE)
            granted.append(time.monotonic())

        started = time.monotonic()
        await asyncio.gather(*(send() for _ in range(6)))
        assert not limiter.shared
        assert most_in_any_window(granted, SPAN - JITTER) <= 3
        assert min(granted) - started < 1.5  # bounded: a refused connection is quick
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert warnings[0].startswith("shared Mava budget unreachable: ")
        assert warnings[0].endswith("; using a local share of 3 per 1.5 s")
        assert KEY not in caplog.text and key_hash(KEY) not in caplog.text
    finally:
        await limiter.aclose()


async def test_the_bridge_draws_from_the_shared_budget_on_postgresql_only(
    pg: Backend, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, mava_api_token=KEY, mava_rate_limit=12)
    shared = mava_client(settings, db=pg.database())
    assert isinstance(shared.limiter, SharedLimiter)
    assert (shared.limiter.limit, shared.limiter.fallback_limit) == (12, 4)
    await shared.aclose()
    sqlite = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    local = mava_client(settings, db=sqlite)
    assert isinstance(local.limiter, RateLimiter)
    await local.aclose()
    await sqlite.dispose()
