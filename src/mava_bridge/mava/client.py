"""Async client for the Mava REST API.

Every call goes through one rate limiter per API key, retries what is safe to retry,
and turns every failure into a `MavaError` with a sentence a Slack user can act on.
Safe to retry: reads (GET), `PUT /api/ticket` (it sets values; Mava applies a change only
when the value differs, so sending it twice is harmless), and any request that never
reached Mava (connection refused) or was refused with 429. Never retried: a message,
a new ticket or identify after a timeout or 5xx, because it may have taken effect and a
customer must never get the same message twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import httpx
from pydantic import SecretStr, ValidationError

from mava_bridge.domain import ticket_refs
from mava_bridge.domain.retry import MAVA_RETRY, RetryPolicy, ShuttingDown
from mava_bridge.mava import errors
from mava_bridge.mava.lookup import TicketMemory, find_ticket
from mava_bridge.mava.models import (
    UNASSIGNED,
    Agent,
    Attachment,
    Category,
    CustomAttribute,
    MessageType,
    NewTicket,
    Priority,
    Status,
    Ticket,
    TicketPage,
    TicketPageReader,
)
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import Lane, Limiter, RateLimiter, current_lane

log = logging.getLogger(__name__)


class _Keep:
    """Marker for "leave the assignee as it is" (None means unassign)."""


_KEEP: Final = _Keep()

LATE: Final = "Mava did not answer in time. Try again in a moment."
# Called after each HTTP exchange: (endpoint, status or error kind, seconds). For metrics.
RequestObserver = Callable[[str, str, float], None]


class MavaClient:
    def __init__(
        self,
        base_url: str,
        token: SecretStr | str,
        *,
        timeout: float = 10.0,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: RequestObserver | None = None,
        wait_observer: Callable[[float], None] | None = None,
        unreadable_observer: Callable[[], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        memory: TicketMemory | None = None,
        after_acks: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        # Background sends, and reading their answers, wait while Slack's requests are
        # being acked (slack.inflight): a page of tickets parsed holds the loop for ms.
        self._after_acks = after_acks
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        self.limiter: Limiter = limiter or RateLimiter()
        self._retry = retry or MAVA_RETRY
        self._observer = observer
        self._wait_observer = wait_observer
        self._sleep = sleep
        self.memory = memory  # id -> createdAt of every ticket read (mava.lookup)
        self._pages = TicketPageReader(unreadable_observer)  # one odd ticket skips alone
        url = httpx.URL(base_url)
        self.host = f"{url.host}:{url.port}" if url.port else url.host  # for log lines
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": "mava-slack-bridge"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self.limiter.aclose()

    async def __aenter__(self) -> MavaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- endpoints ----------------------------------------------------------------

    async def identify(
        self,
        *,
        email: str | None = None,
        platform_user_id: str | None = None,
        customer_id: str | None = None,
        attributes: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """Push custom attributes for a customer (created by Mava if unknown)."""
        pairs = attributes.items() if isinstance(attributes, Mapping) else attributes
        body: dict[str, Any] = {
            "customAttributes": [CustomAttribute(label=k, value=v).body() for k, v in pairs]
        }
        if email:
            body["emailAddress"] = email
        if platform_user_id:
            body["plaformUserId"] = platform_user_id  # sic: Mava's schema spells it so
        if customer_id:
            body["mavaCustomerId"] = customer_id
        return await self._json("POST", "/api/identify", json_body=body, idempotent=False)

    async def list_categories(self) -> list[Category]:
        data = await self._json("GET", "/api/categories")
        return self._parse_list(data, "categories", Category)

    async def list_agents(self) -> list[Agent]:
        data = await self._json("GET", "/api/agents")
        return self._parse_list(data, "agents", Agent)

    async def update_ticket(
        self,
        ticket_id: str,
        *,
        status: Status | None = None,
        priority: Priority | None = None,
        category_id: str | None = None,
        assigned_to: str | _Keep | None = _KEEP,
    ) -> None:
        """Change status, priority, category and/or assignee (None unassigns)."""
        body: dict[str, Any] = {"ticketId": ticket_id}
        if status is not None:
            body["status"] = Status(status).value
        if priority is not None:
            body["priority"] = int(Priority(priority))
        if category_id is not None:
            body["categoryId"] = category_id
        if not isinstance(assigned_to, _Keep):
            body["assignedTo"] = assigned_to
        if len(body) == 1:
            raise ValueError("update_ticket needs at least one change")
        await self._json("PUT", "/api/ticket", json_body=body, idempotent=True, ticket=ticket_id)

    async def send_message(
        self,
        ticket_id: str,
        content: str | None = None,
        *,
        message_type: MessageType = MessageType.EXTERNAL,
        attachments: Sequence[Attachment] = (),
    ) -> dict[str, Any]:
        """Send a message to the customer (default) or add an internal note."""
        if not (content and content.strip()) and not attachments:
            raise errors.EmptyMessage()
        body: dict[str, Any] = {"ticketId": ticket_id, "messageType": MessageType(message_type)}
        if content:
            body["content"] = content
        if attachments:
            body["attachments"] = [a.body() for a in attachments]
        return await self._json(
            "PUT", "/api/message", json_body=body, idempotent=False, ticket=ticket_id
        )

    async def create_ticket(self, ticket: NewTicket) -> dict[str, Any]:
        return await self._json("POST", "/api/ticket", json_body=ticket.body(), idempotent=False)

    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage:
        data = await self._json("GET", "/api/tickets", params=query.params(limit, skip))
        page = self._pages.read(data)
        await self._remember(page)
        return page

    async def _remember(self, page: TicketPage) -> None:
        """One upsert per page; a failure to remember never fails the read."""
        if self.memory is None or not page.tickets:
            return
        try:
            await self.memory.remember([(t.id, t.created_at) for t in page.tickets])
        except Exception as exc:
            log.warning("could not remember tickets", extra={"error": type(exc).__name__})

    async def get_ticket(self, ref: str, *, include_messages: bool = True) -> Ticket:
        """One ticket by id or dashboard link (how, and what it costs: mava.lookup)."""
        try:
            ticket_id = ticket_refs.parse_ticket_ref(ref)
        except ticket_refs.InvalidTicketRef as exc:
            raise errors.MavaError(str(exc)) from exc
        known = None
        if self.memory is not None:
            try:
                known = await self.memory.created_at(ticket_id)
            except Exception as exc:
                log.warning("could not recall a ticket", extra={"error": type(exc).__name__})
        return await find_ticket(self, ticket_id, known=known, include_messages=include_messages)

    # --- transport ----------------------------------------------------------------

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: dict[str, Any] | None = None,
        idempotent: bool = False,
        ticket: str | None = None,
    ) -> dict[str, Any]:
        safe = method == "GET" or idempotent
        try:
            return _data(await self._send(method, path, params, json_body, safe, ticket), safe)
        except errors.MavaError as exc:
            exc.host = self.host  # where, for the log line (errors.describe)
            raise

    async def _send(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None,
        json_body: dict[str, Any] | None,
        safe: bool,
        ticket: str | None,
    ) -> httpx.Response:
        headers = {"x-auth-token": self._token.get_secret_value()}
        attempt = 0
        while True:
            await self._yield_to_acks()
            waited = await self.limiter.acquire()
            if self._wait_observer is not None:
                self._wait_observer(waited)
            started = time.monotonic()
            delay: float | None = None  # None: the backoff
            try:
                response = await self._http.request(
                    method,
                    path,
                    params=httpx.QueryParams(tuple(params)) if params else None,
                    json=json_body,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                timeout = isinstance(exc, httpx.TimeoutException)
                refused = isinstance(exc, httpx.ConnectError)
                kind = "timeout" if timeout else "connect_error" if refused else "transport_error"
                self._observe(path, kind, started)
                if not (refused or safe):  # it may have reached Mava: never sent twice
                    raise errors.MavaOutcomeUnknown() from exc
                failure: errors.MavaError = errors.MavaUnavailable(LATE if timeout else None)
                cause: Exception = exc
            else:
                self._observe(path, str(response.status_code), started)
                if response.status_code < 400:
                    await self._yield_to_acks()
                    return response
                failure = cause = errors.for_response(response, ticket)
                if isinstance(failure, errors.MavaRateLimited):  # refused: safe to retry
                    delay = self._retry.rate_limited(attempt, failure.retry_after)
                    self.limiter.pause_for(delay)
                elif not isinstance(failure, errors.MavaServerError):
                    raise failure
                elif not safe:
                    raise errors.MavaOutcomeUnknown(status=response.status_code)
            if not self._retry.retries_left(attempt):
                raise failure from cause
            delay = self._retry.backoff(attempt) if delay is None else delay
            attempt += 1
            log.info(
                "mava retry",
                extra={"endpoint": path, "attempt": attempt, "delay": round(delay, 2)},
            )
            try:
                await self._sleep(delay)  # ends at once on shutdown (domain.retry.Stopping)
            except ShuttingDown:
                raise failure from cause

    async def _yield_to_acks(self) -> None:
        if self._after_acks is not None and current_lane.get() is Lane.BACKGROUND:
            await self._after_acks()

    def _observe(self, path: str, outcome: str, started: float) -> None:
        if self._observer is not None:
            self._observer(path, outcome, time.monotonic() - started)

    @staticmethod
    def _parse_list(data: dict[str, Any], key: str, model: type[Any]) -> list[Any]:
        items = data.get(key)
        if not isinstance(items, list):
            raise errors.MavaProtocolError()
        try:
            return [model.model_validate(item) for item in items]
        except ValidationError as exc:
            raise errors.MavaProtocolError() from exc


def _data(response: httpx.Response, safe: bool) -> dict[str, Any]:
    """The answer's JSON object. An unreadable success answer to a write took effect,
    so "try again" would repeat it (a customer would get the message twice)."""
    unreadable = errors.MavaProtocolError if safe else errors.MavaOutcomeUnknown
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise unreadable(cause=errors.unreadable(response))
    return data


__all__ = ["UNASSIGNED", "MavaClient", "RetryPolicy"]
