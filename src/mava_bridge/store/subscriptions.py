"""The `subscriptions` table (what channels asked for from Slack) and the last
outcome of each subscription defined by settings (`default_subscription_status`).
What a subscription means is mava_bridge.services.subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update

from mava_bridge.store.db import Database
from mava_bridge.store.tables import DefaultSubscriptionStatus, Subscription


class TooMany(Exception):
    """The channel has `count` subscriptions, as many as it may."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


async def add(db: Database, new: Subscription, *, limit: int) -> tuple[Subscription, bool]:
    """Add `new` to its channel: (the row, True); the channel's equal subscription if it
    has one (the same request twice, a retried command): (that row, False). Raises
    `TooMany` when the channel has `limit` already."""
    async with db.session() as session, session.begin():
        rows = (
            await session.scalars(
                select(Subscription).where(Subscription.channel_id == new.channel_id)
            )
        ).all()
        for row in rows:
            same = row.cron == new.cron and row.wait_minutes == new.wait_minutes
            if row.kind == new.kind and same and row.filters == new.filters:
                return row, False
        if len(rows) >= limit:
            raise TooMany(len(rows))
        session.add(new)
    return new, True


async def remove(db: Database, channel_id: str, sub_id: int) -> bool:
    """Remove a subscription of this channel; False if it has no such id."""
    (count,) = await db.apply(
        delete(Subscription).where(Subscription.id == sub_id, Subscription.channel_id == channel_id)
    )
    return bool(count)


async def listed(db: Database, channel_id: str | None = None) -> list[Subscription]:
    """Every subscription (of one channel), oldest first."""
    statement = select(Subscription).order_by(Subscription.id)
    if channel_id is not None:
        statement = statement.where(Subscription.channel_id == channel_id)
    return await db.scalars(statement)


async def default_statuses(
    db: Database, keys: Iterable[str]
) -> dict[str, DefaultSubscriptionStatus]:
    """key -> last outcome, of these subscriptions defined by settings."""
    wanted = DefaultSubscriptionStatus.key.in_(list(keys))
    return {
        row.key: row for row in await db.scalars(select(DefaultSubscriptionStatus).where(wanted))
    }


async def record_outcome(
    db: Database, sub_id: int | None, key: str, outcome: str, at: datetime
) -> None:
    """How the last delivery went: on the row (`sub_id`), else under the settings' `key`."""
    if sub_id is not None:
        row = update(Subscription).where(Subscription.id == sub_id)
        await db.apply(row.values(last_delivery_at=at, last_outcome=outcome))
    else:
        await db.upsert(
            DefaultSubscriptionStatus,
            ["key"],
            key=key,
            last_delivery_at=at,
            last_outcome=outcome,
            updated_at=at,
        )
