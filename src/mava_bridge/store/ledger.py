"""The delivery ledger: claim, then post, then mark, so each thing is posted once.

Every kind of delivery keeps one row per thing it posts, unique by its key: alerts
(`store.deliveries`, per channel + ticket), scheduled digests (per run key =
subscription + fire time), followed tickets' thread items (`store.thread_posts`, per
follow + item), waiting reminders (`store.reminder_posts`, per channel, ticket and
period) and assignment DMs (`store.assignments`, per ticket + generation). A kind only
states its table and key (a `Ledger`); the protocol is written here once:

1. **Claim**: insert the row with state `claimed`, naming its holder (`claimed_by`, the
   process's `Leadership.name`), and commit, BEFORE posting. The unique key means only
   one process (even two leaders at once) gets the claim; the loser skips it.
2. **Post** to Slack (`SlackPoster`: paced, 429/5xx retried).
3. **Mark** the row `posted` with the message's ts. If Slack refused the post, the
   claim is released (deleted) so the next poll tries again, or, for kinds that count
   attempts, marked for a retry (a digest run `failed`, a DM `retry`).

Only a poll's watermark moves it forward (`store.watermarks`), and it moves only at the
end of a poll, never past a ticket that is not yet `posted` or `baseline` (see
`mava_bridge.delivery.alerts`): a Mava error, a crash or a failed post leaves it
behind, and the next poll sees the ticket again. Nothing is missed.

Only the leader claims, so when a process becomes the leader (at start-up, or when the
leader before it died) every claim held by another process is a leftover, and it takes
them over at once (`Ledger.taking_over`). Such a claim is *in doubt* (state `claimed`,
no holder): its holder may have died after Slack took the post and before the mark.
Each post carries Slack message metadata naming it, so before posting an in-doubt
alert, thread item or reminder again the new leader looks for it
(`mava_bridge.delivery.in_doubt`: the channel's history since the claim, or the
thread): found, it is marked `posted` with that ts. Digest runs that got nothing out
are dropped so the catch-up posts them; a run whose channel message went out is
finished: its progress (`message_ts`, and `listed`, the tickets its messages listed,
recorded after each message) lets the catch-up post only the tickets not listed yet,
in the same thread. An in-doubt DM is sent again (as a retry).

Exactly once, where Slack lets the bot look; where a duplicate or a delay can still
happen, precisely:

- **Duplicate**: Slack could not tell (no `channels:history` / `groups:history` /
  `im:history`, an error, rate limited: logged once): the in-doubt post goes again, as
  before (never lose, may repeat). A post Slack is still working on when the new leader
  looks (Slack slower to answer than a restart or a take-over) is not there yet, and
  goes again. A digest's channel message or thread reply posted but not recorded is
  posted again (digests do not look). An assignment DM looks in the person's DM
  (`im:history`) for the rows its metadata lists. A post whose answer never came
  back to a live process (timeout, dropped connection) is retried at once by the
  poster. Two leaders at once (one cut off from the database, still posting) can also
  repeat what the cut-off one posts meanwhile.
- **Delay, no duplicate**: nothing is delayed by a crash any more than the time a new
  leader takes to lead (start-up, or `LEADER_CHECK_SECONDS` plus one poll). The
  `STALE_CLAIM` (15 minutes) release (`Ledger.stale`), at start-up and at every poll,
  remains for claims nobody took over (a database error during the take-over, or a
  claim a failed post could not release because the database was down); those are
  posted again without a look. A clean shutdown (`BotScheduler.shutdown`) lets the
  post in flight finish first (within the drain bound), so a clean restart neither
  duplicates nor delays anything.
- A digest run is only posted or finished while still within its catch-up window
  (`DIGEST_GRACE`, see `mava_bridge.delivery.scheduler`); after that the next scheduled
  run covers the same tickets. A digest whose thread replies Slack refused after its
  channel message went out counts as posted (reposting would repeat the top); the
  missing replies are named in the subscription's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Delete, Row, Update, delete, select, update

from mava_bridge.store.db import Database, insert_ignore
from mava_bridge.store.purge import BATCH, delete_batched

CLAIMED: Final = "claimed"
POSTED: Final = "posted"
BASELINE: Final = "baseline"  # known before the first look: never posted
STALE_CLAIM: Final = timedelta(minutes=15)
CHUNK: Final = 500  # keeps an IN list reasonable

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Ledger:
    """One kind of delivery: its table (with `id`, `state`, `claimed_by`, `claimed_at`
    and `posted_at`), the columns naming one delivery (its unique key, in order) and the
    column a posted message's ts goes to."""

    table: Any
    key: tuple[str, ...]
    ts: str = "message_ts"

    def column(self, name: str) -> Any:
        return getattr(self.table, name)

    def at(self, key: Key) -> list[ColumnElement[bool]]:
        """The condition naming the row of `key`."""
        return [self.column(n) == v for n, v in zip(self.key, key, strict=True)]

    # --- claim ---------------------------------------------------------------------

    async def claim(
        self, db: Database, key: Key, now: datetime, owner: str | None, **values: Any
    ) -> bool:
        """Insert the row (state `claimed` unless `values` says otherwise) held by `owner`;
        False if the key has one already."""
        values.setdefault("state", CLAIMED)
        row = self.table(
            **dict(zip(self.key, key, strict=True)), claimed_by=owner, claimed_at=now, **values
        )
        return await db.insert_new(row)

    async def reclaim(
        self,
        db: Database,
        key: Key,
        now: datetime,
        owner: str | None,
        may: Callable[[Any], bool],
    ) -> Any | None:
        """Take over the existing row of `key` if `may(row)` (a claim whose holder is
        gone, a failed run, a DM to retry): compare-and-set on its state and claim time,
        so of two takers one wins. Returns the row as it was before, None if not taken."""
        async with db.session() as session, session.begin():
            row = await session.scalar(select(self.table).where(*self.at(key)))
            if row is None or not may(row):
                return None
            result = await session.execute(
                update(self.table)
                .where(
                    *self.at(key),
                    self.column("state") == row.state,
                    self.column("claimed_at") == row.claimed_at,
                )
                .values(state=CLAIMED, claimed_by=owner, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        return row if touched(result) else None

    def abandoned(self, row: Any, now: datetime) -> bool:
        """A claim whose holder is gone (taken over) or that went stale."""
        return bool(
            row.state == CLAIMED and (row.claimed_by is None or row.claimed_at < now - STALE_CLAIM)
        )

    async def record(
        self, db: Database, keys: Iterable[Key], state: str, now: datetime, **values: Any
    ) -> None:
        """Record deliveries as known without posting them (`baseline`, `ours`); rows
        already there are left as they are."""
        rows = [
            {**dict(zip(self.key, key, strict=True)), "state": state, "claimed_at": now, **values}
            for key in dict.fromkeys(keys)
        ]
        await insert_ignore(db, self.table, rows, list(self.key))

    # --- read ----------------------------------------------------------------------

    async def find(
        self,
        db: Database,
        scope: Key,
        among: Iterable[Any] | None,
        *columns: str,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> dict[Any, Row[Any]]:
        """The rows of `scope` (values of the first key columns) whose rest of the key is
        `among` (None: any): rest -> row of `columns`. The rest is one value when one key
        column is left, else a tuple."""
        rest = self.key[len(scope) :]
        wanted = None if among is None else list(dict.fromkeys(among))
        conditions = [*self.at_scope(scope), *where]
        selected = select(*(self.column(n) for n in (*rest, *columns)))
        found: dict[Any, Row[Any]] = {}
        async with db.session() as session:
            if wanted is None:
                chunks: list[list[Any] | None] = [None]
            else:
                firsts = list(dict.fromkeys(w if len(rest) == 1 else w[0] for w in wanted))
                chunks = [firsts[i : i + CHUNK] for i in range(0, len(firsts), CHUNK)]
            for chunk in chunks:
                statement = selected.where(*conditions)
                if chunk is not None:
                    statement = statement.where(self.column(rest[0]).in_(chunk))
                for row in await session.execute(statement):
                    found[row[0] if len(rest) == 1 else tuple(row[: len(rest)])] = row
        if wanted is None:
            return found
        return {w: found[w] for w in wanted if w in found}

    def at_scope(self, scope: Key) -> list[ColumnElement[bool]]:
        return [self.column(n) == v for n, v in zip(self.key, scope, strict=False)]

    async def states(self, db: Database, scope: Key, among: Iterable[Any]) -> dict[Any, str]:
        """Of these deliveries in `scope`, the state of each that has a row."""
        rows = await self.find(db, scope, among, "state")
        return {rest: row.state for rest, row in rows.items()}

    async def in_doubt(
        self, db: Database, scope: Key, among: Iterable[Any] | None, *columns: str
    ) -> dict[Any, Row[Any]]:
        """The claims in `scope` a take-over left without a holder (`among` them, or
        all): rest of the key -> row of `claimed_at` and `columns`."""
        where = [self.column("state") == CLAIMED, self.column("claimed_by").is_(None)]
        return await self.find(db, scope, among, "claimed_at", *columns, where=where)

    # --- mark, release -----------------------------------------------------------------

    async def mark_posted(self, db: Database, key: Key, ts: str, now: datetime) -> None:
        await self.set(db, [key], {"state": POSTED, self.ts: ts, "posted_at": now})

    async def set(
        self,
        db: Database,
        keys: Sequence[Key],
        values: Mapping[str, Any],
        *where: ColumnElement[bool],
    ) -> None:
        """Set `values` on the rows of `keys` (and `where`), in one transaction."""
        await apply(
            db, *(update(self.table).where(*self.at(k), *where).values(values) for k in keys)
        )

    async def release(self, db: Database, key: Key) -> None:
        """Drop a claim whose post was refused, so the next poll tries again."""
        await apply(db, delete(self.table).where(*self.at(key), self.column("state") == CLAIMED))

    # --- taking over, going stale, purging ---------------------------------------------------

    def others(self, owner: str, *, orphans: bool = False) -> ColumnElement[bool]:
        """Claims another process holds (with `orphans`, and those nobody holds)."""
        holder = self.column("claimed_by")
        if orphans:
            other = (holder != owner) | holder.is_(None)
        else:
            other = holder.is_not(None) & (holder != owner)
        return (self.column("state") == CLAIMED) & other  # type: ignore[no-any-return]

    def taking_over(
        self,
        owner: str,
        *where: ColumnElement[bool],
        orphans: bool = False,
        values: Mapping[str, Any] | None = None,
    ) -> Update:
        """A new leader's statement: the claims of others become in doubt (no holder),
        or take `values`."""
        return (
            update(self.table)
            .where(self.others(owner, orphans=orphans), *where)
            .values(dict(values) if values is not None else {"claimed_by": None})
        )

    def stale(self, now: datetime) -> Delete:
        """The claims older than STALE_CLAIM, released."""
        return self.deleting(
            (self.column("state") == CLAIMED) & (self.column("claimed_at") < now - STALE_CLAIM)
        )

    def deleting(self, condition: ColumnElement[bool]) -> Delete:
        return delete(self.table).where(condition)

    async def take_over(self, db: Database, owner: str) -> int:
        """Every claim another process holds put in doubt; how many."""
        (count,) = await apply(db, self.taking_over(owner))
        return count

    async def release_stale(self, db: Database, now: datetime) -> int:
        (count,) = await apply(db, self.stale(now))
        return count

    async def purge(
        self, db: Database, condition: ColumnElement[bool], *, batch: int = BATCH
    ) -> int:
        """Forget the rows matching `condition`, a batch at a time."""
        return await delete_batched(db, self.column("id"), condition, batch=batch)


async def apply(db: Database, *statements: Update | Delete) -> list[int]:
    """Run these statements in one transaction; how many rows each touched."""
    async with db.session() as session, session.begin():
        return [touched(await session.execute(statement)) for statement in statements]


def touched(result: Any) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return int(getattr(result, "rowcount", 0) or 0)
