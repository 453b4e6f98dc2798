"""Text for Slack: escaping, Slack's size limits, truncation, ages.

Untrusted text (customer messages, names, what a Slack user typed) goes through `escape`
before it enters mrkdwn, so `<!channel>`, `<@U123>` or a forged `<http://evil|your bank>`
stays inert. Markdown characters (`*`, `_`, `~`, backtick) cannot be escaped in mrkdwn,
so a customer can still make their own text bold: cosmetic, it cannot ping anyone or
forge a link, and stripping them would change what agents read. Builders also mark
mrkdwn objects `verbatim` so Slack does not auto-parse a bare `@channel`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mava_bridge.domain.wording import duration

# Slack's limits in characters (docs.slack.dev/reference/block-kit), named so builders
# say which they respect.
SECTION_TEXT = 3000
SECTION_FIELD_TEXT = 2000
SECTION_FIELDS = 10  # fields per section
HEADER_TEXT = 150
CONTEXT_TEXT = 2000  # per context element (a safe bound)
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
ACTION_ID = 255
BLOCK_ID = 255
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MODAL_TITLE = 24
MODAL_BUTTON = 24  # submit / close labels
PRIVATE_METADATA = 3000
INPUT_LABEL = 2000
INPUT_PLACEHOLDER = 150
PLAIN_TEXT_INPUT = 3000  # max_length of a plain_text_input (and its initial_value)
FALLBACK_TEXT = 3000  # what we allow ourselves for a notification fallback `text`
OPTION_TEXT = 75
SELECT_OPTIONS = 100

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` so Slack shows the text as typed (`&amp;` typed reads `&amp;`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<`, `>` (as in slash command and message text)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _cut_escaped(escaped: str, size: int) -> str:
    """The first `size` characters of escaped text, never ending inside an entity: every
    `&` starts one, so a last `&` with no `;` after it was cut: drop it."""
    if size <= 0:
        return ""
    cut = escaped[:size]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def truncate(text: str, limit: int) -> str:
    """Plain text cut to at most `limit` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def escape_and_truncate(text: str, limit: int) -> str:
    """Escape for mrkdwn, then cut to `limit` characters without splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    return _cut_escaped(escaped, limit - 1).rstrip() + ELLIPSIS


def plain(text: str, limit: int, *, empty: str = "-") -> str:
    """Text for a `plain_text` object (not parsed by Slack), truncated; Slack rejects an
    empty one, so blank text becomes `empty`."""
    return truncate(text if text.strip() else empty, limit)


def one_line(text: str) -> str:
    return " ".join(text.split())


def excerpt(text: str, limit: int) -> str:
    """A one-line, escaped excerpt of at most `limit` characters for mrkdwn."""
    return escape_and_truncate(one_line(text), limit)


def quote(text: str, limit: int, *, max_lines: int | None = None) -> str:
    """`text` as an escaped mrkdwn block quote of at most `limit` characters, ending with
    "…" when it does not fit (or has more than `max_lines` lines)."""
    if limit <= 0:
        return ""
    lines = escape(text.strip("\n")).split("\n")
    cut = max_lines is not None and len(lines) > max_lines
    if max_lines is not None:
        lines = lines[: max(max_lines, 1)]
    out = "\n".join("> " + line for line in lines)
    if len(out) <= limit and not cut:
        return out
    if len(out) < limit:
        return out + ELLIPSIS
    return _cut_escaped(out, limit - 1).rstrip() + ELLIPSIS


def age(since: datetime, now: datetime) -> str:
    """How long ago `since` was ("5 m", "2 d 4 h"), or "just now" under a minute. A naive
    datetime is taken as UTC (Mava sends UTC) so mixing never raises."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = (now - since).total_seconds()
    if seconds < 60:  # also clock skew: a time slightly in the future
        return "just now"
    return duration(seconds)


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def mention(user_id: str) -> str:
    """A Slack user mention `<@U123>`; anything that is not a user id stays inert text."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape(user_id)


def link(url: str, label: str) -> str:
    """A mrkdwn link with an escaped label; `|` and `>` in the URL cannot end it early."""
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label)}>"


_SLACK_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _strip_scheme(url: str) -> str:
    return re.sub(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:(?://)?)", "", url).rstrip("/")


def _plain_token(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):  # user: <@U123|name>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # channel: <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
        if label:
            return label
        return "@" + target[1:].split("^", 1)[0]
    if target.lower().startswith("mailto:"):
        return label or target[len("mailto:") :]
    if not label or label == target or _strip_scheme(label) == _strip_scheme(target):
        return target
    return f"{label} ({target})"


def slack_to_plain(text: str) -> str:
    """Slack message text as plain text for Mava: `<@U1|bob>` -> `@bob`, `<!here>` ->
    `@here`, `<http://x.io|docs>` -> `docs (http://x.io)`, entities back to characters.
    Once, on a slash command's or a message's text; modal inputs arrive unescaped."""
    return unescape(_SLACK_TOKEN.sub(_plain_token, text))
