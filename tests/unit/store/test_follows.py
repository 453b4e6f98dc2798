"""Followed tickets, their thread items and the bridge's own messages
(mava_bridge.store.follows, mava_bridge.store.deliveries), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from backends import Backend

from mava_bridge.store import deliveries, follows, writes
from mava_bridge.store.db import Database
from mava_bridge.store.follows import ThreadTaken

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TICKET = "a" * 24
OTHER = "b" * 24


async def in_doubt(db: Database, follow_id: int, keys: list[str]) -> dict[str, datetime]:
    """Of these items, the claims a take-over left without a holder: key -> claim time."""
    rows = await deliveries.ITEMS.in_doubt(db, (follow_id,), keys)
    return {key: row.claimed_at for key, row in rows.items()}


async def test_follow_is_one_per_channel_and_unfollow_then_follow_starts_afresh(
    backend: Backend,
) -> None:
    db = backend.database()
    await db.migrate()
    made, created = await follows.follow(
        db,
        ticket_id=TICKET,
        channel_id="C1",
        thread_ts="1.1",
        ticket_created_at=T0 - timedelta(days=2),
        followed_by="U1",
        now=T0,
    )
    assert created and made.active and made.thread_ts == "1.1" and made.followed_at == T0
    again, created = await follows.follow(
        db,
        ticket_id=TICKET,
        channel_id="C1",
        thread_ts="2.2",
        ticket_created_at=None,
        followed_by="U2",
        now=T0,
    )
    assert not created and again.id == made.id and again.thread_ts == "1.1"
    # Another channel has its own thread for the same ticket.
    elsewhere, created = await follows.follow(
        db,
        ticket_id=TICKET,
        channel_id="C2",
        thread_ts="1.1",
        ticket_created_at=None,
        followed_by="alert",
        now=T0,
    )
    assert created and elsewhere.id != made.id
    with pytest.raises(ThreadTaken):  # one thread mirrors one ticket
        await follows.follow(
            db,
            ticket_id=OTHER,
            channel_id="C1",
            thread_ts="1.1",
            ticket_created_at=None,
            followed_by="U1",
            now=T0,
        )
    await follows.save_sync(db, made.id, snapshot={"status": "Open"}, synced_at=T0)
    assert await follows.unfollow(db, channel_id="C1", ticket_id=TICKET)
    assert not await follows.unfollow(db, channel_id="C1", ticket_id=TICKET)
    gone = await follows.follow_for_thread(db, "C1", "1.1")
    assert gone is not None and not gone.active
    assert [f.channel_id for f in await follows.active_follows(db)] == ["C2"]
    later = T0 + timedelta(hours=1)
    back, created = await follows.follow(
        db,
        ticket_id=TICKET,
        channel_id="C1",
        thread_ts="3.3",
        ticket_created_at=None,
        followed_by="U3",
        now=later,
    )
    assert created and back.id == made.id and back.active and back.thread_ts == "3.3"
    assert back.followed_at == later and back.snapshot is None and back.synced_at is None
    assert back.ticket_created_at == T0 - timedelta(days=2)  # kept when not given
    assert await follows.follow_for_thread(db, "C1", "1.1") is None
    found = await follows.follow_in_channel(db, "C1", TICKET)
    assert found is not None and found.followed_by == "U3"


async def test_edit_notice_once_and_thread_notes_per_channel(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()
    made, _ = await follows.follow(
        db,
        ticket_id=TICKET,
        channel_id="C1",
        thread_ts="1.1",
        ticket_created_at=None,
        followed_by="U1",
        now=T0,
    )
    results = await asyncio.gather(*(follows.mark_edit_notice(db, made.id) for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert not await follows.mark_edit_notice(db, made.id)
    assert await follows.thread_notes_enabled(db, "C1")  # on unless turned off
    await follows.set_thread_notes(db, "C1", False, "U1", T0)
    assert not await follows.thread_notes_enabled(db, "C1")
    assert await follows.thread_notes_enabled(db, "C2")
    await follows.set_thread_notes(db, "C1", True, "U2", T0)
    assert await follows.thread_notes_enabled(db, "C1")


async def test_an_item_is_claimed_once_and_a_dead_holders_claims_are_taken_over(
    backend: Backend,
) -> None:
    db = backend.database()
    await db.migrate()
    replica = backend.database()  # another process on the same database
    claims = await asyncio.gather(
        deliveries.ITEMS.claim(db, (1, "m1"), T0, "p1"),
        deliveries.ITEMS.claim(replica, (1, "m1"), T0, "p2"),
    )
    assert sorted(claims) == [False, True]
    await deliveries.ITEMS.record(db, (1,), ["m0", "m1"], deliveries.BASELINE, T0)
    assert await deliveries.ITEMS.states(db, (1,), ["m0", "m1", "m2"]) == {
        "m0": deliveries.BASELINE,
        "m1": deliveries.CLAIMED,  # a recorded item does not overwrite a claim
    }
    assert await deliveries.ITEMS.claim(db, (1, "m2"), T0, "p1")
    await deliveries.ITEMS.mark_posted(db, (1, "m2"), "9.9", T0)
    assert await deliveries.ITEMS.claim(db, (2, "m1"), T0, "p1")  # other follow, own items
    holder = "p1" if claims[0] else "p2"
    # The new leader puts what the others held in doubt (holder cleared, to be looked
    # for in Slack); its own claim stays.
    assert await deliveries.ITEMS.claim(db, (3, "m9"), T0, "p3")
    assert await deliveries.ITEMS.take_over(db, "p3") == 2
    assert await in_doubt(db, 1, ["m1", "m2"]) == {"m1": T0}
    assert await in_doubt(db, 2, ["m1"]) == {"m1": T0}
    assert await in_doubt(db, 3, ["m9"]) == {}
    assert await deliveries.ITEMS.take_over(db, "p3") == 0  # once
    await deliveries.ITEMS.release(db, (1, "m1"))  # not found in Slack: dropped
    assert await deliveries.ITEMS.claim(db, (1, "m1"), T0, "p3")
    await deliveries.ITEMS.release(db, (1, "m1"))
    assert await deliveries.ITEMS.claim(db, (1, "m1"), T0, holder)
    assert await deliveries.ITEMS.release_stale(db, T0 + timedelta(minutes=14)) == 0
    # Stale: every claim left 15 minutes, in doubt or not (posted again without a look).
    assert await deliveries.ITEMS.release_stale(db, T0 + timedelta(minutes=16)) == 3


async def test_the_bridges_own_messages_match_by_id_else_once_by_content(
    backend: Backend,
) -> None:
    db = backend.database()
    await db.migrate()
    await writes.record_bridge_message(
        db, ticket_id=TICKET, mava_message_id="x1", content="with id", now=T0
    )
    for _ in range(2):  # the same note twice, Mava's answers without ids
        await writes.record_bridge_message(
            db, ticket_id=TICKET, mava_message_id=None, content="  Same\nnote ", now=T0
        )
    await writes.record_bridge_message(
        db, ticket_id=OTHER, mava_message_id=None, content="Same note", now=T0
    )
    near = T0 + timedelta(seconds=2)
    messages = [
        ("x1", "with id", near),
        ("y1", "Same note", near),
        ("y2", "Same note", near),
        ("y3", "Same note", near),  # a third one: a person wrote it, not the bridge
        ("y4", "other text", near),
    ]
    assert await writes.bridge_sent(db, TICKET, messages) == {"x1", "y1", "y2"}
    # Asked again (a crash before the sync recorded them): the same answer.
    assert await writes.bridge_sent(db, TICKET, messages) == {"x1", "y1", "y2"}
    late = T0 + timedelta(minutes=20)
    assert await writes.bridge_sent(db, OTHER, [("z1", "Same note", late)]) == set()
    assert await writes.bridge_sent(db, OTHER, [("z2", "Same note", near)]) == {"z2"}
    assert await writes.purge_bridge_messages(db, T0 + timedelta(seconds=1)) == 4
