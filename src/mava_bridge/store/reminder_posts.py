"""Waiting-too-long reminders posted: one row per channel, ticket and waiting period,
claimed before the post and marked after (the protocol of mava_bridge.store.ledger),
so a period is reminded once across replicas and restarts.

A new subscription's first look records what already waits as `baseline` (never
posted one by one) and posts one summary of it instead, claimed and marked the same
way under the ticket id `BACKLOG` (no Mava id looks like it) and the subscription's
key (`sub:12`) for period; that row, whatever its state, says the first look was done."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from mava_bridge.store.db import Database
from mava_bridge.store.ledger import CLAIMED as CLAIMED  # re-exported: the states
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import Ledger
from mava_bridge.store.purge import BATCH
from mava_bridge.store.tables import ReminderPost

POSTS: Final = Ledger(ReminderPost, ("channel_id", "ticket_id", "period"))
BASELINE: Final = "baseline"  # waited too long already when the subscription began
EMPTY: Final = "empty"  # a first look with nothing new to summarise: no post
BACKLOG: Final = "backlog"


async def known(
    db: Database, channel_id: str, keys: Iterable[tuple[str, str]], *, baseline: bool = True
) -> set[tuple[str, str]]:
    """Of these (ticket, period) keys, those this channel has a row for (any state; with
    `baseline` False, only those it was told of: posted, or being posted)."""
    states = await POSTS.states(db, (channel_id,), keys)
    return {key for key, state in states.items() if baseline or state != BASELINE}


async def record_baseline(
    db: Database,
    channel_id: str,
    keys: Iterable[tuple[str, str]],
    now: datetime,
    owner: str | None,
) -> None:
    """(ticket, period) keys this channel has no row for yet become `baseline` rows."""
    rows = sorted((channel_id, ticket, period) for ticket, period in set(keys))
    await POSTS.record(db, rows, BASELINE, now, claimed_by=owner)


async def backlog_state(db: Database, channel_id: str, subscription: str) -> str | None:
    """The state of the summary of a subscription (its key, "sub:12"), None while its
    first look is to come."""
    states = await POSTS.states(db, (channel_id, BACKLOG), [subscription])
    return states.get(subscription)


async def purge_superseded(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Delete the rows of waiting periods that are over: the same channel and ticket
    have a row of a later period, claimed later, so an agent answered and the customer
    waited again since.
    A ticket has one current period (its first customer message after the last agent
    reply), so an earlier one comes back only if Mava forgot that reply. The latest row
    of each ticket stays, whatever its age: an open ticket may wait for months in one
    period, and without its row it would be reminded again. A backlog row (a
    subscription's first look) and a claim in flight stay too."""
    later = aliased(ReminderPost)
    newer = (
        select(later.id)
        .where(
            later.channel_id == ReminderPost.channel_id,
            later.ticket_id == ReminderPost.ticket_id,
            # Both later: a replica reading a stale board must not make the current
            # period look over (periods are ISO times in one format: text order works).
            later.claimed_at > ReminderPost.claimed_at,
            later.period > ReminderPost.period,
        )
        .exists()
    )
    condition = and_(
        newer,
        ReminderPost.ticket_id != BACKLOG,
        ReminderPost.state != CLAIMED,
        ReminderPost.claimed_at < before,
    )
    return await POSTS.purge(db, condition, batch=batch)
