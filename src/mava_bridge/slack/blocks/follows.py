"""The Follow / Unfollow buttons and the short messages around following a ticket.

The followed card itself (the ticket, "Following this ticket in the thread", Reply and
Unfollow) is drawn by `followed_card`; the thread sync redraws it in place as the
ticket changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mava_bridge.mava.models import Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import Block, button, context, section
from mava_bridge.slack.blocks.tickets import follow_button, ticket_card, with_button
from mava_bridge.slack.callback_ids import ACTION_UNFOLLOW

__all__ = ["follow_button", "with_button"]


def unfollow_button(ticket_id: str) -> dict[str, Any]:
    return button("Unfollow", ACTION_UNFOLLOW, value=ticket_id)


def swap_button(blocks: Sequence[Block], action_id: str, element: dict[str, Any]) -> list[Block]:
    """`blocks` with every button `action_id` replaced by `element` (a card once
    unfollowed offers Follow instead of Unfollow)."""
    out: list[Block] = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = [
                element if e.get("action_id") == action_id else e
                for e in block.get("elements") or []
            ]
            block = {**block, "elements": elements}
        out.append(block)
    return out


def followed_card(ticket: Ticket, *, ticket_url: str, now: datetime) -> list[Block]:
    """The card a follow starts from: the ticket, a line saying its thread follows it,
    and Unfollow beside its buttons."""
    blocks = ticket_card(ticket, ticket_url=ticket_url, now=now, max_messages=1)
    blocks = with_button(blocks, ticket.id, unfollow_button(ticket.id))
    blocks.append(
        context(
            ":eyes: Following this ticket in the thread: customer messages, agent replies "
            "and changes appear there. What you type in the thread becomes a private note."
        )
    )
    return blocks


def already_followed(ticket_id: str, permalink: str | None) -> list[Block]:
    where = f"<{permalink}|in this thread>" if permalink else "in this channel"
    return [section(f"Ticket `{t.escape(ticket_id)}` is already followed {where}.")]


def already_followed_text(ticket_id: str) -> str:
    return f"Ticket {ticket_id} is already followed in this channel."


def unfollowed_line(user_id: str, ticket_id: str) -> str:
    """The thread's last line once someone stops following it (mrkdwn)."""
    return (
        f"No longer following: <@{t.escape(user_id)}> unfollowed this ticket. "
        f"`/mava follow {t.escape(ticket_id)}` to follow it again."
    )
