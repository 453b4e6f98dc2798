"""What each followed ticket's thread holds: one `thread_posts` row per (follow, item
key), every Mava message and "what changed" line, on the ledger (`store.ledger`:
claimed before the post, marked after, taken over or released when its holder is
gone). Items not to be posted are recorded `baseline` (there before the follow began)
or `ours` (the bridge sent them to Mava: `store.bridge_messages`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.ledger import BASELINE as BASELINE  # re-exported: the states
from mava_bridge.store.ledger import CLAIMED as CLAIMED
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import Ledger
from mava_bridge.store.purge import BATCH
from mava_bridge.store.tables import FollowedTicket, ThreadPost

ITEMS: Final = Ledger(ThreadPost, ("follow_id", "item_key"), ts="slack_ts")
OURS: Final = "ours"
REFUSED: Final = "refused"  # Slack refused it for good: skipped, so the thread goes on


async def record_items(
    db: Database, follow_id: int, keys: Iterable[str], state: str, now: datetime
) -> None:
    """Record items as known without posting them (`baseline`, `ours`); rows already
    there are left as they are."""
    await ITEMS.record(db, ((follow_id, key) for key in keys), state, now)


async def purge_ended_thread_posts(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget what the threads of ended follows held, for items claimed before `before`.

    Safe: nothing syncs an ended follow, and following it again starts a fresh baseline
    (`store.follows.follow` resets `synced_at`), so these rows are never read again."""
    ended = select(FollowedTicket.id).where(FollowedTicket.active.is_(False))
    condition = ThreadPost.follow_id.in_(ended) & (ThreadPost.claimed_at < before)
    return await ITEMS.purge(db, condition, batch=batch)
