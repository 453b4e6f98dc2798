"""Slack app unfurling in the stub: `link_shared` events and `chat.unfurl` checks.

Shapes follow docs.slack.dev/reference/events/link_shared and
docs.slack.dev/reference/methods/chat.unfurl: the event names the message (`channel`,
`message_ts`) and, since 2021, an `unfurl_id` with its `source` ("conversations_history"
for a posted message, "composer" while it is still being typed, when `channel` is
"COMPOSER"). chat.unfurl takes either `channel` + `ts` or `unfurl_id` + `source`, and
`unfurls`: a map from each URL of the message to the blocks (or attachment) shown under it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

JSON = dict[str, Any]

SOURCES: Final = ("conversations_history", "composer")
COMPOSER: Final = "COMPOSER"
# What Slack finds as a link in typed text: a bare http(s) URL or a <url|label> one.
_URL: Final = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>|(https?://[^\s<>]+)")


def links_in(text: str) -> list[str]:
    """The http(s) URLs in a message's text, in order, each once."""
    found: list[str] = []
    for wrapped, bare in _URL.findall(text):
        # Slack leaves sentence punctuation after a bare link out of it.
        url = (wrapped or bare.rstrip(".,;:!?)")).replace("&amp;", "&")
        if url not in found:
            found.append(url)
    return found


def unfurl_id(channel: str, ts: str) -> str:
    """An id like Slack's: channel, ts and a random tail."""
    return f"{channel}.{ts}.{secrets.token_hex(32)}"


def link_shared(
    *,
    channel: str,
    user: str,
    message_ts: str,
    urls: Sequence[str],
    event_unfurl_id: str | None,
    source: str | None = "conversations_history",
    thread_ts: str | None = None,
    is_bot_user_member: bool = True,
) -> JSON:
    """The `link_shared` event for `urls` (every link is sent: the stub registers every
    domain). `event_unfurl_id` / `source` None: an event without them (before 2021)."""
    event: JSON = {
        "type": "link_shared",
        "channel": channel,
        "is_bot_user_member": is_bot_user_member,
        "user": user,
        "message_ts": message_ts,
        "links": [{"domain": urlsplit(url).hostname or "", "url": url} for url in urls],
        "event_ts": message_ts,
    }
    if event_unfurl_id is not None:
        event["unfurl_id"] = event_unfurl_id
    if source is not None:
        event["source"] = source
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def unfurl_problems(unfurls: Any, urls: Sequence[str]) -> list[str]:
    """What Slack would refuse in `unfurls`: not a map, a URL not in the message, an
    entry with neither blocks nor attachment content."""
    if not isinstance(unfurls, dict) or not unfurls:
        return ["unfurls must be a non-empty object keyed by URL [json-pointer:/unfurls]"]
    problems = []
    for url, value in unfurls.items():
        if url not in urls:
            problems.append(f"{url} is not a link in the message [json-pointer:/unfurls]")
        elif not isinstance(value, dict) or not (
            value.get("blocks") or value.get("text") or value.get("title")
        ):
            problems.append(f"the unfurl of {url} has no content [json-pointer:/unfurls]")
    return problems
