"""Helpers the App Home scenario tests share (HTTP and Socket Mode)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from mava_sandbox.stack import Stack

JSON = dict[str, Any]
MINE, QUEUE = "Assigned to me", "Unassigned queue"


def home_event(user: str, tab: str = "home") -> JSON:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user[1:]}",
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def lists(view: JSON) -> dict[str, list[str]]:
    """Ticket ids under each header of a Home view ("Assigned to me (3)" -> MINE)."""
    found: dict[str, list[str]] = {}
    current = ""
    for block in view["blocks"]:
        if block["type"] == "header":
            current = block["text"]["text"].split(" (")[0]
            found[current] = []
        block_id = str(block.get("block_id") or "")
        if block_id.startswith("home_ticket:"):
            found[current].append(block_id.split(":", 1)[1])
    return found


def customer_wrote(minutes_ago: float) -> JSON:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"content": "Any news?", "senderType": "customer", "createdAt": at.isoformat()}


def agent_answered(minutes_ago: float) -> JSON:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "content": "On it.",
        "senderType": "agent",
        "messageType": "ExternalMessage",
        "createdAt": at.isoformat(),
    }


def searches(stack: Stack) -> int:
    return sum(1 for r in stack.mava.sandbox.requests if r.path == "/api/tickets")
