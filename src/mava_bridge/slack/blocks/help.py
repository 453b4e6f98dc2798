"""`/mava help` and the usage hint shown when a command is mistyped."""

from __future__ import annotations

from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import Block, chunk_lines, context, fallback, header, section
from mava_bridge.slack.command.help import HELP_ENTRIES
from mava_bridge.slack.command.model import Usage

_TICKET_NOTE = (
    "TICKET is a ticket id (24 characters) or the ticket's Mava dashboard link, pasted as is."
)
_SHORTCUTS_NOTE = (
    "On any Slack message, the ⋯ menu (message shortcuts) can add the message to a "
    "ticket as a private note or send it to the customer."
)


def _help_lines() -> list[str]:
    return [
        f"`{t.escape(entry.syntax)}`\n{t.escape(entry.summary)} "
        f"Example: `{t.escape(entry.example)}`"
        for entry in HELP_ENTRIES
    ]


def help_blocks() -> list[Block]:
    """Every subcommand with its usage line and an example."""
    blocks: list[Block] = [header("Work Mava tickets from Slack")]
    blocks.extend(section(chunk) for chunk in chunk_lines(_help_lines()))
    blocks.append(context(t.escape(_TICKET_NOTE)))
    blocks.append(context(_SHORTCUTS_NOTE))
    return blocks


def help_text() -> str:
    """Plain fallback text of the help: one usage line per subcommand."""
    lines = [f"{entry.syntax} - {entry.summary}" for entry in HELP_ENTRIES]
    return t.escape_and_truncate("\n".join(lines), t.FALLBACK_TEXT)


def usage_blocks(usage: Usage) -> list[Block]:
    """What was wrong, the usage line and an example (the message is escaped)."""
    return [section(":grey_question: " + t.escape_and_truncate(usage.message, 2900))]


def usage_text(usage: Usage) -> str:
    return fallback(usage.message.split("\n", 1)[0])
