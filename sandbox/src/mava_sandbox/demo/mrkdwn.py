"""Slack's mrkdwn and text objects drawn as rich Text: links, mentions, code, quotes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from rich.style import Style
from rich.text import Text

from mava_sandbox.demo.emoji import emojize

JSON = dict[str, Any]
# Slack user id -> the name Slack shows for them (None when unknown).
UserNames = Callable[[str], str | None]

LINK: Final = Style(underline=True)
MENTION: Final = Style(bold=True, color="cyan")
CODE: Final = Style(color="magenta")
QUOTE_BAR: Final = "▌ "

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
