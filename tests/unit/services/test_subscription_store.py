"""Subscriptions kept in the database (mava_bridge.store.subscriptions, through the
service) on SQLite and PostgreSQL: the same request twice adds one, a full channel is
told why, a channel removes only its own, outcomes are remembered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from backends import Backend

from mava_bridge.domain.filters import Filters
from mava_bridge.services.subscriptions import (
    MAX_PER_CHANNEL,
    SubscriptionError,
    SubscriptionService,
    record_outcome,
)
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    database = backend.database()
    await database.migrate()
    yield database


async def test_a_channels_subscriptions_added_once_limited_and_removed(db: Database) -> None:
    changes: list[str] = []

    async def changed() -> None:
        changes.append("changed")

    service = SubscriptionService(db, Settings(_env_file=None), clock=lambda: AT, on_change=changed)
    first = await service.add("alerts", "C1", Filters(), "U1")
    again = await service.add("alerts", "C1", Filters(), "U1")  # a retried command
    assert again.id == first.id and changes == ["changed"]
    for minutes in range(30, 30 + MAX_PER_CHANNEL - 1):
        await service.add("reminders", "C1", Filters(), "U1", wait_minutes=minutes)
    with pytest.raises(SubscriptionError, match=f"already has {MAX_PER_CHANNEL} subscriptions"):
        await service.add("reminders", "C1", Filters(), "U1", wait_minutes=5)
    mine = [v for v in await service.list_for_channel("C1") if not v.is_default]
    assert len(mine) == MAX_PER_CHANNEL and mine[0].id == first.id
    assert not await service.remove("C2", first.id)  # another channel's id: nothing
    assert await service.remove("C1", first.id)
    assert not await service.remove("C1", first.id)
    [sub] = [s for s in await service.active("reminders") if s.wait_minutes == 30]
    await record_outcome(db, sub, "posted 1 reminder", AT)
    [view] = [v for v in await service.list_for_channel("C1") if v.id == sub.id]
    assert (view.last_outcome, view.last_delivery_at) == ("posted 1 reminder", AT)
