"""What a write from Slack to Mava leaves in the database.

- Idempotency keys: the same submission delivered twice makes at most one Mava write. A
  key is claimed with an INSERT before the write (the primary key makes a second claim
  fail on every replica). A definite failure releases it (trying again is safe); an
  unknown outcome keeps it until it expires, since the write may have happened.
- The audit log: every action taken from Slack, with its outcome.
- The bridge's own messages (replies, notes), recorded before the send so the thread
  sync (`delivery.threads`) does not echo them back into Slack: matched by Mava's
  message id when Mava gave one, else by content near the time.
- The files a note shares from a followed thread, given to Mava as a link: token -> the
  Slack file. A token is `secrets.token_urlsafe(32)` (256 random bits): the link cannot
  be guessed or derived from a file id, and an altered one matches nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, update

from mava_bridge.store.db import BATCH, Database, delete_batched, touched, utcnow
from mava_bridge.store.tables import AuditEntry, BridgeMessage, IdempotencyKey, SharedFile


def make_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class IdempotencyStore:
    def __init__(
        self,
        db: Database,
        window_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.window = timedelta(seconds=window_seconds)
        self._clock = clock

    async def claim(self, key: str, *, window_seconds: float | None = None) -> bool:
        """True if this caller may do the write; False if it is a duplicate within the
        store's window (or `window_seconds`, for a key kept longer or shorter)."""
        now = self._clock()
        window = self.window if window_seconds is None else timedelta(seconds=window_seconds)
        # An expired key no longer protects anything: clear it so the claim can win.
        await self.db.apply(
            delete(IdempotencyKey).where(
                IdempotencyKey.key == key, IdempotencyKey.expires_at <= now
            )
        )
        return await self.db.insert_new(
            IdempotencyKey(key=key, created_at=now, expires_at=now + window)
        )

    async def finish(self, key: str, state: str, result: str | None = None) -> None:
        await self.db.apply(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == key)
            .values(state=state, result=result)
        )

    async def release(self, key: str) -> None:
        await self.db.apply(delete(IdempotencyKey).where(IdempotencyKey.key == key))

    async def purge_expired(self, *, batch: int = BATCH) -> int:
        """Delete expired keys (they protect nothing any more); returns how many.
        Run hourly by the housekeeping job (mava_bridge.delivery.housekeeping)."""
        return await delete_batched(
            self.db, IdempotencyKey.key, IdempotencyKey.expires_at <= self._clock(), batch=batch
        )


@dataclass(frozen=True)
class AuditRecord:
    slack_user_id: str
    slack_user_name: str | None
    channel_id: str | None
    ticket_id: str | None
    action: str
    summary: str
    outcome: str  # ok | error | unknown | refused | duplicate | unchanged


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, record: AuditRecord) -> None:
        entry = AuditEntry(**{**asdict(record), "summary": record.summary[:2000]})
        async with self.db.session() as session, session.begin():
            session.add(entry)

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        return await self.db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))


# --- the bridge's own messages ----------------------------------------------------

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
        ticket = select(BridgeMessage).where(BridgeMessage.ticket_id == ticket_id)
        order = (BridgeMessage.created_at, BridgeMessage.id)
        rows = list(await session.scalars(ticket.order_by(*order)))
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


# --- files shared with Mava ------------------------------------------------------------

TOKEN_BYTES: Final = 32
_NAME: Final = 255


@dataclass(frozen=True)
class FileToShare:
    """What the bot knows of a Slack file when it is posted (plain values)."""

    file_id: str
    url_private: str
    name: str
    mimetype: str


class SharedFiles:
    """The table's two uses: `share` when a note is written, `find` when Mava fetches."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def share(self, file: FileToShare, *, channel_id: str, ticket_id: str) -> str:
        """Record `file` under a new token; returns the token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = SharedFile(
            token=token,
            file_id=file.file_id,
            url_private=file.url_private,
            name=file.name[:_NAME],
            mimetype=file.mimetype[:_NAME],
            channel_id=channel_id,
            ticket_id=ticket_id,
            created_at=self._clock(),
        )
        async with self._db.session() as session, session.begin():
            session.add(row)
        return token

    async def find(self, token: str) -> SharedFile | None:
        """The file behind `token`, or None (unknown, altered or malformed)."""
        if not token or len(token) > 64:
            return None
        return await self._db.get(SharedFile, token)
