"""The desk's leader jobs (assignment DMs, reminders, SLA breaches) as plain values the
scheduler runs on an interval (`BotScheduler(jobs=...)`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from mava_bridge.delivery.assignment_dms import AssignmentDms
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import DeskRenderer, FindMember, MayReceive
from mava_bridge.delivery.reminders import Reminders
from mava_bridge.delivery.sla_breaches import Breaches
from mava_bridge.domain.send_window import DESK_SHARE
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.services.open_board import OpenBoard

log = logging.getLogger(__name__)

DMS_JOB: Final = "desk:assignment-dms"
REMINDERS_JOB: Final = "desk:reminders"
BREACHES_JOB: Final = "desk:sla-breaches"


@dataclass(frozen=True)
class LeaderJob:
    id: str
    name: str
    seconds: float  # its longest interval
    work: Callable[[], Awaitable[Any]]
    # The Mava requests of the read its runs work from: given, the scheduler paces the
    # job by them (delivery.pacing) within `share` of the budget; else every `seconds`.
    pages: Callable[[], int] | None = None
    share: int = DESK_SHARE

    async def run(self) -> Any:
        """One run; Mava's failure is one line naming the host and the cause (the
        scheduler logs anything else with its traceback)."""
        try:
            return await self.work()
        except MavaError as exc:
            log.warning(
                "%s: %s; trying again next interval",
                self.name,
                describe(exc),
                extra={"job": self.id},
            )
            return None


@dataclass(frozen=True)
class Desk:
    dms: AssignmentDms
    reminders: Reminders
    breaches: Breaches
    jobs: tuple[LeaderJob, ...]

    async def take_over(self) -> None:
        dms, reminders = await self.dms.take_over(), await self.reminders.take_over()
        breaches = await self.breaches.take_over()
        if dms or reminders or breaches:
            log.warning(
                "took over desk claims",
                extra={"assignment_dms": dms, "reminders": reminders, "sla": breaches},
            )


def build_desk(
    parts: DeliveryParts,
    board: OpenBoard,
    members: FindMember | None,
    messages: DeskRenderer,
    *,
    may_receive: MayReceive | None,
    pages: Callable[[], int] | None = None,
) -> Desk:
    """The desk jobs run as often as the board they read may be read (`pages`: what its
    last read took; see delivery.pacing), at most every DESK_REFRESH_SECONDS."""
    dms = AssignmentDms(parts, board, members, messages, may_receive)
    reminders = Reminders(parts, board, messages)
    breaches = Breaches(parts, board, dms)
    seconds = parts.settings.desk_refresh_seconds
    jobs = (
        LeaderJob(DMS_JOB, "assignment DMs", seconds, dms.poll_once, pages),
        LeaderJob(REMINDERS_JOB, "waiting-too-long reminders", seconds, reminders.poll_once, pages),
        LeaderJob(BREACHES_JOB, "SLA warnings and breaches", seconds, breaches.poll_once, pages),
    )
    return Desk(dms, reminders, breaches, jobs)
