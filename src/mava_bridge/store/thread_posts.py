"""What each followed ticket's thread holds: claim, post, mark, as for alerts.

Every Mava message and every "what changed" line of a follow has one `thread_posts`
row, unique per (follow, item key). It is inserted `claimed` (naming its holder)
before the post, so of two processes one posts; marked `posted` with the reply's ts
after. Messages that are not to be posted are recorded `baseline` (there before the
follow began) or `ours` (the bridge sent them to Mava). The protocol and its
guarantees are those of `mava_bridge.store.ledger`: a claim whose post was refused
is dropped (the next sync tries again), a leftover claim of a process that is gone is
taken over by the next leader (`take_over_thread_claims`: looked for in the thread,
then recorded or posted again) or released once stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update

from mava_bridge.store.db import Database
from mava_bridge.store.follows import content_hash
from mava_bridge.store.ledger import BASELINE as BASELINE  # re-exported: the states
from mava_bridge.store.ledger import CLAIMED as CLAIMED
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import Ledger
from mava_bridge.store.purge import BATCH, delete_batched
from mava_bridge.store.tables import BridgeMessage, FollowedTicket, ThreadPost

ITEMS: Final = Ledger(ThreadPost, ("follow_id", "item_key"), ts="slack_ts")
OURS: Final = "ours"
REFUSED: Final = "refused"  # Slack refused it for good: skipped, so the thread goes on
# How far apart a message without an id and the bridge's record of sending it may be.
ECHO_WINDOW: Final = timedelta(minutes=15)


async def item_states(db: Database, follow_id: int, keys: Iterable[str]) -> dict[str, str]:
    """item key -> state, for the keys this follow has a row for."""
    return await ITEMS.states(db, (follow_id,), keys)


async def claim_item(
    db: Database, follow_id: int, item_key: str, now: datetime, owner: str | None
) -> bool:
    """Insert the `claimed` row; False if the item already has one."""
    return await ITEMS.claim(db, (follow_id, item_key), now, owner)


async def mark_item_posted(
    db: Database, follow_id: int, item_key: str, ts: str, now: datetime
) -> None:
    await ITEMS.mark_posted(db, (follow_id, item_key), ts, now)


async def mark_item(db: Database, follow_id: int, item_key: str, state: str, now: datetime) -> None:
    await ITEMS.set(db, [(follow_id, item_key)], {"state": state, "posted_at": now})


async def release_item(db: Database, follow_id: int, item_key: str) -> None:
    """Drop a claim whose post was refused, so the next sync tries again."""
    await ITEMS.release(db, (follow_id, item_key))


async def record_items(
    db: Database, follow_id: int, keys: Iterable[str], state: str, now: datetime
) -> None:
    """Record items as known without posting them (`baseline`, `ours`); rows already
    there are left as they are."""
    await ITEMS.record(db, ((follow_id, key) for key in keys), state, now)


async def take_over_thread_claims(db: Database, owner: str) -> int:
    """On becoming the leader: every claim another process holds is in doubt (only the
    leader claims, so its holder is gone, maybe after Slack took the post): its holder is
    cleared, and the next sync looks for it in the thread before posting it
    (`in_doubt`, mava_bridge.delivery.in_doubt). Returns how many."""
    return await ITEMS.take_over(db, owner)


async def in_doubt(db: Database, follow_id: int, keys: Iterable[str]) -> dict[str, datetime]:
    """Of these items, the claims a take-over left without a holder: key -> claim time."""
    rows = await ITEMS.in_doubt(db, (follow_id,), keys)
    return {key: row.claimed_at for key, row in rows.items()}


async def release_stale_thread_claims(db: Database, now: datetime) -> int:
    return await ITEMS.release_stale(db, now)


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
                if getattr(taken, "rowcount", 0):
                    ours.add(key)
                    break
    return ours


async def purge_bridge_messages(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget the bridge's own messages sent before `before` (their echo is long synced)."""
    return await delete_batched(
        db, BridgeMessage.id, BridgeMessage.created_at < before, batch=batch
    )


async def purge_ended_thread_posts(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget what the threads of ended follows held, for items claimed before `before`.

    Safe: nothing syncs an ended follow, and following it again starts a fresh baseline
    (`store.follows.follow` resets `synced_at`), so these rows are never read again."""
    ended = select(FollowedTicket.id).where(FollowedTicket.active.is_(False))
    condition = ThreadPost.follow_id.in_(ended) & (ThreadPost.claimed_at < before)
    return await ITEMS.purge(db, condition, batch=batch)
