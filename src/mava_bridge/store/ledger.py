"""The delivery ledger: claim, post, mark, so each thing is posted once. Each kind of
delivery is a `Ledger` (its table and unique key): `store.deliveries`,
`store.assignments.DMS`, `store.sla.POSTS`; the protocol is written here once.

1. Claim: insert the row (`claimed`, held by this process's `Leadership.name`) and
   commit BEFORE posting: of two processes, even two leaders, one wins the unique key.
2. Post to Slack (`SlackPoster`: paced, 429/5xx retried).
3. Mark it `posted` with the ts. Refused: the claim is released for the next poll, or
   kept for a retry by kinds that count attempts (a run `failed`, a DM `retry`).

A poll's watermark (how far it has seen: `save_watermark`) moves only forward, at the
end of a poll, never past a ticket not yet `posted` or `baseline`: nothing is missed.

Only the leader claims, so a new leader puts every other process's claim in doubt (no
holder): it may have died between Slack's answer and the mark. Each post carries
metadata naming it, so the new leader looks for it (`delivery.in_doubt`) and marks it
if found. Digest runs that got nothing out are dropped for the catch-up; a run whose
channel message went out is finished from its progress (`message_ts`, `listed`).

What remains:
- Duplicate: Slack could not tell (no history scope, an error, rate limited: logged
  once), a post still in flight at Slack when the new leader looked, a digest message
  posted but not recorded (digests do not look), two leaders at once (one cut off from
  the database).
- Delay: a crash delays nothing longer than a new leader takes to lead. STALE_CLAIM
  releases claims nobody took over (posted again without a look). A clean shutdown
  lets the post in flight finish.
- A digest run is posted or finished only within DIGEST_GRACE (`delivery.scheduler`);
  after it, the next run covers the same tickets. A digest whose thread replies Slack
  refused after the top went out counts as posted, the rest named in its outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Delete, Row, Update, and_, delete, select, update

from mava_bridge.store.db import BATCH, Database, chunks, delete_batched, insert_ignore, touched
from mava_bridge.store.tables import PollWatermark

CLAIMED: Final = "claimed"
POSTED: Final = "posted"
BASELINE: Final = "baseline"  # known before the first look: never posted
STALE_CLAIM: Final = timedelta(minutes=15)

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Ledger:
    """One kind of delivery: its table (`id`, `state` and `tables.LedgerColumns`) and
    the columns of its unique key, in order. A `scope` is a key's first values; the rest
    of a key is one value when one column is left, else a tuple."""

    table: Any
    key: tuple[str, ...]

    def column(self, name: str) -> Any:
        return getattr(self.table, name)

    def at(self, key: Key) -> list[ColumnElement[bool]]:
        """The condition naming the rows of `key` (or of a scope: its first values)."""
        return [self.column(n) == v for n, v in zip(self.key, key, strict=False)]

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
        """Take over the row of `key` if `may(row)`, under a compare-and-set on its state
        and claim time (of two takers one wins); the row as it was, None if not taken."""
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
        self,
        db: Database,
        scope: Key,
        among: Iterable[Any],
        state: str,
        now: datetime,
        **values: Any,
    ) -> None:
        """Record these deliveries of `scope` as known without posting them (`baseline`,
        `ours`); rows already there are left as they are."""
        keys = [(*scope, *(r if isinstance(r, tuple) else (r,))) for r in dict.fromkeys(among)]
        rows = [
            {**dict(zip(self.key, key, strict=True)), "state": state, "claimed_at": now, **values}
            for key in keys
        ]
        await insert_ignore(db, self.table, rows, list(self.key))

    async def find(
        self,
        db: Database,
        scope: Key,
        among: Iterable[Any] | None,
        *columns: str,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> dict[Any, Row[Any]]:
        """The rows of `scope` whose rest of the key is `among` (None: any): rest -> row
        of the rest and `columns`."""
        rest = self.key[len(scope) :]
        wanted = None if among is None else list(dict.fromkeys(among))
        statement = select(*(self.column(n) for n in (*rest, *columns)))
        statement = statement.where(*self.at(scope), *where)
        found: dict[Any, Row[Any]] = {}
        async with db.session() as session:
            if wanted is None:
                statements = [statement]
            else:
                firsts = list(dict.fromkeys(w if len(rest) == 1 else w[0] for w in wanted))
                statements = [statement.where(self.column(rest[0]).in_(c)) for c in chunks(firsts)]
            for chunk in statements:
                for row in await session.execute(chunk):
                    found[row[0] if len(rest) == 1 else tuple(row[: len(rest)])] = row
        if wanted is None:
            return found
        return {w: found[w] for w in wanted if w in found}

    async def states(self, db: Database, scope: Key, among: Iterable[Any]) -> dict[Any, str]:
        """Of these deliveries in `scope`, the state of each that has a row."""
        rows = await self.find(db, scope, among, "state")
        return {rest: row.state for rest, row in rows.items()}

    async def known(self, db: Database, scope: Key, among: Iterable[Any]) -> set[Any]:
        """Of these deliveries in `scope`, those with a row, in any state."""
        return set(await self.states(db, scope, among))

    async def state(self, db: Database, key: Key) -> str | None:
        """The state of one delivery, None without a row."""
        return (await self.states(db, key[:-1], [key[-1]])).get(key[-1])

    async def in_doubt(
        self, db: Database, scope: Key, among: Iterable[Any] | None, *columns: str
    ) -> dict[Any, Row[Any]]:
        """The claims in `scope` a take-over left without a holder (`among` them, or
        all): rest of the key -> row of `claimed_at` and `columns`."""
        where = [self.column("state") == CLAIMED, self.column("claimed_by").is_(None)]
        return await self.find(db, scope, among, "claimed_at", *columns, where=where)

    async def mark_posted(self, db: Database, key: Key, ts: str, now: datetime) -> None:
        await self.set(db, [key], {"state": POSTED, "message_ts": ts, "posted_at": now})

    async def set(
        self,
        db: Database,
        keys: Sequence[Key],
        values: Mapping[str, Any],
        *where: ColumnElement[bool],
    ) -> None:
        """Set `values` on the rows of `keys` (and `where`), in one transaction."""
        await db.apply(
            *(update(self.table).where(*self.at(k), *where).values(values) for k in keys)
        )

    async def release(self, db: Database, key: Key) -> None:
        """Drop a claim whose post was refused, so the next poll tries again."""
        await db.apply(delete(self.table).where(*self.at(key), self.column("state") == CLAIMED))

    def others(self, owner: str, *, orphans: bool = False) -> ColumnElement[bool]:
        """Claims another process holds (with `orphans`, and those nobody holds)."""
        holder = self.column("claimed_by")
        if orphans:
            other = (holder != owner) | holder.is_(None)
        else:
            other = holder.is_not(None) & (holder != owner)
        return (self.column("state") == CLAIMED) & other  # type: ignore[no-any-return]

    def taking_over(self, owner: str, *where: ColumnElement[bool]) -> Update:
        """A new leader's statement: the claims of others become in doubt (no holder)."""
        return update(self.table).where(self.others(owner), *where).values({"claimed_by": None})

    def deleting(self, condition: ColumnElement[bool]) -> Delete:
        return delete(self.table).where(condition)

    async def take_over(self, db: Database, owner: str) -> int:
        """Every claim another process holds put in doubt; how many."""
        (count,) = await db.apply(self.taking_over(owner))
        return count

    async def release_stale(self, db: Database, now: datetime) -> int:
        """Drop the claims older than STALE_CLAIM; how many."""
        old = (self.column("state") == CLAIMED) & (self.column("claimed_at") < now - STALE_CLAIM)
        (count,) = await db.apply(self.deleting(old))
        return count

    async def purge(
        self, db: Database, before: datetime, *where: ColumnElement[bool], batch: int = BATCH
    ) -> int:
        """Forget the rows claimed before `before` (and matching `where`); how many."""
        old = and_(self.column("claimed_at") < before, *where)
        return await delete_batched(db, self.column("id"), old, batch=batch)


async def load_watermarks(db: Database, keys: Iterable[str]) -> dict[str, datetime]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await db.scalars(select(PollWatermark).where(PollWatermark.query_key.in_(wanted)))
    return {row.query_key: row.seen_until for row in rows}


async def save_watermark(db: Database, key: str, seen_until: datetime, now: datetime) -> None:
    statement = db.insert(PollWatermark).values(
        query_key=key, seen_until=seen_until, updated_at=now
    )
    await db.apply(
        statement.on_conflict_do_update(
            index_elements=["query_key"],
            set_={"seen_until": seen_until, "updated_at": now},
            where=PollWatermark.seen_until < seen_until,  # never backwards
        )
    )
