"""The desk's messages that stand for many tickets at once: the DM that lists what
became someone's in one poll, and a new reminders subscription's backlog summary.
Both stay far below Slack's 50 blocks a message however many tickets they count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.tickets import Priority
from mava_bridge.domain.wording import duration
from mava_bridge.mava.models import Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    Block,
    LinkFor,
    chunk_lines,
    context,
    customer_name,
    fallback,
    first_message_text,
    priority_badge,
    section,
    ticket_link,
)
from mava_bridge.slack.blocks.digest import digest_item


def _tickets(count: int) -> str:
    return f"{count} ticket{'s' if count != 1 else ''}"


def assignments_message(
    shown: Sequence[Ticket], *, total: int, link: LinkFor, now: datetime
) -> list[Block]:
    """ "12 tickets were assigned to you", the `shown` ones as cards with their buttons,
    and where the rest are (App Home lists every ticket assigned to you)."""
    were = "was" if total == 1 else "were"
    blocks: list[Block] = [section(f":inbox_tray: *{_tickets(total)} {were} assigned to you*")]
    for ticket in shown:
        blocks += digest_item(ticket, link=link, now=now)
    more = total - len(shown)
    if more > 0:
        blocks.append(
            context(
                f"…and {more} more: all of them are under *Assigned to me* in this app's "
                "*Home* tab (at the top of this conversation)."
            )
        )
    return blocks


def assignments_text(total: int) -> str:
    were = "was" if total == 1 else "were"
    return fallback(f"{_tickets(total)} {were} assigned to you")


def _backlog_line(ticket: Ticket, waited: float, link: LinkFor) -> str:
    who = customer_name(ticket) or "unknown customer"
    said = first_message_text(ticket)
    label = f"{who}: {t.one_line(said)[:80]}" if said else who
    return (
        f"• {ticket_link(link(ticket.id), t.one_line(label)[:120])} · "
        f"waiting {duration(waited)} · {priority_badge(ticket)}"
    )


def listing_command(filters: Filters) -> str:
    """The `/mava tickets` command closest to `filters` (it has no category and no
    medium threshold: then it lists more)."""
    words = ["/mava tickets"]
    if filters.unassigned_only:
        words.append("unassigned")
    words += [origin.value for origin in filters.origins]
    if filters.min_priority is Priority.HIGH:
        words.append("high")
    return " ".join(words)


def backlog_message(
    longest: Sequence[tuple[Ticket, float]],
    *,
    total: int,
    wait: str,
    filters: Filters,
    link: LinkFor,
) -> list[Block]:
    """A new reminders subscription's one post about the tickets already waiting longer
    than `wait` (seconds waited per ticket in `longest`, longest first): how many, the
    longest with links, how to list them, and that only new ones are posted from now."""
    waits = "waits" if total == 1 else "wait"
    blocks = [
        section(
            f":hourglass_flowing_sand: *{_tickets(total)} already {waits} longer than {wait} "
            f"for an agent* ({t.escape_and_truncate(filters.describe(), 300)})"
        )
    ]
    lines = [_backlog_line(ticket, waited, link) for ticket, waited in longest]
    if lines:
        head = "The longest:" if len(lines) == total else f"The {len(lines)} longest:"
        blocks += [section(part) for part in chunk_lines([head, *lines])[:3]]
    blocks.append(
        context(
            f"These are not posted one by one. `{t.escape(listing_command(filters))}` lists "
            "the open ones, newest first; "
            f"from now on a ticket is posted here when its customer's wait passes {wait}."
        )
    )
    return blocks


def backlog_text(total: int, wait: str) -> str:
    waits = "waits" if total == 1 else "wait"
    return fallback(f"{_tickets(total)} already {waits} longer than {wait} for an agent")


class DeskBlocks:
    """Delivery's `DeskRenderer` (mava_bridge.delivery.ports) in Block Kit, handed to the
    desk jobs by mava_bridge.app."""

    assignments_message = staticmethod(assignments_message)
    assignments_text = staticmethod(assignments_text)
    backlog_message = staticmethod(backlog_message)
    backlog_text = staticmethod(backlog_text)
