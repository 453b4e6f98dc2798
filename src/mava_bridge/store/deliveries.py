"""What alerts and scheduled digests posted to channels: two kinds of the delivery
ledger (`mava_bridge.store.ledger`, where the protocol and its guarantees are).

Alerts (`alert_deliveries`) are unique per channel + ticket: the alert's ts is the
ticket's thread (`ticket_for_thread`). If Slack refused the post, the claim is
released, so the next poll retries it. Digest runs (`digest_runs`) are unique per run
key (subscription + scheduled fire time); a refused run is marked `failed` (retried
while within its grace if the failure was transient), and a run interrupted after its
channel message went out is finished from its recorded progress.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.ledger import BASELINE as BASELINE  # re-exported: the states
from mava_bridge.store.ledger import CLAIMED as CLAIMED
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import Ledger, apply
from mava_bridge.store.tables import AlertDelivery, DigestRun

FAILED: Final = "failed"  # digest runs only
SKIPPED: Final = "skipped"  # digest runs only: empty and DIGEST_SKIP_EMPTY

ALERTS: Final = Ledger(AlertDelivery, ("channel_id", "ticket_id"))
RUNS: Final = Ledger(DigestRun, ("run_key",))


# --- alerts ---------------------------------------------------------------------------


async def record_baseline(
    db: Database, channel_id: str, ticket_ids: Iterable[str], now: datetime
) -> None:
    """Mark tickets as known in this channel without posting them (ignores existing rows)."""
    keys = ((channel_id, ticket_id) for ticket_id in ticket_ids)
    await ALERTS.record(db, keys, BASELINE, now, reason=BASELINE)


async def ticket_for_thread(db: Database, channel_id: str, thread_ts: str) -> str | None:
    """The ticket an alert message (the thread parent at `thread_ts`) was posted for.

    Digest messages cover many tickets, so their threads map to none.
    """
    async with db.session() as session:
        return await session.scalar(
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
    """Claim a scheduled run for `owner`. A run already posted, skipped or claimed by a
    live holder gives None; a failed run, a stale claim or one whose holder is gone
    (`claimed_by` cleared by `take_over_claims`) is taken over."""
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
    """After each message of a run reached Slack: its ts and every ticket listed so far.
    Only while `claim.owner` still holds the run."""
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
    """Record how a run ended. `state` CLAIMED: its channel message is out but the thread
    could not be finished now; the run is left without a holder, to be finished by the
    next attempt (a retry, or the catch-up at start-up)."""
    values: dict[str, Any] = {
        "state": state,
        "ticket_count": ticket_count,
        "message_ts": ts,
        "posted_at": now if state in (POSTED, SKIPPED) else None,
    }
    if state == CLAIMED:
        values["claimed_by"] = None
    await RUNS.set(db, [(run_key,)], values)


# --- taking over from a process that is gone -------------------------------------------


async def take_over_claims(db: Database, owner: str) -> tuple[int, int]:
    """Called by a process that has just become the leader: every claim held by another
    process is a leftover of a leader that died (only the leader claims). Alert claims
    are kept, their holder cleared: in doubt, each is looked for in Slack by the next
    poll before it is posted (mava_bridge.delivery.in_doubt); digest
    runs that posted nothing are dropped, so the catch-up posts them; runs that got their
    channel message out are kept, their holder cleared, so the catch-up finishes their
    thread. Returns (alert claims, digest runs) taken over."""
    fresh = RUNS.others(owner, orphans=True) & DigestRun.message_ts.is_(None)
    alerts, dropped, started = await apply(
        db,
        ALERTS.taking_over(owner),
        RUNS.deleting(fresh),
        RUNS.taking_over(owner, DigestRun.message_ts.is_not(None)),
    )
    return alerts, dropped + started
