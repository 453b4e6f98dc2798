"""Block Kit primitives and the shared pieces of ticket rendering.

Every primitive cuts what it builds to Slack's limit, so no builder can emit an oversize
block whatever the data. mrkdwn given to them must already be escaped (`slack.text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from mava_bridge.domain.tickets import ORIGIN_LABELS
from mava_bridge.mava.models import (
    Message,
    MessageType,
    Origin,
    Priority,
    SenderType,
    Status,
    Ticket,
)
from mava_bridge.slack import text as t
from mava_bridge.slack.callback_ids import (
    ACTION_ASSIGN_ME,
    ACTION_FOLLOW,
    ACTION_NOTE,
    ACTION_OPEN_IN_MAVA,
    ACTION_REPLY,
    ACTION_RESOLVE,
    actions_block_id,
)

Block = dict[str, Any]
LinkFor = Callable[[str], str]  # ticket id -> dashboard URL


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 ticket", "3 tickets" ("2 categories" with `many`)."""
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def fit(mrkdwn: str, limit: int) -> str:
    """Cut built mrkdwn to `limit`: at the last line break that fits, else mid-line but
    never inside an entity or a `<url|label>` link (it would show broken)."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    head = mrkdwn[: limit - 1]
    newline = head.rfind("\n")
    if newline > limit // 2:
        head = head[:newline]
    else:
        # Mid-line: do not end inside an entity or a `<...>` link.
        amp, lt = head.rfind("&"), head.rfind("<")
        if amp != -1 and ";" not in head[amp:]:
            head = head[:amp]
        if lt != -1 and ">" not in head[lt:]:
            head = head[:lt]
    return head.rstrip() + t.ELLIPSIS


def mrkdwn(text: str, limit: int = t.SECTION_TEXT) -> dict[str, Any]:
    # verbatim: Slack must not auto-link bare names or parse a bare @channel.
    return {"type": "mrkdwn", "text": fit(text, limit) or " ", "verbatim": True}


def plain_text(text: str, limit: int, *, emoji: bool = True) -> dict[str, Any]:
    # Pass emoji=False for customer text: their `:x:` is shown as typed.
    return {"type": "plain_text", "text": t.plain(text, limit), "emoji": emoji}


def _block(kind: str, block_id: str | None, **body: Any) -> Block:
    block: Block = {"type": kind, **body}
    if block_id:
        block["block_id"] = block_id[: t.BLOCK_ID]
    return block


def section(text: str, *, block_id: str | None = None) -> Block:
    return _block("section", block_id, text=mrkdwn(text))


def fields_section(fields: Sequence[str]) -> Block:
    fitted = [mrkdwn(f, t.SECTION_FIELD_TEXT) for f in fields[: t.SECTION_FIELDS]]
    return {"type": "section", "fields": fitted}


def context(*texts: str, block_id: str | None = None) -> Block:
    elements = [mrkdwn(x, t.CONTEXT_TEXT) for x in texts[: t.CONTEXT_ELEMENTS]]
    return _block("context", block_id, elements=elements)


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, t.HEADER_TEXT)}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(label, t.BUTTON_TEXT),
        "action_id": action_id[: t.ACTION_ID],
    }
    if value is not None:
        element["value"] = value[: t.BUTTON_VALUE]
    if url is not None and 0 < len(url) <= t.BUTTON_URL:
        element["url"] = url
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def actions(elements: Sequence[dict[str, Any]], *, block_id: str | None = None) -> Block:
    return _block("actions", block_id, elements=list(elements[: t.ACTIONS_ELEMENTS]))


def text_input(action_id: str, initial: str | None = None, **options: Any) -> dict[str, Any]:
    # Without `options`: the long text of a reply or a note.
    options = options or {"multiline": True, "max_length": t.PLAIN_TEXT_INPUT}
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, **options}
    if initial:
        element["initial_value"] = t.truncate(initial, t.PLAIN_TEXT_INPUT)
    return element


def input_block(block_id: str, label: str, element: dict[str, Any], **options: Any) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, t.INPUT_LABEL),
        "element": element,
        **options,
    }


def chunk_lines(lines: Iterable[str], limit: int = t.SECTION_TEXT) -> list[str]:
    """Lines joined into texts of at most `limit` (a line too long alone is cut)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = fit(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def fallback(text: str) -> str:
    """A message's `text` (its notification) from plain words."""
    return t.escape_and_truncate(t.one_line(text), t.FALLBACK_TEXT)


def _sentence(emoji: str, sentence: str) -> list[Block]:
    # The sentence is plain text: it gets escaped, and cut to fit beside the emoji.
    room = t.SECTION_TEXT - len(emoji) - 4
    return [section(f"{emoji} {t.escape_and_truncate(sentence, room)}")]


def error_blocks(sentence: str) -> list[Block]:
    return _sentence(":warning:", sentence)


def success_blocks(sentence: str) -> list[Block]:
    return _sentence(":white_check_mark:", sentence)


def notice_blocks(sentence: str) -> list[Block]:
    # Neither done nor failed: how things are (e.g. "already resolved").
    return _sentence(":information_source:", sentence)


error_text = success_text = fallback

PRIORITY_EMOJI: dict[Priority | None, str] = {
    Priority.HIGH: ":red_circle:",
    Priority.MEDIUM: ":large_orange_circle:",
    Priority.LOW: ":large_blue_circle:",
    None: ":white_circle:",
}


def priority_badge(ticket: Ticket) -> str:
    level = ticket.priority_level
    if level is not None:
        label = level.label
    elif ticket.priority is None:
        label = "none"
    else:
        label = t.escape_and_truncate(str(ticket.priority), 20)  # a value Mava added later
    return f"{PRIORITY_EMOJI[level]} {label}"


def status_label(ticket: Ticket) -> str:
    status = ticket.status
    if isinstance(status, Status):
        return status.value
    return t.escape_and_truncate(str(status), 30)


def origin_label(ticket: Ticket) -> str:
    origin = ticket.source_type
    if isinstance(origin, Origin):
        return ORIGIN_LABELS[origin]
    if origin is None:
        return "unknown"
    return t.escape_and_truncate(str(origin), 30)


def category_label(ticket: Ticket) -> str:
    return t.escape_and_truncate(ticket.category.name, 100) if ticket.category else "none"


def assignee_label(ticket: Ticket) -> str:
    agent = ticket.assigned_to
    if agent is None:
        return "Unassigned"
    return t.escape_and_truncate(agent.name or f"agent {agent.id[-6:]}", 100)


def customer_name(ticket: Ticket) -> str | None:
    """Who the customer is in plain words, or None when Mava has nothing."""
    customer = ticket.customer
    name = customer.name if customer else None
    email = customer.email if customer else None
    if name and email:
        return f"{name} ({email})"
    if name or email:
        return name or email
    for user in ticket.discord_users:
        if user.name:
            return f"{user.name} (Discord)"
    first = ticket.first_customer_message()
    if first is not None and first.sender_name:
        return first.sender_name
    return None


def customer_label(ticket: Ticket, limit: int = 150) -> str:
    name = customer_name(ticket)
    return t.escape_and_truncate(name, limit) if name else "unknown"


def tags_label(ticket: Ticket, limit: int = 300) -> str:
    if not ticket.tags:
        return "none"
    return t.escape_and_truncate(", ".join(tag.name for tag in ticket.tags), limit)


def first_message_text(ticket: Ticket) -> str | None:
    first = ticket.first_customer_message()
    if first is None or not (first.content or "").strip():
        return None
    return first.content


def ticket_link(url: str, label: str) -> str:
    return t.link(url, label) if url else t.escape(label)


def sender_label(message: Message) -> str:
    """`*Customer* user#1234`, `*Agent* Jane`, `*System*`."""
    kind = message.sender_type
    if isinstance(kind, SenderType):
        role = kind.value.capitalize()
    elif kind:
        role = t.escape_and_truncate(str(kind), 20)
    else:
        role = "Unknown sender"
    name = t.escape_and_truncate(message.sender_name, 80) if message.sender_name else ""
    return f"*{role}*" + (f" {name}" if name else "")


def message_block(message: Message, *, now: datetime | None, limit: int = 1000) -> Block:
    """A system message dim in a context, others quoted in a section; its age only
    with `now` (a modal has no clock)."""
    when = t.age(message.created_at, now) if message.created_at and now else ""
    when = f"{when} ago" if when and when != "just now" else when
    body = (message.content or "").strip()
    files = len(message.attachments)
    attached = f" :paperclip: {plural(files, 'attachment')}" if files else ""
    if message.sender_type == SenderType.SYSTEM:
        line = f"{sender_label(message)} · {when}: " if when else f"{sender_label(message)}: "
        return context(line + t.escape_and_truncate(t.one_line(body), limit) + attached)
    internal = message.message_type == MessageType.INTERNAL_NOTE
    tag = " · :lock: *Internal note*" if internal else ""
    top = f"{sender_label(message)}{tag}" + (f" · {when}" if when else "") + attached
    quoted = t.quote(body, limit, max_lines=15) if body else "_(no text)_"
    return section(f"{top}\n{quoted}")


def ticket_buttons(
    ticket: Ticket, *, open_url: str | None = None, last: dict[str, Any] | None = None
) -> Block:
    """Reply, Add note, and Assign to me until someone has it, Resolve until resolved;
    `last` (a Follow or Unfollow button) after them."""
    value = ticket.id
    resolved = ticket.status == Status.RESOLVED
    elements: list[dict[str, Any]] = []
    if open_url:
        elements.append(button("Open in Mava", ACTION_OPEN_IN_MAVA, value=value, url=open_url))
    elements.append(button("Reply", ACTION_REPLY, value=value, style="primary"))
    elements.append(button("Add note", ACTION_NOTE, value=value))
    if ticket.assigned_to is None and not resolved:
        elements.append(button("Assign to me", ACTION_ASSIGN_ME, value=value))
    if not resolved:
        elements.append(button("Resolve", ACTION_RESOLVE, value=value))
    if last is not None:
        elements.append(last)
    return actions(elements, block_id=actions_block_id(ticket.id))


def slack_date(moment: datetime, token: str = "{date_short_pretty} {time}") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    fallback_text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{token}|{fallback_text}>"


def follow_button(ticket_id: str) -> dict[str, Any]:
    """Post the ticket in this channel and keep its thread in sync."""
    return button("Follow", ACTION_FOLLOW, value=ticket_id)
