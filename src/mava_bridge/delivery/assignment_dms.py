"""A DM when a ticket becomes yours: once per assignment, across replicas and restarts.

An assignment is seen from Slack (`/mava assign`, Assign to me: the action holds the
ticket while it writes to Mava, then records who did it; assigning yourself sends
nothing) or from the dashboard, by the leader's poll of the open board: an assignee
other than the one recorded is a new assignment. The first poll only records what is
assigned (no flood at install); a snapshot older than what Slack recorded is not taken
for a change.

One DM per person per poll: each assignment (ticket generation) is claimed on its own
row, told together ("12 tickets were assigned to you", the first `CARDS_PER_DM` as
cards) and marked together. After a crash the next leader reads the person's DM since
the claim (each DM lists its assignments in its metadata, delivery.in_doubt) and sends
only what no DM told. People are told side by side, so one backlog never holds up
another's DM. A refusal for good (blocked app, deactivated) is recorded `failed`,
never retried; a transient one is tried again by the next polls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery import in_doubt
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import (
    DeliveryFailed,
    DeskRenderer,
    FindMember,
    MayReceive,
    SlackUnsure,
)
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.mava.models import Agent, Ticket
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.outcome import Actor
from mava_bridge.store import assignments as store
from mava_bridge.store.ledger import load_watermarks, save_watermark

log = logging.getLogger(__name__)

BASELINE_KEY: Final = "desk:assignments"
HOLD: Final = timedelta(minutes=2)  # longer than a Mava write with its retries
AGENTS_TTL: Final = 300.0
REASON: Final = "Assigned to you"
CARDS_PER_DM: Final = 5  # a grouped DM's cards (2 blocks each, far below Slack's 50)
PEOPLE_AT_ONCE: Final = 8  # DMs to different people sent side by side


@dataclass
class DmReport:
    tickets: int = 0
    baselined: int = 0
    changes: int = 0
    sent: int = 0  # assignments told
    recovered: int = 0  # a dead leader's DM found in Slack: recorded, not sent again
    dms: int = 0  # messages posted (one per person per poll)
    skipped: int = 0  # off, no Slack member, held, claimed elsewhere
    failed: int = 0


@dataclass(frozen=True)
class Due:
    """One assignment (a ticket's generation) to tell; `ticket` as the board read it."""

    ticket_id: str
    generation: int
    ticket: Ticket | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.ticket_id, self.generation)


