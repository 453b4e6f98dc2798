"""What `/mava show`, `tickets`, `categories`, `subscriptions` and `help` answer (and the
usage hint of a mistyped command), and the compact card a pasted ticket link unfurls to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.waiting import waiting_since
from mava_bridge.mava.models import Category, Ticket
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import common as kit
from mava_bridge.slack.blocks.common import Block, LinkFor
from mava_bridge.slack.callback_ids import item_block_id
from mava_bridge.slack.command.help import HELP_ENTRIES
from mava_bridge.slack.command.model import Usage

MAX_CARD_MESSAGES = 40  # keeps a card under 50 blocks with room for its frame
MAX_LIST_ITEMS = 100
MAX_CATEGORY_SECTIONS = 45
_TICKET_NOTE = (
    "TICKET is a ticket id (24 characters) or the ticket's Mava dashboard link, pasted as is."
)
_SHORTCUTS_NOTE = (
    "On any Slack message, the ⋯ menu (message shortcuts) can add the message to a "
    "ticket as a private note or send it to the customer."
)


def ticket_card(
    ticket: Ticket, *, ticket_url: str, now: datetime, max_messages: int = 5, follow: bool = False
) -> list[Block]:
    """Everything about one ticket, its last messages and buttons to act on it."""
    title = kit.ticket_link(ticket_url, f"Ticket {short_ref(ticket.id)}")
    blocks: list[Block] = [
        kit.section(f"*{title}* · {kit.customer_label(ticket)}", block_id=item_block_id(ticket.id)),
        kit.fields_section(
            [
                f"*Status*\n{kit.status_label(ticket)}",
                f"*Priority*\n{kit.priority_badge(ticket)}",
                f"*Category*\n{kit.category_label(ticket)}",
                f"*Assignee*\n{kit.assignee_label(ticket)}",
                f"*Origin*\n{kit.origin_label(ticket)}",
                f"*Created*\n{kit.slack_date(ticket.created_at)} ({t.age(ticket.created_at, now)})",
                f"*Customer*\n{kit.customer_label(ticket, 500)}",
                f"*Tags*\n{kit.tags_label(ticket)}",
            ]
        ),
    ]
    messages = ticket.messages
    if messages is not None:
        blocks.append(kit.divider())
        count = max(0, min(max_messages, MAX_CARD_MESSAGES))
        shown = messages[-count:] if count else []
        earlier = len(messages) - len(shown)
        if not messages:
            blocks.append(kit.context("No messages yet."))
        elif earlier:
            blocks.append(
                kit.context(f"{kit.plural(earlier, 'earlier message')}: open the ticket to read.")
            )
        blocks.extend(kit.message_block(message, now=now) for message in shown)
    last = kit.follow_button(ticket.id) if follow else None
    blocks.append(kit.ticket_buttons(ticket, open_url=ticket_url or None, last=last))
    blocks.append(kit.context(f"Ticket id `{t.escape(ticket.id)}`"))
    return blocks


def ticket_card_text(ticket: Ticket) -> str:
    who = kit.customer_name(ticket) or "unknown customer"
    return kit.fallback(f"Ticket {short_ref(ticket.id)} from {who}")


def _list_line(ticket: Ticket, link: LinkFor, now: datetime) -> str:
    parts = [
        f"{kit.priority_badge(ticket)} *{kit.ticket_link(link(ticket.id), short_ref(ticket.id))}*",
        kit.status_label(ticket),
        kit.origin_label(ticket),
        t.age(ticket.created_at, now),
        kit.customer_label(ticket, 60),
    ]
    if ticket.assigned_to is not None:
        parts.append(f":bust_in_silhouette: {kit.assignee_label(ticket)}")
    line = " · ".join(parts)
    first = kit.first_message_text(ticket)
    if first:
        line += f" — “{t.excerpt(first, 80)}”"
    return line


def ticket_list(
    tickets: Sequence[Ticket],
    *,
    total: int,
    description: str,
    link: LinkFor,
    now: datetime,
    limit: int = 20,
) -> list[Block]:
    """ "N tickets (showing first 20) — description", then a line each; `total` is Mava's
    count of matches, `description` plain text."""
    shown = list(tickets)[: max(1, min(limit, MAX_LIST_ITEMS))]
    total = max(total, len(tickets))
    about = t.escape_and_truncate(description, 500)
    if not shown:
        return [kit.section(f"No tickets: {about}.")]
    count = f"*{kit.plural(total, 'ticket')}*"
    if total > len(shown):
        count += f" (showing first {len(shown)})"
    lines = [_list_line(ticket, link, now) for ticket in shown]
    return [
        kit.section(f"{count} — {about}"),
        *(kit.section(chunk) for chunk in kit.chunk_lines(lines)),
    ]


def ticket_list_text(total: int, description: str) -> str:
    return kit.fallback(f"{kit.plural(total, 'ticket')}: {description}")


def categories_list(categories: Sequence[Category]) -> list[Block]:
    if not categories:
        return [kit.section("Mava has no categories yet. Add them in the Mava dashboard.")]
    names = sorted(c.name for c in categories)
    chunks = kit.chunk_lines(f"• {t.escape_and_truncate(name, 100)}" for name in names)
    blocks = [kit.section(f"*{kit.plural(len(names), 'category', 'categories')} in Mava*")]
    blocks.extend(kit.section(chunk) for chunk in chunks[:MAX_CATEGORY_SECTIONS])
    if len(chunks) > MAX_CATEGORY_SECTIONS:
        blocks.append(kit.context("…and more: see the Mava dashboard for the full list."))
    blocks.append(kit.context("Set one with `/mava category TICKET NAME`."))
    return blocks


def categories_text(categories: Sequence[Category]) -> str:
    return kit.fallback(f"{len(categories)} categories in Mava")


NO_SUBSCRIPTIONS = (
    "This channel gets no digests or alerts. Add one with "
    "`/mava subscribe digest` or `/mava subscribe alerts`."
)


def subscriptions_list(
    views: Sequence[ActiveSubscription],
    missing: Sequence[tuple[str, ...]],
    unchecked: str | None,
) -> list[Block]:
    """A channel's subscriptions, each with the category names (`missing`, per view) Mava
    no longer has active; `unchecked` says why those could not be checked."""
    if not views:
        return [kit.section(t.escape(NO_SUBSCRIPTIONS))]
    lines = [subscriptions_text(views)]
    for view, gone in zip(views, missing, strict=True):
        line = f"• {t.escape(view.describe())}"
        if gone:
            names = ", ".join(f"'{name}'" for name in gone)
            line += " :warning: " + t.escape(
                f"Mava has no active category {names} now (archived or renamed), so this "
                "matches no ticket there: subscribe again with a name from /mava categories."
            )
        lines.append(line)
    if unchecked:
        lines.append(f":warning: {t.escape(unchecked)}")
    return [kit.section("\n".join(lines))]


def subscriptions_text(views: Sequence[ActiveSubscription]) -> str:
    if not views:
        return NO_SUBSCRIPTIONS
    return f"*This channel gets {len(views)} subscription(s):*"


def waiting_label(ticket: Ticket, now: datetime) -> str:
    """How long the customer's latest unanswered message has waited, or why not."""
    if ticket.messages is None:
        return "unknown"  # read without its messages
    since = waiting_since(ticket)
    return t.age(since, now) if since else "not waiting (answered)"


