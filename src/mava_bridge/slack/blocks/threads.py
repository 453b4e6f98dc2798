"""A followed ticket in Slack: its card (the thread's root, updated in place) and the
thread replies mirroring its Mava messages and changes.

Everything from Mava (names, message text, file names) is escaped (`slack.text`), so
`<!channel>` or `<@U123>` written by a customer pings nobody, and cut to Slack's
limits with a link to the whole message in Mava. Files are drawn by
`slack.blocks.attachments`: images Slack can fetch as image blocks, others as links.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from mava_bridge.delivery.ports import Snapshot
from mava_bridge.mava.models import Message, MessageType, SenderType, Status, Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.attachments import attachment_blocks, names
from mava_bridge.slack.blocks.attachments import safe_url as safe_url  # re-exported
from mava_bridge.slack.blocks.common import Block, LinkFor, button, context, fallback, section
from mava_bridge.slack.blocks.digest import digest_item
from mava_bridge.slack.blocks.tickets import with_button
from mava_bridge.slack.callback_ids import ACTION_FOLLOW, ACTION_UNFOLLOW

FOLLOWING: Final = "Following this ticket in the thread"
# Names of the snapshot fields, in the order a change line lists them.
FIELDS: Final = (
    ("status", "Status"),
    ("priority", "Priority"),
    ("category", "Category"),
    ("assignee", "Assignee"),
)
_NAME_LIMIT: Final = 80


def _who(message: Message) -> str:
    name = (message.sender_name or "").strip()
    return t.escape_and_truncate(t.one_line(name), _NAME_LIMIT) if name else "unknown"


def heading(message: Message) -> str:
    """Who wrote it and how, as escaped mrkdwn."""
    who = _who(message)
    if message.message_type == MessageType.INTERNAL_NOTE:
        return f":lock: *Private note by {who}*"
    if message.sender_type == SenderType.CUSTOMER:
        return f"*{who}* (customer)"
    if message.sender_type == SenderType.AGENT:
        return f"*Agent reply by {who}*"
    return f"*{who}*"


def _body(text: str, room: int, link: str) -> str:
    """Escaped `text` in at most `room` characters; cut with a link to Mava if it must."""
    escaped = t.escape(text)
    if len(escaped) <= room:
        return escaped
    tail = f"\n… (cut — open in Mava: {t.link(link, 'the whole message')})"
    return t.escape_and_truncate(text, max(room - len(tail), 0)) + tail


def thread_message(msg: Message, *, link: str) -> tuple[str, list[Block]]:
    """One Mava message as a thread reply: (fallback text, blocks)."""
    content = (msg.content or "").strip()
    files = attachment_blocks(msg.attachments)
    listed = names(msg.attachments)
    if msg.sender_type == SenderType.SYSTEM:
        body = t.excerpt(content, t.CONTEXT_TEXT - 200) or "(no text)"
        blocks = [context(f"_{body}_"), *files]
        return fallback(content or "System message"), blocks[: t.MESSAGE_BLOCKS]
    top = heading(msg)
    room = t.SECTION_TEXT - len(top) - 1
    body = _body(content, room, link) if content else "_(no text)_"
    who = (msg.sender_name or "").strip() or "unknown"
    kind = "Private note" if msg.message_type == MessageType.INTERNAL_NOTE else "Message"
    words = f"{kind} from {who}: {content}" if content else f"{kind} from {who}"
    text = fallback(f"{words} ({listed})" if listed else words)
    return text, [section(f"{top}\n{body}"), *files][: t.MESSAGE_BLOCKS]


def change_line(before: Snapshot, after: Snapshot) -> str:
    """ "Status: Open → Pending · Assignee: Unassigned → Ann" (escaped mrkdwn)."""
    parts = []
    for key, label in FIELDS:
        old, new = before.get(key), after.get(key)
        if old != new:
            was = t.escape_and_truncate(old or "none", 100)
            now = t.escape_and_truncate(new or "none", 100)
            parts.append(f"*{label}:* {was} → {now}")
    return ":pencil2: " + (" · ".join(parts) if parts else "Ticket updated")


def notice(text: str) -> list[Block]:
    return [context(t.escape_and_truncate(text, t.CONTEXT_TEXT))]


def card(
    ticket: Ticket,
    *,
    link: LinkFor,
    now: datetime,
    followed: bool = True,
    headline: str | None = None,
    state_line: str | None = None,
) -> list[Block]:
    """The ticket as a digest item (its facts and buttons: Reply, Add note, …) with, when
    `followed`, the line saying so and an Unfollow button; else a Follow button.
    `headline` (plain words, e.g. an alert's reason) goes on top; `state_line` (mrkdwn,
    e.g. "Resolved by <@U1>") under the facts, as a button's redraw says it."""
    blocks: list[Block] = []
    if headline:
        blocks.append(section(f":rotating_light: *{t.escape_and_truncate(headline, 200)}*"))
    item = digest_item(ticket, link=link, now=now, state_line=state_line)
    if followed:  # the line goes between the facts and the buttons (the item's last block)
        resolved = ":white_check_mark: Resolved · " if ticket.status == Status.RESOLVED else ""
        item.insert(-1, context(f"{resolved}:thread: {FOLLOWING}"))
        extra = button("Unfollow", ACTION_UNFOLLOW, value=ticket.id)
    else:
        extra = button("Follow in this channel", ACTION_FOLLOW, value=ticket.id)
    return blocks + with_button(item, ticket.id, extra)


def card_text(ticket: Ticket) -> str:
    return fallback(f"Ticket {ticket.id}: {ticket.status}")


def change_message(before: Snapshot, after: Snapshot) -> tuple[str, list[Block]]:
    line = change_line(before, after)
    words = t.unescape(line.replace(":pencil2: ", "").replace("*", ""))
    return fallback(words), [section(line)]


class ThreadBlocks:
    """Delivery's `ThreadRenderer` (mava_bridge.delivery.ports) in Block Kit."""

    message = staticmethod(thread_message)
    change_line = staticmethod(change_line)
    change_message = staticmethod(change_message)
    notice = staticmethod(notice)
    card = staticmethod(card)
    card_text = staticmethod(card_text)
