"""What delivery needs from the chat it posts to, and what it understands back.

Delivery decides what to post and when (claims, watermarks, retries of a run); the
chat side builds the messages (`Renderer`) and posts them (`Poster`). Both are passed
in by the composition root (mava_bridge.app), so delivery imports no Slack code: the
Slack implementations are `mava_bridge.slack.blocks.digest.DigestRenderer` and
`mava_bridge.slack.poster.SlackPoster`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final, Protocol

from mava_bridge.domain.filters import Filters
from mava_bridge.mava.models import Message as MavaMessage
from mava_bridge.mava.models import Ticket

# One message as the chat takes it (Block Kit blocks for Slack); opaque to delivery.
Message = list[dict[str, Any]]
LinkFor = Callable[[str], str]
# What a followed ticket's card shows that the thread reports changes of: field name ->
# the value as plain words (status, priority, category, assignee).
Snapshot = dict[str, str]
# The desk's questions about people (assignment DMs). The member id for an email, None
# if nobody has it; raises if the chat failed to say.
FindMember = Callable[[str], Awaitable[str | None]]
# Whether a member may see tickets (the access rules of /mava); raises `SlackUnsure`.
MayReceive = Callable[[str], Awaitable[bool]]
# `/mava notify on|off` for a member: whether a ticket becoming theirs DMs them.
SetNotify = Callable[[str, bool], Awaitable[None]]


class SlackUnsure(Exception):
    """Slack could not say whether a member may see tickets (raised by `MayReceive`)."""


# The error of a post that never reached Slack; its detail names the host and the cause.
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
        """What a log line about it says: Slack's error, the detail (for a connection,
        the host and the cause) and whether it is tried again."""
        return {"error": self.error, "detail": self.detail, "retryable": self.retryable}

    def describe(self) -> str:
        """A sentence for `/mava subscriptions`: the error and what to do about it."""
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
    """What a post is, carried in the message (Slack's message metadata) so that a later
    look can tell whether a post whose outcome is unknown went out. `kind` and `key`
    name the ledger row ("thread", "12/<Mava message id>"); `ticket` the Mava ticket;
    `items` the rows one post tells at once (a grouped assignment DM: "ticket/generation")."""

    kind: str
    key: str
    ticket: str | None = None
    items: tuple[str, ...] = ()


# The kinds of Tag (written in delivery/in_doubt.py); slack/listeners/actions.py
# knows an alert by its kind.
THREAD: Final = "thread"
ALERT: Final = "alert"
REMINDER: Final = "reminder"
DM: Final = "dm"
SLA: Final = "sla"
RATING: Final = "rating"


class Unsure(Enum):
    """The chat could not tell whether a post is there (no scope to read, an error)."""

    UNSURE = "unsure"


UNSURE: Final = Unsure.UNSURE
# What a look answers: the post's ts, None (not there), or UNSURE.
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
        """Post and return the message's id (Slack's `ts`), or raise `DeliveryFailed`.
        `tag` goes with the message, for `Lookback.find`."""
        ...


# `/mava report`: post the report of the last `days` in a channel now; None when it
# went out, else the sentence saying why not.
PostReport = Callable[[str, int], Awaitable[str | None]]


class Uploader(Protocol):
    async def upload(
        self, channel: str, filename: str, data: bytes, title: str, *, thread_ts: str | None
    ) -> None:
        """Share a file in the channel (a thread with `thread_ts`), or raise
        `DeliveryFailed`."""
        ...


class Lookback(Protocol):
    """Whether a tagged post is in a channel (or one thread of it) already."""

    async def find(
        self, channel: str, tag: Tag, *, since: datetime, thread_ts: str | None = None
    ) -> Seen:
        """The ts of the message posted with `tag` in `channel` (in the thread at
        `thread_ts` if given; else among messages since `since`), None when it is not
        there, UNSURE when the chat could not say."""
        ...

    async def listed(self, channel: str, tag: Tag, *, since: datetime) -> dict[str, str] | Unsure:
        """The `items` of every message tagged like `tag` (its kind and key) in `channel`
        since `since`, each with its message's ts; `channel` a user id: the bot's DM
        with that person. UNSURE when the chat could not say."""
        ...


class ThreadPoster(Poster, Protocol):
    """A `Poster` that can also change a message it posted (a followed ticket's card)."""

    async def update(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """Replace the message at `ts`, or raise `DeliveryFailed`."""
        ...


class ThreadRenderer(Protocol):
    """The messages of a followed ticket's thread (pure: data in, messages out)."""

    def message(self, message: MavaMessage, *, link: str) -> tuple[str, Message]:
        """One Mava message as a thread reply: (fallback text, blocks). `link` opens the
        ticket in Mava (named where a long message is cut)."""
        ...

    def change_line(self, before: Snapshot, after: Snapshot) -> str:
        """The "what changed" reply, e.g. "Status: Open → Pending"."""
        ...

    def change_message(self, before: Snapshot, after: Snapshot) -> tuple[str, Message]:
        """`change_line` as a thread reply: (fallback text, blocks)."""
        ...

    def notice(self, text: str) -> Message:
        """A line of the bridge's own in the thread ("Resolved", "No longer following")."""
        ...

    def card(
        self,
        ticket: Ticket,
        *,
        link: LinkFor,
        now: datetime,
        followed: bool = True,
        headline: str | None = None,
    ) -> Message:
        """The thread's root: the ticket as it is now, under `headline` if given."""
        ...

    def card_text(self, ticket: Ticket) -> str: ...


class Renderer(Protocol):
    """The messages digests and alerts are made of (pure: data in, messages out)."""

    def sort_for_digest(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """The order a digest lists tickets in, one entry per ticket id."""
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
        """The channel message first, then the thread replies (no more than
        `max_messages`: the tickets after them are not drawn)."""
        ...

    def digest_thread_messages(
        self, tickets: Sequence[Ticket], *, link: LinkFor, now: datetime
    ) -> list[Message]: ...

    def more_tickets(self, more: int, dashboard: str) -> Message:
        """The last reply of a digest cut short: how many more, and where to see them."""
        ...

    def listed_tickets(self, message: Sequence[dict[str, Any]]) -> list[str]:
        """The ids of the tickets a digest message lists."""
        ...

    def digest_text(self, count: int, description: str) -> str: ...

    def digest_thread_text(self, part: int, parts: int) -> str: ...

    def alert_message(
        self, ticket: Ticket, *, link: LinkFor, now: datetime, reason: str
    ) -> Message: ...

    def alert_text(self, ticket: Ticket, reason: str) -> str: ...


class DeskRenderer(Protocol):
    """The desk's messages that stand for many tickets (pure: data in, messages out)."""

    def assignments_message(
        self, shown: Sequence[Ticket], *, total: int, link: LinkFor, now: datetime
    ) -> Message:
        """One DM for `total` tickets that became someone's: `shown` as cards, the rest
        counted and pointed to."""
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
        """A new reminders subscription's one post about the `total` tickets already
        waiting longer than `wait` among the tickets `filters` match: `longest` (seconds
        waited) with links, and how to list them."""
        ...

    def backlog_text(self, total: int, wait: str) -> str: ...
