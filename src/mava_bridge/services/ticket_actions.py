"""What people do to tickets: each action once, audited, answered with an `Outcome`.

Checks that need no write (an unknown category, an agent nobody matches) raise
`ServiceError` before anything is claimed. `submission` names one Slack submission (a
modal's view, a button's message); without it the content names it, and actions that
only set a value are repeatable. Status changes, Resolve and "Assign to me" read the
ticket first: one already so is answered "already ..." with nothing written, so a
stale card's button says how the ticket is now.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.errors import MavaError, MavaOutcomeUnknown
from mava_bridge.mava.models import Agent, Attachment, MessageType, Priority, Status, Ticket
from mava_bridge.services.outcome import Actor, Outcome, ServiceError, Unchanged, Writes
from mava_bridge.services.tickets import MESSAGE_LIMIT, TicketService, match_category, too_long
from mava_bridge.store.db import Database, utcnow
from mava_bridge.store.writes import (
    bridge_message_sent,
    forget_bridge_message,
    record_bridge_message,
)

log = logging.getLogger("mava_bridge.actions")
T = TypeVar("T")


class AssignmentWatch(Protocol):
    """The desk's port (delivery.assignment_dms): told before an assignment's write (the
    poll leaves the ticket alone meanwhile) and after it, with who made it, the Slack
    member assigned when known and whether Mava took it. `assigned` never raises."""

    async def assigning(self, ticket_id: str) -> None: ...

    async def assigned(
        self, ticket_id: str, agent: Agent | None, *, by: Actor, to_user: str | None, ok: bool
    ) -> None: ...


@dataclass(frozen=True)
class Assignee:
    """Someone to assign a ticket to, matched to a Mava agent by email."""

    name: str
    email: str | None
    is_bot: bool = False
    user_id: str | None = None  # their Slack member id, for the assignment DM


class TicketActions:
    def __init__(
        self,
        mava: MavaClient,
        tickets: TicketService,
        writes: Writes,
        watch: AssignmentWatch | None,
        *,
        db: Database | None,
    ) -> None:
        self.mava = mava
        self.tickets = tickets
        self._writes = writes
        self.watch = watch
        # Where the bridge's own replies and notes are recorded, so a followed ticket's
        # thread does not echo them back (delivery.threads); None: nowhere.
        self._db = db

    async def reply(
        self, actor: Actor, ticket_id: str, text: str, *, submission: str | None = None
    ) -> Outcome:
        async def write() -> str:
            check_length(required(text))
            await send_message(self.mava, self._db, ticket_id, text, MessageType.EXTERNAL)
            return f"Sent to the customer on ticket {ticket_id}."

        dedupe = (submission if submission is not None else text,)
        return await self._writes.run(actor, "reply", ticket_id, text, dedupe, write)

    async def note(
        self,
        actor: Actor,
        ticket_id: str,
        text: str,
        *,
        source: str = "",
        submission: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Outcome:
        """A private note signed with the actor's name; `source` names where it came from
        (the Slack message a shortcut was used on)."""

        async def write() -> str:
            body = note_body(text, author=actor.name or actor.user_id, source=source)
            await send_message(
                self.mava, self._db, ticket_id, body, MessageType.INTERNAL_NOTE, attachments
            )
            return f"Private note added to ticket {ticket_id}."

        dedupe = (submission if submission is not None else text,)
        return await self._writes.run(actor, "note", ticket_id, text, dedupe, write)

    async def _current(self, ticket_id: str) -> Ticket | None:
        """The ticket as Mava has it now; None if it cannot be read (the write is then
        made as asked and tells its own failure)."""
        try:
            return await self.tickets.ticket(ticket_id)
        except MavaError as exc:
            log.warning(
                "ticket not read before the write; writing as asked (%s)",
                type(exc).__name__,
                extra={"ticket": ticket_id, "error": type(exc).__name__},
            )
            return None

    async def set_status(self, actor: Actor, ticket_id: str, status: Status) -> Outcome:
        write = self._status_write(ticket_id, status, f"Ticket {ticket_id} is now {status.value}.")
        summary = f"status -> {status.value}"
        return await self._writes.run(
            actor, "status", ticket_id, summary, (status.value,), write, repeatable=True
        )

    async def resolve(self, actor: Actor, ticket_id: str, *, submission: str) -> Outcome:
        """The Resolve button: once per message it is on."""
        write = self._status_write(ticket_id, Status.RESOLVED, f"Ticket {ticket_id} resolved.")
        summary = "status -> Resolved"
        return await self._writes.run(actor, "resolve", ticket_id, summary, (submission,), write)

    def _status_write(
        self, ticket_id: str, status: Status, done: str
    ) -> Callable[[], Awaitable[str]]:
        async def write() -> str:
            ticket = await self._current(ticket_id)
            if ticket is not None and ticket.status == status:
                word = status.value.lower()
                raise Unchanged(f"Ticket {ticket_id} is already {word}; nothing was changed.")
            await self.mava.update_ticket(ticket_id, status=status)
            return done

        return write

    def _update(
        self, actor: Actor, ticket_id: str, action: str, summary: str, done: str, **change: Any
    ) -> Awaitable[Outcome]:
        """A repeatable write of `change` (update_ticket's arguments), deduplicated by it."""

        async def write() -> str:
            await self.mava.update_ticket(ticket_id, **change)
            return done

        dedupe = tuple(str(value) if value is not None else "none" for value in change.values())
        return self._writes.run(actor, action, ticket_id, summary, dedupe, write, repeatable=True)

    async def set_priority(self, actor: Actor, ticket_id: str, priority: Priority) -> Outcome:
        label = Priority(priority).label
        done = f"Ticket {ticket_id} now has {label} priority."
        return await self._update(
            actor, ticket_id, "priority", f"priority -> {label}", done, priority=priority
        )

    async def set_category(self, actor: Actor, ticket_id: str, name: str) -> Outcome:
        # Matched before the claim, so a typo is answered without a write.
        category = match_category(name, await self.tickets.categories(fresh=True))
        done = f"Ticket {ticket_id} is now in category {category.name}."
        summary = f"category -> {category.name}"
        return await self._update(
            actor, ticket_id, "category", summary, done, category_id=category.id
        )

    async def assign(self, actor: Actor, ticket_id: str, assignee: Assignee | None) -> Outcome:
        """Assign to the Mava agent with `assignee`'s email, or to nobody (None)."""
        agent = None
        done = f"Ticket {ticket_id} is now unassigned."
        who = "nobody"
        if assignee is not None:
            if assignee.is_bot:
                raise ServiceError("Bots can't be assigned tickets.")
            agent = await self.tickets.agent_for_email(assignee.email, who=assignee.name)
            who = agent.display_name
            done = f"Ticket {ticket_id} is now assigned to {who}."
        to = agent.id if agent else None
        return await self._watched(
            actor,
            ticket_id,
            agent,
            assignee.user_id if assignee else None,
            lambda: self._update(
                actor, ticket_id, "assign", f"assign -> {who}", done, assigned_to=to
            ),
        )

    async def take(self, actor: Actor, ticket_id: str, *, submission: str) -> Outcome:
        """The "Assign to me" button: once per message it is on."""
        agent = await self.tickets.agent_for_email(actor.email, who="You")

        async def write() -> str:
            ticket = await self._current(ticket_id)
            before = ticket.assigned_to if ticket is not None else None
            if before is not None and before.id == agent.id:
                raise Unchanged(
                    f"Ticket {ticket_id} is already assigned to you; nothing was changed."
                )
            await self.mava.update_ticket(ticket_id, assigned_to=agent.id)
            done = f"Ticket {ticket_id} assigned to {agent.display_name}"
            if before is None:
                return f"{done}."
            return f"{done} (it was assigned to {before.name or 'another agent'})."

        summary = f"assign -> {agent.display_name}"
        return await self._watched(
            actor,
            ticket_id,
            agent,
            actor.user_id,
            lambda: self._writes.run(actor, "assign", ticket_id, summary, (submission,), write),
        )

    async def _watched(
        self,
        actor: Actor,
        ticket_id: str,
        agent: Agent | None,
        to_user: str | None,
        run: Callable[[], Awaitable[Outcome]],
    ) -> Outcome:
        """Run an assignment's write, telling `watch` before and after it."""
        if self.watch is None:
            return await run()
        await self.watch.assigning(ticket_id)
        ok = False
        try:
            outcome = await run()
            ok = outcome.ok
            return outcome
        finally:
            await self.watch.assigned(ticket_id, agent, by=actor, to_user=to_user, ok=ok)


def check_length(text: str, *, note: bool = False) -> None:
    if len(text) > MESSAGE_LIMIT:
        raise ServiceError(str(too_long(text, note=note)))


def required(text: str) -> str:
    if not text or not text.strip():
        raise ServiceError("The message is empty: write the text to send.")
    return text


def note_body(text: str, *, author: str, source: str = "") -> str:
    """A private note as Mava stores it: signed, with the line naming its `source`."""
    body = f"Note from {author} via Slack: {required(text)}"
    if source:
        body += f"\n\n{source}"
    check_length(body, note=True)
    return body


async def send_message(
    mava: MavaClient,
    db: Database | None,
    ticket_id: str,
    content: str,
    message_type: MessageType,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Send, recorded as the bridge's own BEFORE the request (a thread sync reading the
    ticket meanwhile must know it), with Mava's message id after; a refused message is
    forgotten. A record that fails never fails the send."""
    record = None
    if db is not None:
        record = await _quietly(
            record_bridge_message(
                db, ticket_id=ticket_id, mava_message_id=None, content=content, now=utcnow()
            )
        )
    try:
        answer = await mava.send_message(
            ticket_id, content, message_type=message_type, attachments=attachments
        )
    except MavaError as exc:
        if db is not None and record is not None and not isinstance(exc, MavaOutcomeUnknown):
            await _quietly(forget_bridge_message(db, record))
        raise
    if db is not None and record is not None:
        await _quietly(bridge_message_sent(db, record, _message_id(answer)))


async def _quietly(step: Awaitable[T]) -> T | None:
    """A store write about the bridge's own message: its failure is only logged."""
    try:
        return await step
    except SQLAlchemyError as exc:
        log.warning(
            "could not record the bridge's own message", extra={"error": type(exc).__name__}
        )
        return None


def _message_id(answer: Any) -> str | None:
    """The id of the message `PUT /api/message` created (`{message: {_id}}`), if given."""
    message = answer.get("message") if isinstance(answer, dict) else None
    found = message.get("_id") if isinstance(message, dict) else None
    return found if isinstance(found, str) and found else None
