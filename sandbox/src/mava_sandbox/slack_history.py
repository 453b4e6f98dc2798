"""Reading back in the stub: message `metadata`, `conversations.history`, `conversations.replies`.

Shapes follow docs.slack.dev/messaging/message-metadata and the two methods' reference
pages:

- chat.postMessage / chat.update take `metadata` = {"event_type": string,
  "event_payload": object}. Not an object (or not JSON): `invalid_metadata_format`;
  an object of another shape: `invalid_metadata_schema`.
- Messages come back without their metadata unless `include_all_metadata` is true.
- conversations.history: the channel's messages (thread replies left out), newest
  first, after `oldest` and up to `latest` (each bound included only with `inclusive`),
  `limit` a page (default 100, at most 999), then `has_more` and
  `response_metadata.next_cursor` for the next page.
- conversations.replies: the thread at `ts`, parent first, oldest first, with the same
  bounds, `limit` (default 1000) and cursor.

A cursor the stub did not hand out answers `invalid_cursor`; a `limit` that is not a
positive number, `invalid_limit`.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from typing import Any, Final

JSON = dict[str, Any]

HISTORY_LIMIT: Final = 100
REPLIES_LIMIT: Final = 1000
MAX_LIMIT: Final = 999
_TRUE: Final = frozenset({True, "1", "true", "True"})


class HistoryError(Exception):
    """What Slack answers a read (or a metadata) it refuses, as its error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def metadata_error(params: JSON) -> str | None:
    """The error Slack gives the `metadata` of a post, or None (none, or well formed)."""
    if "metadata" not in params or params["metadata"] in (None, ""):
        return None
    value = params["metadata"]
    if not isinstance(value, dict):  # a string that was not JSON, a list, a number
        return "invalid_metadata_format"
    if not isinstance(value.get("event_type"), str) or not value["event_type"]:
        return "invalid_metadata_schema"
    if not isinstance(value.get("event_payload"), dict):
        return "invalid_metadata_schema"
    return None


def history(messages: Sequence[JSON], params: JSON) -> JSON:
    """conversations.history over a channel's stored messages (oldest first)."""
    top = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
    return _page(list(reversed(_within(top, params))), params, HISTORY_LIMIT)


def replies(thread: Sequence[JSON], params: JSON) -> JSON:
    """conversations.replies over one thread's messages, parent first."""
    return _page(_within(list(thread), params), params, REPLIES_LIMIT)


def _within(messages: list[JSON], params: JSON) -> list[JSON]:
    inclusive = params.get("inclusive") in _TRUE
    oldest = _ts(params.get("oldest"))
    latest = _ts(params.get("latest"))

    def keep(message: JSON) -> bool:
        ts = float(message["ts"])
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        return latest is None or ts < latest or (ts == latest and inclusive)

    return [m for m in messages if keep(m)]


def _page(ordered: list[JSON], params: JSON, default: int) -> JSON:
    limit = _limit(params.get("limit"), default)
    start = _offset(params.get("cursor"))
    chunk = ordered[start : start + limit]
    more = start + limit < len(ordered)
    with_metadata = params.get("include_all_metadata") in _TRUE
    shown = []
    for message in chunk:
        copied = copy.deepcopy(message)
        if not with_metadata:
            copied.pop("metadata", None)
        shown.append(copied)
    cursor = _cursor(start + limit) if more else ""
    return {
        "ok": True,
        "messages": shown,
        "has_more": more,
        "response_metadata": {"next_cursor": cursor},
    }


def _ts(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise HistoryError("invalid_ts_oldest") from exc


def _limit(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise HistoryError("invalid_limit") from exc
    if limit < 1:
        raise HistoryError("invalid_limit")
    return min(limit, MAX_LIMIT if default == HISTORY_LIMIT else REPLIES_LIMIT)


def _cursor(offset: int) -> str:
    return base64.b64encode(f"next_ts:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if cursor in (None, ""):
        return 0
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
        offset = int(text.removeprefix("next_ts:")) if text.startswith("next_ts:") else -1
    except ValueError as exc:
        raise HistoryError("invalid_cursor") from exc
    if offset < 0:
        raise HistoryError("invalid_cursor")
    return offset
