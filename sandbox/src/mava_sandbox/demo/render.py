"""What Slack would show, drawn in a terminal with rich.

Pure functions from Slack's JSON (Block Kit blocks, messages, modals) to rich
renderables, so the demo can show a user the exact payloads the bot sent, readably,
and tests can render them into plain text. Nothing here talks to the network.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.style import Style
from rich.table import Table
from rich.text import Text

from mava_sandbox.demo.emoji import emojize

JSON = dict[str, Any]
# Slack user id -> the name Slack shows for them (None when unknown).
UserNames = Callable[[str], str | None]

LINK: Final = Style(underline=True)
MENTION: Final = Style(bold=True, color="cyan")
CODE: Final = Style(color="magenta")
QUOTE_BAR: Final = "▌ "
_EPHEMERAL_BORDER: Final = "grey50"
_MODAL_BORDER: Final = "blue"
_MESSAGE_BORDER: Final = "white"

# --- mrkdwn ------------------------------------------------------------------------

# One inline element of mrkdwn. Tried left to right, so code spans and `<...>` tokens
# win over emphasis markers inside them.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<token><[^<>\n]+>)"
    r"|(?<![\w*])\*(?=[^\s*])(?P<bold>[^*\n]+?)(?<=\S)\*(?!\w)"
    r"|(?<![\w_])_(?=[^\s_])(?P<italic>[^_\n]+?)(?<=\S)_(?!\w)"
    r"|(?<![\w~])~(?=[^\s~])(?P<strike>[^~\n]+?)(?<=\S)~(?!\w)"
)
_FENCE = "```"
_QUOTE = re.compile(r"^(?:>|&gt;) ?")


def unescape(text: str) -> str:
    """Slack's three entities back to characters (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, users: UserNames | None, style: Style) -> Text:
    """`<...>`: links show their label, mentions a name, special mentions their fallback."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user_id = target[1:]
        name = (users(user_id) if users else None) or label.lstrip("@") or user_id
        return Text("@" + unescape(name), style + MENTION)
    if target.startswith("#"):  # `users` names the channels the demo knows too
        channel_id = target[1:]
        name = label or (users(channel_id) if users else None) or channel_id
        return Text("#" + unescape(name), style + MENTION)
    if target.startswith("!"):
        if label:  # <!date^...|fallback>, <!subteam^S1|@team>
            return Text(unescape(label), style + MENTION)
        return Text("@" + target[1:].split("^", 1)[0], style + MENTION)
    url = unescape(target)
    shown = unescape(label) if label else url.removeprefix("mailto:")
    return Text(shown, style + LINK + Style(link=url if "://" in url else None))


def _inline(text: str, users: UserNames | None, style: Style) -> Text:
    out = Text()
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            out.append(emojize(unescape(text[position : match.start()])), style)
        position = match.end()
        if match.group("code") is not None:
            out.append(unescape(match.group("code")[1:-1]), style + CODE)
        elif match.group("token") is not None:
            out.append_text(_token(match.group("token")[1:-1], users, style))
        elif match.group("bold") is not None:
            out.append_text(_inline(match.group("bold"), users, style + Style(bold=True)))
        elif match.group("italic") is not None:
            out.append_text(_inline(match.group("italic"), users, style + Style(italic=True)))
        else:
            out.append_text(_inline(match.group("strike"), users, style + Style(strike=True)))
    if position < len(text):
        out.append(emojize(unescape(text[position:])), style)
    return out


def mrkdwn_to_text(text: str, users: UserNames | None = None, style: Style | str = "") -> Text:
    """Slack mrkdwn as rich Text: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
    ```` ```blocks``` ````, `> quotes`, `<url|label>` (label, underlined), `<@U1>` (@name),
    `&lt;&gt;&amp;` as characters, and known emoji codes as emoji (`:tada:` → 🎉; not
    inside code, as in Slack)."""
    base = Style.parse(style) if isinstance(style, str) else style
    out = Text()
    for index, chunk in enumerate(text.split(_FENCE)):
        if index % 2 == 1:  # inside a ``` fence: verbatim
            out.append(unescape(chunk.strip("\n")), base + CODE)
            continue
        lines = chunk.split("\n")
        for number, line in enumerate(lines):
            if number:
                out.append("\n")
            quoted = _QUOTE.match(line)
            if quoted:
                out.append(QUOTE_BAR, "dim")
                line = line[quoted.end() :]
            out.append_text(_inline(line, users, base))
    return out


def text_object(obj: Any, users: UserNames | None = None, style: Style | str = "") -> Text:
    """A Block Kit text object (mrkdwn or plain_text), or a bare string, as Text."""
    if isinstance(obj, str):
        return Text(obj, style)
    if not isinstance(obj, Mapping):
        return Text("")
    raw = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(raw, users, style)
    # plain_text shows exactly what it says, emoji codes drawn unless `"emoji": false`.
    return Text(raw if obj.get("emoji") is False else emojize(raw), style)


# --- Blocks ------------------------------------------------------------------------


def _button(element: Mapping[str, Any], users: UserNames | None) -> Text:
    label = text_object(element.get("text"), users).plain or "Button"
    kind = element.get("type")
    if kind == "button":
        suffix = " ↗" if element.get("url") else ""
        style = {"primary": "bold green", "danger": "bold red"}.get(
            str(element.get("style")), "bold"
        )
        return Text(f"[ {label}{suffix} ]", style)
    if kind == "overflow":
        return Text("[ ⋯ ]", "bold")
    initial = element.get("initial_option") or {}
    shown = (
        text_object(initial.get("text"), users).plain
        or element.get("initial_date")
        or element.get("initial_time")
        or text_object(element.get("placeholder"), users).plain
        or str(kind or "element")
    )
    return Text(f"[ {shown} ▾ ]", "bold")


def _elements_line(elements: Iterable[Any], users: UserNames | None) -> Text:
    return Text("  ").join(_button(e, users) for e in elements if isinstance(e, Mapping))


def _section(block: Mapping[str, Any], users: UserNames | None) -> RenderableType:
    parts: list[RenderableType] = []
    if block.get("text") is not None:
        parts.append(text_object(block["text"], users))
    fields = [f for f in block.get("fields") or [] if isinstance(f, Mapping)]
    if fields:
        grid = Table.grid(padding=(0, 3), expand=False)
        grid.add_column()
        grid.add_column()
        for pair in range(0, len(fields), 2):
            row = [text_object(f, users) for f in fields[pair : pair + 2]]
            grid.add_row(*row, *([Text("")] * (2 - len(row))))
        parts.append(grid)
    body: RenderableType = Group(*parts) if len(parts) != 1 else parts[0]
    accessory = block.get("accessory")
    if not isinstance(accessory, Mapping):
        return body
    if accessory.get("type") == "image":
        side = Text(f"[image: {accessory.get('alt_text') or 'image'}]", "dim")
    else:
        side = _button(accessory, users)
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(ratio=1)
    grid.add_column(justify="right")
    grid.add_row(body, side)
    return grid


def _context(block: Mapping[str, Any], users: UserNames | None) -> Text:
    pieces: list[Text] = []
    for element in block.get("elements") or []:
        if not isinstance(element, Mapping):
            continue
        if element.get("type") == "image":
            pieces.append(Text(f"[{element.get('alt_text') or 'image'}]"))
        else:
            pieces.append(text_object(element, users))
    line = Text("  ").join(pieces)
    line.stylize("dim")
    return line


_PICKERS: Final = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "datepicker",
        "timepicker",
    }
)


def _input(
    block: Mapping[str, Any],
    users: UserNames | None,
    values: Mapping[str, str | None],
    errors: Mapping[str, str],
) -> RenderableType:
    block_id = str(block.get("block_id") or "")
    label = text_object(block.get("label"), users, "bold")
    if block.get("optional"):
        label.append(" (optional)", "dim")
    element: Mapping[str, Any] = block.get("element") or {}
    value = values.get(block_id)
    if value is None:
        value = element.get("initial_value")
    picked = next(
        (o for o in element.get("options") or [] if value and o.get("value") == value), None
    )
    if picked is not None:  # a select shows the name of its option, not its value
        shown = _button({**element, "initial_option": picked}, users)
    elif value:
        shown = Text(str(value))
    elif element.get("type") in _PICKERS:
        shown = _button(element, users)
    else:
        placeholder = text_object(element.get("placeholder"), users).plain
        shown = Text(placeholder or " ", "dim italic")
    parts: list[RenderableType] = [
        label,
        Panel(shown, box=box.SQUARE, expand=True, padding=(0, 1), border_style="dim"),
    ]
    hint = block.get("hint")
    if hint is not None:
        parts.append(text_object(hint, users, "dim"))
    if block_id in errors:
        parts.append(Text(f"⚠ {errors[block_id]}", "bold red"))
    return Group(*parts)


def _rich_text_run(elements: Iterable[Any], users: UserNames | None) -> Text:
    out = Text()
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        flags = element.get("style") or {}
        style = Style(
            bold=bool(flags.get("bold")) or None,
            italic=bool(flags.get("italic")) or None,
            strike=bool(flags.get("strike")) or None,
            color="magenta" if flags.get("code") else None,
        )
        if kind == "text":
            out.append(str(element.get("text") or ""), style)
        elif kind == "link":
            url = str(element.get("url") or "")
            out.append(str(element.get("text") or url), style + LINK)
        elif kind == "user":
            user_id = str(element.get("user_id") or "")
            out.append("@" + ((users(user_id) if users else None) or user_id), MENTION)
        elif kind == "channel":
            out.append("#" + str(element.get("channel_id") or ""), MENTION)
        elif kind == "emoji":
            out.append(_rich_text_emoji(element), style)
        elif kind in ("broadcast", "usergroup"):
            out.append("@" + str(element.get("range") or element.get("usergroup_id")), MENTION)
    return out


def _rich_text_emoji(element: Mapping[str, Any]) -> str:
    """Slack sends the code point(s) with the name (`"unicode": "1f389"`)."""
    with contextlib.suppress(ValueError, OverflowError):
        code = str(element.get("unicode") or "")
        if code:
            return "".join(chr(int(part, 16)) for part in code.split("-"))
    return emojize(f":{element.get('name')}:")


def _rich_text(block: Mapping[str, Any], users: UserNames | None) -> RenderableType:
    parts: list[RenderableType] = []
    for element in block.get("elements") or []:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        inner = element.get("elements") or []
        if kind == "rich_text_list":
            ordered = element.get("style") == "ordered"
            for number, item in enumerate(inner, start=1):
                bullet = f"{number}. " if ordered else "• "
                runs = (item.get("elements") or []) if isinstance(item, Mapping) else []
                parts.append(Text(bullet).append_text(_rich_text_run(runs, users)))
        elif kind == "rich_text_quote":
            parts.append(Text(QUOTE_BAR, "dim").append_text(_rich_text_run(inner, users)))
        elif kind == "rich_text_preformatted":
            run = _rich_text_run(inner, users)
            run.stylize(CODE)
            parts.append(run)
        else:
            parts.append(_rich_text_run(inner, users))
    return Group(*parts)


def render_block(
    block: Any,
    *,
    users: UserNames | None = None,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
) -> RenderableType:
    """One block; unknown or malformed blocks show a dim placeholder instead of failing."""
    if not isinstance(block, Mapping):
        return Text("[not a block]", "dim")
    kind = block.get("type")
    if kind == "section":
        return _section(block, users)
    if kind == "header":
        return text_object(block.get("text"), users, "bold underline")
    if kind == "context":
        return _context(block, users)
    if kind == "divider":
        return Rule(style="dim")
    if kind == "actions":
        return _elements_line(block.get("elements") or [], users)
    if kind == "input":
        return _input(block, users, values or {}, errors or {})
    if kind == "image":
        title = text_object(block.get("title"), users).plain
        alt = block.get("alt_text") or "image"
        return Text(f"[image: {title or alt}]", "dim")
    if kind == "rich_text":
        return _rich_text(block, users)
    return Text(f"[{kind or 'unknown'} block]", "dim")


def render_blocks(
    blocks: Sequence[Any] | None,
    *,
    users: UserNames | None = None,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
) -> RenderableType:
    """Blocks one under the other, as Slack stacks them.

    `values` (block_id -> text) fills input blocks instead of their initial values;
    `errors` (block_id -> sentence) shows the inline errors a modal submission got."""
    return Group(
        *(render_block(b, users=users, values=values, errors=errors) for b in blocks or [])
    )


# --- Messages, ephemerals and modals ----------------------------------------------------


def _content(message: Mapping[str, Any], users: UserNames | None) -> RenderableType:
    """Blocks when there are some (Slack then shows only them), else the text."""
    blocks = message.get("blocks")
    parts: list[RenderableType] = []
    if isinstance(blocks, list) and blocks:
        parts.append(render_blocks(blocks, users=users))
    elif message.get("text"):
        parts.append(mrkdwn_to_text(str(message["text"]), users))
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, Mapping):
            continue
        inner: list[RenderableType] = []
        if attachment.get("blocks"):
            inner.append(render_blocks(attachment["blocks"], users=users))
        elif attachment.get("text") or attachment.get("fallback"):
            raw = str(attachment.get("text") or attachment.get("fallback"))
            inner.append(mrkdwn_to_text(raw, users))
        if inner:
            parts.append(Padding(Group(*inner), (0, 0, 0, 2)))
    return Group(*parts) if parts else Text("(empty message)", "dim")


def author_line(message: Mapping[str, Any], users: UserNames | None) -> Text:
    """ "Mava APP" for the bot, the member's name for people."""
    user_id = str(message.get("user") or "")
    name = (users(user_id) if users and user_id else None) or user_id or "someone"
    line = Text(name, "bold")
    if message.get("bot_id"):
        line.append(" APP", "dim")
    if message.get("edited"):
        line.append("  (edited)", "dim")
    return line


