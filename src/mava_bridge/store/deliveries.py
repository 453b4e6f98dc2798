"""The kinds of channel delivery on the ledger (`store.ledger`, where the protocol is).

- Alerts: one per channel + ticket; the alert's ts is the ticket's thread.
- Digest runs: one per run key (subscription + fire time); a refused run is `failed`
  (retried within its grace), an interrupted one finished from its recorded progress.
- Thread items: one per follow + item key (a Mava message or a "what changed" line);
  `baseline` (there before the follow) and `ours` (the bridge sent them) are not posted.
- Reminders: one per channel, ticket and waiting period. A subscription's first look
  records what waits already as `baseline` and posts one summary instead, under ticket
  `backlog` and period the subscription's key: that row says the look was done.
- Ratings: one per channel + ticket; a first look records the tickets rated already as
  `baseline` (no flood of old ratings) and the row of ticket `look:<subscription key>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import aliased

from mava_bridge.store.db import BATCH, Database
from mava_bridge.store.ledger import BASELINE as BASELINE  # re-exported: the states
from mava_bridge.store.ledger import CLAIMED as CLAIMED
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import Ledger
from mava_bridge.store.tables import (
    AlertDelivery,
    DigestRun,
    FollowedTicket,
    RatingPost,
    ReminderPost,
    ThreadPost,
)

FAILED: Final = "failed"  # digest runs only
SKIPPED: Final = "skipped"  # digest runs only: empty and DIGEST_SKIP_EMPTY
OURS: Final = "ours"  # thread items the bridge sent to Mava itself
REFUSED: Final = "refused"  # thread items Slack refused for good: skipped, the thread goes on
EMPTY: Final = "empty"  # a reminders first look with nothing new to summarise: no post
BACKLOG: Final = "backlog"

ALERTS: Final = Ledger(AlertDelivery, ("channel_id", "ticket_id"))
RUNS: Final = Ledger(DigestRun, ("run_key",))
ITEMS: Final = Ledger(ThreadPost, ("follow_id", "item_key"))
REMINDERS: Final = Ledger(ReminderPost, ("channel_id", "ticket_id", "period"))
RATINGS: Final = Ledger(RatingPost, ("channel_id", "ticket_id"))


async def ticket_for_thread(db: Database, channel_id: str, thread_ts: str) -> str | None:
    """The ticket an alert message (the thread parent at `thread_ts`) was posted for;
    digest messages cover many tickets, so their threads map to none."""
    return await db.scalar(
        select(AlertDelivery.ticket_id)
        .where(
            AlertDelivery.channel_id == channel_id,
            AlertDelivery.message_ts == thread_ts,
            AlertDelivery.state == POSTED,
        )
        .limit(1)
    )


# --- digest runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestClaim:
    """A claimed run. `message_ts` set: an earlier holder posted the channel message and
    the thread replies listing `listed`, then stopped; finish it rather than repost."""

    run_key: str
    owner: str | None
    message_ts: str | None = None
    listed: frozenset[str] = frozenset()


async def claim_digest_run(
    db: Database, run_key: str, channel_id: str, now: datetime, owner: str | None = None
) -> DigestClaim | None:
    """Claim a scheduled run for `owner`. None: posted, skipped or held by a live holder;
    a failed run, a stale claim or one whose holder is gone is taken over."""
    if await RUNS.claim(db, (run_key,), now, owner, channel_id=channel_id):
        return DigestClaim(run_key, owner)
    before = await RUNS.reclaim(
        db, (run_key,), now, owner, lambda row: row.state == FAILED or RUNS.abandoned(row, now)
    )
    if before is None:
        return None
    if before.state == FAILED:  # nothing went out: start afresh
        return DigestClaim(run_key, owner)
    return DigestClaim(run_key, owner, before.message_ts, frozenset(before.listed or ()))


async def record_digest_progress(
    db: Database, claim: DigestClaim, message_ts: str, listed: Iterable[str]
) -> None:
    """After each message of a run reached Slack: its ts and every ticket listed so far,
    while `claim.owner` still holds the run."""
    holder = DigestRun.claimed_by
    held = holder.is_(None) if claim.owner is None else holder == claim.owner
    values = {"message_ts": message_ts, "listed": sorted(set(listed))}
    await RUNS.set(db, [(claim.run_key,)], values, DigestRun.state == CLAIMED, held)


async def finish_digest_run(
    db: Database,
    run_key: str,
    state: str,
    now: datetime,
    *,
    ticket_count: int = 0,
    ts: str | None = None,
) -> None:
    """Record how a run ended. `state` CLAIMED: its channel message is out but not its
    thread; the run is left without a holder, for the next attempt to finish."""
    values: dict[str, Any] = {
        "state": state,
        "ticket_count": ticket_count,
        "message_ts": ts,
        "posted_at": now if state in (POSTED, SKIPPED) else None,
    }
    if state == CLAIMED:
        values["claimed_by"] = None
    await RUNS.set(db, [(run_key,)], values)


async def take_over_claims(db: Database, owner: str) -> tuple[int, int]:
    """A new leader takes over the claims of others (only the leader claims): alert
    claims are kept in doubt, to be looked for before they go again; digest runs that
    posted nothing are dropped, for the catch-up; those whose channel message went out
    are kept in doubt, for the catch-up to finish. Returns (alert claims, digest runs)."""
    fresh = RUNS.others(owner, orphans=True) & DigestRun.message_ts.is_(None)
    alerts, dropped, started = await db.apply(
        ALERTS.taking_over(owner),
        RUNS.deleting(fresh),
        RUNS.taking_over(owner, DigestRun.message_ts.is_not(None)),
    )
    return alerts, dropped + started


# --- purges -------------------------------------------------------------------------


async def purge_ended_thread_posts(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget the items of ended follows claimed before `before`: nothing syncs an ended
    follow, and following again starts a fresh baseline (`store.follows.follow`)."""
    ended = select(FollowedTicket.id).where(FollowedTicket.active.is_(False))
    return await ITEMS.purge(db, before, ThreadPost.follow_id.in_(ended), batch=batch)


async def purge_superseded_reminders(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget the rows of waiting periods that are over: the same channel and ticket have
    a row of a later period, claimed later (an agent answered, the customer waited
    again). The latest row of each ticket stays whatever its age (an open ticket may
    wait for months in one period, and without its row it would be reminded again), and
    so do backlog rows and claims in flight."""
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
    current = (ReminderPost.ticket_id != BACKLOG) & (ReminderPost.state != CLAIMED)
    return await REMINDERS.purge(db, before, newer, current, batch=batch)


def look(subscription: str) -> str:
    """The ratings row standing for a subscription's first look ("look:sub:12")."""
    return f"look:{subscription}"


async def purge_ratings(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget rating posts (and baselines) claimed before `before`, but never a first
    look nor a claim in flight."""
    done = (RatingPost.state != CLAIMED) & RatingPost.ticket_id.not_like("look:%")
    return await RATINGS.purge(db, before, done, batch=batch)
