"""The daily digest and new-ticket alerts.

Each ticket is an "item": a section (`ticket:{id}`), an optional state line
(`state:{id}`) and its buttons (`actions:{id}`). When a button acts on one ticket,
the listener rebuilds that item and swaps it in with `replace_item`, leaving the
rest of the message as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    PRIORITY_EMOJI,
    Block,
    LinkFor,
    assignee_label,
    category_label,
    context,
    customer_label,
    customer_name,
    fallback,
    first_message_text,
    header,
    origin_label,
    priority_badge,
    section,
    status_label,
    ticket_buttons,
    ticket_link,
)
from mava_bridge.slack.blocks.tickets import follow_button, with_button
from mava_bridge.slack.callback_ids import actions_block_id, item_block_id, state_block_id

DEFAULT_ITEMS_PER_MESSAGE = 15
_GROUPS: tuple[Priority | None, ...] = (Priority.HIGH, Priority.MEDIUM, Priority.LOW, None)
_GROUP_NAMES = {Priority.HIGH: "High", Priority.MEDIUM: "Medium", Priority.LOW: "Low", None: "No"}


def digest_item(
    ticket: Ticket,
    *,
    link: LinkFor,
    now: datetime,
    state_line: str | None = None,
    follow: bool = False,
) -> list[Block]:
    """One ticket with its buttons.

    `state_line` is mrkdwn built by the caller (e.g. "Resolved by <@U123>"; escape
    any names in it with `text.escape`). Buttons follow the ticket's state: pass the
    updated ticket so Resolve disappears once it is resolved and Assign to me once
    someone has it.
    """
    facts = [priority_badge(ticket), status_label(ticket), origin_label(ticket)]
    if ticket.category is not None:
        facts.append(category_label(ticket))
    facts.append(t.age(ticket.created_at, now))
    if ticket.assigned_to is not None:
        facts.append(f":bust_in_silhouette: {assignee_label(ticket)}")
    facts.append(short_ref(ticket.id))
    facts.append(ticket_link(link(ticket.id), "Open in Mava"))
    lines = [" · ".join(facts), f"*{customer_label(ticket, 150)}*"]
    first = first_message_text(ticket)
    if first:
        lines.append(t.quote(first, 220, max_lines=3))
    blocks = [section("\n".join(lines), block_id=item_block_id(ticket.id))]
    if state_line:
        blocks.append(context(state_line, block_id=state_block_id(ticket.id)))
    blocks.append(ticket_buttons(ticket))
    # Follow on digest items; an alert's own thread already follows its ticket.
    return with_button(blocks, ticket.id, follow_button(ticket.id)) if follow else blocks


def _local(now: datetime, tz_name: str) -> tuple[datetime, str, Block]:
    """`now` in the digest's zone (UTC when the name is unknown), the zone's name, and
    the digest's title."""
    try:
        zone, name = ZoneInfo(tz_name), tz_name
    except (ZoneInfoNotFoundError, ValueError):
        zone, name = ZoneInfo("UTC"), "UTC"
    local = now.astimezone(zone)
    return local, name, header(f"Mava digest · {local:%a} {local.day} {local:%b}")


def digest_header(count: int, now: datetime, tz_name: str, description: str) -> list[Block]:
    """Title with the local date, how many tickets, and what the digest covers."""
    local, zone, title = _local(now, tz_name)
    plural = "s" if count != 1 else ""
    return [
        title,
        section(f"*{count} ticket{plural}* · {t.escape_and_truncate(description, 500)}"),
        context(
            f"As of {local:%H:%M} {t.escape(zone)}. Highest priority first, "
            "oldest first within a priority."
        ),
    ]


def empty_digest(now: datetime, description: str, tz_name: str = "UTC") -> list[Block]:
    """A digest with nothing to report (posted so people know it ran)."""
    about = t.escape_and_truncate(description, 500)
    return [_local(now, tz_name)[2], section(f":sparkles: Nothing waiting: no {about} right now.")]


def _group(ticket: Ticket) -> Priority | None:
    return ticket.priority_level  # an unknown priority value sorts with "none"


def sort_for_digest(tickets: Sequence[Ticket]) -> list[Ticket]:
    """High, Medium, Low, then no priority; oldest first in each; one entry per id."""
    unique = list({ticket.id: ticket for ticket in tickets}.values())
    # Block ids must be unique in a message, hence one entry per ticket id.
    return sorted(unique, key=lambda tk: (_GROUPS.index(_group(tk)), tk.created_at))


def digest_messages(
    tickets: Sequence[Ticket],
    *,
    link: LinkFor,
    now: datetime,
    description: str,
    max_items_per_message: int = DEFAULT_ITEMS_PER_MESSAGE,
    tz_name: str = "UTC",
    max_messages: int | None = None,
) -> list[list[Block]]:
    """The digest as messages: the first for the channel, the rest as thread replies.

    Each message holds at most `max_items_per_message` tickets and 50 blocks; with
    `max_messages`, only the first that many messages are drawn (the caller says how
    many tickets they leave out).
    """
    ordered = sort_for_digest(tickets)
    if not ordered:
        return [empty_digest(now, description, tz_name)]
    first = digest_header(len(ordered), now, tz_name, description)
    messages = _pack(_units(ordered, link, now), max_items_per_message, first, max_messages)
    if len(messages) > 1:
        shown = len(listed_tickets(first))
        rest = len(ordered) - shown
        first.append(context(f":thread: {rest} more in the thread."))
    return messages


