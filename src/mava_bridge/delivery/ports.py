"""What delivery needs from the chat, and what it understands back. Delivery imports
no Slack code (the layers): mava_bridge.app passes in the Slack side's poster and
renderers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final, Protocol

from mava_bridge.domain.filters import Filters
from mava_bridge.mava.models import Message as MavaMessage
from mava_bridge.mava.models import Ticket

# One message as the chat takes it (Block Kit blocks); opaque to delivery.
Message = list[dict[str, Any]]
LinkFor = Callable[[str], str]
# A followed ticket's card fields whose changes the thread reports, as plain words.
Snapshot = dict[str, str]
# The member id for an email, None if nobody has it; raises if the chat failed to say.
FindMember = Callable[[str], Awaitable[str | None]]
# Whether a member may see tickets (the access rules of /mava); raises `SlackUnsure`.
MayReceive = Callable[[str], Awaitable[bool]]
# `/mava notify on|off` for a member: whether a ticket becoming theirs DMs them.
SetNotify = Callable[[str, bool], Awaitable[None]]


class SlackUnsure(Exception):
    """Slack could not say whether a member may see tickets."""


# A post that never reached Slack; its detail names the host and the cause.
CONNECTION_ERROR: Final = "connection_error"


class DeliveryFailed(Exception):
    """A post the chat did not accept. `retryable`: trying again later may work;
    `channel_unusable`: no post to this channel can succeed until someone acts;
    `hint`: what to do about it, for `describe`."""

    def __init__(
        self,
        error: str,
        retryable: bool,
        detail: str | None = None,
        *,
        channel_unusable: bool = False,
        hint: str | None = None,
    ) -> None:
        self.error = error
        self.retryable = retryable
        self.detail = detail
        self.channel_unusable = channel_unusable
        self.hint = hint
        super().__init__(f"{error}{f' ({detail})' if detail else ''}")

    def log_fields(self) -> dict[str, object]:
        return {"error": self.error, "detail": self.detail, "retryable": self.retryable}

    def describe(self) -> str:
        """A sentence for `/mava subscriptions`."""
        if self.error == CONNECTION_ERROR and self.detail:
            return f"Slack could not be reached: {self.detail} (will retry)"
        text = f"Slack refused the post: {self.error}"
        if self.hint:
            text += f" ({self.hint})"
        elif self.retryable:
            text += " (will retry)"
        return text


@dataclass(frozen=True)
class Tag:
    """What a post is, carried in its metadata so a later look can tell whether a post
    whose outcome is unknown went out. `kind` and `key` name the ledger row; `items`
    the rows one post tells at once (a grouped assignment DM: "ticket/generation")."""

    kind: str
    key: str
    ticket: str | None = None
    items: tuple[str, ...] = ()


# The kinds of Tag (slack/listeners/actions.py knows an alert by its kind).
THREAD: Final = "thread"
ALERT: Final = "alert"
REMINDER: Final = "reminder"
DM: Final = "dm"
SLA: Final = "sla"
RATING: Final = "rating"


class Unsure(Enum):
    UNSURE = "unsure"


UNSURE: Final = Unsure.UNSURE
# What a look answers: the post's ts, None (not there), or UNSURE (the chat could not say).
Seen = str | None | Unsure


class Poster(Protocol):
    async def post(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        tag: Tag | None = None,
    ) -> str:
        """The message's ts, or raise `DeliveryFailed`; `tag` goes with it (`Chat.find`)."""
        ...


# `/mava report`: post the report of the last `days` in a channel now; None when it
# went out, else the sentence saying why not.
PostReport = Callable[[str, int], Awaitable[str | None]]


class Chat(Poster, Protocol):
    """The whole chat: a `Poster` that also edits, uploads and looks for tagged posts
    (the preview's poster only posts). Each raises `DeliveryFailed`."""

    async def update(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None: ...

    async def upload(
        self, channel: str, filename: str, data: bytes, title: str, *, thread_ts: str | None
    ) -> None: ...

    async def find(
        self, channel: str, tag: Tag, *, since: datetime, thread_ts: str | None = None
    ) -> Seen:
        """The ts of the post tagged `tag` in `channel` (the thread at `thread_ts`, else
        since `since`), None when not there."""
        ...

    async def listed(self, channel: str, tag: Tag, *, since: datetime) -> dict[str, str] | Unsure:
        """The `items` of every post tagged like `tag` since `since`, each with its ts;
        `channel` a user id: the bot's DM with that person."""
        ...


class ThreadRenderer(Protocol):
    """A followed ticket's thread messages (pure: data in, messages out)."""

    def message(self, message: MavaMessage, *, link: str) -> tuple[str, Message]:
        """A Mava message as a reply: (fallback text, blocks); `link` where it is cut."""
        ...

    def change_message(self, before: Snapshot, after: Snapshot) -> tuple[str, Message]: ...

    def notice(self, text: str) -> Message: ...

    def card(
        self, ticket: Ticket, *, link: LinkFor, now: datetime, headline: str | None = None
    ) -> Message: ...

    def card_text(self, ticket: Ticket) -> str: ...


class Renderer(Protocol):
    """Digest and alert messages (pure: data in, messages out)."""

    def sort_for_digest(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """The digest's order, one entry per ticket id."""
        ...

    def digest_messages(
        self,
        tickets: Sequence[Ticket],
        *,
        link: LinkFor,
        now: datetime,
        description: str,
        tz_name: str,
        max_messages: int | None = None,
    ) -> list[Message]:
        """The channel message, then the thread replies (tickets past `max_messages`
        messages are not drawn)."""
        ...

    def digest_thread_messages(
        self, tickets: Sequence[Ticket], *, link: LinkFor, now: datetime
    ) -> list[Message]: ...

    def more_tickets(self, more: int, dashboard: str) -> Message: ...

    def listed_tickets(self, message: Sequence[dict[str, Any]]) -> list[str]: ...

    def digest_text(self, count: int, description: str) -> str: ...

    def digest_thread_text(self, part: int, parts: int) -> str: ...

    def alert_message(
        self, ticket: Ticket, *, link: LinkFor, now: datetime, reason: str
    ) -> Message: ...

    def alert_text(self, ticket: Ticket, reason: str) -> str: ...


class DeskRenderer(Protocol):
    """The desk's messages about many tickets (pure: data in, messages out)."""

    def assignments_message(
        self, shown: Sequence[Ticket], *, total: int, link: LinkFor, now: datetime
    ) -> Message:
        """One DM for `total` new assignments: `shown` as cards, the rest counted."""
        ...

    def assignments_text(self, total: int) -> str: ...

    def backlog_message(
        self,
        longest: Sequence[tuple[Ticket, float]],
        *,
        total: int,
        wait: str,
        filters: Filters,
        link: LinkFor,
    ) -> Message:
        """A new reminders subscription's one post about the `total` tickets waiting
        longer than `wait` already: the `longest` (seconds waited) and how to list them."""
        ...

    def backlog_text(self, total: int, wait: str) -> str: ...
