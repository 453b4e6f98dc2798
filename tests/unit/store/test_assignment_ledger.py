"""The desk's ledgers (mava_bridge.store.assignments, store.deliveries) on SQLite and
PostgreSQL: one generation per assignee change whoever records it, one DM claim per
generation, retries capped, a dead holder's claims taken over, reminders once per period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from backends import Backend
from ledger_rows import dm_rows

from mava_bridge.store import assignments as a
from mava_bridge.store import deliveries as r
from mava_bridge.store.db import Database

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ME, DEAD = "host:1:live", "host:1:dead"


async def in_doubt(db: Database, channel: str) -> list[tuple[str, str, datetime]]:
    """A channel's reminder claims a take-over left without a holder."""
    rows = await r.REMINDERS.in_doubt(db, (channel,), None)
    return [(ticket, period, row.claimed_at) for (ticket, period), row in rows.items()]


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    database = backend.database()
    await database.migrate()
    yield database


async def test_each_change_is_one_generation_even_when_recorded_twice_at_once(
    db: Database, backend: Backend
) -> None:
    other = backend.database()  # another replica
    assert await a.record(db, "T1", "agentA", NOW, first=0) == 0  # the baseline
    assert await a.record(db, "T1", "agentA", NOW) is None  # no change
    both = await asyncio.gather(
        a.record(db, "T1", "agentB", NOW), a.record(other, "T1", "agentB", NOW)
    )
    assert sorted(both, key=str) == [1, None]  # one of the two made the change
    assert (await a.known(db, ["T1"]))["T1"].generation == 1
    assert await a.record(db, "T1", None, NOW) == 2  # unassigned: a change, no DM
    assert await a.record(db, "T2", "agentA", NOW) == 1  # new after the baseline


async def test_a_hold_is_lifted_by_the_record(db: Database) -> None:
    await a.hold(db, "T1", NOW + timedelta(minutes=2), NOW)
    assert (await a.known(db, ["T1"]))["T1"].held_until == NOW + timedelta(minutes=2)
    assert await a.record(db, "T1", "agentA", NOW) == 1
    found = (await a.known(db, ["T1"]))["T1"]
    assert found.held_until is None and found.agent_id == "agentA"


async def test_one_claim_per_generation_and_retries_capped(db: Database, backend: Backend) -> None:
    other = backend.database()
    claims = await asyncio.gather(
        a.claim_dm(db, "T1", 1, "agentA", NOW, owner=ME),
        a.claim_dm(other, "T1", 1, "agentA", NOW, owner=DEAD),
    )
    assert sorted(claims) == [False, True]
    for attempt in range(a.MAX_ATTEMPTS):
        await a.finish_dms(db, [("T1", 1)], a.RETRY, NOW)
        settled = await a.settled(db, [("T1", 1)])
        if attempt + 1 < a.MAX_ATTEMPTS:
            assert settled == set()
            later = NOW + timedelta(seconds=attempt + 1)
            assert await a.claim_dm(db, "T1", 1, "agentA", later, owner=ME)
    assert await a.settled(db, [("T1", 1)]) == {("T1", 1)}
    assert not await a.claim_dm(db, "T1", 1, "agentA", NOW + timedelta(hours=1), owner=ME)


async def test_final_states_are_never_claimed_again(db: Database) -> None:
    assert await a.claim_dm(db, "T1", 1, "agentA", NOW, owner=ME, state=a.SELF)
    await a.claim_dm(db, "T2", 1, "agentA", NOW, owner=ME)
    await a.finish_dms(db, [("T2", 1)], a.FAILED, NOW, error="messages_tab_disabled")
    for ticket in ("T1", "T2"):
        assert not await a.claim_dm(db, ticket, 1, "agentA", NOW + timedelta(days=1), owner=ME)
    [row] = await dm_rows(db, "T2")
    assert (row.state, row.error) == ("failed", "messages_tab_disabled")


async def test_a_dead_holders_dm_claim_is_taken_over_once_in_doubt(db: Database) -> None:
    assert await a.claim_dm(db, "T1", 1, "agentA", NOW, owner=DEAD)
    assert await a.claim_dm(db, "T2", 1, "agentA", NOW, owner=ME)
    assert not await a.claim_dm(db, "T1", 1, "agentA", NOW, owner=ME)  # live elsewhere
    assert await a.settled(db, [("T1", 1), ("T2", 1)]) == {("T1", 1), ("T2", 1)}
    assert await a.DMS.take_over(db, ME) == 1
    assert await a.DMS.take_over(db, ME) == 0  # once
    # In doubt: to be looked for in the person's DM (since the claim), then told or not.
    assert await a.in_doubt(db, [("T1", 1), ("T2", 1), ("T9", 1)]) == {("T1", 1): NOW}
    assert await a.settled(db, [("T1", 1), ("T2", 1)]) == {("T2", 1)}
    assert await a.settled(db, [("T1", 1)], doubt=False) == {("T1", 1)}
    assert await a.claim_dm(db, "T1", 1, "agentA", NOW, owner=ME)
    assert await a.DMS.take_over(db, ME) == 0  # its own claim is left alone


async def test_a_stale_dm_claim_is_taken_over(db: Database) -> None:
    assert await a.claim_dm(db, "T1", 1, "agentA", NOW, owner=DEAD)
    assert await a.claim_dm(db, "T1", 1, "agentA", NOW + a.STALE_CLAIM * 2, owner=ME)


async def test_notify_defaults_on_and_remembers_the_last_choice(db: Database) -> None:
    assert await a.notify_on(db, "U1")
    await a.set_notify(db, "U1", False, NOW)
    assert not await a.notify_on(db, "U1")
    await a.set_notify(db, "U1", True, NOW)
    assert await a.notify_on(db, "U1")


