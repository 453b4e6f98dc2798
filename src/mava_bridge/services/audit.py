"""The audit trail of actions: a database row for each, then a mirror (a Slack channel).

The mirror is passed in (`AuditMirror`), so this layer knows nothing of Slack; the
database row is the record, the mirror only a copy whose failure loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mava_bridge.services.outcome import Actor, Outcome
from mava_bridge.store.audit import AuditLog, AuditRecord

log = logging.getLogger("mava_bridge.actions")


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
