"""Reading what Mava (or what stands in front of it) answered, for errors and logs:
its error code, its Retry-After, the URL without user data, and in a few words why an
answer or a connection could not be used. Never the body itself, never a header."""

from __future__ import annotations

import json
import os

import httpx

_MAX_CAUSE = 120


def shown_url(response: httpx.Response) -> str:
    """The request's URL without its query string (no user data in a log line)."""
    return str(response.request.url.copy_with(query=None, fragment=None, userinfo=b""))


def error_code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def parse_retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def host_of(url: httpx.URL) -> str:
    """`host:port` (or the host alone): where the calls go, without user or path."""
    return f"{url.host}:{url.port}" if url.port else url.host


def unreadable(response: httpx.Response) -> str:
    """Why a 2xx answer is no API answer: "answered HTTP 200 with text/html, not JSON"
    (a proxy's or a login page, a wrong MAVA_API_URL)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    return f"answered HTTP {response.status_code} with {kind[:60]}, not JSON"


def transport_cause(exc: BaseException) -> str:
    """Why a connection failed, in words: "connection refused", "name or service not
    known", "timed out (ReadTimeout)"; from the OS error inside httpx's when there is one."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "errno", None)
        if isinstance(seen, OSError) and isinstance(code, int) and code > 0:
            return os.strerror(code).lower()
        seen = seen.__cause__ or seen.__context__
    text = str(exc).strip()
    return text[:_MAX_CAUSE].lower() if text else type(exc).__name__
