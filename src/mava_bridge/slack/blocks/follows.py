"""The Follow / Unfollow buttons and the short messages around following a ticket.

The followed card itself (the ticket, "Following this ticket in the thread", Reply and
Unfollow) is `blocks.threads.card`, which the thread sync redraws in place as the
ticket changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import Block, section
from mava_bridge.slack.blocks.threads import FOLLOWING
from mava_bridge.slack.blocks.tickets import follow_button
from mava_bridge.slack.callback_ids import ACTION_UNFOLLOW


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


def unfollowed_card(blocks: Sequence[Block], ticket_id: str) -> list[Block]:
    """A followed card once unfollowed: no "Following this ticket" line, and Follow
    instead of Unfollow (the thread sync no longer redraws it)."""
    kept = [
        block
        for block in blocks
        if not (block.get("type") == "context" and FOLLOWING in json.dumps(block))
    ]
    return swap_button(kept, ACTION_UNFOLLOW, follow_button(ticket_id))


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
