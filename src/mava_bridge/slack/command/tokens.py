"""The words of `/mava` text: tokens (Slack-wrapped links and mentions kept whole),
shell-like quoting, ticket references and the shared origin words."""

from __future__ import annotations

import re
import shlex

from mava_bridge.domain.ticket_refs import (
    SHORT_ID_LENGTH,
    SHORT_MARK,
    InvalidTicketRef,
    parse_ticket_ref,
    short_tail,
)
from mava_bridge.domain.tickets import Origin
from mava_bridge.domain.wording import shown
from mava_bridge.slack.command.help import refuse
from mava_bridge.slack.text import unescape

# A Slack-wrapped token (`<https://x|label with spaces>`, `<@U1|ann>`) or a word.
# A `<` typed by a user arrives as `&lt;`, so a raw `<` always starts a wrapper.
_TOKEN = re.compile(r"<[^<>]*>\S*|\S+")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def next_token(text: str) -> tuple[str, str] | None:
    """The first token of `text` and everything after it (spacing kept)."""
    match = _TOKEN.search(text)
    if match is None:
        return None
    return match.group(0), text[match.end() :]


def split_quoted(text: str) -> list[str] | str:
    """Words with shell-like quoting; an error sentence (a str) for unbalanced quotes."""
    try:
        return shlex.split(text.translate(_SMART_QUOTES), posix=True)
    except ValueError:
        return (
            "A quote is not closed. Put values with spaces in matching quotes, "
            'e.g. plan="Gold plus", or leave out a stray \' or ".'
        )


def read_ticket(name: str, text: str) -> tuple[str, str]:
    """Read TICKET (an id or a dashboard link) from the front of `text`."""
    token = next_token(text)
    if token is None:
        refuse(name, "Which ticket? Give its id or paste its Mava dashboard link.")
    word, rest = token
    try:
        # Slack escapes `&` inside links (`?a=1&amp;id=...`); undo it first.
        return parse_ticket_ref(unescape(word)), rest
    except InvalidTicketRef as error:
        tail = short_tail(word)
        if tail is not None and len(tail) == SHORT_ID_LENGTH:
            return SHORT_MARK + tail, rest  # a short id as shown: the listener finds it
        refuse(name, str(error))
    except ValueError:  # urlsplit rejects some malformed links with a bare ValueError
        refuse(name, str(InvalidTicketRef(word)))


def no_more(name: str, rest: str) -> None:
    if rest.strip():
        refuse(name, f"I did not expect '{shown(rest.strip())}' here.")


def unquote(text: str) -> str:
    text = text.translate(_SMART_QUOTES).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


ORIGIN_WORDS: dict[str, Origin] = {origin.value: origin for origin in Origin}
ORIGIN_WORDS.update({"telegram_group": Origin.TELEGRAM_GROUP, "webchat": Origin.WEB})
