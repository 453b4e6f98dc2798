"""Mava ticket ids and dashboard links. Ids are MongoDB ObjectIds, whose first 8 hex
digits are the creation time: that lets us find one ticket without a fetch-one endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qs, urlsplit

OBJECT_ID = re.compile(r"\b[0-9a-fA-F]{24}\b")
_EXACT_ID = re.compile(r"^[0-9a-fA-F]{24}$")

# Where a whole id does not fit, a ticket is shown by its tail: the head of an ObjectId
# is a timestamp that tickets created in the same second share. `#` is left for
# subscription ids (`/mava unsubscribe 3`, shown as #3).
SHORT_ID_LENGTH: Final = 6
SHORT_MARK: Final = "…"
# What a person may type or copy for a shown tail: `…562460`, `...562460`, `#562460` or
# `562460` (4 to 23 of the id's last characters, any case).
_TAIL = re.compile(r"^(?:…|\.\.\.|#)?([0-9a-fA-F]{4,23})$")


class InvalidTicketRef(ValueError):
    def __init__(self, text: str) -> None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        tail = short_tail(text)
        if tail is not None and len(tail) == SHORT_ID_LENGTH:  # a short id as shown
            super().__init__(
                f"'{shown}' is the end of a ticket id, as lists show it. Give the whole "
                "24-character id or the ticket's dashboard link (the short id links to it)."
            )
            return
        super().__init__(
            f"'{shown}' is not a Mava ticket id. Use the 24-character id "
            "(e.g. 6650a1b2c3d4e5f678901234) or paste the ticket's dashboard link."
        )


def short_ref(ticket_id: str) -> str:
    return SHORT_MARK + ticket_id[-SHORT_ID_LENGTH:].lower()


def short_tail(text: str) -> str | None:
    """The id tail in a short id as typed or copied, lowercased; None for other text."""
    match = _TAIL.match(text.strip())
    return match.group(1).lower() if match else None


def ending_with(text: str, ticket_ids: Iterable[str]) -> list[str]:
    """The ids among `ticket_ids` that the short id `text` stands for (several when the
    tail is shared)."""
    tail = short_tail(text)
    if tail is None:
        return []
    return [ticket_id for ticket_id in ticket_ids if ticket_id.lower().endswith(tail)]


def is_object_id(text: str) -> bool:
    return bool(_EXACT_ID.match(text))


def created_at(object_id: str) -> datetime:
    return datetime.fromtimestamp(int(object_id[:8], 16), tz=UTC)


def parse_ticket_ref(text: str) -> str:
    """The ticket id in an id, a dashboard link (`...?id=<id>`) or a Slack-wrapped link
    (`<https://...|label>`)."""
    ref = text.strip()
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1].split("|", 1)[0].replace("&amp;", "&")  # Slack escapes & in links
    if is_object_id(ref):
        return ref.lower()
    if "://" in ref:
        try:
            parts = urlsplit(ref)
        except ValueError as exc:  # e.g. "http://[x": not a URL at all
            raise InvalidTicketRef(text) from exc
        for value in parse_qs(parts.query).get("id", []):
            if is_object_id(value):
                return value.lower()
        # e.g. a dashboard path that carries the id as a segment
        for segment in reversed(parts.path.split("/")):
            if is_object_id(segment):
                return segment.lower()
    raise InvalidTicketRef(text)


def find_ticket_ref(text: str) -> str | None:
    """The first ticket id or dashboard link found anywhere in free text, if any."""
    for token in re.split(r"\s+", text):
        try:
            return parse_ticket_ref(token.strip(".,;:()[]"))
        except InvalidTicketRef:
            continue
    match = OBJECT_ID.search(text)
    return match.group(0).lower() if match else None
