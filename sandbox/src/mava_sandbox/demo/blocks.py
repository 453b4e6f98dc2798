"""Block Kit blocks drawn in a terminal: sections, buttons, context, inputs, rich text."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.style import Style
from rich.table import Table
from rich.text import Text

from mava_sandbox.demo.emoji import emojize
from mava_sandbox.demo.mrkdwn import CODE, LINK, MENTION, QUOTE_BAR, UserNames, text_object

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
