"""id -> createdAt of tickets the bridge has read (mava_bridge.store.seen), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from backends import Backend

from mava_bridge.delivery.housekeeping import Housekeeping
from mava_bridge.services.outcome import ServiceError
from mava_bridge.services.tickets import TicketService
from mava_bridge.store.seen import SEEN_RETENTION, SeenTickets
from mava_bridge.store.writes import IdempotencyStore


async def test_one_upsert_per_page_latest_answer_wins_and_old_rows_are_pruned(
    backend: Backend,
) -> None:
    db = backend.database()
    await db.migrate()
    now = datetime(2026, 11, 26, tzinfo=UTC)
    clock = [now]
    seen = SeenTickets(db, clock=lambda: clock[0])
    t1, t2 = "a" * 24, "b" * 24
    # A page may hold the same ticket twice (paging over a changing list).
    await seen.remember([(t1, now - timedelta(days=3)), (t2, now), (t1, now - timedelta(days=3))])
    assert await seen.created_at(t1) == now - timedelta(days=3)
    await seen.remember([(t2, now - timedelta(hours=1))])  # Mava's latest answer wins
    assert await seen.created_at(t2) == now - timedelta(hours=1)
    await seen.remember([])
    clock[0] = now + SEEN_RETENTION + timedelta(days=1)
    await seen.remember([(t2, now)])  # read again: kept
    assert await seen.purge() == 1
    assert await seen.created_at(t1) is None
    assert await seen.created_at(t2) == now


async def test_housekeeping_prunes_tickets_not_seen_for_long(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()
    now = datetime(2026, 11, 26, tzinfo=UTC)
    clock = [now]
    seen = SeenTickets(db, clock=lambda: clock[0])
    await seen.remember([("c" * 24, now)])
    keeper = Housekeeping(
        db, IdempotencyStore(db, 60, clock=lambda: clock[0]), clock=lambda: clock[0], seen=seen
    )
    assert (await keeper.run()).seen_tickets == 0
    clock[0] = now + SEEN_RETENTION + timedelta(seconds=1)
    assert (await keeper.run()).seen_tickets == 1


async def test_a_short_id_is_the_one_remembered_ticket_ending_so(backend: Backend) -> None:
    """`/mava show …562460`: a tail names a ticket the bridge has read, if exactly one."""
    db = backend.database()
    await db.migrate()
    now = datetime(2026, 11, 26, tzinfo=UTC)
    seen = SeenTickets(db)
    one, twin_a, twin_b = (
        "6650a1b2c3d4e5f678562460",
        "6650a1b2c3d4e5f678abcdef",
        "77" * 9 + "abcdef",
    )
    await seen.remember([(one, now), (twin_a, now), (twin_b, now)])
    assert await seen.ending_with("562460") == [one]
    assert await seen.ending_with("562460".upper()) == [one]
    assert sorted(await seen.ending_with("abcdef")) == sorted([twin_a, twin_b])
    assert await seen.ending_with("%") == await seen.ending_with("") == []  # no LIKE pattern

    # TicketService has no Mava here: a short id never needs one.
    tickets = TicketService(None, db=db, link=lambda t: f"https://dash/{t}")  # type: ignore[arg-type]
    assert await tickets.whole_id("…562460") == one
    assert await tickets.whole_id("#562460") == one
    assert await tickets.whole_id(one) == one  # a whole id is left as it is
    with pytest.raises(ServiceError, match=r"…abcdef is the end of more than one") as several:
        await tickets.whole_id("…abcdef")
    assert f"https://dash/{twin_a}" in several.value.user_message
    with pytest.raises(ServiceError, match=r"No ticket the bot has read ends in …123456"):
        await tickets.whole_id("123456")
