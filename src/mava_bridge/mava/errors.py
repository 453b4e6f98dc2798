"""One exception family for everything that can go wrong talking to Mava, and how an
answer becomes one.

Each error carries `user_message`: a sentence for a Slack user, naming what happened
and what to do, never a secret. For logs, `describe` names the host and the cause in one
line ("Mava at mava.example:443: connection refused"): an expected outage is that one
WARNING line, never a traceback. What is read of an answer is never its body or a header
beyond its error code, Retry-After and content type.
"""

from __future__ import annotations

import json

import httpx

from mava_bridge.domain.retry import os_cause, retry_after

_MAX_CAUSE = 120


class MavaError(Exception):
    """Base of every Mava failure. `user_message` is safe to show in Slack; `host` (set
    by the client) and `cause` say where and why, for logs."""

    user_message: str = "Mava could not complete the request."

    def __init__(
        self, user_message: str | None = None, *, status: int | None = None, cause: str = ""
    ) -> None:
        if user_message is not None:
            self.user_message = user_message
        self.status = status
        self.cause = cause
        self.host: str | None = None
        super().__init__(self.user_message)


def describe(exc: MavaError) -> str:
    """One line for a log: "Mava at 127.0.0.1:8080: connection refused", "...: answered
    HTTP 200 with text/html, not JSON", "...: answered HTTP 503"."""
    inner = exc.__cause__
    if exc.cause:
        cause = exc.cause
    elif isinstance(inner, httpx.TransportError):
        cause = transport_cause(inner)
    elif exc.status is not None:
        code = getattr(exc, "code", None)
        cause = f"answered HTTP {exc.status}" + (f" ({code})" if code else "")
    else:
        cause = exc.user_message
    return f"Mava at {exc.host}: {cause}" if exc.host else f"Mava: {cause}"


class MavaAuthError(MavaError):
    user_message = "Mava rejected the API key (401). Check MAVA_API_TOKEN."


class MavaRateLimited(MavaError):
    user_message = "Mava is rate limiting us (429). Try again in a minute."

    def __init__(self, user_message: str | None = None, *, retry_after: float | None = None):
        super().__init__(user_message, status=429)
        self.retry_after = retry_after


class MavaServerError(MavaError):
    user_message = "Mava had an internal error. Try again in a moment."


class MavaForbidden(MavaError):
    """403: the key is valid but has no rights for this call."""

    def __init__(self, method: str, url: str) -> None:
        sentence = (
            f"Mava answered 403 Forbidden for {method} {url}: the API key has no rights "
            "for this. Check MAVA_API_TOKEN (a key with access to this workspace's API)."
        )
        super().__init__(sentence, status=403, cause=sentence)


class MavaEndpointNotFound(MavaError):
    """404: no such endpoint, almost always a wrong MAVA_API_URL (Mava answers "ticket
    not found" with a 400: `TicketNotFound`)."""

    def __init__(self, method: str, url: str) -> None:
        sentence = (
            f"Mava answered 404 Not Found for {method} {url}: there is no Mava API there. "
            "Check MAVA_API_URL (the base URL, without /api)."
        )
        super().__init__(sentence, status=404, cause=sentence)


class MavaUnavailable(MavaError):
    """Timeouts and connection failures."""

    user_message = "Mava could not be reached. Try again in a moment."


class MavaOutcomeUnknown(MavaError):
    """A write timed out or hit a 5xx after it was sent: it may have taken effect."""

    user_message = (
        "Mava did not confirm the change (it timed out or failed mid-way). It may or may "
        "not have been applied: check the ticket in Mava before trying again."
    )


class MavaProtocolError(MavaError):
    user_message = "Mava sent a response we could not read. Try again, or check MAVA_API_URL."


class MavaBadRequest(MavaError):
    """A 400 with Mava's error code in `code`; a subclass per code we have a sentence for."""

    code = ""

    def __init__(self, code: str | None = None, user_message: str | None = None) -> None:
        self.code = code or self.code
        fallback = None if type(self).code else f"Mava rejected the request: {self.code}."
        super().__init__(user_message or fallback, status=400)