def ticket_unfurl(ticket: Ticket, url: str, now: datetime) -> dict[str, Any]:
    """One entry of chat.unfurl's `unfurls`: facts and a link, no buttons (the card stays
    under someone else's message for the whole channel: it says what, not what to do)."""
    title = kit.ticket_link(url, f"Mava ticket {short_ref(ticket.id)}")
    age = t.age(ticket.created_at, now)
    blocks: list[Block] = [
        kit.section(f"*{title}* · {kit.customer_label(ticket, 80)}"),
        kit.fields_section(
            [
                f"*Status*\n{kit.status_label(ticket)}",
                f"*Priority*\n{kit.priority_badge(ticket)}",
                f"*Assignee*\n{kit.assignee_label(ticket)}",
                f"*Customer*\n{kit.customer_label(ticket, 150)}",
                f"*Waiting*\n{waiting_label(ticket, now)}",
            ]
        ),
        kit.context(
            f"Ticket id `{t.escape(ticket.id)}` · opened "
            + (age if age == "just now" else f"{age} ago")
        ),
    ]
    return {"blocks": blocks}


def _help_lines() -> list[str]:
    return [
        f"`{t.escape(entry.syntax)}`\n{t.escape(entry.summary)} "
        f"Example: `{t.escape(entry.example)}`"
        for entry in HELP_ENTRIES
    ]


def help_blocks() -> list[Block]:
    blocks: list[Block] = [kit.header("Work Mava tickets from Slack")]
    blocks.extend(kit.section(chunk) for chunk in kit.chunk_lines(_help_lines()))
    blocks.append(kit.context(t.escape(_TICKET_NOTE)))
    blocks.append(kit.context(_SHORTCUTS_NOTE))
    return blocks


def help_text() -> str:
    lines = [f"{entry.syntax} - {entry.summary}" for entry in HELP_ENTRIES]
    return t.escape_and_truncate("\n".join(lines), t.FALLBACK_TEXT)


def usage_blocks(usage: Usage) -> list[Block]:
    return [kit.section(":grey_question: " + t.escape_and_truncate(usage.message, 2900))]


def usage_text(usage: Usage) -> str:
    return kit.fallback(usage.message.split("\n", 1)[0])
