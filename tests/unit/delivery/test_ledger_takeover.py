"""Taking over the claims of a process that is gone (mava_bridge.store.ledger)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from backends import Backend
from sqlalchemy import select

from mava_bridge.store import deliveries as ledger
from mava_bridge.store.db import Database
from mava_bridge.store.tables import DigestRun

OLD, NEW = "host:1:dead", "host:1:live"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    """On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    database = backend.database()
    await database.migrate()
    yield database


async def run_row(db: Database, run_key: str) -> DigestRun | None:
    async with db.session() as session:
        return await session.scalar(select(DigestRun).where(DigestRun.run_key == run_key))


async def test_runs_that_posted_nothing_start_afresh_and_started_ones_resume(
    db: Database,
) -> None:
    nothing_out = await ledger.claim_digest_run(db, "a@09:00", "C1", NOW, OLD)
    half_out = await ledger.claim_digest_run(db, "b@09:00", "C2", NOW, OLD)
    assert nothing_out is not None and half_out is not None
    await ledger.record_digest_progress(db, half_out, "111.000", ["t1", "t2"])
    await ledger.record_digest_progress(db, half_out, "111.000", ["t1", "t2", "t3"])
    # A live holder's claim is not taken over.
    assert await ledger.claim_digest_run(db, "b@09:00", "C2", NOW, NEW) is None

    assert await ledger.take_over_claims(db, NEW) == (0, 2)

    assert await run_row(db, "a@09:00") is None  # claimed afresh by the catch-up
    fresh = await ledger.claim_digest_run(db, "a@09:00", "C1", NOW, NEW)
    assert fresh == ledger.DigestClaim("a@09:00", NEW)
    resumed = await ledger.claim_digest_run(db, "b@09:00", "C2", NOW, NEW)
    assert resumed == ledger.DigestClaim("b@09:00", NEW, "111.000", frozenset({"t1", "t2", "t3"}))
    # Of two processes finishing it, one wins.
    assert await ledger.claim_digest_run(db, "b@09:00", "C2", NOW, "host:2:other") is None


async def test_a_displaced_holder_cannot_record_progress_over_the_new_one(db: Database) -> None:
    old = await ledger.claim_digest_run(db, "c@09:00", "C3", NOW, OLD)
    assert old is not None
    await ledger.record_digest_progress(db, old, "222.000", ["t1"])
    await ledger.take_over_claims(db, NEW)
    new = await ledger.claim_digest_run(db, "c@09:00", "C3", NOW, NEW)
    assert new is not None and new.listed == frozenset({"t1"})

    await ledger.record_digest_progress(db, old, "222.000", ["t1", "stale"])  # ignored
    await ledger.record_digest_progress(db, new, "222.000", ["t1", "t2"])
    row = await run_row(db, "c@09:00")
    assert row is not None and row.listed == ["t1", "t2"] and row.claimed_by == NEW


async def test_own_claims_and_finished_runs_are_left_alone(db: Database) -> None:
    mine = await ledger.claim_digest_run(db, "d@09:00", "C4", NOW, NEW)
    done = await ledger.claim_digest_run(db, "e@09:00", "C5", NOW, OLD)
    assert mine is not None and done is not None
    await ledger.finish_digest_run(db, "e@09:00", ledger.POSTED, NOW, ts="333.000")
    assert await ledger.ALERTS.claim(db, ("C6", "t9"), NOW, NEW, reason="new")

    assert await ledger.take_over_claims(db, NEW) == (0, 0)
    row = await run_row(db, "e@09:00")
    assert row is not None and row.state == ledger.POSTED
    assert await ledger.claim_digest_run(db, "e@09:00", "C5", NOW, NEW) is None
