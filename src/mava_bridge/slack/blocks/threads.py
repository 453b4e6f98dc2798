"""A followed ticket in Slack: its card (the thread's root, updated in place), the thread
replies mirroring its Mava messages and changes, and the messages around following it.
This module is delivery's `ThreadRenderer` (delivery.ports).

Everything from Mava is escaped (`slack.text`), so `<!channel>` written by a customer
pings nobody, and cut to Slack's limits with a link to the whole message in Mava.
A file is an image block only when it is `image/*` at an https URL: Slack fetches that
itself and refuses the whole message (`invalid_blocks`) when it cannot. Other files are
links, or their names alone without a safe URL; past `SHOWN` files they are counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from mava_bridge.delivery.ports import Snapshot
from mava_bridge.mava.models import FileAttachment, Message, MessageType, SenderType, Status, Ticket
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import common as kit
from mava_bridge.slack.blocks.common import Block, LinkFor
from mava_bridge.slack.blocks.digest import alert_headline, digest_item
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
SHOWN: Final = 10  # files drawn per message, far below Slack's 50 blocks
FILE_NAME_SHOWN: Final = 100  # Slack allows 2,000 in alt_text and title
FILE_TYPE_SHOWN: Final = 60
IMAGE_URL: Final = 3000  # Slack's limit for an image block's image_url


def safe_url(url: Any) -> str | None:
    """`url` if it is an http(s) URL Slack can link, else None."""
    if not isinstance(url, str) or len(url) > t.BUTTON_URL:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def _file_name(attachment: FileAttachment) -> str:
    return t.truncate(t.one_line(attachment.display_name), FILE_NAME_SHOWN)


def _file_line(name: str, url: str | None, kind: str) -> str:
    """ ":paperclip: <url|name> (type)" in escaped mrkdwn; the name alone without a URL."""
    shown = t.link(url, name) if url else t.escape(name)
    return f":paperclip: {shown}" + (f" ({kind})" if kind else "")


def _image(attachment: FileAttachment) -> Block | None:
    """An image block for `attachment` if it is an image Slack may fetch: image/* at https."""
    kind = (attachment.file_type or "").strip().lower()
    url = safe_url(attachment.url)
    if not kind.startswith("image/") or url is None or len(url) > IMAGE_URL:
        return None
    if urlsplit(url).scheme.lower() != "https":
        return None
    name = _file_name(attachment)
    return {
        "type": "image",
        "image_url": url,
        "alt_text": t.plain(name, 2000, empty="image"),
        "title": kit.plain_text(name, 2000, emoji=False),
    }


def images_as_links(blocks: Sequence[Block]) -> list[Block] | None:
    """`blocks` with each image drawn as a link instead, for when Slack could not fetch
    one; None when there is no image to redraw."""
    if not any(block.get("type") == "image" for block in blocks):
        return None
    redrawn: list[Block] = []
    for block in blocks:
        if block.get("type") != "image":
            redrawn.append(block)
            continue
        title = block.get("title")
        name = title.get("text") if isinstance(title, dict) else block.get("alt_text")
        url = safe_url(block.get("image_url"))
        redrawn.append(kit.section(_file_line(str(name or "image"), url, "image")))
    return redrawn


def attachment_blocks(attachments: Sequence[FileAttachment]) -> list[Block]:
    """The images, then one section of links (and how many more)."""
    images: list[Block] = []
    lines: list[str] = []
    for attachment in attachments[:SHOWN]:
        image = _image(attachment)
        if image is not None:
            images.append(image)
        else:
            kind = t.escape_and_truncate(t.one_line(attachment.file_type or ""), FILE_TYPE_SHOWN)
            lines.append(_file_line(_file_name(attachment), safe_url(attachment.url), kind))
    if (more := len(attachments) - SHOWN) > 0:
        lines.append(f":paperclip: …and {more} more in Mava")
    return images + ([kit.section("\n".join(lines))] if lines else [])


def file_names(attachments: Sequence[FileAttachment]) -> str:
    """The files for a fallback text: "2 files: a.png, b.pdf"."""
    if not attachments:
        return ""
    listed = ", ".join(_file_name(a) for a in attachments[:SHOWN])
    more = len(attachments) - SHOWN
    return f"{kit.plural(len(attachments), 'file')}: {listed}" + (
        f" and {more} more" if more > 0 else ""
    )


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


def message(msg: Message, *, link: str) -> tuple[str, list[Block]]:
    """One Mava message as a thread reply: (fallback text, blocks)."""
    content = (msg.content or "").strip()
    files = attachment_blocks(msg.attachments)
    listed = file_names(msg.attachments)
    if msg.sender_type == SenderType.SYSTEM:
        body = t.excerpt(content, t.CONTEXT_TEXT - 200) or "(no text)"
        blocks = [kit.context(f"_{body}_"), *files]
        return kit.fallback(content or "System message"), blocks[: t.MESSAGE_BLOCKS]
    top = heading(msg)
    room = t.SECTION_TEXT - len(top) - 1
    body = _body(content, room, link) if content else "_(no text)_"
    who = (msg.sender_name or "").strip() or "unknown"
    kind = "Private note" if msg.message_type == MessageType.INTERNAL_NOTE else "Message"
    words = f"{kind} from {who}: {content}" if content else f"{kind} from {who}"
    text = kit.fallback(f"{words} ({listed})" if listed else words)
    return text, [kit.section(f"{top}\n{body}"), *files][: t.MESSAGE_BLOCKS]


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
    return [kit.context(t.escape_and_truncate(text, t.CONTEXT_TEXT))]


def card(
    ticket: Ticket,
    *,
    link: LinkFor,
    now: datetime,
    followed: bool = True,
    headline: str | None = None,
    state_line: str | None = None,
) -> list[Block]:
    """The ticket as a digest item with, when `followed`, the line saying so and an
    Unfollow button; else a Follow button. `headline` (plain words, e.g. an alert's
    reason) goes on top; `state_line` (mrkdwn, e.g. "Resolved by <@U1>") under the facts."""
    if followed:
        last = kit.button("Unfollow", ACTION_UNFOLLOW, value=ticket.id)
    else:
        last = kit.button("Follow in this channel", ACTION_FOLLOW, value=ticket.id)
    item = digest_item(ticket, link=link, now=now, state_line=state_line, last_button=last)
    if followed:  # the line goes between the facts and the buttons (the item's last block)
        resolved = ":white_check_mark: Resolved · " if ticket.status == Status.RESOLVED else ""
        item.insert(-1, kit.context(f"{resolved}:thread: {FOLLOWING}"))
    return ([alert_headline(headline)] if headline else []) + item


def card_text(ticket: Ticket) -> str:
    return kit.fallback(f"Ticket {ticket.id}: {ticket.status}")


def change_message(before: Snapshot, after: Snapshot) -> tuple[str, list[Block]]:
    line = change_line(before, after)
    words = t.unescape(line.replace(":pencil2: ", "").replace("*", ""))
    return kit.fallback(words), [kit.section(line)]


def unfollowed_card(blocks: Sequence[Block], ticket_id: str) -> list[Block]:
    """A followed card once unfollowed (the thread sync no longer redraws it): no
    "Following this ticket" line, and Follow instead of Unfollow."""
    out: list[Block] = []
    for block in blocks:
        if block.get("type") == "context" and FOLLOWING in json.dumps(block):
            continue
        if block.get("type") == "actions":
            elements = [
                kit.follow_button(ticket_id) if e.get("action_id") == ACTION_UNFOLLOW else e
                for e in block.get("elements") or []
            ]
            block = {**block, "elements": elements}
        out.append(block)
    return out


def already_followed(ticket_id: str, permalink: str | None) -> list[Block]:
    where = f"<{permalink}|in this thread>" if permalink else "in this channel"
    return [kit.section(f"Ticket `{t.escape(ticket_id)}` is already followed {where}.")]


def already_followed_text(ticket_id: str) -> str:
    return f"Ticket {ticket_id} is already followed in this channel."


def unfollowed_line(user_id: str, ticket_id: str) -> str:
    """The thread's last line once someone stops following it (mrkdwn)."""
    return (
        f"No longer following: <@{t.escape(user_id)}> unfollowed this ticket. "
        f"`/mava follow {t.escape(ticket_id)}` to follow it again."
    )
