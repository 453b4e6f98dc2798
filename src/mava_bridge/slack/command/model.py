"""What `/mava` text means once parsed: a frozen dataclass per subcommand, or `Usage`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import Schedule
from mava_bridge.domain.tickets import Origin, Priority, Status


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Reply:
    ticket: str
    text: str | None  # None: open the editor


@dataclass(frozen=True)
class Note:
    ticket: str
    text: str | None  # None: open the editor


@dataclass(frozen=True)
class SetStatus:
    ticket: str
    status: Status


@dataclass(frozen=True)
class SetPriority:
    ticket: str
    priority: Priority


@dataclass(frozen=True)
class SetCategory:
    """`name` as typed; the service matches it against Mava's categories."""

    ticket: str
    name: str


@dataclass(frozen=True)
class ListCategories:
    pass


@dataclass(frozen=True)
class AssignMe:
    pass


@dataclass(frozen=True)
class Unassign:
    pass


@dataclass(frozen=True)
class AssignUser:
    user_id: str  # a Slack user id (U.../W...)


AssignTarget = AssignMe | Unassign | AssignUser


@dataclass(frozen=True)
class Assign:
    ticket: str
    target: AssignTarget


@dataclass(frozen=True)
class Show:
    ticket: str


Assignee = Literal["any", "unassigned", "mine"]


@dataclass(frozen=True)
class ListTickets:
    """Empty `statuses` means "the default set", which the service decides."""

    statuses: tuple[Status, ...] = ()
    assignee: Assignee = "any"
    origins: tuple[Origin, ...] = ()
    high_only: bool = False


@dataclass(frozen=True)
class Identify:
    email: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SubscribeDigest:
    schedule: Schedule
    filters: Filters


@dataclass(frozen=True)
class SubscribeAlerts:
    filters: Filters


@dataclass(frozen=True)
class SubscribeReminders:
    wait_minutes: int
    filters: Filters


@dataclass(frozen=True)
class SubscribeBreaches:
    filters: Filters


@dataclass(frozen=True)
class SlaShow:
    pass


@dataclass(frozen=True)
class SlaSet:
    """Targets (seconds by target name) for these priorities (high, medium, low)."""

    priorities: tuple[str, ...]
    targets: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SlaHours:
    """Business hours: `start` None means always; `zone` None: the bot's time zone."""

    days: frozenset[int]
    start: time | None
    end: time | None
    zone: str | None


@dataclass(frozen=True)
class SubscribeRatings:
    values: tuple[int, ...]


@dataclass(frozen=True)
class SubscribeReport:
    schedule: Schedule
    days: int


@dataclass(frozen=True)
class ReportNow:
    days: int


@dataclass(frozen=True)
class ListSubscriptions:
    pass


@dataclass(frozen=True)
class Unsubscribe:
    id: int


@dataclass(frozen=True)
class DigestNow:
    pass


@dataclass(frozen=True)
class Follow:
    ticket: str


@dataclass(frozen=True)
class Unfollow:
    ticket: str


@dataclass(frozen=True)
class ThreadNotes:
    enabled: bool


@dataclass(frozen=True)
class Create:
    """Open the "Create Mava ticket" modal, prefilled with what was typed."""

    email: str | None
    text: str


@dataclass(frozen=True)
class Notify:
    enabled: bool


@dataclass(frozen=True)
class Usage:
    """The text could not be understood; `message` says why, how, and an example."""

    subcommand: str | None
    message: str


# Every command `parse` makes, in groups that fit a line (`get_args` lists them flat).
_Tickets = Reply | Note | SetStatus | SetPriority | SetCategory | Assign | Show | Create
_Subscribe = SubscribeDigest | SubscribeAlerts | SubscribeReminders | SubscribeBreaches
_Channel = SubscribeRatings | SubscribeReport | Unsubscribe | ListSubscriptions | DigestNow
_Others = Help | ListCategories | ListTickets | Identify | Notify | ReportNow
_Settings = ThreadNotes | SlaShow | SlaSet | SlaHours
Command = _Tickets | _Subscribe | _Channel | _Others | _Settings | Follow | Unfollow
