"""One Mava write for a person: at most once, audited, with a clear outcome.

The submission is named by an idempotency key (action, person, ticket and what
identifies the submission); the same key within the window is a duplicate delivery and
makes no second write. A definite failure releases the key (trying again is safe); an
unknown outcome (Mava may have done it) keeps it, so it is never retried blindly. A
write that finds nothing to change (`Unchanged`) sends nothing and releases the key.

Every action is audited (`Auditor`): a database row, then a mirror passed in (the Slack
side posts it to AUDIT_CHANNEL), so this layer knows nothing of Slack; the row is the
record, the mirror only a copy whose failure loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from mava_bridge.mava.errors import MavaError, MavaOutcomeUnknown
from mava_bridge.services.errors import ServiceError, Unchanged
from mava_bridge.services.outcome import Actor, Outcome, OutcomeKind
from mava_bridge.store.writes import AuditLog, AuditRecord, IdempotencyStore, make_key

log = logging.getLogger("mava_bridge.actions")

DUPLICATE = "That was already submitted a moment ago, so it was not sent again."


# Shows an audit record somewhere people read (the Slack side posts it to AUDIT_CHANNEL).
# Must not raise: the database row already stands.
AuditMirror = Callable[[AuditRecord], Awaitable[None]]


async def no_mirror(record: AuditRecord) -> None:
    """The mirror when there is none (no audit channel)."""


class Auditor:
    def __init__(self, log_: AuditLog, mirror: AuditMirror = no_mirror) -> None:
        self._log = log_
        self._mirror = mirror

    async def record(
        self,
        actor: Actor,
        action: str,
        ticket_id: str | None,
        summary: str,
        outcome: str,
    ) -> AuditRecord:
        record = AuditRecord(
            actor.user_id, actor.name, actor.channel_id, ticket_id, action, summary, outcome
        )
        await self._log.record(record)
        await self._mirror(record)
        return record

    async def refused(
        self, actor: Actor, action: str, ticket_id: str | None, *, via: str, reason: str
    ) -> Outcome:
        """A person who may not act tried to (`via` names the door: "/mava", "button",
        "shortcut", "modal"); every refused attempt leaves one audit row."""
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
        *,
        action: str,
        ticket_id: str | None,
        summary: str | Callable[[], str],
        dedupe: tuple[str, ...],
        write: Callable[[], Awaitable[str]],
        repeatable: bool = False,
        recorded_ticket: Callable[[], str | None] | None = None,
    ) -> Outcome:
        """Do `write` unless the same submission already did; audit and log the result.

        `write` returns the success sentence (plain text), or raises `Unchanged` when it
        read that Mava already is as asked (inside the claim, so a double click is still
        one write and one duplicate). `dedupe` names the
        submission: the same parts within the idempotency window count as a duplicate.
        `repeatable`: the write only sets values, so doing it again later is harmless
        and may be meant (resolve, reopen, resolve again); the key then guards only
        while it runs. `summary` may be a function, read once the write is done (so the
        record can name what the write learnt, e.g. identify's customer id).
        `recorded_ticket`: the ticket the audit record names when it is known only once
        the write is done (a ticket created by it); read like `summary`.
        """
        key = make_key(action, actor.user_id, ticket_id or "", *dedupe)
        started = time.monotonic()
        kind: OutcomeKind
        if not await self._keys.claim(key):
            kind, message = "duplicate", DUPLICATE
        else:
            try:
                message = await write()
            except Unchanged as exc:
                await self._keys.release(key)  # nothing was written
                kind, message = "unchanged", exc.user_message
            except MavaOutcomeUnknown as exc:
                await self._keys.finish(key, "unknown")
                kind, message = "unknown", exc.user_message
            except (MavaError, ServiceError) as exc:
                await self._keys.release(key)  # nothing happened: trying again is safe
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
        duration = time.monotonic() - started
        log.info(
            "action %s %s",
            action,
            kind,
            extra={
                "action": action,
                "outcome": kind,
                "duration_ms": round(duration * 1000, 1),
                "ticket": ticket_id,
                "slack_user": actor.user_id,
                "channel": actor.channel_id,
            },
        )
        text = summary() if callable(summary) else summary
        recorded = recorded_ticket() if recorded_ticket is not None else ticket_id
        record = await self.auditor.record(actor, action, recorded, text, kind)
        return Outcome(kind, message, record)
