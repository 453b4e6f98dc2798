"""Who each ticket is assigned to, and the one DM per assignment.

`ticket_assignees` holds the agent a ticket was last seen assigned to; each change adds
one to its `generation` under a compare-and-set, so one change is one generation
whoever sees it first (the poll on any replica, or the Slack action that made it). The
DMs are on the ledger (`store.ledger`), keyed by (ticket, generation): each assignment
is DMed at most once across replicas and restarts.

A Slack action holds the ticket (`held_until`) while it writes to Mava, so a poll that
reads the new assignee first leaves the ticket alone rather than DM without knowing who
assigned it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select, update

from mava_bridge.store.db import BATCH, Database, chunks, touched
from mava_bridge.store.ledger import CLAIMED as CLAIMED  # re-exported: the states
from mava_bridge.store.ledger import POSTED as POSTED
from mava_bridge.store.ledger import STALE_CLAIM as STALE_CLAIM
from mava_bridge.store.ledger import Ledger
from mava_bridge.store.tables import AssignmentDm, DmSetting, TicketAssignee

DMS: Final = Ledger(AssignmentDm, ("ticket_id", "generation"))
SELF: Final = "self"  # assigned by the assignee themselves: nothing to tell
OFF: Final = "off"  # the person turned assignment DMs off
NO_MEMBER: Final = "no_member"  # no Slack member has the agent's email
NOT_ALLOWED: Final = "not_allowed"  # a guest, another workspace's, off the allow-list
FAILED: Final = "failed"  # Slack refused for good (blocked the app, deactivated...)
RETRY: Final = "retry"  # Slack failed for now; tried again, at most MAX_ATTEMPTS times
GONE: Final = "gone"  # the ticket left the open set (or was reassigned) before the DM
MAX_ATTEMPTS: Final = 3


async def known(db: Database, ticket_ids: Iterable[str]) -> dict[str, TicketAssignee]:
    """ticket -> the assignee recorded (`updated_at`: when this process or another did)."""
    found: dict[str, TicketAssignee] = {}
    for chunk in chunks(list(dict.fromkeys(ticket_ids))):
        rows = await db.scalars(select(TicketAssignee).where(TicketAssignee.ticket_id.in_(chunk)))
        found.update((row.ticket_id, row) for row in rows)
    return found


async def hold(db: Database, ticket_id: str, until: datetime, now: datetime) -> None:
    """Keep the poll off this ticket until `until` (an assignment from Slack is on its way)."""
    row = {"ticket_id": ticket_id, "agent_id": None, "generation": 0, "updated_at": now}
    statement = db.insert(TicketAssignee).values(**row, held_until=until)
    await db.apply(
        statement.on_conflict_do_update(
            index_elements=[TicketAssignee.ticket_id], set_={"held_until": until}
        )
    )


async def unhold(db: Database, ticket_id: str) -> None:
    await db.apply(
        update(TicketAssignee).where(TicketAssignee.ticket_id == ticket_id).values(held_until=None)
    )


async def record(
    db: Database, ticket_id: str, agent_id: str | None, now: datetime, *, first: int = 1
) -> int | None:
    """Record that the ticket is assigned to `agent_id` (None: nobody). Returns the new
    generation if this is a change this call made, None if it was known already (or
    another process recorded it at the same time). A ticket not known yet starts at
    generation `first` (0: the baseline, nothing to tell)."""
    new = TicketAssignee(ticket_id=ticket_id, agent_id=agent_id, generation=first, updated_at=now)
    if await db.insert_new(new):
        return first
    async with db.session() as session, session.begin():
        row = await session.get(TicketAssignee, ticket_id)
        if row is None:
            return None
        if row.agent_id == agent_id:
            if row.held_until is not None:
                row.held_until = None
            return None
        old = row.generation
        result = await session.execute(
            update(TicketAssignee)
            .where(TicketAssignee.ticket_id == ticket_id, TicketAssignee.generation == old)
            .values(agent_id=agent_id, generation=old + 1, held_until=None, updated_at=now)
        )
        return old + 1 if touched(result) else None


# --- the DM ledger ----------------------------------------------------------------------


async def claim_dm(
    db: Database,
    ticket_id: str,
    generation: int,
    agent_id: str,
    now: datetime,
    *,
    owner: str | None,
    state: str = CLAIMED,
    slack_user_id: str | None = None,
) -> bool:
    """Insert the row for this assignment (state `claimed`, or a final state such as
    `self`); a `retry` row (and a stale or orphaned claim) is taken over under a
    compare-and-set. False: another process has it, or it is settled."""
    key = (ticket_id, generation)
    extra = {"agent_id": agent_id, "slack_user_id": slack_user_id, "attempts": 0}
    if await DMS.claim(db, key, now, owner, state=state, **extra):
        return True
    if state != CLAIMED:
        return False
    return (
        await DMS.reclaim(db, key, now, owner, lambda row: _again(row) or DMS.abandoned(row, now))
        is not None
    )


def _again(row: Any) -> bool:
    """A DM Slack failed for now, to be tried again."""
    return bool(row.state == RETRY and row.attempts < MAX_ATTEMPTS)


async def finish_dms(
    db: Database,
    keys: Sequence[tuple[str, int]],
    state: str,
    now: datetime,
    *,
    ts: str | None = None,
    error: str | None = None,
    slack_user_id: str | None = None,
) -> None:
    """How the claimed DM ended (posted, failed with Slack's error, retry, no_member...)
    for every (ticket, generation) one DM told, in one transaction: a crash leaves all
    of them claimed (taken over and sent again) or none."""
    values: dict[str, Any] = {"state": state, "error": error, "message_ts": ts}
    if slack_user_id is not None:
        values["slack_user_id"] = slack_user_id
    if state == POSTED:
        values["posted_at"] = now
    if state == RETRY:
        values["attempts"] = AssignmentDm.attempts + 1
    await DMS.set(db, keys, values)


async def settled(
    db: Database, keys: Iterable[tuple[str, int]], *, doubt: bool = True
) -> set[tuple[str, int]]:
    """Of these (ticket, generation) keys, the ones nothing more is to be done for. A
    claim a take-over left in doubt is not (`doubt` False: no take-overs, so a claim
    without a holder is one in flight)."""
    rows = await DMS.find(db, (), keys, "state", "attempts", "claimed_by")
    return {
        key
        for key, row in rows.items()
        if not (_again(row) or (doubt and row.state == CLAIMED and row.claimed_by is None))
    }


async def in_doubt(
    db: Database, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], datetime]:
    """Of these (ticket, generation) keys, the claims a take-over left without a holder,
    with their claim time (the DM, if it went out, is in the person's DM since then)."""
    return {key: row.claimed_at for key, row in (await DMS.in_doubt(db, (), keys)).items()}


# --- /mava notify ------------------------------------------------------------------------


async def set_notify(db: Database, user_id: str, on: bool, now: datetime) -> None:
    await db.upsert(DmSetting, ["user_id"], user_id=user_id, assignment_dms=on, updated_at=now)


async def notify_on(db: Database, user_id: str) -> bool:
    value = await db.scalar(select(DmSetting.assignment_dms).where(DmSetting.user_id == user_id))
    return True if value is None else bool(value)


async def purge_superseded_dms(db: Database, before: datetime, *, batch: int = BATCH) -> int:
    """Forget the finished DMs of generations the ticket has moved past (generations only
    go up, and the desk asks `settled` of the current one only). The current
    generation's row stays whatever its age: a ticket reopened to the same assignee is
    no new generation, and without the row it would be DMed again. Claims in flight and
    DMs still to retry stay too."""
    moved_on = (
        select(TicketAssignee.ticket_id)
        .where(
            TicketAssignee.ticket_id == AssignmentDm.ticket_id,
            TicketAssignee.generation > AssignmentDm.generation,
        )
        .exists()
    )
    finished = AssignmentDm.state.not_in((CLAIMED, RETRY))
    return await DMS.purge(db, before, moved_on, finished, batch=batch)
