"""One exception family for everything that can go wrong talking to Mava.

Each error carries `user_message`: a sentence fit to show a Slack user, which names
what happened and what to do, and never contains a secret. For logs, `describe` names
the Mava host and the cause in one line ("Mava at mava.example:443: connection
refused"): an expected outage is that one WARNING line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from mava_bridge.mava.answers import transport_cause


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
    """One line for a log: the Mava host and the cause ("Mava at 127.0.0.1:8080:
    connection refused", "...: answered HTTP 200 with text/html, not JSON", "...:
    answered HTTP 503"); never a secret, never a body."""
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
        self.url = url


class MavaEndpointNotFound(MavaError):
    """404: no such endpoint, almost always a wrong MAVA_API_URL.

    Not "ticket not found": Mava answers that with a 400 (see `TicketNotFound`).
    """

    def __init__(self, method: str, url: str) -> None:
        sentence = (
            f"Mava answered 404 Not Found for {method} {url}: there is no Mava API there. "
            "Check MAVA_API_URL (the base URL, without /api)."
        )
        super().__init__(sentence, status=404, cause=sentence)
        self.url = url


def access_error(status: int, method: str, url: str) -> MavaError:
    """The error for a 403 or a 404 answer to `method url`."""
    if status == 403:
        return MavaForbidden(method, url)
    return MavaEndpointNotFound(method, url)


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
    """A 400 with Mava's error code in `code`."""

    def __init__(self, code: str, user_message: str | None = None) -> None:
        self.code = code
        super().__init__(user_message or f"Mava rejected the request: {code}.", status=400)


class TicketNotFound(MavaBadRequest):
    def __init__(self, ticket_id: str | None = None) -> None:
        shown = f"Ticket {ticket_id}" if ticket_id else "The ticket"
        super().__init__(
            "Ticket not found",
            f"{shown} was not found in Mava. Check the id, or paste the ticket's dashboard link.",
        )
        self.ticket_id = ticket_id


class CategoryNotFound(MavaBadRequest):
    def __init__(self) -> None:
        super().__init__(
            "Category not found",
            "Mava does not know that category, or it is archived. "
            "Use `/mava categories` to see the active ones.",
        )


class AssigneeNotFound(MavaBadRequest):
    def __init__(self) -> None:
        super().__init__(
            "Assignee not found",
            "Mava does not know that agent. Check that they are an agent in your Mava workspace.",
        )


class InvalidStatusOrPriority(MavaBadRequest):
    def __init__(self) -> None:
        super().__init__(
            "Invalid status or priority",
            "Mava rejected the status or priority. Valid statuses: open, pending, waiting, "
            "resolved; priorities: low, medium, high.",
        )


class EmptyMessage(MavaBadRequest):
    def __init__(self) -> None:
        super().__init__(
            "Content or attachments are required",
            "The message is empty: Mava needs text or an attachment.",
        )


_BAD_REQUESTS: dict[str, Callable[[], MavaBadRequest]] = {
    "Category not found": CategoryNotFound,
    "Assignee not found": AssigneeNotFound,
    "Invalid status or priority": InvalidStatusOrPriority,
    "Content or attachments are required": EmptyMessage,
}

_QUERY_CODES = {
    "MISSING_DATE_RANGE": "the ticket search had no date range",
    "INVALID_DATE_RANGE": "the ticket search date range was invalid (at most one year)",
    "INVALID_LIMIT": "the page size was not between 1 and 100",
    "INVALID_SKIP": "the page offset was negative",
    "UNSUPPORTED_SORT_FIELD": "the sort field is not supported",
    "UNSUPPORTED_SORT_ORDER": "the sort order must be asc or desc",
}


def bad_request(code: str, ticket_id: str | None = None) -> MavaBadRequest:
    """Map Mava's 400 error body to the matching exception."""
    if code == "Ticket not found":
        return TicketNotFound(ticket_id)
    if code in _BAD_REQUESTS:
        return _BAD_REQUESTS[code]()
    if code in _QUERY_CODES:
        return MavaBadRequest(code, f"Mava rejected the ticket search: {_QUERY_CODES[code]}.")
    return MavaBadRequest(code)
