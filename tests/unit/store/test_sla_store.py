"""The SLA store (mava_bridge.store.sla) on SQLite and PostgreSQL: the policy row, one
claim per (place, ticket, clock, level) whoever claims, a first look's baseline never
posted, a dead holder's claims in doubt, and pauses begun, ended and forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from backends import Backend

from mava_bridge.store import sla
from mava_bridge.store.db import Database

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ME, DEAD = "host:1:live", "host:1:dead"
WARN = ("T1", "first-response@2026-12-07T08:00:00+00:00", "warning")


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    database = backend.database()
    await database.migrate()
    yield database


async def test_the_policy_is_one_row_replaced(db: Database) -> None:
    assert await sla.load_policy(db) == {}
    await sla.save_policy(db, {"targets": {"high": {"first-response": 900}}}, "U1", NOW)
    await sla.save_policy(db, {"targets": {"low": {"resolution": 60}}}, "U2", NOW)
    assert await sla.load_policy(db) == {"targets": {"low": {"resolution": 60}}}


async def test_one_claim_whoever_claims_and_a_dead_holders_claim_in_doubt(
    db: Database, backend: Backend
) -> None:
    other = backend.database()  # another replica
    both = await asyncio.gather(
        sla.POSTS.claim(db, ("C1", *WARN), NOW, ME), sla.POSTS.claim(other, ("C1", *WARN), NOW, ME)
    )
    assert sorted(both) == [False, True]
    assert await sla.POSTS.claim(db, ("U0OMAR", *WARN[:2], "dm"), NOW, DEAD)  # a DM: its own row
    assert await sla.POSTS.known(db, ("C1",), [WARN, ("T2", "x", "breach")]) == {WARN}
    assert await sla.POSTS.take_over(db, ME) == 1  # the dead holder's DM claim
    [(item, row)] = (await sla.POSTS.in_doubt(db, ("U0OMAR",), None)).items()
    assert item == (*WARN[:2], "dm") and row.claimed_at == NOW
    await sla.POSTS.mark_posted(db, ("C1", *WARN), "1.2", NOW)
    await sla.POSTS.release(db, ("C1", *WARN))  # posted: a release leaves it
    assert await sla.POSTS.known(db, ("C1",), [WARN]) == {WARN}


async def test_a_first_look_is_a_baseline_marked_per_subscription(db: Database) -> None:
    assert not await sla.first_looked(db, "C1", "sub:1")
    await sla.record_baseline(db, "C1", "sub:1", [WARN], NOW, ME)
    assert await sla.first_looked(db, "C1", "sub:1")
    assert not await sla.first_looked(db, "C1", "sub:2")
    assert await sla.POSTS.known(db, ("C1",), [WARN]) == {WARN}
    assert not await sla.POSTS.claim(db, ("C1", *WARN), NOW, ME)  # never posted


async def test_pauses_begin_end_and_are_forgotten_a_year_on(db: Database) -> None:
    await sla.begin_pauses(db, ["T1", "T2"], NOW)
    await sla.begin_pauses(db, ["T1"], NOW)  # seen twice at one read: one pause
    assert await sla.lasting_pauses(db, ["T1", "T2", "T3"]) == {"T1", "T2"}
    later = NOW + timedelta(hours=1)
    await sla.end_pauses(db, ["T1"], later)
    assert await sla.lasting_pauses(db, ["T1", "T2"]) == {"T2"}
    found = await sla.pauses_of(db, ["T1", "T2", "T3"])
    assert found == {"T1": [(NOW, later)], "T2": [(NOW, None)]}
    assert await sla.purge_pauses(db, NOW + timedelta(minutes=30)) == 1  # T2 began before
    assert await sla.purge_pauses(db, later + timedelta(seconds=1)) == 1  # T1 ended before
    assert await sla.pauses_of(db, ["T1", "T2"]) == {}


async def test_a_report_counts_each_clock_told_once_in_its_period(db: Database) -> None:
    breach = (*WARN[:2], "breach")
    for channel in ("C1", "C2"):  # two channels told of the same warning: one warning
        assert await sla.POSTS.claim(db, (channel, *WARN), NOW, ME)
        await sla.POSTS.mark_posted(db, (channel, *WARN), "1.1", NOW)
    assert await sla.POSTS.claim(db, ("C1", *breach), NOW, ME)
    await sla.POSTS.mark_posted(db, ("C1", *breach), "1.2", NOW + timedelta(hours=2))
    await sla.record_baseline(db, "C3", "sub:3", [("T9", "resolution@x", "breach")], NOW, ME)
    assert await sla.POSTS.claim(db, ("U0OMAR", *WARN[:2], "dm"), NOW, ME)  # a DM is no level
    await sla.POSTS.mark_posted(db, ("U0OMAR", *WARN[:2], "dm"), "D.1", NOW)
    assert await sla.told_between(db, NOW, NOW + timedelta(days=1)) == (1, 1)
    assert await sla.told_between(db, NOW, NOW + timedelta(hours=1)) == (1, 0)
    assert await sla.told_between(db, NOW - timedelta(days=1), NOW) == (0, 0)
