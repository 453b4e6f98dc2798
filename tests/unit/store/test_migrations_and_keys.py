"""The store: Alembic migrations and the idempotency keys, on SQLite and (when
TEST_DATABASE_URL is set) on PostgreSQL, in a schema of its own that is dropped after."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from backends import Backend, needs_postgres
from sqlalchemy import Connection, inspect, select, text

from mava_bridge.store.db import Database, alembic_config
from mava_bridge.store.tables import AuditEntry, Base, IdempotencyKey
from mava_bridge.store.writes import IdempotencyStore, make_key

T0 = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
WINDOW = 120.0


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def table_names(db: Database, schema: str | None) -> set[str]:
    def names(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names(schema=schema))

    async with db.engine.connect() as conn:
        return await conn.run_sync(names)


async def schema_version(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


# --- Migrations -------------------------------------------------------------------


async def test_migrations_create_every_table(backend: Backend) -> None:
    db = backend.database()
    assert await table_names(db, backend.schema) == set()
    await db.migrate()
    assert await table_names(db, backend.schema) == set(Base.metadata.tables) | {"alembic_version"}
    assert await schema_version(db) == [head_revision()]
    await db.ping()


async def test_migrating_again_changes_nothing(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()
    async with db.session() as session, session.begin():
        session.add(AuditEntry(slack_user_id="U1", action="note", summary="kept", outcome="ok"))
    await db.migrate()
    await backend.database().migrate()  # another replica starting later
    assert await schema_version(db) == [head_revision()]
    async with db.session() as session:
        assert list(await session.scalars(select(AuditEntry.summary))) == ["kept"]


async def test_migrated_schema_matches_the_models(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()

    def differences(conn: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


@needs_postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: one process
async def test_replicas_starting_together_migrate_once(backend: Backend) -> None:
    replicas = [backend.database() for _ in range(3)]
    await asyncio.gather(*(db.migrate() for db in replicas))
    assert await schema_version(replicas[0]) == [head_revision()]


# --- Idempotency keys -------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def migrated(backend: Backend) -> Backend:
    await backend.database().migrate()
    return backend


def store_on(backend: Backend, clock: Callable[[], datetime]) -> IdempotencyStore:
    return IdempotencyStore(backend.database(), WINDOW, clock=clock)


async def stored(store: IdempotencyStore, key: str) -> IdempotencyKey | None:
    async with store.db.session() as session:
        return await session.get(IdempotencyKey, key)


def test_make_key_is_stable_and_unambiguous() -> None:
    assert make_key("send", "U1", "t1") == make_key("send", "U1", "t1")
    assert make_key("send", "U1", "t1") != make_key("send", "U1", "t2")
    assert make_key("ab", "c") != make_key("a", "bc")
    assert len(make_key("x")) == 64


async def test_claim_duplicate_release(migrated: Backend) -> None:
    store = store_on(migrated, Clock())
    key = make_key("send", "U1", "ticket", "hello")
    assert await store.claim(key) is True
    assert await store.claim(key) is False  # the same submission delivered again
    assert await store.claim(make_key("send", "U1", "ticket", "other")) is True

    row = await stored(store, key)
    assert row is not None
    assert (row.state, row.created_at, row.expires_at) == ("started", T0, T0 + timedelta(0, WINDOW))

    await store.release(key)  # a definite failure: trying again is safe
    assert await stored(store, key) is None
    assert await store.claim(key) is True


async def test_finished_key_stays_a_duplicate_until_it_expires(migrated: Backend) -> None:
    clock = Clock()
    store = store_on(migrated, clock)
    key = make_key("note", "U2")
    assert await store.claim(key)
    await store.finish(key, "done", "message 42")
    row = await stored(store, key)
    assert row is not None and (row.state, row.result) == ("done", "message 42")

    clock.advance(WINDOW - 1)
    assert await store.claim(key) is False
    clock.advance(1)  # expires_at <= now: no longer protects anything
    assert await store.claim(key) is True
    row = await stored(store, key)
    assert row is not None
    assert (row.state, row.result) == ("started", None)
    assert row.expires_at == clock.now + timedelta(seconds=WINDOW)


async def test_expiry_with_a_clock_in_another_time_zone(migrated: Backend) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    clock = Clock(T0.astimezone(berlin))
    store = store_on(migrated, clock)
    assert await store.claim("k")
    clock.advance(WINDOW / 2)
    assert await store.claim("k") is False
    clock.advance(WINDOW / 2)
    assert await store.claim("k") is True


async def test_purge_expired(migrated: Backend) -> None:
    clock = Clock()
    store = store_on(migrated, clock)
    for key in ("a", "b"):
        assert await store.claim(key)
    clock.advance(WINDOW / 2)
    assert await store.claim("c")
    assert await store.purge_expired() == 0
    clock.advance(WINDOW / 2)
    assert await store.purge_expired() == 2
    assert await stored(store, "a") is None and await stored(store, "c") is not None


async def test_concurrent_claims_exactly_one_wins(migrated: Backend) -> None:
    clock = Clock()
    replicas = [store_on(migrated, clock) for _ in range(2)]
    for n in range(5):
        key = make_key("concurrent", str(n))
        results = await asyncio.gather(*(store.claim(key) for store in replicas))
        assert sorted(results) == [False, True], results

    # Many at once, through one store and two.
    key = make_key("crowd")
    results = await asyncio.gather(*(replicas[i % 2].claim(key) for i in range(8)))
    assert results.count(True) == 1


async def test_concurrent_claims_of_an_expired_key_exactly_one_wins(migrated: Backend) -> None:
    clock = Clock()
    replicas = [store_on(migrated, clock) for _ in range(2)]
    assert await replicas[0].claim("old")
    clock.advance(WINDOW + 1)
    results = await asyncio.gather(*(store.claim("old") for store in replicas))
    assert sorted(results) == [False, True]
