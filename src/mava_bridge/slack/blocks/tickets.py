"""What `/mava show`, `tickets`, `categories` and `help` answer (and the usage hint of a
mistyped command), and the compact card a pasted ticket link unfurls to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.waiting import waiting_since
from mava_bridge.mava.models import Category, Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    Block,
    LinkFor,
    assignee_label,
    category_label,
    chunk_lines,
    context,
    customer_label,
    customer_name,
    divider,
    fallback,
    fields_section,
    first_message_text,
    follow_button,
    header,
    message_block,
    origin_label,
    plural,
    priority_badge,
    section,
    slack_date,
    status_label,
    tags_label,
    ticket_buttons,
    ticket_link,
    with_button,
)
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
    ticket: Ticket,
    *,
    ticket_url: str,
    now: datetime,
    max_messages: int = 5,
    follow: bool = False,
) -> list[Block]:
    """Everything about one ticket, its last messages and buttons to act on it."""
    title = ticket_link(ticket_url, f"Ticket {short_ref(ticket.id)}")
    blocks: list[Block] = [
        section(f"*{title}* · {customer_label(ticket)}", block_id=item_block_id(ticket.id)),
        fields_section(
            [
                f"*Status*\n{status_label(ticket)}",
                f"*Priority*\n{priority_badge(ticket)}",
                f"*Category*\n{category_label(ticket)}",
                f"*Assignee*\n{assignee_label(ticket)}",
                f"*Origin*\n{origin_label(ticket)}",
                f"*Created*\n{slack_date(ticket.created_at)} ({t.age(ticket.created_at, now)})",
                f"*Customer*\n{customer_label(ticket, 500)}",
                f"*Tags*\n{tags_label(ticket)}",
            ]
        ),
    ]
    messages = ticket.messages
    if messages is not None:
        blocks.append(divider())
        count = max(0, min(max_messages, MAX_CARD_MESSAGES))
        shown = messages[-count:] if count else []
        earlier = len(messages) - len(shown)
        if not messages:
            blocks.append(context("No messages yet."))
        elif earlier:
            blocks.append(
                context(f"{plural(earlier, 'earlier message')}: open the ticket to read.")
            )
        blocks.extend(message_block(message, now=now) for message in shown)
    blocks.append(ticket_buttons(ticket, open_url=ticket_url or None))
    blocks.append(context(f"Ticket id `{t.escape(ticket.id)}`"))
    return with_button(blocks, ticket.id, follow_button(ticket.id)) if follow else blocks


def ticket_card_text(ticket: Ticket) -> str:
    who = customer_name(ticket) or "unknown customer"
    return fallback(f"Ticket {short_ref(ticket.id)} from {who}")


def _list_line(ticket: Ticket, link: LinkFor, now: datetime) -> str:
    parts = [
        f"{priority_badge(ticket)} *{ticket_link(link(ticket.id), short_ref(ticket.id))}*",
        status_label(ticket),
        origin_label(ticket),
        t.age(ticket.created_at, now),
        customer_label(ticket, 60),
    ]
    if ticket.assigned_to is not None:
        parts.append(f":bust_in_silhouette: {assignee_label(ticket)}")
    line = " · ".join(parts)
    first = first_message_text(ticket)
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
        return [section(f"No tickets: {about}.")]
    count = f"*{plural(total, 'ticket')}*"
    if total > len(shown):
        count += f" (showing first {len(shown)})"
    lines = [_list_line(ticket, link, now) for ticket in shown]
    return [section(f"{count} — {about}"), *(section(chunk) for chunk in chunk_lines(lines))]


def ticket_list_text(total: int, description: str) -> str:
    return fallback(f"{plural(total, 'ticket')}: {description}")


def categories_list(categories: Sequence[Category]) -> list[Block]:
    if not categories:
        return [section("Mava has no categories yet. Add them in the Mava dashboard.")]
    names = sorted(c.name for c in categories)
    chunks = chunk_lines(f"• {t.escape_and_truncate(name, 100)}" for name in names)
    blocks = [section(f"*{plural(len(names), 'category', 'categories')} in Mava*")]
    blocks.extend(section(chunk) for chunk in chunks[:MAX_CATEGORY_SECTIONS])
    if len(chunks) > MAX_CATEGORY_SECTIONS:
        blocks.append(context("…and more: see the Mava dashboard for the full list."))
    blocks.append(context("Set one with `/mava category TICKET NAME`."))
    return blocks


def categories_text(categories: Sequence[Category]) -> str:
    return fallback(f"{len(categories)} categories in Mava")


def waiting_label(ticket: Ticket, now: datetime) -> str:
    """How long the customer's latest unanswered message has waited, or why not."""
    if ticket.messages is None:
        return "unknown"  # read without its messages
    since = waiting_since(ticket)
    return t.age(since, now) if since else "not waiting (answered)"


def ticket_unfurl(ticket: Ticket, url: str, now: datetime) -> dict[str, Any]:
    """One entry of chat.unfurl's `unfurls`: facts and a link, no buttons (the card stays
    under someone else's message for the whole channel: it says what, not what to do)."""
    title = ticket_link(url, f"Mava ticket {short_ref(ticket.id)}")
    age = t.age(ticket.created_at, now)
    blocks: list[Block] = [
        section(f"*{title}* · {customer_label(ticket, 80)}"),
        fields_section(
            [
                f"*Status*\n{status_label(ticket)}",
                f"*Priority*\n{priority_badge(ticket)}",
                f"*Assignee*\n{assignee_label(ticket)}",
                f"*Customer*\n{customer_label(ticket, 150)}",
                f"*Waiting*\n{waiting_label(ticket, now)}",
            ]
        ),
        context(
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
    blocks: list[Block] = [header("Work Mava tickets from Slack")]
    blocks.extend(section(chunk) for chunk in chunk_lines(_help_lines()))
    blocks.append(context(t.escape(_TICKET_NOTE)))
    blocks.append(context(_SHORTCUTS_NOTE))
    return blocks


def help_text() -> str:
    lines = [f"{entry.syntax} - {entry.summary}" for entry in HELP_ENTRIES]
    return t.escape_and_truncate("\n".join(lines), t.FALLBACK_TEXT)


def usage_blocks(usage: Usage) -> list[Block]:
    return [section(":grey_question: " + t.escape_and_truncate(usage.message, 2900))]


def usage_text(usage: Usage) -> str:
    return fallback(usage.message.split("\n", 1)[0])
