"""Reading a page of `GET /api/tickets` one ticket at a time.

The page's envelope (`count`, `pagination`, a `tickets` list) must be readable, or the
whole answer is a `MavaProtocolError`. Each ticket is then read on its own: one that
cannot be understood even leniently (see `mava.models`) is skipped, so one odd ticket
never blocks the rest. A skipped ticket is logged once per ticket id with what was
wrong (field path and error type, never its content), and reported to `on_unreadable`
every time it is skipped (for a metric). The page names each skipped ticket that has an
id, with what was wrong in a few words (`TicketPage.unreadable`), so a look-up by id can
say "found, but unreadable" rather than "not found".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from mava_bridge.mava import errors
from mava_bridge.mava.models import Ticket, TicketPage

log = logging.getLogger(__name__)

# Ticket ids already logged as unreadable; bounded so a flood cannot grow it forever.
_MAX_REMEMBERED = 10_000


class TicketPageReader:
    """Reads ticket pages; remembers which unreadable tickets it has already logged."""

    def __init__(self, on_unreadable: Callable[[], None] | None = None) -> None:
        self._on_unreadable = on_unreadable
        self._logged: set[str] = set()

    def read(self, data: dict[str, Any]) -> TicketPage:
        items = data.get("tickets")
        if not isinstance(items, list):
            raise errors.MavaProtocolError()
        try:  # the envelope with its unknown fields kept; the tickets one by one below
            envelope = TicketPage.model_validate({**data, "tickets": []})
        except ValidationError as exc:
            raise errors.MavaProtocolError() from exc
        tickets: list[Ticket] = []
        skipped = 0
        unreadable: dict[str, str] = {}
        for position, item in enumerate(items):
            try:
                tickets.append(Ticket.model_validate(item))
            except ValidationError as exc:
                skipped += 1
                self._unreadable(item, position, exc)
                if (ticket_id := _ticket_id(item)) is not None:
                    unreadable[ticket_id] = summary(exc)
        return envelope.model_copy(
            update={"tickets": tickets, "skipped": skipped, "unreadable": unreadable}
        )

    def _unreadable(self, item: Any, position: int, exc: ValidationError) -> None:
        if self._on_unreadable is not None:
            self._on_unreadable()
        ticket_id = _ticket_id(item)
        key = ticket_id or f"#{position}"
        if key in self._logged:
            return
        if len(self._logged) >= _MAX_REMEMBERED:
            self._logged.clear()
        self._logged.add(key)
        log.warning(
            "Mava ticket unreadable; skipped (the rest of the page is used)",
            extra={
                "ticket_id": ticket_id or f"(no _id, position {position} on the page)",
                "problems": problems(exc),
            },
        )


def problems(exc: ValidationError) -> str:
    """`field.path: error_type` for each error, without the values that caused them."""
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in error["loc"]) or "(ticket)"
        found.append(f"{path}: {error['type']}")
    return "; ".join(dict.fromkeys(found))


def summary(exc: ValidationError) -> str:
    """What was wrong in a few words for a user, e.g. "priority in an unexpected shape"."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "the ticket"
        missing = error["type"] == "missing" and len(error["loc"]) == 1
        fields.setdefault(field, "missing" if missing else "in an unexpected shape")
    return ", ".join(f"{field} {what}" for field, what in fields.items())


def _ticket_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("_id")
        if isinstance(value, str) and value:
            return value[:64]
    return None
