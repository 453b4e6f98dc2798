"""What Slack would show, drawn in a terminal with rich.

Pure functions from Slack's JSON (Block Kit blocks, messages, modals) to rich
renderables, so the demo can show a user the exact payloads the bot sent, readably,
and tests can render them into plain text. Nothing here talks to the network.

This module draws the surfaces (messages, threads, ephemerals, modals, notices); mrkdwn,
blocks and changes draw their parts, and their public names are exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from mava_sandbox.demo.blocks import render_block, render_blocks
from mava_sandbox.demo.changes import (
    Change,
    CustomerChange,
    FieldChange,
    NewMessage,
    TicketChange,
    render_changes,
)
from mava_sandbox.demo.mrkdwn import (
    UserNames,
    mrkdwn_to_text,
    text_object,
    unescape,
)

_EPHEMERAL_BORDER: Final = "grey50"
_MODAL_BORDER: Final = "blue"
_MESSAGE_BORDER: Final = "white"

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
