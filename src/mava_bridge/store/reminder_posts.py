"""Waiting-too-long reminders posted: one row per channel, ticket and waiting period,
claimed before the post and marked after (the protocol of mava_bridge.delivery.ledger),
so a period is reminded once across replicas and restarts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, select, update

from mava_bridge.store.db import Database
from mava_bridge.store.tables import ReminderPost

CLAIMED: Final = "claimed"
POSTED: Final = "posted"


async def known(
    db: Database, channel_id: str, keys: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Of these (ticket, period) keys, those this channel has a row for (any state)."""
    wanted = set(keys)
    tickets = sorted({ticket for ticket, _ in wanted})
    found: set[tuple[str, str]] = set()
    async with db.session() as session:
        for start in range(0, len(tickets), 500):
            rows = await session.execute(
                select(ReminderPost.ticket_id, ReminderPost.period).where(
                    ReminderPost.channel_id == channel_id,
                    ReminderPost.ticket_id.in_(tickets[start : start + 500]),
                )
            )
            found.update((row.ticket_id, row.period) for row in rows)
    return found & wanted


async def claim(
    db: Database, channel_id: str, ticket_id: str, period: str, now: datetime, owner: str | None
) -> bool:
    return await db.insert_new(
        ReminderPost(
            channel_id=channel_id,
            ticket_id=ticket_id,
            period=period,
            state=CLAIMED,
            claimed_by=owner,
            claimed_at=now,
        )
    )


async def mark_posted(
    db: Database, channel_id: str, ticket_id: str, period: str, ts: str, now: datetime
) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(ReminderPost)
            .where(*_key(channel_id, ticket_id, period))
            .values(state=POSTED, message_ts=ts, posted_at=now)
        )


async def release(db: Database, channel_id: str, ticket_id: str, period: str) -> None:
    """Drop a claim whose post Slack refused, so the next poll tries again."""
    async with db.session() as session, session.begin():
        await session.execute(
            delete(ReminderPost).where(
                *_key(channel_id, ticket_id, period), ReminderPost.state == CLAIMED
            )
        )


async def take_over(db: Database, owner: str) -> int:
    """A new leader: claims another process left are dropped, so the next poll posts them."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            delete(ReminderPost).where(
                ReminderPost.state == CLAIMED,
                (ReminderPost.claimed_by != owner) | ReminderPost.claimed_by.is_(None),
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


def _key(channel_id: str, ticket_id: str, period: str) -> tuple[Any, ...]:
    return (
        ReminderPost.channel_id == channel_id,
        ReminderPost.ticket_id == ticket_id,
        ReminderPost.period == period,
    )
