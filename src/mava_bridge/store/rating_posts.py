"""Tickets newly rated, posted once per channel: one row per channel and ticket, claimed
before the post and marked after (the protocol of mava_bridge.store.ledger).

A subscription's first look records the tickets already rated as `baseline` (never
posted: a new subscription does not flood the channel with old ratings) and the row of
ticket `look:<subscription key>`, whose presence says the look was done."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from mava_bridge.store.db import Database
from mava_bridge.store.ledger import BASELINE, Ledger
from mava_bridge.store.ledger import CLAIMED as CLAIMED  # re-exported: the states
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.purge import BATCH
from mava_bridge.store.tables import RatingPost

POSTS: Final = Ledger(RatingPost, ("channel_id", "ticket_id"))


def look(subscription: str) -> str:
    """The row standing for a subscription's first look ("look:sub:12")."""
    return f"look:{subscription}"


async def known(db: Database, channel_id: str, ticket_ids: Iterable[str]) -> set[str]:
    """Of these tickets (or looks), those this channel has a row for, in any state."""
    return set(await POSTS.states(db, (channel_id,), ticket_ids))


async def record_baseline(
    db: Database, channel_id: str, ticket_ids: Iterable[str], subscription: str, now: datetime
) -> None:
    """A first look: these tickets were rated before the subscription (never posted),
    and the look is done."""
    keys = [(channel_id, t) for t in ticket_ids] + [(channel_id, look(subscription))]
    await POSTS.record(db, keys, BASELINE, now)


async def purge(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget posts (and baselines) claimed before `before`, but never a first look nor
    a claim in flight."""
    old = (
        (RatingPost.claimed_at < before)
        & (RatingPost.state != CLAIMED)
        & RatingPost.ticket_id.not_like("look:%")
    )
    return await POSTS.purge(db, old, batch=batch)