async def test_reminders_once_per_channel_ticket_and_period(db: Database) -> None:
    period = NOW.isoformat()
    assert await r.REMINDERS.claim(db, ("C1", "T1", period), NOW, ME)
    assert not await r.REMINDERS.claim(db, ("C1", "T1", period), NOW, DEAD)
    assert await r.REMINDERS.claim(db, ("C2", "T1", period), NOW, ME)  # another channel
    assert await r.REMINDERS.claim(db, ("C1", "T1", "later"), NOW, ME)  # a new waiting period
    await r.REMINDERS.mark_posted(db, ("C1", "T1", period), "1.1", NOW)
    await r.REMINDERS.release(db, ("C1", "T1", period))  # a posted one is not released
    assert await r.REMINDERS.known(db, ("C1",), [("T1", period), ("T9", period)]) == {
        ("T1", period)
    }
    await r.REMINDERS.release(db, ("C2", "T1", period))
    assert await r.REMINDERS.known(db, ("C2",), [("T1", period)]) == set()


async def test_a_dead_holders_reminder_claim_is_put_in_doubt(db: Database) -> None:
    assert await r.REMINDERS.claim(db, ("C1", "T1", "p"), NOW, DEAD)
    assert await r.REMINDERS.claim(db, ("C1", "T2", "p"), NOW, ME)
    assert await r.REMINDERS.take_over(db, ME) == 1
    assert await r.REMINDERS.take_over(db, ME) == 0  # once
    assert await in_doubt(db, "C1") == [("T1", "p", NOW)]  # its own claim is not
    assert await in_doubt(db, "C2") == []
    await r.REMINDERS.release(db, ("C1", "T1", "p"))  # not in the channel: dropped, posted again
    assert await r.REMINDERS.known(db, ("C1",), [("T1", "p"), ("T2", "p")]) == {("T2", "p")}


async def test_one_dm_for_many_generations_is_marked_in_one_go(db: Database) -> None:
    keys = [("T1", 1), ("T2", 3), ("T3", 1)]
    for ticket, generation in keys:
        assert await a.claim_dm(db, ticket, generation, "agentA", NOW, owner=ME)
    await a.finish_dms(db, keys[:2], a.RETRY, NOW, error="ratelimited")
    assert await a.settled(db, keys) == {("T3", 1)}  # the two retried: claimable again
    for ticket, generation in keys[:2]:
        assert await a.claim_dm(db, ticket, generation, "agentA", NOW, owner=ME)
    await a.finish_dms(db, keys, a.POSTED, NOW, ts="9.9", slack_user_id="U1")
    rows = [row for ticket, _ in keys for row in await dm_rows(db, ticket)]
    assert {(r.state, r.message_ts, r.slack_user_id) for r in rows} == {("posted", "9.9", "U1")}
    assert [r.attempts for r in rows] == [1, 1, 0]
    assert await a.settled(db, keys) == set(keys)
    assert await a.DMS.take_over(db, DEAD) == 0  # nothing left claimed


async def test_a_new_subscriptions_backlog_is_baseline_and_its_summary_once(db: Database) -> None:
    await r.REMINDERS.mark_posted(db, ("C1", "T0", "p"), "1.0", NOW)  # no row: nothing happens
    assert await r.REMINDERS.claim(db, ("C1", "T1", "p1"), NOW, ME)  # reminded before
    await r.REMINDERS.mark_posted(db, ("C1", "T1", "p1"), "1.1", NOW)
    first = [("T1", "p1"), ("T2", "p2"), ("T3", "p3")]
    await r.REMINDERS.record(db, ("C1",), first, r.BASELINE, NOW, claimed_by=ME)
    again = [("T2", "p2"), ("T4", "p4")]
    await r.REMINDERS.record(db, ("C1",), again, r.BASELINE, NOW, claimed_by=ME)  # no error
    assert not await r.REMINDERS.claim(db, ("C1", "T2", "p2"), NOW, ME)  # never posted one by one
    assert await r.REMINDERS.known(db, ("C2",), [("T2", "p2")]) == set()  # another channel's own
    assert (
        await r.REMINDERS.state(db, ("C1", r.BACKLOG, "sub:7")) is None
    )  # the first look is to come
    assert await r.REMINDERS.claim(db, ("C1", r.BACKLOG, "sub:7"), NOW, DEAD)
    assert not await r.REMINDERS.claim(db, ("C1", r.BACKLOG, "sub:7"), NOW, ME)
    assert await r.REMINDERS.state(db, ("C1", r.BACKLOG, "sub:7")) == r.CLAIMED
    assert await r.REMINDERS.take_over(db, ME) == 1  # a dead leader's summary claim: in doubt
    assert await in_doubt(db, "C1") == [(r.BACKLOG, "sub:7", NOW)]
    await r.REMINDERS.release(db, ("C1", r.BACKLOG, "sub:7"))  # not found in the channel
    assert await r.REMINDERS.state(db, ("C1", r.BACKLOG, "sub:7")) is None
    assert await r.REMINDERS.claim(db, ("C1", r.BACKLOG, "sub:7"), NOW, ME)
    await r.REMINDERS.mark_posted(db, ("C1", r.BACKLOG, "sub:7"), "2.0", NOW)
    assert await r.REMINDERS.state(db, ("C1", r.BACKLOG, "sub:7")) == r.POSTED
    assert await r.REMINDERS.take_over(db, "host:2:next") == 0  # baseline and posted rows stay
    assert await r.REMINDERS.known(db, ("C1",), [("T3", "p3"), ("T4", "p4")]) == {
        ("T3", "p3"),
        ("T4", "p4"),
    }
