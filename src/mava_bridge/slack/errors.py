"""Naming why a call to Slack failed, whatever Slack (or the network) answered.

A `SlackApiError`'s `response` is usually an `AsyncSlackResponse` with a dict body, but
an HTML 502 leaves the body empty, a text/plain 500 makes it a str, and a body that is
not JSON gives aiohttp's `ClientResponse`: `exc.response.get("error")` fails on each, so
every place that names a Slack failure asks here instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError

from mava_bridge.domain.retry import os_cause

# Longest error name we repeat: Slack's are short; anything longer is not one of them.
MAX_CODE = 100
# ok:false errors that mean "Slack had a problem, not now", not "your request is wrong".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def slack_error(exc: BaseException) -> str:
    """A short name for the failure, for logs and users: Slack's error code, else "HTTP
    502", "timeout", "connection refused (slack.com:443)" or "connection failed (…)"."""
    if isinstance(exc, SlackApiError):
        code = error_code(exc.response)
        if code is not None:
            return code
        status = http_status(exc.response)
        return f"HTTP {status}" if status is not None else "unexpected answer"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"{_cause(exc)} ({exc.host}:{exc.port})"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return f"connection failed ({type(exc).__name__})"
    return type(exc).__name__


def unreachable(exc: BaseException, url: str) -> str:
    """ "Slack at slack.com:443: connection refused", like Mava's (mava.errors.describe):
    the host the connection was for, else the one `url` (the client's) names."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        host = f"{exc.host}:{exc.port}"
    else:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = f"{parts.hostname}:{port}" if parts.hostname else "?"
    return f"Slack at {host}: {_cause(exc)}"


def _cause(exc: BaseException) -> str:
    """The OS error inside ("connection refused"), "timed out", else the class."""
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    return os_cause(exc) or type(exc).__name__


def error_code(response: Any) -> str | None:
    """Slack's `error` field, when the answer was JSON that has one."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])[:MAX_CODE]
    return None


def http_status(response: Any) -> int | None:
    """The HTTP status of an AsyncSlackResponse or an aiohttp response."""
    for name in ("status_code", "status"):
        value = getattr(response, name, None)
        if isinstance(value, int):
            return value
    return None
