"""Small wording rules shared by messages people read (Slack replies, usage hints)."""

from __future__ import annotations


def or_list(items: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def shown(text: str, limit: int = 40) -> str:
    """User input echoed in a message: one line, short, no backticks to break code."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