def render_message(
    message: Mapping[str, Any],
    *,
    users: UserNames | None = None,
    title: str = "",
    replies_to: Mapping[str, Any] | None = None,
) -> RenderableType:
    """A channel message in a box titled `title` (e.g. "#support"). With `replies_to`
    (the thread's parent), the message is shown indented under that parent."""
    body: RenderableType = Group(author_line(message, users), _content(message, users))
    if replies_to is not None:
        parent = Text("thread: ", "dim").append_text(author_line(replies_to, users))
        first = mrkdwn_to_text(str(replies_to.get("text") or ""), users).plain.split("\n")[0]
        parent.append(f"  {first[:80]}", "dim")
        body = Group(parent, Padding(body, (0, 0, 0, 4)))
    return Panel(
        body,
        title=Text(title) if title else None,
        title_align="left",
        border_style=_MESSAGE_BORDER,
        box=box.ROUNDED,
    )


def render_thread(
    parent: Mapping[str, Any],
    replies: Sequence[Mapping[str, Any]],
    *,
    users: UserNames | None = None,
    title: str = "",
) -> RenderableType:
    """A whole thread as Slack's thread pane shows it: the parent, then each reply."""
    parts: list[RenderableType] = [author_line(parent, users), _content(parent, users)]
    parts.append(Rule(f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'}", style="dim"))
    for reply in replies:
        said = Group(author_line(reply, users), _content(reply, users))
        parts.append(Padding(said, (0, 0, 0, 2)))
    return Panel(
        Group(*parts),
        title=Text(title) if title else None,
        title_align="left",
        border_style=_MESSAGE_BORDER,
        box=box.ROUNDED,
    )


def render_ephemeral(
    message: Mapping[str, Any],
    *,
    users: UserNames | None = None,
    where: str = "",
    author: str = "Mava",
) -> RenderableType:
    """A message only the user sees (a response_url answer or chat.postEphemeral)."""
    title = "Only visible to you" + (f" · {where}" if where else "")
    body = Group(Text(author, "bold").append(" APP", "dim"), _content(message, users))
    return Panel(
        body,
        title=Text(title),
        title_align="left",
        border_style=_EPHEMERAL_BORDER,
        box=box.ROUNDED,
    )


def render_modal(
    view: Mapping[str, Any],
    *,
    users: UserNames | None = None,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
    heading: str = "Modal",
) -> RenderableType:
    """A modal: title, blocks with their inputs' values, and its Cancel/Submit buttons."""
    title = text_object(view.get("title"), users).plain or "(untitled)"
    buttons = [
        f"[ {text_object(view[key], users).plain} ]"
        for key in ("close", "submit")
        if isinstance(view.get(key), Mapping)
    ]
    return Panel(
        render_blocks(view.get("blocks") or [], users=users, values=values, errors=errors),
        title=Text(f"{heading}: {title}"),
        title_align="left",
        subtitle=Text("  ".join(buttons)) if buttons else None,
        subtitle_align="right",
        border_style=_MODAL_BORDER,
        box=box.HEAVY,
    )


def render_notice(text: str, style: str = "dim") -> Text:
    return Text(text, style)


# --- What changed in Mava ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    name: str  # "status", "priority", "category", "assignee"
    old: str
    new: str


@dataclass(frozen=True)
class NewMessage:
    message_type: str  # ExternalMessage (the customer sees it) or InternalNote
    sender_type: str
    content: str


@dataclass(frozen=True)
class TicketChange:
    ticket_id: str
    created: bool = False
    fields: tuple[FieldChange, ...] = ()
    messages: tuple[NewMessage, ...] = ()


@dataclass(frozen=True)
class CustomerChange:
    customer: str  # email, else name, else id
    created: bool = False
    attributes: tuple[FieldChange, ...] = ()


Change = TicketChange | CustomerChange

_MESSAGE_LABELS: Final = {
    "ExternalMessage": "ExternalMessage (the customer sees it)",
    "InternalNote": "InternalNote (agents only)",
}


def render_changes(changes: Sequence[Change], *, limit: int = 600) -> RenderableType:
    """The sandbox diff after one demo line: new tickets, messages, field changes and
    customer attributes."""
    if not changes:
        return Text("What changed in Mava: nothing.", "dim")
    lines: list[RenderableType] = []
    for change in changes:
        if isinstance(change, CustomerChange):
            head = Text.assemble(("customer ", "bold"), (change.customer, "bold cyan"))
            if change.created:
                head.append("  (new customer)", "green")
            lines.append(head)
            for item in change.attributes:
                line = Text(f"  attribute {item.name}: ")
                line.append(item.old, "red").append(" → ").append(item.new, "green")
                lines.append(line)
            continue
        head = Text.assemble(("ticket ", "bold"), (change.ticket_id, "bold cyan"))
        if change.created:
            head.append("  (new ticket)", "green")
        lines.append(head)
        for item in change.fields:
            line = Text(f"  {item.name}: ")
            line.append(item.old, "red").append(" → ").append(item.new, "green")
            lines.append(line)
        for message in change.messages:
            label = _MESSAGE_LABELS.get(message.message_type, message.message_type)
            content = (
                message.content
                if len(message.content) <= limit
                else (message.content[: limit - 1] + "…")
            )
            line = Text.assemble("  ", ("+ ", "green"), (label, "bold"))
            line.append(f" by {message.sender_type}: ", "dim").append(content)
            lines.append(line)
    return Panel(
        Group(*lines),
        title="What changed in Mava",
        title_align="left",
        border_style="green",
        box=box.ROUNDED,
    )


__all__ = [
    "Change",
    "CustomerChange",
    "FieldChange",
    "NewMessage",
    "TicketChange",
    "UserNames",
    "author_line",
    "mrkdwn_to_text",
    "render_block",
    "render_blocks",
    "render_changes",
    "render_ephemeral",
    "render_message",
    "render_modal",
    "render_notice",
    "render_thread",
    "text_object",
    "unescape",
]
