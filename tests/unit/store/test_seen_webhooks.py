"""Seen webhook ids (mava_bridge.store.seen): one claim per `webhookId` across
replicas, read back by time for the leader's nudges, purged after a day by housekeeping.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backends import Backend

from mava_bridge.delivery.housekeeping import Housekeeping
from mava_bridge.store.seen import SeenWebhooks
from mava_bridge.store.writes import IdempotencyStore

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def test_a_webhook_id_is_claimed_once_across_replicas_and_purged_after_a_day(
    backend: Backend,
) -> None:
    now = [START]
    first, second = backend.database(), backend.database()
    await first.migrate()
    mine = SeenWebhooks(first, clock=lambda: now[0])
    other = SeenWebhooks(second, clock=lambda: now[0])
    assert await mine.record("w1", "T1") is True
    assert await other.record("w1", "T1") is False  # Mava's retry, reaching another replica
    now[0] += timedelta(seconds=5)
    assert await other.record("w2", None) is True
    assert sorted(await mine.since(START), key=str) == [("w2", None)]
    assert sorted(await mine.since(START - timedelta(seconds=1))) == [
        ("w1", "T1"),
        ("w2", None),
    ]

    now[0] = START + timedelta(days=1, seconds=1)  # w1 is older than a day, w2 is not
    idempotency = IdempotencyStore(first, 120, clock=lambda: now[0])
    report = await Housekeeping(first, idempotency, clock=lambda: now[0]).run()
    assert report.seen_webhooks == 1
    assert await mine.since(START - timedelta(days=2)) == [("w2", None)]
    assert await mine.record("w1", "T1") is True  # forgotten: a day-old id protects nothing
