"""The desk's leader jobs (assignment DMs, waiting-too-long reminders), as plain values
the scheduler runs on an interval on the leader only (`BotScheduler(jobs=...)`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from mava_bridge.delivery.assignment_dms import AssignmentDms, Board, FindMember
from mava_bridge.delivery.parts import DeliveryParts

log = logging.getLogger(__name__)

DMS_JOB: Final = "desk:assignment-dms"
REMINDERS_JOB: Final = "desk:reminders"


@dataclass(frozen=True)
class LeaderJob:
    id: str
    name: str
    seconds: float
    work: Callable[[], Awaitable[Any]]

    async def run(self) -> Any:
        """One run; a failure is logged and the next interval tries again."""
        try:
            return await self.work()
        except Exception:
            log.exception("desk job failed; trying again next interval", extra={"job": self.id})
            return None


@dataclass(frozen=True)
class Desk:
    """The desk's delivery parts, built once by the composition root."""

    dms: AssignmentDms
    jobs: tuple[LeaderJob, ...]

    async def take_over(self) -> None:
        """On becoming the leader: DMs another process left claimed are sent again."""
        taken = await self.dms.take_over()
        if taken:
            log.warning("took over assignment DM claims", extra={"count": taken})


def build_desk(parts: DeliveryParts, board: Board, members: FindMember | None) -> Desk:
    """The desk jobs run every DESK_REFRESH_SECONDS, the age of the board they read."""
    dms = AssignmentDms(parts, board, members)
    seconds = parts.settings.desk_refresh_seconds
    return Desk(dms, (LeaderJob(DMS_JOB, "assignment DMs", seconds, dms.poll_once),))
