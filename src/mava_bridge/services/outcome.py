"""Who acts and what came of it: plain values shared by every action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mava_bridge.store.writes import AuditRecord

OutcomeKind = Literal["ok", "error", "unknown", "duplicate", "refused", "unchanged"]


@dataclass(frozen=True)
class Actor:
    """The person behind an action, as plain strings (a Slack user, but no Slack types)."""

    user_id: str
    name: str | None = None  # display name; None when only the id is known (a refusal)
    email: str | None = None
    channel_id: str | None = None  # where they acted


@dataclass(frozen=True)
class Outcome:
    """What happened: its kind, the sentence for the person (plain text; the Slack
    builders escape it) and the audit record written for it (None when none was)."""

    kind: OutcomeKind
    message: str
    record: AuditRecord | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"
