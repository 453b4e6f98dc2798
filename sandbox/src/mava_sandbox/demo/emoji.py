"""Slack emoji codes as the characters Slack draws, for the demo's terminal.

Only the codes the bot itself sends (grep the bot for `:[a-z_]+:`) and a few common
ones people type; any other code stays as typed, as Slack shows an unknown one. Each is
a single character whose width terminals and rich agree on, so the boxes around the text
stay aligned (hence ⚠ and ❤ without the emoji variation selector, which rich counts as
no width while many terminals draw the pair two cells wide).
"""

from __future__ import annotations

import re
from typing import Final

EMOJI: Final[dict[str, str]] = {
    # The bot's own.
    "white_check_mark": "✅",
    "warning": "⚠",
    "x": "❌",
    "grey_question": "❔",
    "red_circle": "🔴",
    "large_orange_circle": "🟠",
    "large_blue_circle": "🔵",
    "white_circle": "⚪",
    "bust_in_silhouette": "👤",
    "sparkles": "✨",
    "thread": "🧵",
    "rotating_light": "🚨",
    "paperclip": "📎",
    "lock": "🔒",
    "tada": "🎉",
    "information_source": "ℹ",
    # The desk: a grouped assignment DM, a reminders backlog summary.
    "inbox_tray": "📥",
    "hourglass_flowing_sand": "⏳",
    # Ticket threads (what changed, notes from the thread).
    "pencil2": "✏",
    "arrows_counterclockwise": "🔄",
    "speech_balloon": "💬",
    "memo": "📝",
    # Common in what people type.
    "+1": "👍",
    "thumbsup": "👍",
    "eyes": "👀",
    "fire": "🔥",
    "rocket": "🚀",
    "heart": "❤",
    "pray": "🙏",
    "smile": "😄",
}

_CODE = re.compile(r":([a-z0-9_+-]+):")


def emojize(text: str) -> str:
    """`:white_check_mark: Done` → `✅ Done`; unknown codes are left as they are."""
    return _CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
