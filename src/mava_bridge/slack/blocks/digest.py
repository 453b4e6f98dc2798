"""Messages about many tickets: the daily digest, new-ticket alerts, the DM listing what
became someone's, and a new reminders subscription's backlog. This module is delivery's
`Renderer` and `DeskRenderer` (delivery.ports), handed over by mava_bridge.app.

Each ticket is an "item": a section (`ticket:{id}`), an optional state line
(`state:{id}`) and its buttons (`actions:{id}`), so a button's listener can rebuild one
item and swap it in with `replace_item`, leaving the rest of the message as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.wording import duration
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import common as kit
from mava_bridge.slack.blocks.common import Block, LinkFor
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
    last_button: dict[str, Any] | None = None,
) -> list[Block]:
    """One ticket with its buttons, which follow the ticket's state (pass the updated
    ticket). `state_line` is mrkdwn, e.g. "Resolved by <@U123>" (names escaped)."""
    facts = [kit.priority_badge(ticket), kit.status_label(ticket), kit.origin_label(ticket)]
    if ticket.category is not None:
        facts.append(kit.category_label(ticket))
    facts.append(t.age(ticket.created_at, now))
    if ticket.assigned_to is not None:
        facts.append(f":bust_in_silhouette: {kit.assignee_label(ticket)}")
    facts.append(short_ref(ticket.id))
    facts.append(kit.ticket_link(link(ticket.id), "Open in Mava"))
    lines = [" · ".join(facts), f"*{kit.customer_label(ticket, 150)}*"]
    first = kit.first_message_text(ticket)
    if first:
        lines.append(t.quote(first, 220, max_lines=3))
    blocks = [kit.section("\n".join(lines), block_id=item_block_id(ticket.id))]
    if state_line:
        blocks.append(kit.context(state_line, block_id=state_block_id(ticket.id)))
    # Follow on digest items; an alert's own thread already follows its ticket.
    if follow:
        last_button = kit.follow_button(ticket.id)
    blocks.append(kit.ticket_buttons(ticket, last=last_button))
    return blocks


def _local(now: datetime, tz_name: str) -> tuple[datetime, str, Block]:
    """`now` in the digest's zone (UTC when the name is unknown), its name, the title."""
    try:
        zone, name = ZoneInfo(tz_name), tz_name
    except (ZoneInfoNotFoundError, ValueError):
        zone, name = ZoneInfo("UTC"), "UTC"
    local = now.astimezone(zone)
    return local, name, kit.header(f"Mava digest · {local:%a} {local.day} {local:%b}")


def digest_header(count: int, now: datetime, tz_name: str, description: str) -> list[Block]:
    local, zone, title = _local(now, tz_name)
    return [
        title,
        kit.section(f"*{kit.plural(count, 'ticket')}* · {t.escape_and_truncate(description, 500)}"),
        kit.context(
            f"As of {local:%H:%M} {t.escape(zone)}. Highest priority first, "
            "oldest first within a priority."
        ),
    ]


def empty_digest(now: datetime, description: str, tz_name: str = "UTC") -> list[Block]:
    """Posted so people know the digest ran."""
    about = t.escape_and_truncate(description, 500)
    return [
        _local(now, tz_name)[2],
        kit.section(f":sparkles: Nothing waiting: no {about} right now."),
    ]


def sort_for_digest(tickets: Sequence[Ticket]) -> list[Ticket]:
    """High, Medium, Low, then no priority; oldest first in each; one entry per id (block
    ids must be unique in a message)."""
    unique = list({ticket.id: ticket for ticket in tickets}.values())
    # An unknown priority value sorts with "none".
    return sorted(unique, key=lambda tk: (_GROUPS.index(tk.priority_level), tk.created_at))


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
    """The first message for the channel, the rest as thread replies; with
    `max_messages`, only that many (the caller says how many tickets they leave out)."""
    ordered = sort_for_digest(tickets)
    if not ordered:
        return [empty_digest(now, description, tz_name)]
    first = digest_header(len(ordered), now, tz_name, description)
    messages = _pack(_units(ordered, link, now), max_items_per_message, first, max_messages)
    if len(messages) > 1:
        rest = len(ordered) - len(listed_tickets(first))
        first.append(kit.context(f":thread: {rest} more in the thread."))
    return messages


def digest_thread_messages(
    tickets: Sequence[Ticket],
    *,
    link: LinkFor,
    now: datetime,
    max_items_per_message: int = DEFAULT_ITEMS_PER_MESSAGE,
) -> list[list[Block]]:
    """Thread replies only: the rest of a digest interrupted after its channel message."""
    ordered = sort_for_digest(tickets)
    if not ordered:
        return []
    return _pack(_units(ordered, link, now), max_items_per_message, [])


def listed_tickets(message: Sequence[Block]) -> list[str]:
    prefix = item_block_id("")
    return [
        str(block["block_id"])[len(prefix) :]
        for block in message
        if str(block.get("block_id", "")).startswith(prefix)
    ]


def _units(ordered: Sequence[Ticket], link: LinkFor, now: datetime) -> Iterator[list[Block]]:
    """One unit per item, led by its group's label when it opens the group; made as
    packed, so a digest cut at its last message never draws the tickets it leaves out."""
    counts = {g: sum(1 for tk in ordered if tk.priority_level == g) for g in _GROUPS}
    previous: object = object()
    for ticket in ordered:
        group = ticket.priority_level
        unit: list[Block] = []
        if group != previous:
            label = (
                f"{kit.PRIORITY_EMOJI[group]} *{_GROUP_NAMES[group]} priority* ({counts[group]})"
            )
            unit.append(kit.context(label))
            previous = group
        unit.extend(digest_item(ticket, link=link, now=now, follow=True))
        yield unit


