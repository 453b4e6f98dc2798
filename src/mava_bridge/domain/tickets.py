"""What a ticket's status, priority and origin mean (the values Mava uses)."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final


class Status(StrEnum):
    OPEN = "Open"
    PENDING = "Pending"
    WAITING = "Waiting"
    RESOLVED = "Resolved"


class Priority(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


class Origin(StrEnum):
    WEB = "web"
    DISCORD = "discord"
    TELEGRAM = "telegram"
    TELEGRAM_GROUP = "telegram-group"
    EMAIL = "email"


# Not Resolved: what "open" means for `/mava tickets`, digests and alerts.
OPEN_STATUSES: Final = (Status.OPEN, Status.PENDING, Status.WAITING)

ORIGIN_LABELS: Final[dict[Origin, str]] = {
    Origin.WEB: "Web chat",
    Origin.DISCORD: "Discord",
    Origin.TELEGRAM: "Telegram",
    Origin.TELEGRAM_GROUP: "Telegram group",
    Origin.EMAIL: "Email",
}
