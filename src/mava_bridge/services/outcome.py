"""Who acts, what came of it, and the one way an action is audited and made at most once.

A submission is named by an idempotency key (action, person, ticket, what identifies
the submission): the same key within the window is a duplicate delivery and writes
nothing. A definite failure releases the key (trying again is safe); an unknown outcome
(Mava may have done it) keeps it, so it is never retried blindly.

Every action is audited: a database row, then a copy through the mirror (the Slack side
posts it to AUDIT_CHANNEL), so this layer knows nothing of Slack; the row is the record,
the mirror's failure loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from mava_bridge.mava.errors import MavaError, MavaOutcomeUnknown
from mava_bridge.store.writes import AuditLog, AuditRecord, IdempotencyStore, make_key

log = logging.getLogger("mava_bridge.actions")

OutcomeKind = Literal["ok", "error", "unknown", "duplicate", "refused", "unchanged"]
DUPLICATE = "That was already submitted a moment ago, so it was not sent again."
# Shows an audit record where people read it; must not raise (the row already stands).
AuditMirror = Callable[[AuditRecord], Awaitable[None]]


class ServiceError(Exception):
    """One of our own rules (not Mava's) refused the action; `user_message` says why."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class Unchanged(ServiceError):
    """The ticket already is as asked: nothing is sent, the sentence says how it is."""


@dataclass(frozen=True)
class Actor:
    """The person behind an action, as plain strings (no Slack types)."""

    user_id: str
    name: str | None = None  # None when only the id is known (a refusal)
    email: str | None = None
    channel_id: str | None = None  # where they acted


@dataclass(frozen=True)
class Outcome:
    """What happened, the sentence for the person (plain text; the Slack builders escape
    it) and the audit record written for it."""

    kind: OutcomeKind
    message: str
    record: AuditRecord | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


class Auditor:
    def __init__(self, log_: AuditLog, mirror: AuditMirror | None = None) -> None:
        self._log = log_
        self._mirror = mirror

    async def record(
        self, actor: Actor, action: str, ticket_id: str | None, summary: str, outcome: str
    ) -> AuditRecord:
        record = AuditRecord(
            actor.user_id, actor.name, actor.channel_id, ticket_id, action, summary, outcome
        )
        await self._log.record(record)
        if self._mirror is not None:
            await self._mirror(record)
        return record

    async def refused(
        self, actor: Actor, action: str, ticket_id: str | None, *, via: str, reason: str
    ) -> Outcome:
        """Someone who may not act tried to, through `via` ("/mava", "button", ...)."""
        record = await self.record(actor, action, ticket_id, f"{via}: {reason}", "refused")
        log.info(
            "action %s refused",
            action,
            extra={"action": action, "outcome": "refused", "slack_user": actor.user_id, "via": via},
        )
        return Outcome("refused", reason, record)


class Writes:
    def __init__(self, idempotency: IdempotencyStore, auditor: Auditor) -> None:
        self._keys = idempotency
        self.auditor = auditor

    async def run(
        self,
        actor: Actor,
        action: str,
        ticket_id: str | None,
        summary: str | Callable[[], str],
        dedupe: tuple[str, ...],
        write: Callable[[], Awaitable[str]],
        *,
        repeatable: bool = False,
        recorded_ticket: Callable[[], str | None] | None = None,
    ) -> Outcome:
        """Do `write` (it returns the success sentence, or raises `Unchanged` inside the
        claim) unless the same submission (`dedupe`) already did; audit and log it.
        `repeatable`: the write only sets values, so the key guards only while it runs.
        `summary` and `recorded_ticket` may be read after the write, to name what it
        learnt (identify's customer id, a created ticket)."""
        key = make_key(action, actor.user_id, ticket_id or "", *dedupe)
        started = time.monotonic()
        kind: OutcomeKind
        if not await self._keys.claim(key):
            kind, message = "duplicate", DUPLICATE
        else:
            try:
                message = await write()
            except Unchanged as exc:
                await self._keys.release(key)
                kind, message = "unchanged", exc.user_message
            except MavaOutcomeUnknown as exc:
                await self._keys.finish(key, "unknown")
                kind, message = "unknown", exc.user_message
            except (MavaError, ServiceError) as exc:
                await self._keys.release(key)
                kind, message = "error", exc.user_message
            except BaseException:
                await self._keys.finish(key, "unknown")
                raise
            else:
                if repeatable:
                    await self._keys.release(key)
                else:
                    await self._keys.finish(key, "done")
                kind = "ok"
        log.info(
            "action %s %s",
            action,
            kind,
            extra={
                "action": action,
                "outcome": kind,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "ticket": ticket_id,
                "slack_user": actor.user_id,
                "channel": actor.channel_id,
            },
        )
        text = summary() if callable(summary) else summary
        recorded = recorded_ticket() if recorded_ticket is not None else ticket_id
        record = await self.auditor.record(actor, action, recorded, text, kind)
        return Outcome(kind, message, record)
