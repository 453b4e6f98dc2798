"""The delivery ledger: claim, then post, then mark, so each ticket is posted once.

Alerts (`alert_deliveries`, unique per channel + ticket) and scheduled digests
(`digest_runs`, unique per run key = subscription + scheduled fire time) follow the
same protocol:

1. **Claim**: insert the row with state `claimed` and commit, BEFORE posting. The
   unique key means only one process (even two leaders at once) gets the claim; the
   loser skips the ticket (and leaves its poll watermark where it was).
2. **Post** to Slack (`SlackPoster`: paced, 429/5xx retried).
3. **Mark** the row `posted` with the message `ts` (alerts: that ts is the ticket's
   thread, see `ticket_for_thread`). If Slack refused the post, an alert's claim is
   deleted instead, so the next poll retries it; a digest run is marked `failed`
   (retried while within its grace if the failure was transient). Either way the
   outcome is recorded on the subscription.

Only the watermark moves a poll forward, and it moves only at the end of a poll, never
past a ticket that is not yet `posted` or `baseline` (see `mava_bridge.delivery.alerts`): a
Mava error, a crash or a failed post leaves it behind, and the next poll sees the
ticket again. Nothing is missed.

Every claim names its holder (`claimed_by`, the process's `Leadership.name`). Only the
leader claims, so when a process becomes the leader (at start-up, or when the leader
before it died) every claim held by another process is a leftover, and it takes them
over at once (`take_over_claims`). Such a claim is *in doubt*: its holder may have died
after Slack took the post and before the mark. Each post carries Slack message
metadata naming it, so before posting an in-doubt alert (a thread item, a reminder)
again the new leader looks for it (`mava_bridge.delivery.in_doubt`: the channel's
history since the claim, or the thread): found, it is marked `posted` with that ts.
Digest runs that got nothing out are dropped so the catch-up posts them; a run whose
channel message went out is finished: its progress (`message_ts`, and `listed`, the
tickets its messages listed, recorded after each message) lets the catch-up post only
the tickets not listed yet, in the same thread.

Exactly once, where Slack lets the bot look; where a duplicate or a delay can still
happen, precisely:

- **Duplicate**: Slack could not tell (no `channels:history` / `groups:history` /
  `im:history`, an error, rate limited: logged once): the in-doubt post goes again,
  as before (never lose, may repeat). A post Slack is still working on when the new leader looks
  (Slack slower to answer than a restart or a take-over) is not there yet, and goes
  again. A digest's channel message or thread reply posted but not recorded is
  posted again (digests do not look). An assignment DM looks in the person's DM
  (`im:history`) for the rows its metadata lists. A post whose answer never came
  back to a live process (timeout, dropped connection) is retried at once by the
  poster. Two leaders at once (one cut off from the database, still posting) can also
  repeat what the cut-off one posts meanwhile.
- **Delay, no duplicate**: nothing is delayed by a crash any more than the time a new
  leader takes to lead (start-up, or `LEADER_CHECK_SECONDS` plus one poll). The
  `STALE_CLAIM` (15 minutes) release, at start-up and at every poll, remains for
  claims nobody took over (a database error during the take-over, or a claim a
  failed post could not release because the database was down); those are posted
  again without a look. A clean shutdown (`BotScheduler.shutdown`) lets the post in
  flight finish first (within the drain bound), so a clean restart neither
  duplicates nor delays anything.
- A digest run is only posted or finished while still within its catch-up window
  (`DIGEST_GRACE`, see `mava_bridge.delivery.scheduler`); after that the next scheduled
  run covers the same tickets. A digest whose thread replies Slack refused after its
  channel message went out counts as posted (reposting would repeat the top); the
  missing replies are named in the subscription's outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mava_bridge.store.db import Database
from mava_bridge.store.tables import AlertDelivery, DigestRun

STALE_CLAIM: Final = timedelta(minutes=15)

CLAIMED: Final = "claimed"
POSTED: Final = "posted"
BASELINE: Final = "baseline"  # matched when the subscription first polled: never posted
FAILED: Final = "failed"  # digest runs only
SKIPPED: Final = "skipped"  # digest runs only: empty and DIGEST_SKIP_EMPTY


# --- alerts ---------------------------------------------------------------------------


async def delivered_states(
    db: Database, channel_id: str, ticket_ids: Iterable[str]
) -> dict[str, str]:
    """ticket id -> state of the ledger rows of these tickets in this channel."""
    wanted = list(dict.fromkeys(ticket_ids))
    found: dict[str, str] = {}
    async with db.session() as session:
        for start in range(0, len(wanted), 500):  # keep the IN list reasonable
            chunk = wanted[start : start + 500]
            rows = await session.execute(
                select(AlertDelivery.ticket_id, AlertDelivery.state).where(
                    AlertDelivery.channel_id == channel_id, AlertDelivery.ticket_id.in_(chunk)
                )
            )
            found.update({row.ticket_id: row.state for row in rows})
    return found


async def claim_alert(
    db: Database,
    channel_id: str,
    ticket_id: str,
    reason: str,
    now: datetime,
    owner: str | None = None,
) -> bool:
    """Insert the `claimed` row (held by `owner`); False if this channel already has one
    for the ticket."""
    return await db.insert_new(
        AlertDelivery(
            channel_id=channel_id,
            ticket_id=ticket_id,
            reason=reason,
            state=CLAIMED,
            claimed_at=now,
            claimed_by=owner,
        )
    )


async def mark_alert_posted(
    db: Database, channel_id: str, ticket_id: str, ts: str, now: datetime
) -> None:
    async with db.session() as session, session.begin():
        await session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.channel_id == channel_id, AlertDelivery.ticket_id == ticket_id)
            .values(state=POSTED, message_ts=ts, posted_at=now)
        )


async def release_alert(db: Database, channel_id: str, ticket_id: str) -> None:
    """Drop a claim whose post failed, so the next poll tries again."""
    async with db.session() as session, session.begin():
        await session.execute(
            delete(AlertDelivery).where(
                AlertDelivery.channel_id == channel_id,
                AlertDelivery.ticket_id == ticket_id,
                AlertDelivery.state == CLAIMED,
            )
        )


async def record_baseline(
    db: Database, channel_id: str, ticket_ids: Iterable[str], now: datetime
) -> None:
    """Mark tickets as known in this channel without posting them (ignores existing rows)."""
    rows = [
        {
            "channel_id": channel_id,
            "ticket_id": ticket_id,
            "reason": BASELINE,
            "state": BASELINE,
            "claimed_at": now,
        }
        for ticket_id in dict.fromkeys(ticket_ids)
    ]
    if rows:
        await _insert_ignore(db, AlertDelivery, rows, ["channel_id", "ticket_id"])


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


async def release_stale_alert_claims(db: Database, now: datetime) -> int:
    """Delete `claimed` rows older than STALE_CLAIM; returns how many."""
    return await _release_stale(db, AlertDelivery, now)


async def _release_stale(
    db: Database, table: type[AlertDelivery] | type[DigestRun], now: datetime
) -> int:
    async with db.session() as session, session.begin():
        result = await session.execute(
            delete(table).where(table.state == CLAIMED, table.claimed_at < now - STALE_CLAIM)
        )
    return _rows(result)


def _rows(result: Any) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


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
    if await db.insert_new(
        DigestRun(
            run_key=run_key,
            channel_id=channel_id,
            state=CLAIMED,
            claimed_at=now,
            claimed_by=owner,
        )
    ):
        return DigestClaim(run_key, owner)
    async with db.session() as session, session.begin():
        existing = await session.scalar(select(DigestRun).where(DigestRun.run_key == run_key))
        if existing is None:
            return None  # deleted meanwhile; the next fire will tell
        takeover = existing.state == FAILED or (
            existing.state == CLAIMED
            and (existing.claimed_by is None or existing.claimed_at < now - STALE_CLAIM)
        )
        if not takeover:
            return None
        # Compare-and-set on the old claim time: of two takers, one wins.
        result = await session.execute(
            update(DigestRun)
            .where(
                DigestRun.run_key == run_key,
                DigestRun.state == existing.state,
                DigestRun.claimed_at == existing.claimed_at,
            )
            .values(state=CLAIMED, claimed_at=now, claimed_by=owner)
        )
        if not _rows(result):
            return None
        if existing.state == FAILED:  # nothing went out: start afresh
            return DigestClaim(run_key, owner)
        return DigestClaim(run_key, owner, existing.message_ts, frozenset(existing.listed or ()))


async def record_digest_progress(
    db: Database, claim: DigestClaim, message_ts: str, listed: Iterable[str]
) -> None:
    """After each message of a run reached Slack: its ts and every ticket listed so far.
    Only while `claim.owner` still holds the run."""
    async with db.session() as session, session.begin():
        await session.execute(
            update(DigestRun)
            .where(
                DigestRun.run_key == claim.run_key,
                DigestRun.state == CLAIMED,
                _held_by(DigestRun.claimed_by, claim.owner),
            )
            .values(message_ts=message_ts, listed=sorted(set(listed)))
        )


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
    async with db.session() as session, session.begin():
        await session.execute(update(DigestRun).where(DigestRun.run_key == run_key).values(values))


async def release_stale_digest_claims(db: Database, now: datetime) -> int:
    """Delete `claimed` runs older than STALE_CLAIM; returns how many."""
    return await _release_stale(db, DigestRun, now)


# --- taking over from a process that is gone -------------------------------------------


async def take_over_claims(db: Database, owner: str) -> tuple[int, int]:
    """Called by a process that has just become the leader: every claim held by another
    process is a leftover of a leader that died (only the leader claims). Alert claims
    are kept, their holder cleared: in doubt, each is looked for in Slack by the next
    poll before it is posted (`alerts_in_doubt`, mava_bridge.delivery.in_doubt); digest
    runs that posted nothing are dropped, so the catch-up posts them; runs that got their
    channel message out are kept, their holder cleared, so the catch-up finishes their
    thread. Returns (alert claims, digest runs) taken over."""
    async with db.session() as session, session.begin():
        alerts = await session.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.state == CLAIMED,
                AlertDelivery.claimed_by.is_not(None),
                AlertDelivery.claimed_by != owner,
            )
            .values(claimed_by=None)
        )
        others = (DigestRun.state == CLAIMED) & _not_held_by(DigestRun.claimed_by, owner)
        fresh = await session.execute(
            delete(DigestRun).where(others, DigestRun.message_ts.is_(None))
        )
        started = await session.execute(
            update(DigestRun)
            .where(others, DigestRun.message_ts.is_not(None), DigestRun.claimed_by.is_not(None))
            .values(claimed_by=None)
        )
    return _rows(alerts), _rows(fresh) + _rows(started)


async def alerts_in_doubt(
    db: Database, channel_id: str, ticket_ids: Iterable[str]
) -> dict[str, tuple[str, datetime]]:
    """Of these tickets, the alert claims a take-over left without a holder in this
    channel: ticket id -> (reason, claim time)."""
    wanted = list(dict.fromkeys(ticket_ids))
    found: dict[str, tuple[str, datetime]] = {}
    async with db.session() as session:
        for start in range(0, len(wanted), 500):
            rows = await session.execute(
                select(
                    AlertDelivery.ticket_id, AlertDelivery.reason, AlertDelivery.claimed_at
                ).where(
                    AlertDelivery.channel_id == channel_id,
                    AlertDelivery.state == CLAIMED,
                    AlertDelivery.claimed_by.is_(None),
                    AlertDelivery.ticket_id.in_(wanted[start : start + 500]),
                )
            )
            found.update({row.ticket_id: (row.reason, row.claimed_at) for row in rows})
    return found


def _not_held_by(column: Any, owner: str) -> Any:
    return (column != owner) | column.is_(None)


def _held_by(column: Any, owner: str | None) -> Any:
    return column.is_(None) if owner is None else column == owner


# --- helpers ---------------------------------------------------------------------------------


async def _insert_ignore(
    db: Database, table: Any, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    insert = sqlite_insert if db.is_sqlite else pg_insert
    async with db.session() as session, session.begin():
        for start in range(0, len(rows), 500):
            statement = insert(table).values(rows[start : start + 500])
            await session.execute(statement.on_conflict_do_nothing(index_elements=keys))