class TicketNotFound(MavaBadRequest):
    code = "Ticket not found"

    def __init__(self, ticket_id: str | None = None) -> None:
        shown = f"Ticket {ticket_id}" if ticket_id else "The ticket"
        super().__init__(
            None,
            f"{shown} was not found in Mava. Check the id, or paste the ticket's dashboard link.",
        )
        self.ticket_id = ticket_id


class CategoryNotFound(MavaBadRequest):
    code = "Category not found"
    user_message = (
        "Mava does not know that category, or it is archived. "
        "Use `/mava categories` to see the active ones."
    )


class AssigneeNotFound(MavaBadRequest):
    code = "Assignee not found"
    user_message = (
        "Mava does not know that agent. Check that they are an agent in your Mava workspace."
    )


class InvalidStatusOrPriority(MavaBadRequest):
    code = "Invalid status or priority"
    user_message = (
        "Mava rejected the status or priority. Valid statuses: open, pending, waiting, "
        "resolved; priorities: low, medium, high."
    )


class EmptyMessage(MavaBadRequest):
    code = "Content or attachments are required"
    user_message = "The message is empty: Mava needs text or an attachment."


_BAD_REQUESTS: dict[str, type[MavaBadRequest]] = {
    error.code: error
    for error in (CategoryNotFound, AssigneeNotFound, InvalidStatusOrPriority, EmptyMessage)
}

_QUERY_CODES = {
    "MISSING_DATE_RANGE": "the ticket search had no date range",
    "INVALID_DATE_RANGE": "the ticket search date range was invalid (at most one year)",
    "INVALID_LIMIT": "the page size was not between 1 and 100",
    "INVALID_SKIP": "the page offset was negative",
    "UNSUPPORTED_SORT_FIELD": "the sort field is not supported",
    "UNSUPPORTED_SORT_ORDER": "the sort order must be asc or desc",
}


def for_response(response: httpx.Response, ticket_id: str | None) -> MavaError:
    """The error for an answer of 400 or more."""
    status = response.status_code
    if status == 401:
        return MavaAuthError(status=401)
    if status == 429:
        return MavaRateLimited(retry_after=retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        return MavaServerError(status=status)
    if status in (403, 404):
        # Mava answers "ticket not found" with a 400, so a 404 is a wrong MAVA_API_URL
        # and a 403 a key without rights: name the URL (no query), never the key.
        url = str(response.request.url.copy_with(query=None, fragment=None, userinfo=b""))
        error = MavaForbidden if status == 403 else MavaEndpointNotFound
        return error(response.request.method, url)
    code = _error_code(response)
    if status == 400 and code:
        return _bad_request(code, ticket_id)
    return MavaError(f"Mava answered with an unexpected error ({status}).", status=status)


def _bad_request(code: str, ticket_id: str | None) -> MavaBadRequest:
    if code == "Ticket not found":
        return TicketNotFound(ticket_id)
    if code in _BAD_REQUESTS:
        return _BAD_REQUESTS[code]()
    if code in _QUERY_CODES:
        return MavaBadRequest(code, f"Mava rejected the ticket search: {_QUERY_CODES[code]}.")
    return MavaBadRequest(code)


def _error_code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def unreadable(response: httpx.Response) -> str:
    """Why a 2xx answer is no API answer: "answered HTTP 200 with text/html, not JSON"
    (a proxy's or a login page: a wrong MAVA_API_URL)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    return f"answered HTTP {response.status_code} with {kind[:60]}, not JSON"


def transport_cause(exc: BaseException) -> str:
    """Why a connection failed: "connection refused", "timed out (ReadTimeout)", from the
    OS error inside httpx's when there is one."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if (cause := os_cause(exc)) is not None:
        return cause
    text = str(exc).strip()
    return text[:_MAX_CAUSE].lower() if text else type(exc).__name__
