"""Followed tickets: a Mava ticket mirrored into one Slack thread per channel.

A follow is made by `/mava follow`, a Follow button or an alert (its thread), and
ended by `/mava unfollow` or by the ticket staying resolved past the grace. Unfollow
keeps the row (inactive), so following again re-activates it in its new thread.
What each thread already holds is in `mava_bridge.store.thread_posts`, what the bridge
sent to Mava itself in `store.bridge_messages`, the channel's thread-notes setting in
`store.channel_settings`; the sync that fills a thread is `mava_bridge.delivery.threads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError

from mava_bridge.store.db import Database
from mava_bridge.store.tables import FollowedTicket

HEADLINE = "headline"  # snapshot key: the card's first line, if it has one
BY_ALERT = "alert"  # `followed_by` of a follow an alert made


class ThreadTaken(Exception):
    """The thread already mirrors another ticket (a thread mirrors one ticket only)."""


@dataclass(frozen=True)
class Follow:
    id: int
    ticket_id: str
    channel_id: str
    thread_ts: str
    active: bool
    ticket_created_at: datetime | None
    followed_by: str
    edit_notice_sent: bool
    # What the sync works from (mava_bridge.delivery.threads).
    followed_at: datetime | None = None
    snapshot: dict[str, Any] | None = None
    resolved_seen_at: datetime | None = None
    synced_at: datetime | None = None


def _follow(row: FollowedTicket) -> Follow:
    return Follow(
        id=row.id,
        ticket_id=row.ticket_id,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts,
        active=row.active,
        ticket_created_at=row.ticket_created_at,
        followed_by=row.followed_by,
        edit_notice_sent=row.edit_notice_sent,
        followed_at=row.followed_at,
        snapshot=row.snapshot,
        resolved_seen_at=row.resolved_seen_at,
        synced_at=row.synced_at,
    )


async def follow(
    db: Database,
    *,
    ticket_id: str,
    channel_id: str,
    thread_ts: str,
    ticket_created_at: datetime | None,
    followed_by: str,
    now: datetime,
    headline: str | None = None,
) -> tuple[Follow, bool]:
    """Follow `ticket_id` in `thread_ts` of `channel_id`: (the follow, created).

    Already followed in the channel: that follow and False. An inactive follow is
    re-activated in the new thread and starts afresh (its first sync baselines the
    messages up to `now`): True. Raises `ThreadTaken` if the thread mirrors another
    ticket. `headline`: the card's first line, kept when the sync updates the card (an
    alert's reason)."""
    first = {HEADLINE: headline} if headline else None
    try:
        async with db.session() as session, session.begin():
            row = FollowedTicket(
                ticket_id=ticket_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                ticket_created_at=ticket_created_at,
                followed_by=followed_by,
                followed_at=now,
                active=True,
                edit_notice_sent=False,
                snapshot=first,
            )
            session.add(row)
        return _follow(row), True
    except IntegrityError:
        pass
    async with db.session() as session, session.begin():
        existing = await session.scalar(
            select(FollowedTicket).where(
                FollowedTicket.channel_id == channel_id, FollowedTicket.ticket_id == ticket_id
            )
        )
        if existing is None:
            raise ThreadTaken(thread_ts)
        if existing.active:
            return _follow(existing), False
        # Compare-and-set on `active`: of two re-activations, one wins.
        result = await session.execute(
            update(FollowedTicket)
            .where(FollowedTicket.id == existing.id, FollowedTicket.active.is_(False))
            .values(
                active=True,
                thread_ts=thread_ts,
                ticket_created_at=ticket_created_at or existing.ticket_created_at,
                followed_by=followed_by,
                followed_at=now,
                snapshot=first,
                resolved_seen_at=None,
                edit_notice_sent=False,
                synced_at=None,
            )
        )
        created = bool(getattr(result, "rowcount", 0))
    found = await follow_in_channel(db, channel_id, ticket_id)
    assert found is not None
    return found, created


async def unfollow(db: Database, *, channel_id: str, ticket_id: str) -> bool:
    """Stop following; False if it was not followed there."""
    return await _end(
        db, FollowedTicket.channel_id == channel_id, FollowedTicket.ticket_id == ticket_id
    )


async def _end(db: Database, *where: ColumnElement[bool]) -> bool:
    """Make the active follow matching `where` inactive; True for the one caller that did."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(FollowedTicket)
            .where(*where, FollowedTicket.active.is_(True))
            .values(active=False)
        )
    return bool(getattr(result, "rowcount", 0))


async def follow_for_thread(db: Database, channel_id: str, thread_ts: str) -> Follow | None:
    """The follow whose thread root is `thread_ts`, active or not."""
    return await _one(
        db, FollowedTicket.channel_id == channel_id, FollowedTicket.thread_ts == thread_ts
    )


async def follow_in_channel(db: Database, channel_id: str, ticket_id: str) -> Follow | None:
    return await _one(
        db, FollowedTicket.channel_id == channel_id, FollowedTicket.ticket_id == ticket_id
    )


async def _one(db: Database, *where: ColumnElement[bool]) -> Follow | None:
    async with db.session() as session:
        row = await session.scalar(select(FollowedTicket).where(*where))
    return _follow(row) if row is not None else None


async def mark_edit_notice(db: Database, follow_id: int) -> bool:
    """True only for the first caller (the edit notice goes out once per thread)."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(FollowedTicket)
            .where(FollowedTicket.id == follow_id, FollowedTicket.edit_notice_sent.is_(False))
            .values(edit_notice_sent=True)
        )
    return bool(getattr(result, "rowcount", 0))


# --- what the sync keeps on a follow ---------------------------------------------------


async def active_follows(db: Database) -> list[Follow]:
    async with db.session() as session:
        rows = await session.scalars(
            select(FollowedTicket)
            .where(FollowedTicket.active.is_(True))
            .order_by(FollowedTicket.id)
        )
        return [_follow(row) for row in rows]


async def save_sync(
    db: Database,
    follow_id: int,
    *,
    snapshot: dict[str, Any] | None = None,
    synced_at: datetime | None = None,
    resolved_seen_at: datetime | bool | None = False,
    ticket_created_at: datetime | None = None,
) -> None:
    """Record what a sync found. `resolved_seen_at` False: leave it as it is."""
    values: dict[str, Any] = {}
    if ticket_created_at is not None:
        values["ticket_created_at"] = ticket_created_at
    if snapshot is not None:
        values["snapshot"] = snapshot
    if synced_at is not None:
        values["synced_at"] = synced_at
    if resolved_seen_at is not False:
        values["resolved_seen_at"] = resolved_seen_at
    if not values:
        return
    async with db.session() as session, session.begin():
        await session.execute(
            update(FollowedTicket).where(FollowedTicket.id == follow_id).values(values)
        )


async def deactivate(db: Database, follow_id: int) -> bool:
    """End a follow (the sync's own unfollow); True for the one caller that ended it."""
    return await _end(db, FollowedTicket.id == follow_id)
