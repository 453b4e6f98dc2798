"""Waiting-too-long reminders posted: one row per channel, ticket and waiting period,
claimed before the post and marked after (the protocol of mava_bridge.delivery.ledger),
so a period is reminded once across replicas and restarts.

A new subscription's first look records what already waits as `baseline` (never
posted one by one) and posts one summary of it instead, claimed and marked the same
way under the ticket id `BACKLOG` (no Mava id looks like it) and the subscription's
key (`sub:12`) for period; that row, whatever its state, says the first look was done."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from mava_bridge.store.db import Database
from mava_bridge.store.purge import BATCH, delete_batched
from mava_bridge.store.tables import ReminderPost

CLAIMED: Final = "claimed"
POSTED: Final = "posted"
BASELINE: Final = "baseline"  # waited too long already when the subscription began
EMPTY: Final = "empty"  # a first look with nothing new to summarise: no post
BACKLOG: Final = "backlog"


async def known(
    db: Database, channel_id: str, keys: Iterable[tuple[str, str]], *, baseline: bool = True
) -> set[tuple[str, str]]:
    """Of these (ticket, period) keys, those this channel has a row for (any state; with
    `baseline` False, only those it was told of: posted, or being posted)."""
    wanted = set(keys)
    tickets = sorted({ticket for ticket, _ in wanted})
    found: set[tuple[str, str]] = set()
    async with db.session() as session:
        for start in range(0, len(tickets), 500):
            rows = await session.execute(
                select(ReminderPost.ticket_id, ReminderPost.period, ReminderPost.state).where(
                    ReminderPost.channel_id == channel_id,
                    ReminderPost.ticket_id.in_(tickets[start : start + 500]),
                )
            )
            found.update(
                (row.ticket_id, row.period) for row in rows if baseline or row.state != BASELINE
            )
    return found & wanted


async def claim(
    db: Database,
    channel_id: str,
    ticket_id: str,
    period: str,
    now: datetime,
    owner: str | None,
    *,
    state: str = CLAIMED,
) -> bool:
    return await db.insert_new(_row(channel_id, ticket_id, period, now, owner, state))


async def record_baseline(
    db: Database,
    channel_id: str,
    keys: Iterable[tuple[str, str]],
    now: datetime,
    owner: str | None,
) -> None:
    """(ticket, period) keys this channel has no row for yet become `baseline` rows."""
    wanted = set(keys)
    missing = sorted(wanted - await known(db, channel_id, wanted))
    if not missing:
        return
    try:
        async with db.session() as session, session.begin():
            session.add_all(_row(channel_id, t, p, now, owner, BASELINE) for t, p in missing)
    except IntegrityError:  # one was written meanwhile: row by row, keeping what exists
        for ticket_id, period in missing:
            await claim(db, channel_id, ticket_id, period, now, owner, state=BASELINE)


async def backlog_state(db: Database, channel_id: str, subscription: str) -> str | None:
    """The state of the summary of a subscription (its key, "sub:12"), None while its
    first look is to come."""
    async with db.session() as session:
        value = await session.scalar(
            select(ReminderPost.state).where(*_key(channel_id, BACKLOG, subscription))
        )
    return None if value is None else str(value)


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
    """A new leader: claims another process left are in doubt (their holder cleared), to
    be looked for in the channel before they are posted again (`in_doubt`)."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(ReminderPost)
            .where(
                ReminderPost.state == CLAIMED,
                ReminderPost.claimed_by.is_not(None),
                ReminderPost.claimed_by != owner,
            )
            .values(claimed_by=None)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def in_doubt(db: Database, channel_id: str) -> list[tuple[str, str, datetime]]:
    """This channel's claims a take-over left without a holder: (ticket, period, claim
    time); the ticket `BACKLOG` for a subscription's summary."""
    async with db.session() as session:
        rows = await session.execute(
            select(ReminderPost.ticket_id, ReminderPost.period, ReminderPost.claimed_at).where(
                ReminderPost.channel_id == channel_id,
                ReminderPost.state == CLAIMED,
                ReminderPost.claimed_by.is_(None),
            )
        )
        return [(row.ticket_id, row.period, row.claimed_at) for row in rows]


def _row(
    channel_id: str, ticket_id: str, period: str, now: datetime, owner: str | None, state: str
) -> ReminderPost:
    return ReminderPost(
        channel_id=channel_id,
        ticket_id=ticket_id,
        period=period,
        state=state,
        claimed_by=owner,
        claimed_at=now,
    )


def _key(channel_id: str, ticket_id: str, period: str) -> tuple[Any, ...]:
    return (
        ReminderPost.channel_id == channel_id,
        ReminderPost.ticket_id == ticket_id,
        ReminderPost.period == period,
    )


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
    return await delete_batched(db, ReminderPost.id, condition, batch=batch)
