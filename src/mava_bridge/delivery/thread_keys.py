"""The pure parts of the thread sync (mava_bridge.delivery.threads): what a card's
snapshot holds, the item keys a thread's posts are claimed under and the search
windows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Final

from mava_bridge.delivery.ports import Snapshot
from mava_bridge.mava.models import Message, Ticket

# Mava allows at most one year per search.
SEARCH_WINDOW: Final = timedelta(days=365)
FIELDS: Final = ("status", "priority", "category", "assignee")
# Snapshot key of `seen_marker`: which messages the thread already holds.
SEEN: Final = "seen"


def snapshot(ticket: Ticket) -> Snapshot:
    """What the card shows that a change line reports, as plain words."""
    level = ticket.priority_level
    priority = (
        level.label if level else ("none" if ticket.priority is None else str(ticket.priority))
    )
    agent = ticket.assigned_to
    return {
        "status": str(ticket.status),
        "priority": priority,
        "category": ticket.category.name if ticket.category else "none",
        "assignee": (agent.name or agent.id) if agent else "Unassigned",
    }


def seen_marker(ticket: Ticket) -> str:
    """How many messages the ticket has and the last one's key: equal to the last sync's
    means nothing new to post (whether or not Mava moves updatedAt on a message)."""
    messages = ticket.messages or []
    return f"{len(messages)}:{message_key(messages[-1]) if messages else ''}"


def message_key(message: Message) -> str:
    """A message's item key: Mava's id, else a digest of what it is (a message without
    an id is still posted once)."""
    if message.id:
        return message.id
    made = message.created_at.isoformat() if message.created_at else ""
    raw = "\x1f".join(
        [made, str(message.sender_type), message.sender_name or "", message.content or ""]
    )
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def change_key(before: Snapshot, after: Snapshot, ticket: Ticket) -> str:
    """One "what changed" line per change: the same change read by two processes gives
    the same key; the same change made again later (updatedAt moved) a new one."""
    was = {k: before.get(k) for k in FIELDS}
    now = {k: after.get(k) for k in FIELDS}
    raw = json.dumps([was, now, ticket.updated_at.isoformat() if ticket.updated_at else None])
    return "change:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def search_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end] as windows of at most a year, newest first."""
    windows = []
    while end > start:
        windows.append((max(start, end - SEARCH_WINDOW), end))
        end -= SEARCH_WINDOW
    return windows or [(start, end)]
