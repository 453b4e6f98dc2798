"""The compact card a pasted Mava ticket link unfurls to (chat.unfurl's `unfurls` value).

Five facts and a link, no buttons: the card sits under someone else's message, where it
stays for everyone in the channel, so it carries what the ticket is, not what to do.
Everything from Mava is escaped, so a customer's name cannot ping anyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.waiting import waiting_since
from mava_bridge.mava.models import Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    Block,
    assignee_label,
    context,
    customer_label,
    fields_section,
    priority_badge,
    section,
    status_label,
    ticket_link,
)


def waiting_label(ticket: Ticket, now: datetime) -> str:
    """How long the customer's latest unanswered message has waited, or why not."""
    if ticket.messages is None:
        return "unknown"  # read without its messages
    since = waiting_since(ticket)
    if since is None:
        return "not waiting (answered)"
    return t.age(since, now)


def _ago(moment: datetime, now: datetime) -> str:
    age = t.age(moment, now)
    return age if age == "just now" else f"{age} ago"


def ticket_unfurl(ticket: Ticket, url: str, now: datetime) -> dict[str, Any]:
    """One entry of chat.unfurl's `unfurls` map: {"blocks": [...]}."""
    who = customer_label(ticket, 80)
    title = ticket_link(url, f"Mava ticket {short_ref(ticket.id)}")
    blocks: list[Block] = [
        section(f"*{title}* · {who}"),
        fields_section(
            [
                f"*Status*\n{status_label(ticket)}",
                f"*Priority*\n{priority_badge(ticket)}",
                f"*Assignee*\n{assignee_label(ticket)}",
                f"*Customer*\n{customer_label(ticket, 150)}",
                f"*Waiting*\n{waiting_label(ticket, now)}",
            ]
        ),
        context(f"Ticket id `{t.escape(ticket.id)}` · opened {_ago(ticket.created_at, now)}"),
    ]
    return {"blocks": blocks}
