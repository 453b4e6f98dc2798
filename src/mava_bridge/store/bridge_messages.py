"""What the bridge sent to Mava itself (replies, notes): recorded before the send, so
the thread sync (mava_bridge.delivery.threads) does not echo them back into Slack.
Matched by Mava's message id when Mava gave one, else by content near the time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, update

from mava_bridge.store.db import BATCH, Database, delete_batched, touched
from mava_bridge.store.tables import BridgeMessage

# How far apart a message without an id and the bridge's record of sending it may be.
ECHO_WINDOW: Final = timedelta(minutes=15)


def content_hash(content: str | None) -> str:
    """What a message's text is matched by when Mava gave no id: whitespace-insensitive,
    since Mava may trim or re-wrap what it stores."""
    normal = " ".join((content or "").split())
    return hashlib.sha256(normal.encode()).hexdigest()


async def record_bridge_message(
    db: Database, *, ticket_id: str, mava_message_id: str | None, content: str, now: datetime
) -> int:
    """A reply or note the bridge sends to Mava: the thread sync must not echo it.
    Returns the record's id (see `bridge_message_sent`)."""
    async with db.session() as session, session.begin():
        row = BridgeMessage(
            ticket_id=ticket_id,
            mava_message_id=mava_message_id,
            content_hash=content_hash(content),
            created_at=now,
        )
        session.add(row)
    return row.id


async def bridge_message_sent(db: Database, record_id: int, mava_message_id: str | None) -> None:
    """Mava accepted the message recorded before sending: keep its id, if it gave one."""
    if mava_message_id is not None:
        sent = update(BridgeMessage).where(BridgeMessage.id == record_id)
        await db.apply(sent.values(mava_message_id=mava_message_id))


async def forget_bridge_message(db: Database, record_id: int) -> None:
    """Mava refused the message recorded before sending: there is nothing to match."""
    await db.apply(delete(BridgeMessage).where(BridgeMessage.id == record_id))


async def bridge_sent(
    db: Database, ticket_id: str, messages: Sequence[tuple[str, str | None, datetime | None]]
) -> set[str]:
    """Which of a ticket's new messages (key, content, createdAt) the bridge sent itself.

    By Mava's message id when the bridge got one back; else by content within
    `ECHO_WINDOW` of when the bridge sent it, each record taken by one message only
    (two equal notes sent twice match twice, not four times)."""
    if not messages:
        return set()
    keys = {key for key, _, _ in messages}
    ours: set[str] = set()
    async with db.session() as session, session.begin():
        rows = list(
            await session.execute(
                select(
                    BridgeMessage.id,
                    BridgeMessage.mava_message_id,
                    BridgeMessage.matched_message_id,
                    BridgeMessage.content_hash,
                    BridgeMessage.created_at,
                )
                .where(BridgeMessage.ticket_id == ticket_id)
                .order_by(BridgeMessage.created_at, BridgeMessage.id)
            )
        )
        for row in rows:
            ours.update(k for k in (row.mava_message_id, row.matched_message_id) if k in keys)
        free = [r for r in rows if r.mava_message_id is None and r.matched_message_id is None]
        used: set[int] = set()
        for key, content, created in messages:
            if key in ours:
                continue
            digest = content_hash(content)
            for row in free:
                if row.id in used or row.content_hash != digest:
                    continue
                if created is not None and abs(created - row.created_at) > ECHO_WINDOW:
                    continue
                used.add(row.id)
                # Compare-and-set: a record another sync took meanwhile is not ours.
                taken = await session.execute(
                    update(BridgeMessage)
                    .where(BridgeMessage.id == row.id, BridgeMessage.matched_message_id.is_(None))
                    .values(matched_message_id=key)
                )
                if touched(taken):
                    ours.add(key)
                    break
    return ours


async def purge_bridge_messages(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget the bridge's own messages sent before `before` (their echo is long synced)."""
    return await delete_batched(
        db, BridgeMessage.id, BridgeMessage.created_at < before, batch=batch
    )