class AssignmentDms:
    def __init__(
        self,
        parts: DeliveryParts,
        board: OpenBoard,
        members: FindMember | None,
        messages: DeskRenderer,
        may_receive: MayReceive | None,  # slack.access.receives_dms; None: everyone may
    ) -> None:
        self.parts = parts
        self.board = board
        self.messages = messages
        self._members = members
        self.may_receive = may_receive
        self._agents: tuple[float, dict[str, Agent]] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # From Slack (services.ticket_actions).
    async def assigning(self, ticket_id: str) -> None:
        now = self.parts.clock()
        try:
            await store.hold(self.parts.db, ticket_id, now + HOLD, now)
        except SQLAlchemyError:
            log.exception("assignment hold not recorded", extra={"ticket": ticket_id})

    async def assigned(
        self, ticket_id: str, agent: Agent | None, *, by: Actor, to_user: str | None, ok: bool
    ) -> None:
        """After the write: `ok` False (refused, unknown, duplicate) only lifts the hold,
        and the poll decides what Mava holds."""
        db, now = self.parts.db, self.parts.clock()
        try:
            if not ok:
                await store.unhold(db, ticket_id)
                return
            generation = await store.record(db, ticket_id, agent.id if agent else None, now)
            if generation is None or agent is None:
                return
            if to_user is not None and to_user == by.user_id:
                await store.claim_dm(
                    db,
                    ticket_id,
                    generation,
                    agent.id,
                    now,
                    owner=self.parts.owner,
                    state=store.SELF,
                    slack_user_id=to_user,
                )
                return
        except SQLAlchemyError:
            log.exception("assignment from Slack not recorded", extra={"ticket": ticket_id})
            return
        due = [Due(ticket_id, generation, None)]
        task = asyncio.create_task(self._send(agent.id, due, to_user, DmReport()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def set_notify(self, user_id: str, on: bool) -> None:
        await store.set_notify(self.parts.db, user_id, on, self.parts.clock())

    async def drain(self) -> None:
        """Wait for DMs sent on behalf of Slack actions (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def poll_once(self, *, max_age: float | None = None) -> DmReport:
        """`max_age` as for the board (None: the refresh interval)."""
        report = DmReport()
        with background():
            snapshot = await self.board.snapshot(max_age=max_age)
            tickets, read_at = snapshot.tickets, snapshot.read_at
            db, now = self.parts.db, self.parts.clock()
            first = not await load_watermarks(db, [BASELINE_KEY])
            known = await store.known(db, (t.id for t in tickets))
            current: list[tuple[str, Due]] = []  # (agent, assignment)
            report.tickets = len(tickets)
            for ticket in tickets:
                agent = ticket.assigned_to.id if ticket.assigned_to else None
                row = known.get(ticket.id)
                if row is not None and row.held_until is not None and row.held_until > now:
                    report.skipped += 1
                    continue
                generation: int | None = row.generation if row else None
                if row is None and agent is not None:
                    generation = await store.record(
                        db, ticket.id, agent, now, first=0 if first else 1
                    )
                    report.baselined += first
                    report.changes += not first and generation is not None
                elif row is not None and row.agent_id != agent and row.updated_at <= read_at:
                    generation = await store.record(db, ticket.id, agent, now)
                    report.changes += generation is not None
                elif row is not None and row.agent_id != agent:
                    continue  # Slack recorded something newer than this snapshot
                if generation and agent is not None:
                    current.append((agent, Due(ticket.id, generation, ticket)))
            await save_watermark(db, BASELINE_KEY, now, now)
            doubt = self.parts.owner is not None
            done = await store.settled(db, (due.key for _, due in current), doubt=doubt)
            people: dict[str, list[Due]] = {}
            for agent_id, due in current:
                if due.key not in done:
                    people.setdefault(agent_id, []).append(due)
            await self._tell(people, report)
        if report.sent or report.failed or report.changes:
            log.info("assignment DMs", extra={"report": report})
        return report

    async def take_over(self) -> int:
        return await store.DMS.take_over(self.parts.db, self.parts.owner or "")

    async def _tell(self, people: dict[str, list[Due]], report: DmReport) -> None:
        gate = asyncio.Semaphore(PEOPLE_AT_ONCE)

        async def one(agent_id: str, due: list[Due]) -> None:
            async with gate:
                try:
                    await self._send(agent_id, due, None, report)
                except Exception:
                    log.exception(
                        "assignment DMs of one agent failed; the next poll tries again",
                        extra={"agent": agent_id, "tickets": len(due)},
                    )
                    report.failed += len(due)

        await asyncio.gather(*(one(agent_id, due) for agent_id, due in people.items()))

    async def _send(
        self, agent_id: str, due: list[Due], user_id: str | None, report: DmReport
    ) -> None:
        """Claim each assignment, post one DM for those claimed, mark them all."""
        db, now = self.parts.db, self.parts.clock()
        keys = [item.key for item in due]
        doubt = await store.in_doubt(db, keys) if self.parts.owner is not None else {}
        recovered = 0
        claimed = [
            item
            for item in due
            if await store.claim_dm(
                db, item.ticket_id, item.generation, agent_id, now, owner=self.parts.owner
            )
        ]
        if not claimed:
            report.skipped += len(due)
            return
        state, ts, error = store.RETRY, None, None
        first = claimed[0].ticket_id
        try:
            user_id = user_id or await self.member_for(agent_id)
            if user_id is None:
                state = store.NO_MEMBER
            elif self.may_receive is not None and not await self.may_receive(user_id):
                state = store.NOT_ALLOWED  # no ticket to someone who may not see it
            elif not await store.notify_on(db, user_id):
                state = store.OFF
            else:
                keys = [item.key for item in claimed]
                found = await in_doubt.settle_dm_claims(self.parts, user_id, keys, doubt)
                recovered = len(found)
                claimed = [item for item in claimed if item.key not in found]
                ts = await self._post(user_id, claimed, now) if claimed else None
                state = store.POSTED
        except DeliveryFailed as failure:
            state = store.RETRY if failure.retryable else store.FAILED
            error = failure.error[:200]
            log.warning(
                "assignment DM not sent",
                extra={
                    "ticket": first,
                    "tickets": len(claimed),
                    "user": user_id,
                    **failure.log_fields(),
                },
            )
        except (MavaError, LookupFailed, SlackUnsure) as exc:
            error = describe(exc) if isinstance(exc, MavaError) else type(exc).__name__
            log.warning(
                "assignment DM waits: the ticket or the Slack member could not be read",
                extra={"ticket": first, "tickets": len(claimed), "error": error},
            )
        try:
            await store.finish_dms(
                db,
                [item.key for item in claimed],
                state,
                self.parts.clock(),
                ts=ts,
                error=error,
                slack_user_id=user_id,
            )
        except SQLAlchemyError:
            log.exception("assignment DM outcome not recorded", extra={"ticket": first})
        told = len(claimed)
        report.skipped += len(due) - told - recovered
        report.recovered += recovered
        if state == store.POSTED and told:
            report.sent += told
            report.dms += 1
        elif state in (store.FAILED, store.RETRY):
            report.failed += told
        else:
            report.skipped += told

    async def _post(self, user_id: str, claimed: list[Due], now: datetime) -> str:
        """One ticket: its card, as an alert shows it. More: how many, the first
        CARDS_PER_DM (highest priority, oldest first) as cards."""
        parts = self.parts
        tag = in_doubt.dm_tag(user_id, [item.key for item in claimed])
        if len(claimed) == 1:
            with background():
                ticket = claimed[0].ticket or await parts.mava.get_ticket(claimed[0].ticket_id)
            return await parts.poster.post(
                user_id,
                parts.renderer.alert_text(ticket, REASON),
                parts.renderer.alert_message(ticket, link=parts.link, now=now, reason=REASON),
                tag=tag,
            )
        read = parts.renderer.sort_for_digest([i.ticket for i in claimed if i.ticket])
        shown = read[:CARDS_PER_DM]
        with background():
            for item in claimed:  # assigned from Slack: not read yet
                if len(shown) >= CARDS_PER_DM:
                    break
                if item.ticket is None:
                    shown.append(await parts.mava.get_ticket(item.ticket_id))
        total = len(claimed)
        return await parts.poster.post(
            user_id,
            self.messages.assignments_text(total),
            self.messages.assignments_message(shown, total=total, link=parts.link, now=now),
            tag=tag,
        )

    async def member_for(self, agent_id: str) -> str | None:
        agent = (await self._agent_map()).get(agent_id)
        if agent is None or not agent.email or self._members is None:
            log.info(
                "assignment DM: the agent has no email Slack could match",
                extra={"agent": agent_id},
            )
            return None
        try:
            found = await self._members(agent.email)
        except Exception as exc:
            raise LookupFailed(type(exc).__name__) from exc
        if found is None:  # the email is not logged: it is personal data
            log.info(
                "assignment DM: no Slack member has the agent's email", extra={"agent": agent_id}
            )
        return found

    async def _agent_map(self) -> dict[str, Agent]:
        now = time.monotonic()
        if self._agents is None or now - self._agents[0] > AGENTS_TTL:
            with background():
                agents = await self.parts.mava.list_agents()
            self._agents = (now, {a.id: a for a in agents})
        return self._agents[1]


class LookupFailed(Exception):
    """Slack could not say who has an email (not: nobody has it)."""
