"""What an assignment made from Slack tells the desk (mava_bridge.delivery.assignment_dms):
that a write is under way, then how it ended and who made it. A port, so the ticket
actions need nothing of delivery."""

from __future__ import annotations

from typing import Protocol

from mava_bridge.mava.models import Agent
from mava_bridge.services.outcome import Actor


class AssignmentWatch(Protocol):
    async def assigning(self, ticket_id: str) -> None:
        """Before the write to Mava (the poll leaves the ticket alone meanwhile)."""

    async def assigned(
        self, ticket_id: str, agent: Agent | None, *, by: Actor, to_user: str | None, ok: bool
    ) -> None:
        """After it: `to_user` is the Slack member assigned (when known); `ok` whether
        Mava took the write. Never raises."""