def _pack(
    units: Iterable[list[Block]],
    max_items_per_message: int,
    first: list[Block],
    max_messages: int | None = None,
) -> list[list[Block]]:
    """Units into messages after `first` (a header, or [] for thread replies only)."""
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
    return kit.fallback(f"Mava digest: {kit.plural(count, 'ticket')}, {description}")


def digest_thread_text(part: int, parts: int) -> str:
    return kit.fallback(f"Mava digest, part {part} of {parts}")


def alert_headline(reason: str) -> Block:
    """An alert's reason (plain words) on top of its ticket."""
    return kit.section(f":rotating_light: *{t.escape_and_truncate(reason, 200)}*")


def alert_message(ticket: Ticket, *, link: LinkFor, now: datetime, reason: str) -> list[Block]:
    return [alert_headline(reason), *digest_item(ticket, link=link, now=now)]


def alert_text(ticket: Ticket, reason: str) -> str:
    who = kit.customer_name(ticket) or "unknown customer"
    first = kit.first_message_text(ticket)
    said = f": {t.one_line(first)[:150]}" if first else ""
    return kit.fallback(f"{reason} from {who}{said}")


def item_span(blocks: Sequence[Block], ticket_id: str) -> tuple[int, int] | None:
    """Where the whole item of `ticket_id` lies in `blocks` (start, end), as `digest_item`
    draws it; None without such a run (a followed card puts its follow line between the
    section and the buttons; a ticket card is not an item at all)."""
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
    """`blocks` with the item of `ticket_id` swapped, every other block the same object.
    Without a whole item, unchanged: patching part of one would repeat a block id."""
    span = item_span(blocks, ticket_id)
    if span is None:
        return list(blocks)
    start, end = span
    return [*blocks[:start], *new_item_blocks, *blocks[end:]]


def more_tickets(more: int, dashboard: str) -> list[Block]:
    """The last reply of a digest cut short."""
    return [kit.context(f"…and {more} more: {t.link(dashboard, 'see them all in Mava')}")]


def assignments_message(
    shown: Sequence[Ticket], *, total: int, link: LinkFor, now: datetime
) -> list[Block]:
    """ "12 tickets were assigned to you", the `shown` ones as items, and where the rest
    are (App Home lists every ticket assigned to you)."""
    were = "was" if total == 1 else "were"
    blocks = [kit.section(f":inbox_tray: *{kit.plural(total, 'ticket')} {were} assigned to you*")]
    for ticket in shown:
        blocks += digest_item(ticket, link=link, now=now)
    if (more := total - len(shown)) > 0:
        blocks.append(
            kit.context(
                f"…and {more} more: all of them are under *Assigned to me* in this app's "
                "*Home* tab (at the top of this conversation)."
            )
        )
    return blocks


def assignments_text(total: int) -> str:
    return kit.fallback(
        f"{kit.plural(total, 'ticket')} {'was' if total == 1 else 'were'} assigned to you"
    )


def listing_command(filters: Filters) -> str:
    """The `/mava tickets` closest to `filters` (it lacks category and medium: lists more)."""
    words = ["/mava tickets"]
    if filters.unassigned_only:
        words.append("unassigned")
    words += [origin.value for origin in filters.origins]
    if filters.min_priority is Priority.HIGH:
        words.append("high")
    return " ".join(words)


def _backlog_line(ticket: Ticket, waited: float, link: LinkFor) -> str:
    who = kit.customer_name(ticket) or "unknown customer"
    said = kit.first_message_text(ticket)
    label = f"{who}: {t.one_line(said)[:80]}" if said else who
    return (
        f"• {kit.ticket_link(link(ticket.id), t.one_line(label)[:120])} · "
        f"waiting {duration(waited)} · {kit.priority_badge(ticket)}"
    )


def _waiting_longer(total: int, wait: str) -> str:
    waits = "waits" if total == 1 else "wait"
    return f"{kit.plural(total, 'ticket')} already {waits} longer than {wait}"


def backlog_message(
    longest: Sequence[tuple[Ticket, float]],
    *,
    total: int,
    wait: str,
    filters: Filters,
    link: LinkFor,
) -> list[Block]:
    """A new reminders subscription's one post about the tickets already waiting longer
    than `wait` (`longest` first, with seconds waited): how many, the longest, how to
    list them, and that only new ones are posted from now on."""
    about = t.escape_and_truncate(filters.describe(), 300)
    blocks = [
        kit.section(
            f":hourglass_flowing_sand: *{_waiting_longer(total, wait)} for an agent* ({about})"
        )
    ]
    lines = [_backlog_line(ticket, waited, link) for ticket, waited in longest]
    if lines:
        head = "The longest:" if len(lines) == total else f"The {len(lines)} longest:"
        blocks += [kit.section(part) for part in kit.chunk_lines([head, *lines])[:3]]
    blocks.append(
        kit.context(
            f"These are not posted one by one. `{t.escape(listing_command(filters))}` lists "
            "the open ones, newest first; "
            f"from now on a ticket is posted here when its customer's wait passes {wait}."
        )
    )
    return blocks


def backlog_text(total: int, wait: str) -> str:
    return kit.fallback(f"{_waiting_longer(total, wait)} for an agent")