def digest_thread_messages(
    tickets: Sequence[Ticket],
    *,
    link: LinkFor,
    now: datetime,
    max_items_per_message: int = DEFAULT_ITEMS_PER_MESSAGE,
) -> list[list[Block]]:
    """Thread replies only (no channel message): the rest of a digest whose posting was
    interrupted after its channel message went out."""
    ordered = sort_for_digest(tickets)
    if not ordered:
        return []
    return _pack(_units(ordered, link, now), max_items_per_message, [])


def listed_tickets(message: Sequence[Block]) -> list[str]:
    """The ids of the tickets a digest message lists."""
    prefix = item_block_id("")
    return [
        str(block["block_id"])[len(prefix) :]
        for block in message
        if str(block.get("block_id", "")).startswith(prefix)
    ]


def _units(ordered: Sequence[Ticket], link: LinkFor, now: datetime) -> Iterator[list[Block]]:
    """One unit per item, led by its group's label when it opens the group; made as
    packed, so a digest cut at its last message never draws the tickets it leaves out."""
    counts = {g: sum(1 for tk in ordered if _group(tk) == g) for g in _GROUPS}
    previous: object = object()
    for ticket in ordered:
        group = _group(ticket)
        unit: list[Block] = []
        if group != previous:
            label = f"{PRIORITY_EMOJI[group]} *{_GROUP_NAMES[group]} priority* ({counts[group]})"
            unit.append(context(label))
            previous = group
        unit.extend(digest_item(ticket, link=link, now=now, follow=True))
        yield unit


def _pack(
    units: Iterable[list[Block]],
    max_items_per_message: int,
    first: list[Block],
    max_messages: int | None = None,
) -> list[list[Block]]:
    """Units into messages after `first` (a header, or [] for thread replies only);
    with `max_messages`, no more messages than that (the units after them unread)."""
    per_message = max(1, max_items_per_message)
    messages: list[list[Block]] = [first]
    items_in_current = 0
    for unit in units:
        current = messages[-1]
        # A channel message keeps one block free for the "more in the thread" note.
        room = t.MESSAGE_BLOCKS - (1 if first and current is first else 0)
        if items_in_current >= per_message or len(current) + len(unit) > room:
            if max_messages is not None and len(messages) >= max_messages:
                break
            messages.append([])
            items_in_current = 0
        messages[-1].extend(unit)
        items_in_current += 1
    return [message for message in messages if message]


def digest_text(count: int, description: str) -> str:
    """Fallback `text` of the digest's first message."""
    return fallback(f"Mava digest: {count} ticket{'s' if count != 1 else ''}, {description}")


def digest_thread_text(part: int, parts: int) -> str:
    """Fallback `text` of a digest thread reply (`part` counts from 2)."""
    return fallback(f"Mava digest, part {part} of {parts}")


def alert_message(ticket: Ticket, *, link: LinkFor, now: datetime, reason: str) -> list[Block]:
    """An alert for one ticket: the reason (plain text), then the item with buttons."""
    return [
        section(f":rotating_light: *{t.escape_and_truncate(reason, 200)}*"),
        *digest_item(ticket, link=link, now=now),
    ]


def alert_text(ticket: Ticket, reason: str) -> str:
    """Fallback `text` of an alert: the reason, who, and the start of their message."""
    who = customer_name(ticket) or "unknown customer"
    first = first_message_text(ticket)
    said = f": {t.one_line(first)[:150]}" if first else ""
    return fallback(f"{reason} from {who}{said}")


def item_span(blocks: Sequence[Block], ticket_id: str) -> tuple[int, int] | None:
    """Where the whole item of `ticket_id` lies in `blocks` (start, end): its section,
    optional state line and buttons in a row, as `digest_item` draws them. None when the
    message holds no such run (a followed card puts its follow line between the section
    and the buttons; a ticket card is not an item at all)."""
    ids = [block.get("block_id") for block in blocks]
    for start, block_id in enumerate(ids):
        if block_id != item_block_id(ticket_id):
            continue
        end = start + 1
        if end < len(ids) and ids[end] == state_block_id(ticket_id):
            end += 1
        if end < len(ids) and ids[end] == actions_block_id(ticket_id):
            return start, end + 1
    return None


def replace_item(
    blocks: Sequence[Block], ticket_id: str, new_item_blocks: Sequence[Block]
) -> list[Block]:
    """`blocks` with the item of `ticket_id` swapped for `new_item_blocks`.

    Every other block is kept as the very same object, in order. Without a whole item
    (`item_span`) the blocks come back unchanged (as a new list): patching part of one
    would repeat a block id, which Slack refuses.
    """
    span = item_span(blocks, ticket_id)
    if span is None:
        return list(blocks)
    start, end = span
    return [*blocks[:start], *new_item_blocks, *blocks[end:]]


def more_tickets(more: int, dashboard: str) -> list[Block]:
    """The last reply of a digest cut short: how many more, and where to see them."""
    return [context(f"…and {more} more: {t.link(dashboard, 'see them all in Mava')}")]


class DigestRenderer:
    """Delivery's `Renderer` (mava_bridge.delivery.ports) in Block Kit: the builders
    above, handed to the alert poller and the digest service by mava_bridge.app."""

    sort_for_digest = staticmethod(sort_for_digest)
    digest_messages = staticmethod(digest_messages)
    digest_thread_messages = staticmethod(digest_thread_messages)
    more_tickets = staticmethod(more_tickets)
    listed_tickets = staticmethod(listed_tickets)
    digest_text = staticmethod(digest_text)
    digest_thread_text = staticmethod(digest_thread_text)
    alert_message = staticmethod(alert_message)
    alert_text = staticmethod(alert_text)
