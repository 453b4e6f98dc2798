"""Ticket references: Mava ticket ids and dashboard links.

Mava ids are MongoDB ObjectIds: 24 hex digits whose first 8 are the creation time in
Unix seconds. That is what lets us find one ticket without a fetch-one endpoint.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

OBJECT_ID = re.compile(r"\b[0-9a-fA-F]{24}\b")
_EXACT_ID = re.compile(r"^[0-9a-fA-F]{24}$")


class InvalidTicketRef(ValueError):
    """The text is neither a ticket id nor a dashboard link holding one."""

    def __init__(self, text: str) -> None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        super().__init__(
            f"'{shown}' is not a Mava ticket id. Use the 24-character id "
            "(e.g. 6650a1b2c3d4e5f678901234) or paste the ticket's dashboard link."
        )


def is_object_id(text: str) -> bool:
    return bool(_EXACT_ID.match(text))


def created_at(object_id: str) -> datetime:
    """The creation time encoded in an ObjectId."""
    return datetime.fromtimestamp(int(object_id[:8], 16), tz=UTC)


def parse_ticket_ref(text: str) -> str:
    """Return the ticket id in an id, a dashboard link, or a Slack-wrapped link.

    Slack sends links as `<https://...|label>`; Mava's dashboard opens a ticket at
    `.../dashboard/ticket?id=<id>`.
    """
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
