"""Followed tickets: a Mava ticket mirrored into one Slack thread per channel, and each
channel's thread-notes setting (`/mava thread-notes on|off`).

A follow is made by `/mava follow`, a Follow button or an alert (its thread), and ended
by `/mava unfollow` or by the ticket staying resolved past the grace. Unfollow keeps the
row (inactive), so following again re-activates it in its new thread. What each thread
holds is `store.deliveries.ITEMS`; the sync that fills it is `mava_bridge.delivery.threads`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update

from mava_bridge.store.db import Database
from mava_bridge.store.tables import ChannelSetting, FollowedTicket

HEADLINE = "headline"  # snapshot key: the card's first line, if it has one
BY_ALERT = "alert"  # `followed_by` of a follow an alert made

Follow = FollowedTicket  # read, never changed in place: every change is a statement here


class ThreadTaken(Exception):
    """The thread already mirrors another ticket (a thread mirrors one ticket only)."""


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
    fresh = {
        "thread_ts": thread_ts,
        "followed_by": followed_by,
        "followed_at": now,
        "snapshot": {HEADLINE: headline} if headline else None,
        "active": True,
        "edit_notice_sent": False,
    }
    row = FollowedTicket(
        ticket_id=ticket_id, channel_id=channel_id, ticket_created_at=ticket_created_at, **fresh
    )
    if await db.insert_new(row):
        return row, True
    existing = await follow_in_channel(db, channel_id, ticket_id)
    if existing is None:
        raise ThreadTaken(thread_ts)
    if existing.active:
        return existing, False
    # Compare-and-set on `active`: of two re-activations, one wins.
    (created,) = await db.apply(
        update(FollowedTicket)
        .where(FollowedTicket.id == existing.id, FollowedTicket.active.is_(False))
        .values(
            **fresh,
            ticket_created_at=ticket_created_at or existing.ticket_created_at,
            resolved_seen_at=None,
            synced_at=None,
        )
    )
    found = await follow_in_channel(db, channel_id, ticket_id)
    assert found is not None
    return found, bool(created)


async def unfollow(db: Database, *, channel_id: str, ticket_id: str) -> bool:
    """Stop following; False if it was not followed there."""
    return await _end(
        db, FollowedTicket.channel_id == channel_id, FollowedTicket.ticket_id == ticket_id
    )


async def deactivate(db: Database, follow_id: int) -> bool:
    """End a follow (the sync's own unfollow); True for the one caller that ended it."""
    return await _end(db, FollowedTicket.id == follow_id)


async def _end(db: Database, *where: ColumnElement[bool]) -> bool:
    """Make the active follow matching `where` inactive; True for the one caller that did."""
    active = FollowedTicket.active.is_(True)
    (ended,) = await db.apply(update(FollowedTicket).where(*where, active).values(active=False))
    return bool(ended)


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
    return await db.scalar(select(FollowedTicket).where(*where))


async def active_follows(db: Database) -> list[Follow]:
    active = FollowedTicket.active.is_(True)
    return await db.scalars(select(FollowedTicket).where(active).order_by(FollowedTicket.id))


async def mark_edit_notice(db: Database, follow_id: int) -> bool:
    """True only for the first caller (the edit notice goes out once per thread)."""
    (marked,) = await db.apply(
        update(FollowedTicket)
        .where(FollowedTicket.id == follow_id, FollowedTicket.edit_notice_sent.is_(False))
        .values(edit_notice_sent=True)
    )
    return bool(marked)


async def save_sync(
    db: Database,
    follow_id: int,
    *,
    snapshot: dict[str, Any] | None = None,
    synced_at: datetime | None = None,
    resolved_seen_at: datetime | bool | None = False,
    ticket_created_at: datetime | None = None,
) -> None:
    """Record what a sync found; None leaves a value as it is (`resolved_seen_at`: False)."""
    values: dict[str, Any] = {
        "ticket_created_at": ticket_created_at,
        "snapshot": snapshot,
        "synced_at": synced_at,
    }
    values = {name: value for name, value in values.items() if value is not None}
    if resolved_seen_at is not False:
        values["resolved_seen_at"] = resolved_seen_at
    if values:
        await db.apply(update(FollowedTicket).where(FollowedTicket.id == follow_id).values(values))


async def thread_notes_enabled(db: Database, channel_id: str) -> bool:
    """Whether messages typed in this channel's followed threads become notes (default on)."""
    setting = ChannelSetting.channel_id == channel_id
    value = await db.scalar(select(ChannelSetting.thread_notes).where(setting))
    return True if value is None else bool(value)


async def set_thread_notes(
    db: Database, channel_id: str, enabled: bool, by: str, now: datetime
) -> None:
    await db.upsert(
        ChannelSetting,
        ["channel_id"],
        channel_id=channel_id,
        thread_notes=enabled,
        updated_by=by,
        updated_at=now,
    )
