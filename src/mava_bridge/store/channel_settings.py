"""What a channel chose for itself: whether messages typed in its followed tickets'
threads become Mava notes (`/mava thread-notes on|off`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.tables import ChannelSetting


async def thread_notes_enabled(db: Database, channel_id: str) -> bool:
    """Whether messages typed in this channel's followed threads become notes (default on)."""
    async with db.session() as session:
        value = await session.scalar(
            select(ChannelSetting.thread_notes).where(ChannelSetting.channel_id == channel_id)
        )
    return True if value is None else bool(value)


async def set_thread_notes(
    db: Database, channel_id: str, enabled: bool, by: str, now: datetime
) -> None:
    statement = db.insert(ChannelSetting).values(
        channel_id=channel_id, thread_notes=enabled, updated_by=by, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ChannelSetting.channel_id],
        set_={"thread_notes": enabled, "updated_by": by, "updated_at": now},
    )
    async with db.session() as session, session.begin():
        await session.execute(statement)
