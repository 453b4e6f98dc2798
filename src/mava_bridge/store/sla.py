"""Response-time targets in the database: the policy (one row), the warnings and
breaches told (on the ledger, per channel, ticket, clock and level; the assignee's DM
is a row of level `dm` under their member id) and the pauses the leader's polls saw."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, select, update

from mava_bridge.store.db import Database, chunks, insert_ignore
from mava_bridge.store.ledger import BASELINE, CLAIMED, POSTED, Ledger
from mava_bridge.store.tables import SlaPause, SlaPolicy, SlaPost

POSTS: Final = Ledger(SlaPost, ("channel_id", "ticket_id", "clock", "level"))
FIRST_LOOK: Final = "first-look"
Item = tuple[str, str, str]  # ticket, clock, level


async def load_policy(db: Database) -> dict[str, Any]:
    """The stored policy ({} before anyone set one)."""
    row = await db.get(SlaPolicy, 1)
    return dict(row.policy) if row is not None else {}


async def save_policy(db: Database, policy: dict[str, Any], by: str | None, now: datetime) -> None:
    await db.upsert(SlaPolicy, ["id"], id=1, policy=policy, updated_by=by, updated_at=now)


# --- told once ------------------------------------------------------------------------


async def posted(db: Database, where: str, items: Iterable[Item]) -> set[Item]:
    """Of these items, those posted in `where` (not baseline, not a claim in flight)."""
    states = await POSTS.states(db, (where,), items)
    return {item for item, state in states.items() if state == POSTED}


async def first_looked(db: Database, where: str, subscription: str) -> bool:
    """Whether the subscription (its key, "sub:12") took its first look in `where`."""
    return await POSTS.state(db, (where, FIRST_LOOK, subscription, FIRST_LOOK)) is not None


async def record_baseline(
    db: Database,
    where: str,
    subscription: str,
    items: Iterable[Item],
    now: datetime,
    owner: str | None,
) -> None:
    """A subscription's first look: these items (past a level already) are never posted
    in `where`; a row under ticket `first-look` (no Mava id looks like it) says so."""
    rest = [*items, (FIRST_LOOK, subscription, FIRST_LOOK)]
    await POSTS.record(db, (where,), rest, BASELINE, now, claimed_by=owner)


async def told_between(db: Database, start: datetime, end: datetime) -> tuple[int, int]:
    """The warnings and breaches told in [start, end), for a report: each (ticket, clock)
    once, however many channels were told of it."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        for level in ("warning", "breach"):
            told = (
                select(SlaPost.ticket_id, SlaPost.clock)
                .where(SlaPost.level == level, SlaPost.state == POSTED)
                .where(SlaPost.posted_at >= start, SlaPost.posted_at < end)
                .distinct()
                .subquery()
            )
            counts[level] = int(await session.scalar(select(func.count()).select_from(told)) or 0)
    return counts["warning"], counts["breach"]


async def purge_posts(db: Database, before: datetime) -> int:
    """Forget what was told before `before` (a clock that old has ended long ago)."""
    return await POSTS.purge(db, before, SlaPost.state != CLAIMED)


# --- pauses -------------------------------------------------------------------------


async def lasting_pauses(db: Database, ticket_ids: Iterable[str]) -> set[str]:
    """Of these tickets, those whose pause has not ended."""
    pauses = await pauses_of(db, list(ticket_ids))
    return {ticket for ticket, spans in pauses.items() if any(end is None for _, end in spans)}


async def begin_pauses(db: Database, ticket_ids: Iterable[str], at: datetime) -> None:
    rows = [{"ticket_id": t, "started_at": at, "ended_at": None} for t in sorted(set(ticket_ids))]
    await insert_ignore(db, SlaPause, rows, ["ticket_id", "started_at"])


async def end_pauses(db: Database, ticket_ids: Iterable[str], at: datetime) -> None:
    lasting = SlaPause.ended_at.is_(None)
    await db.apply(
        *(
            update(SlaPause).where(SlaPause.ticket_id.in_(chunk), lasting).values(ended_at=at)
            for chunk in chunks(sorted(set(ticket_ids)))
        )
    )


async def pauses_of(
    db: Database, ticket_ids: Sequence[str]
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """ticket -> its pauses (from, until; None: lasting)."""
    found: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for chunk in chunks(sorted(set(ticket_ids))):
        for row in await db.scalars(select(SlaPause).where(SlaPause.ticket_id.in_(chunk))):
            found.setdefault(row.ticket_id, []).append((row.started_at, row.ended_at))
    return found


async def purge_pauses(db: Database, before: datetime) -> int:
    """Forget pauses that ended (or, never seen to end, began) before `before`."""
    ended = func.coalesce(SlaPause.ended_at, SlaPause.started_at) < before
    (count,) = await db.apply(delete(SlaPause).where(ended))
    return count
