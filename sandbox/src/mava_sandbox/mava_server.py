"""A local Mava API server for the demo, the Mava client's tests, benchmarks and
multi-process tests.

`MavaSandbox` holds the state (seeded by `mava_seed`) and implements every endpoint
of docs/mava-api.md and mava-api-notes.md with the documented validation and error
bodies; `create_mava_app` puts it behind aiohttp. Tests drive it in-process
(`add_ticket`, `update`, `inject`, `requests`) or, from another process, through the
unauthenticated `/_sandbox/` admin routes, which the real Mava does not have.

Stored tickets are dicts shaped like the API JSON, with `datetime` dates and ids for
references (see `mava_seed`); `ticket_json` renders the wire form.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fnmatch
import json
import logging
import math
import os
import random
import re
import signal
import sys
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, cast, get_args

from aiohttp import web

from mava_sandbox.mava_seed import (
    MESSAGE_TYPES,
    ORIGINS,
    PRIORITIES,
    PRIORITY_LABELS,
    STATUSES,
    IdFactory,
    SandboxAgent,
    SandboxCategory,
    SandboxCustomer,
    SandboxTag,
    TicketRecord,
    build_seed,
    ms_floor,
)
from mava_sandbox.odd_shapes import ODD_SHAPES, odd_shape

log = logging.getLogger(__name__)

DEMO_API_KEY: Final = "mava-sandbox-demo-key"
SORT_FIELDS: Final = (
    "createdAt",
    "status",
    "priority",
    "sourceType",
    "assignedTo",
    "category",
    "resolutionTime",
)
UNASSIGNED: Final = "Unassigned"
NO_RATING: Final = "no-rating"
MAX_CONTENT: Final = 10_000
MAX_ATTACHMENTS: Final = 10
MAX_TAGS: Final = 20
MAX_ATTRIBUTES: Final = 30
_HANG_SECONDS: Final = 3600.0  # "never answer"; the handler is cancelled when the client leaves
_MALFORMED_BODY: Final = '{"tickets": [{"_id": '

FaultKind = Literal["status", "timeout", "malformed", "disconnect"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An error answer of the API: HTTP status and the `error` string of the body."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _bad_request(error: str) -> ApiError:
    return ApiError(400, error)


# --- Dates ---------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """ISO 8601 with milliseconds and Z, as Mava (MongoDB/JS) writes dates."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (naive means UTC), or None if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, month=3, day=1)


def _ms_between(start: datetime, end: datetime) -> int:
    return (end - start) // timedelta(milliseconds=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _created(ticket: TicketRecord) -> datetime:
    return cast(datetime, ticket["createdAt"])


# --- Records and faults ----------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One /api request as the sandbox saw it.

    `status` is what was (or, for a "timeout" fault, would have been) answered;
    0 means the connection closed with no answer.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    status: int
    time: float  # Unix seconds (real clock) when the request arrived
    body: Any = None  # parsed JSON body (raw text if not JSON), None if empty
    fault: str | None = None  # the injected fault kind that answered it, if any

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = [list(pair) for pair in self.query]
        return data


@dataclass
class Fault:
    """An injected failure for matching /api requests (see `MavaSandbox.inject`)."""

    kind: FaultKind
    times: int | None = 1  # None: until cleared
    path: str | None = None  # exact path or fnmatch pattern, e.g. "/api/ticket*"
    method: str | None = None
    status: int | None = None
    body: Any = None
    delay: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


_DEFAULT_FAULT_ERRORS = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    429: "Too many requests",
    500: "Internal server error",
}


# --- GET /api/tickets query ------------------------------------------------------


@dataclass(frozen=True)
class TicketQuery:
    start: datetime
    end: datetime
    limit: int = 50
    skip: int = 0
    statuses: frozenset[str] | None = None
    assignees: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    csat: frozenset[str] | None = None
    origins: frozenset[str] | None = None
    sort_by: str = "createdAt"
    sort_order: str = "desc"
    include_messages: bool = False


_INTEGER = re.compile(r"^-?\d+$")


def _one(params: dict[str, list[str]], name: str, error: str) -> str | None:
    """A single-valued parameter; empty means absent, a repeat is ambiguous."""
    values = [v for v in params.get(name, []) if v != ""]
    if len(values) > 1:
        raise _bad_request(error)
    return values[0] if values else None


def _many(params: dict[str, list[str]], name: str) -> frozenset[str] | None:
    values = frozenset(v for v in params.get(name, []) if v != "")
    return values or None


def _int_param(params: dict[str, list[str]], name: str, default: int, error: str) -> int:
    text = _one(params, name, error)
    if text is None:
        return default
    if not _INTEGER.match(text):
        raise _bad_request(error)
    return int(text)


def parse_ticket_query(pairs: Iterable[tuple[str, str]]) -> TicketQuery:
    """Validate GET /api/tickets parameters in the documented order of errors."""
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)

    start_text = _one(params, "startDate", "INVALID_DATE_RANGE")
    end_text = _one(params, "endDate", "INVALID_DATE_RANGE")
    if start_text is None or end_text is None:
        raise _bad_request("MISSING_DATE_RANGE")
    start, end = parse_iso(start_text), parse_iso(end_text)
    if start is None or end is None or end <= start or end > _one_year_after(start):
        raise _bad_request("INVALID_DATE_RANGE")

    limit = _int_param(params, "limit", 50, "INVALID_LIMIT")
    if not 1 <= limit <= 100:
        raise _bad_request("INVALID_LIMIT")
    skip = _int_param(params, "skip", 0, "INVALID_SKIP")
    if skip < 0:
        raise _bad_request("INVALID_SKIP")
    sort_by = _one(params, "sortBy", "UNSUPPORTED_SORT_FIELD") or "createdAt"
    if sort_by not in SORT_FIELDS:
        raise _bad_request("UNSUPPORTED_SORT_FIELD")
    sort_order = _one(params, "sortOrder", "UNSUPPORTED_SORT_ORDER") or "desc"
    if sort_order not in ("asc", "desc"):
        raise _bad_request("UNSUPPORTED_SORT_ORDER")
    include = params.get("includeMessages", ["false"])[-1].lower() in ("true", "1")

    return TicketQuery(
        start=start,
        end=end,
        limit=limit,
        skip=skip,
        statuses=_many(params, "status"),
        assignees=_many(params, "assignedTo"),
        categories=_many(params, "category"),
        tags=_many(params, "tags"),
        csat=_many(params, "csatValues"),
        origins=_many(params, "origin"),
        sort_by=sort_by,
        sort_order=sort_order,
        include_messages=include,
    )


# --- Body validation helpers -------------------------------------------------------


def _as_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad_request("Invalid request body")
    return body


def _opt_str(body: dict[str, Any], key: str, error: str = "Invalid request body") -> str | None:
    """A string field; absent, null and "" all mean "not given"."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad_request(error)
    return value


def _labelled_pairs(items: Any, error: str, limit: int | None = None) -> list[tuple[str, str]]:
    """[{label, value}] with string label and value (the identify schema)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise _bad_request(error)
    if limit is not None and len(items) > limit:
        raise _bad_request(f"Too many attributes (max {limit})")
    pairs = []
    for item in items:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("label"), str)
            and isinstance(item.get("value"), str)
        ):
            raise _bad_request(error)
        pairs.append((item["label"], item["value"]))
    return pairs


def _attachments(items: Any, limit: int | None = None) -> list[dict[str, str]]:
    """[{fileName, url, fileType}], every field a non-empty string."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise _bad_request("Invalid attachments")
    if limit is not None and len(items) > limit:
        raise _bad_request(f"Too many attachments (max {limit})")
    keys = ("fileName", "url", "fileType")
    result = []
    for item in items:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item[k] for k in keys
        ):
            raise _bad_request("Invalid attachments")
        result.append({k: item[k] for k in keys})
    return result


def _is_priority(value: Any) -> bool:
    return type(value) is int and value in PRIORITIES  # bool is not a priority


@dataclass(frozen=True)
class _CustomerSpec:
    """The `customer` object of POST /api/ticket, validated."""

    name: str | None
    email: str | None
    wallet_address: str | None
    attributes: list[tuple[str, str]]


# --- add_ticket / update field names -------------------------------------------------

_FIELD_ALIASES = {
    "id": "_id",
    "source_type": "sourceType",
    "origin": "sourceType",
    "assigned_to": "assignedTo",
    "assignee": "assignedTo",
    "category_id": "category",
    "categoryId": "category",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "ai_status": "aiStatus",
    "discord_users": "discordUsers",
    "resolution_time": "resolutionTime",
    "customer_id": "customer",
    "customerId": "customer",
}
_TICKET_FIELDS = frozenset(
    {
        "_id",
        "status",
        "priority",
        "sourceType",
        "assignedTo",
        "category",
        "tags",
        "csat",
        "aiStatus",
        "discordUsers",
        "attributes",
        "customer",
        "createdAt",
        "updatedAt",
        "resolutionTime",
        "messages",
    }
)
_AUDITED = ("status", "priority", "category", "assignedTo")
_PRIORITY_WORDS: Final = {1: "low", 2: "medium", 3: "high"}
# The dashboard's priority labels, for dashboard changes given by name.
_PRIORITY_BY_LABEL: Final = {label.casefold(): value for value, label in PRIORITY_LABELS.items()}
_DASHBOARD_FIELDS: Final = frozenset({"status", "priority", "category", "assignee", "assignedTo"})


def _normalize_fields(fields: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for key, value in fields.items():
        name = _FIELD_ALIASES.get(key, key)
        if name not in _TICKET_FIELDS:
            raise ValueError(f"unknown ticket field {key!r}")
        result[name] = value
    return result


def _as_datetime(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return ms_floor(value)
    if isinstance(value, str) and (parsed := parse_iso(value)) is not None:
        return ms_floor(parsed)
    raise ValueError(f"{what} must be a datetime or an ISO 8601 string, not {value!r}")


# --- The sandbox -------------------------------------------------------------------


class MavaSandbox:
    """In-memory Mava: seeded state, the API's behaviour, and test controls."""

    def __init__(
        self,
        *,
        api_key: str = DEMO_API_KEY,
        seed: int = 42,
        tickets: int = 300,
        now: Callable[[], datetime] | None = None,
        rate_limit: int | None = 90,
        rate_window: float = 30.0,
        latency: float = 0.0,
        backdated: bool = False,
        null_priorities: Literal["first", "last"] = "last",
        string_priorities: bool = False,
        strings_sort: Literal["first", "last"] = "first",
        random_ties: bool = False,
        churn: int = 0,
        odd_shapes: bool = False,
        customer_on_resolved: Literal["reopen", "append", "new_ticket"] = "reopen",
    ) -> None:
        self.api_key = api_key
        self.seed = seed
        self.rate_limit = rate_limit  # None disables rate limiting (benchmarks)
        self.rate_window = rate_window
        self.latency = latency  # seconds added to every /api request
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self._clock = now or _utcnow
        self._ids = IdFactory(seed)
        # Called on every change Mava would send a webhook for: (event type, the ticket,
        # the new message or None). mava_sandbox.mava_webhooks listens here.
        self.on_change: list[Callable[[str, TicketRecord, dict[str, Any] | None], None]] = []
        self._hits: dict[str, deque[float]] = {}
        # Undocumented corners (issue #12), each answered another way that the reference
        # still allows. null_priorities: where tickets without a priority come in a
        # descending priority sort ("last": lowest, as MongoDB; "first": highest).
        # string_priorities: every fourth ticket with a priority carries it as a word
        # ("low"/"medium"/"high"); strings_sort: where words come in a descending
        # priority sort ("first": above every number, as MongoDB; "last": below every
        # number, above nulls that sort last). random_ties: tickets
        # that sort equal come in a new random order on every request. churn: before
        # each later page of a search (skip > 0), resolve that many open tickets created
        # since the search's start and create that many new open ones.
        self.null_priorities = null_priorities
        self.string_priorities = string_priorities
        self.strings_sort = strings_sort
        self.random_ties = random_ties
        self.churn = churn
        # customer_on_resolved: what a customer message on a resolved ticket does
        # (`customer_writes`): "reopen", "append" or "new_ticket".
        self.customer_on_resolved = customer_on_resolved
        # create_answer: the shape of POST /api/ticket's answer, which Mava's page leaves
        # out: "ticket" {ticket: {...}}, "flat" (the ticket itself), "id" {ticketId,
        # message}, "none" {message} (no id at all).
        self.create_answer: Literal["ticket", "flat", "id", "none"] = "ticket"
        self._rng = random.Random(seed)

        data = build_seed(seed=seed, now=self.now(), tickets=tickets, ids=self._ids)
        self.agents: dict[str, SandboxAgent] = {a.id: a for a in data.agents}
        self.categories: dict[str, SandboxCategory] = {c.id: c for c in data.categories}
        self.tags: dict[str, SandboxTag] = {t.id: t for t in data.tags}
        self.customers: dict[str, SandboxCustomer] = {c.id: c for c in data.customers}
        self.attribute_ids = dict(data.attribute_ids)
        self.tickets: list[TicketRecord] = data.tickets  # sorted by (createdAt, _id)
        self._by_id: dict[str, TicketRecord] = {t["_id"]: t for t in self.tickets}
        # backdated: some seeded tickets' ids hold a time far from their createdAt.
        self.backdated = backdated
        if backdated:
            self._backdate_seed()
        self.api_sender_id = self._ids.new(self.now() - timedelta(days=400))
        # odd_shapes: the newest seeded tickets and each new one cycle through ODD_SHAPES.
        self.odd_shapes = odd_shapes
        self.odd_shape_of: dict[str, str] = {}
        self._next_odd = 0
        self._message_answers = 0  # PUT /api/message answers given (odd_shapes alternates ids)
        if odd_shapes:
            for ticket in self.tickets[-len(ODD_SHAPES) :]:
                self._take_odd_shape(ticket["_id"])

    def _take_odd_shape(self, ticket_id: str) -> None:
        self.odd_shape_of[ticket_id] = ODD_SHAPES[self._next_odd % len(ODD_SHAPES)]
        self._next_odd += 1

    def serve_odd(self, ticket_id: str, shape: str | None) -> None:
        """Serve this ticket in an odd shape from now on (None: as documented again)."""
        if shape is None:
            self.odd_shape_of.pop(ticket_id, None)
        elif shape in ODD_SHAPES:
            self.odd_shape_of[ticket_id] = shape
        else:
            raise ValueError(f"odd shape must be one of {ODD_SHAPES}")

    # --- clock, ids, lookups ------------------------------------------------------

    def now(self) -> datetime:
        return ms_floor(self._clock())

    def new_id(self, at: datetime | None = None) -> str:
        return self._ids.new(at or self.now())

    def get(self, ticket_id: str) -> TicketRecord | None:
        return self._by_id.get(ticket_id)

    def agent_id(self, name: str) -> str:
        """Id of the agent with this name or email (for tests)."""
        return next(a.id for a in self.agents.values() if name in (a.name, a.email))

    def category_id(self, name: str) -> str:
        return next(c.id for c in self.categories.values() if c.name == name)

    # An admin's changes to the categories in the dashboard (by current name).

    def add_category(self, name: str) -> SandboxCategory:
        category = SandboxCategory(self.new_id(), name)
        self.categories[category.id] = category
        return category

    def archive_category(self, name: str) -> None:
        self.categories[self.category_id(name)].active = False

    def rename_category(self, name: str, new_name: str) -> None:
        self.categories[self.category_id(name)].name = new_name

    def tag_id(self, name: str) -> str:
        return next(t.id for t in self.tags.values() if t.name == name)

    def open_ticket_of(self, customer_id: str) -> TicketRecord | None:
        return next(
            (t for t in self.tickets if t["customer"] == customer_id and t["status"] != "Resolved"),
            None,
        )

    def _ticket_or_400(self, ticket_id: Any) -> TicketRecord:
        ticket = self._by_id.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is None:
            raise _bad_request("Ticket not found")
        return ticket

    def _active_category(self, category_id: Any) -> SandboxCategory | None:
        category = self.categories.get(category_id) if isinstance(category_id, str) else None
        return category if category is not None and category.active else None

    # --- rendering --------------------------------------------------------------

    def _customer_json(self, customer: SandboxCustomer) -> dict[str, Any]:
        return {
            "_id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "attributes": [dict(a) for a in customer.attributes],
        }

    def customer_json(self, customer: SandboxCustomer) -> dict[str, Any]:
        """The identify endpoint's fuller view of a customer."""
        return {
            **self._customer_json(customer),
            "walletAddress": customer.wallet_address,
            "platformUserId": customer.platform_user_id,
        }

    @staticmethod
    def message_json(message: dict[str, Any]) -> dict[str, Any]:
        return {
            "_id": message["_id"],
            "content": message["content"],
            "senderType": message["senderType"],
            "senderName": message["senderName"],
            "messageType": message["messageType"],
            "createdAt": iso(message["createdAt"]),
            "attachments": [dict(a) for a in message["attachments"]],
        }

    def ticket_json(self, ticket: TicketRecord, *, include_messages: bool = True) -> dict[str, Any]:
        agent = self.agents.get(ticket["assignedTo"] or "")
        category = self.categories.get(ticket["category"] or "")
        customer = self.customers.get(ticket["customer"] or "")
        if ticket["sourceType"] == "telegram-group":
            customer = None  # documented: no customer for telegram-group tickets
        data: dict[str, Any] = {
            "_id": ticket["_id"],
            "createdAt": iso(ticket["createdAt"]),
            "updatedAt": iso(ticket["updatedAt"]),
            "status": ticket["status"],
            "priority": self.served_priority(ticket),
            "sourceType": ticket["sourceType"],
            "resolutionTime": ticket["resolutionTime"],
            "assignedTo": {"_id": agent.id, "name": agent.name} if agent else None,
            "category": {"_id": category.id, "name": category.name} if category else None,
            "tags": [
                {"_id": tag.id, "name": tag.name}
                for tag in (self.tags.get(tag_id) for tag_id in ticket["tags"])
                if tag is not None
            ],
            "csat": None if ticket["csat"] is None else {"value": ticket["csat"]},
            "aiStatus": ticket["aiStatus"],
            "discordUsers": [dict(u) for u in ticket["discordUsers"]],
            "attributes": [dict(a) for a in ticket["attributes"]],
            "customer": self._customer_json(customer) if customer else None,
        }
        if include_messages:
            ordered = sorted(ticket["messages"], key=lambda m: m["createdAt"])
            data["messages"] = [self.message_json(m) for m in ordered]
        shape = self.odd_shape_of.get(ticket["_id"])
        return odd_shape(data, shape) if shape else data

    # --- customers and attributes ---------------------------------------------------

    def _attribute(self, name: str, content: str) -> dict[str, str]:
        if name not in self.attribute_ids:
            self.attribute_ids[name] = self.new_id()
        return {"attributeId": self.attribute_ids[name], "name": name, "content": content}

    def _attributes(self, items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        merged: dict[str, dict[str, str]] = {}
        for name, content in items:
            merged[name] = self._attribute(name, content)
        return list(merged.values())

    def _upsert_attributes(self, customer: SandboxCustomer, pairs: list[tuple[str, str]]) -> None:
        by_name = {a["name"]: a for a in customer.attributes}
        for name, content in pairs:
            if name in by_name:
                by_name[name]["content"] = content
            else:
                by_name[name] = self._attribute(name, content)
                customer.attributes.append(by_name[name])

    def add_customer(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        wallet_address: str | None = None,
        platform_user_id: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> SandboxCustomer:
        customer = SandboxCustomer(self.new_id(), name, email, wallet_address, platform_user_id, [])
        self._upsert_attributes(customer, list((attributes or {}).items()))
        self.customers[customer.id] = customer
        return customer

    def find_customer(
        self, *, email: str | None = None, platform_user_id: str | None = None
    ) -> SandboxCustomer | None:
        for customer in self.customers.values():
            if email and customer.email and customer.email.casefold() == email.casefold():
                return customer
            if platform_user_id and customer.platform_user_id == platform_user_id:
                return customer
        return None

    # --- POST /api/identify -----------------------------------------------------------

    def identify(self, body: Any) -> dict[str, Any]:
        data = _as_object(body)
        email = _opt_str(data, "emailAddress")
        platform_id = _opt_str(data, "plaformUserId") or _opt_str(data, "platformUserId")
        customer_id = _opt_str(data, "mavaCustomerId")
        pairs = _labelled_pairs(data.get("customAttributes"), "Invalid request body")

        if customer_id is not None:
            customer = self.customers.get(customer_id)
            if customer is None:
                raise _bad_request("Customer not found")
        else:
            found = self.find_customer(email=email, platform_user_id=platform_id)
            customer = found or self.add_customer()
        if email is not None and (customer_id is not None or customer.email is None):
            customer.email = email  # a lookup by email must not rewrite its case
        if platform_id is not None:
            customer.platform_user_id = platform_id
        self._upsert_attributes(customer, pairs)
        return {
            "message": "Customer identified",
            "customerId": customer.id,
            "customer": self.customer_json(customer),
        }

    # --- GET /api/categories, GET /api/agents ------------------------------------------

    def categories_json(self) -> dict[str, Any]:
        return {
            "categories": [
                {"_id": c.id, "name": c.name} for c in self.categories.values() if c.active
            ]
        }

    def agents_json(self) -> dict[str, Any]:
        return {
            "agents": [
                {
                    "id": a.id,
                    "email": a.email,
                    "username": a.name,
                    "walletAddress": a.wallet_address,
                }
                for a in self.agents.values()
            ]
        }

    # --- PUT /api/ticket --------------------------------------------------------------

    def update_ticket(self, body: Any) -> dict[str, Any]:
        data = _as_object(body)
        ticket = self._ticket_or_400(data.get("ticketId"))
        status, priority = data.get("status"), data.get("priority")
        if (status is not None and status not in STATUSES) or (
            priority is not None and not _is_priority(priority)
        ):
            raise _bad_request("Invalid status or priority")
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status
        if priority is not None:
            changes["priority"] = priority
        if data.get("categoryId") is not None:
            category = self._active_category(data["categoryId"])
            if category is None:
                raise _bad_request("Category not found")
            changes["category"] = category.id
        if "assignedTo" in data:
            assignee = data["assignedTo"]
            if assignee is not None and assignee not in self.agents:
                raise _bad_request("Assignee not found")
            changes["assignedTo"] = assignee
        self._apply_audited(ticket, changes)
        return {"message": "Ticket updated"}

    def _change_note(self, key: str, old: Any, new: Any) -> str:
        if key == "status":
            return f"Status changed from {old} to {new}"
        if key == "priority":
            if new is None:
                return "Priority removed"
            if old is None:
                return f"Priority set to {PRIORITY_LABELS[new]}"
            return f"Priority changed from {PRIORITY_LABELS[old]} to {PRIORITY_LABELS[new]}"
        if key == "category":
            return f"Category set to {self.categories[new].name}" if new else "Category removed"
        return f"Assigned to {self.agents[new].name}" if new else "Unassigned"

    def _apply_audited(self, ticket: TicketRecord, changes: dict[str, Any]) -> bool:
        """Apply status/priority/category/assignee changes the way Mava does: only real
        changes count, and each leaves a system message in the thread."""
        now = self.now()
        changed = False
        for key in _AUDITED:
            if key not in changes or changes[key] == ticket[key]:
                continue
            note = self._change_note(key, ticket[key], changes[key])
            ticket[key] = changes[key]
            ticket["messages"].append(self._message(now, note, "system", "InternalNote"))
            changed = True
            if key == "status":
                resolved = changes[key] == "Resolved"
                ticket["resolutionTime"] = (
                    _ms_between(ticket["createdAt"], now) if resolved else None
                )
        if changed:
            ticket["updatedAt"] = now
            self._changed("ticket.updated", ticket)
        return changed

    def _changed(
        self, kind: str, ticket: TicketRecord, message: dict[str, Any] | None = None
    ) -> None:
        for listener in self.on_change:
            listener(kind, ticket, message)

    def _message(
        self,
        at: datetime,
        content: str,
        sender_type: str,
        message_type: str = "ExternalMessage",
        *,
        sender_name: str | None = None,
        attachments: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        return {
            "_id": self.new_id(at),
            "content": content,
            "senderType": sender_type,
            "senderName": sender_name,
            "messageType": message_type,
            "createdAt": at,
            "attachments": attachments or [],
        }

    # --- PUT/POST /api/message ----------------------------------------------------------

    def post_message(self, body: Any) -> dict[str, Any]:
        data = _as_object(body)
        content = data.get("content")
        if content is not None and not isinstance(content, str):
            raise _bad_request("Invalid request body")
        raw_attachments = data.get("attachments")
        has_attachments = isinstance(raw_attachments, list) and len(raw_attachments) > 0
        if not content and not has_attachments:
            raise _bad_request("Content or attachments are required")
        message_type = data.get("messageType") or "ExternalMessage"
        if message_type not in MESSAGE_TYPES:
            raise _bad_request("Invalid message type")
        attachments = _attachments(raw_attachments)
        ticket = self._ticket_or_400(data.get("ticketId"))

        now = self.now()
        message = self._message(now, content or "", "agent", message_type, attachments=attachments)
        ticket["messages"].append(message)
        ticket["updatedAt"] = now
        self._changed("message.created", ticket, message)
        answer = self.message_json(message)
        if self._answer_without_id(ticket["_id"]):
            del answer["_id"]
        return {
            "message": answer,
            "ticket": self.ticket_json(ticket, include_messages=False),
            "sender": {"_id": self.api_sender_id, "name": "API"},
        }

    def _answer_without_id(self, ticket_id: str) -> bool:
        """The reference shows the answer only as `{"message": { ... }}`: under odd_shapes
        every second answer leaves out message._id, and a ticket served
        message_without_id never has one, so the bridge must match its own echo by content."""
        self._message_answers += 1
        if self.odd_shape_of.get(ticket_id) == "message_without_id":
            return True
        return self.odd_shapes and self._message_answers % 2 == 0

    # --- POST /api/ticket ---------------------------------------------------------------

    def create_ticket(self, body: Any) -> dict[str, Any]:
        data = _as_object(body)
        if ("customerId" in data and data["customerId"] is not None) == (
            "customer" in data and data["customer"] is not None
        ):
            raise _bad_request("Provide exactly one of customerId or customer")
        target = self._creation_customer(data)
        fields = self._creation_fields(data)
        message = self._creation_message(data.get("message"))
        subject = data.get("emailSubjectLine")
        if subject is not None and not (isinstance(subject, str) and len(subject) <= 998):
            raise _bad_request("Invalid emailSubjectLine")
        if "silent" in data and not isinstance(data["silent"], bool):
            raise _bad_request("Invalid silent")

        spec = target if isinstance(target, _CustomerSpec) else None
        customer = target if isinstance(target, SandboxCustomer) else None
        if spec is not None and spec.email is not None:
            customer = self.find_customer(email=spec.email)  # Mava knows people by email
        if customer and fields["status"] != "Resolved" and self.open_ticket_of(customer.id):
            raise _bad_request("Customer already has an open ticket")
        if customer is None:
            assert spec is not None
            customer = self.add_customer(
                name=spec.name, email=spec.email, wallet_address=spec.wallet_address
            )
        if spec is not None:
            self._upsert_attributes(customer, spec.attributes)

        now = self.now()
        messages = []
        if message is not None:
            content, attachments = message
            messages.append(self._message(now, content, "customer", attachments=attachments))
        ticket = self._store_new(
            {
                **fields,
                "_id": self.new_id(now),
                "createdAt": now,
                "updatedAt": now,
                "resolutionTime": 0 if fields["status"] == "Resolved" else None,
                "csat": None,
                "aiStatus": None,
                "discordUsers": [],
                "customer": customer.id,
                "messages": messages,
            }
        )
        return self._create_answer(self.ticket_json(ticket))

    def _create_answer(self, ticket: dict[str, Any]) -> dict[str, Any]:
        if self.create_answer == "flat":
            return ticket
        if self.create_answer == "id":
            return {"ticketId": ticket["_id"], "message": "Ticket created"}
        if self.create_answer == "none":
            return {"message": "Ticket created"}
        return {"ticket": ticket}

    def _creation_customer(self, data: dict[str, Any]) -> SandboxCustomer | _CustomerSpec:
        """The existing customer for customerId, or the parsed `customer` object."""
        if data.get("customerId") is not None:
            customer_id = data["customerId"]
            customer = self.customers.get(customer_id) if isinstance(customer_id, str) else None
            if customer is None:
                raise _bad_request("Customer not found")
            return customer
        raw = data["customer"]
        if not isinstance(raw, dict):
            raise _bad_request("Invalid customer")
        spec = _CustomerSpec(
            name=_opt_str(raw, "name", "Invalid customer"),
            email=_opt_str(raw, "email", "Invalid customer"),
            wallet_address=_opt_str(raw, "walletAddress", "Invalid customer"),
            attributes=_labelled_pairs(
                raw.get("attributes"), "Invalid customer attributes", MAX_ATTRIBUTES
            ),
        )
        # Mava's page: the customer "Requires email or walletAddress" (find-or-create key).
        if spec.email is None and spec.wallet_address is None:
            raise _bad_request("Customer email or walletAddress is required")
        return spec

    def _creation_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        status = data.get("status") or "Open"
        if status not in STATUSES:
            raise _bad_request("Invalid status")
        priority = data.get("priority", 2)
        if priority is not None and not _is_priority(priority):
            raise _bad_request("Invalid priority")
        source = data.get("sourceType") or "web"
        if source not in ORIGINS:
            raise _bad_request("Invalid sourceType")
        assignee = data.get("assignedTo")
        if assignee is not None and assignee not in self.agents:
            raise _bad_request("Assignee not found")
        category = data.get("category")
        if category is not None and self._active_category(category) is None:
            raise _bad_request("Category not found")
        tags = data.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise _bad_request("Invalid tags")
        if len(tags) > MAX_TAGS:
            raise _bad_request(f"Too many tags (max {MAX_TAGS})")
        if any(t not in self.tags for t in tags):
            raise _bad_request("Tag not found")
        pairs = _labelled_pairs(data.get("attributes"), "Invalid attributes", MAX_ATTRIBUTES)
        return {
            "status": status,
            "priority": priority,
            "sourceType": source,
            "assignedTo": assignee,
            "category": category,
            "tags": list(dict.fromkeys(tags)),
            "attributes": self._attributes(pairs),
        }

    @staticmethod
    def _creation_message(raw: Any) -> tuple[str, list[dict[str, str]]] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise _bad_request("Invalid message")
        content = raw.get("content") or ""
        if not isinstance(content, str):
            raise _bad_request("Invalid message")
        if len(content) > MAX_CONTENT:
            raise _bad_request(f"Message content exceeds {MAX_CONTENT} characters")
        attachments = _attachments(raw.get("attachments"), MAX_ATTACHMENTS)
        if not content and not attachments:
            raise _bad_request("Content or attachments are required")
        return content, attachments

    def _store_new(self, ticket: TicketRecord) -> TicketRecord:
        if ticket["_id"] in self._by_id:
            raise ValueError(f"ticket {ticket['_id']} already exists")
        insort(self.tickets, ticket, key=lambda t: (t["createdAt"], t["_id"]))
        self._by_id[ticket["_id"]] = ticket
        if self.odd_shapes:
            self._take_odd_shape(ticket["_id"])
        self._changed("ticket.created", ticket)
        return ticket

    # --- GET /api/tickets -----------------------------------------------------------

    def list_tickets(self, query: TicketQuery) -> dict[str, Any]:
        if self.churn and query.skip > 0:
            self._churn(query.start)
        matching = self.select(query)
        page = matching[query.skip : query.skip + query.limit]
        return {
            "tickets": [self.ticket_json(t, include_messages=query.include_messages) for t in page],
            "count": len(matching),
            "pagination": {
                "limit": query.limit,
                "skip": query.skip,
                "hasMore": query.skip + len(page) < len(matching),
            },
        }

    def select(self, query: TicketQuery) -> list[TicketRecord]:
        """Every ticket matching the query, in the requested order."""
        low = bisect_left(self.tickets, query.start, key=_created)
        high = bisect_left(self.tickets, query.end, key=_created)
        checks = self._filters(query)
        found = [t for t in self.tickets[low:high] if all(check(t) for check in checks)]
        descending = query.sort_order == "desc"
        if self.random_ties:
            self._rng.shuffle(found)
            return sorted(found, key=self._sort_key(query.sort_by), reverse=descending)
        if query.sort_by == "createdAt":
            return found[::-1] if descending else found
        # Stable sorts: ties keep createdAt desc, _id desc, so pages never overlap.
        return sorted(found[::-1], key=self._sort_key(query.sort_by), reverse=descending)

    def _filters(self, query: TicketQuery) -> list[Callable[[TicketRecord], bool]]:
        checks: list[Callable[[TicketRecord], bool]] = []
        if (statuses := query.statuses) is not None:
            checks.append(lambda t: t["status"] in statuses)
        if (origins := query.origins) is not None:
            checks.append(lambda t: t["sourceType"] in origins)
        if (categories := query.categories) is not None:
            checks.append(lambda t: t["category"] in categories)
        if (tags := query.tags) is not None:
            checks.append(lambda t: not tags.isdisjoint(t["tags"]))
        if (assignees := query.assignees) is not None:
            unassigned = UNASSIGNED in assignees
            checks.append(
                lambda t: t["assignedTo"] in assignees or (unassigned and t["assignedTo"] is None)
            )
        if (csat := query.csat) is not None:
            checks.append(
                lambda t: (NO_RATING in csat) if t["csat"] is None else str(t["csat"]) in csat
            )
        return checks

    def _sort_key(self, sort_by: str) -> Callable[[TicketRecord], Any]:
        """Key for one sort field; missing values (null) sort lowest."""

        def named(lookup: dict[str, Any], key: str) -> Callable[[TicketRecord], Any]:
            def by_name(ticket: TicketRecord) -> tuple[int, str, str]:
                item = lookup.get(ticket[key] or "")
                return (0, "", "") if item is None else (1, item.name.casefold(), item.id)

            return by_name

        if sort_by == "assignedTo":
            return named(self.agents, "assignedTo")
        if sort_by == "category":
            return named(self.categories, "category")
        if sort_by == "priority":
            return self._priority_key
        if sort_by == "resolutionTime":
            return lambda t: (0, 0) if t[sort_by] is None else (1, t[sort_by])
        return lambda t: t[sort_by]

    def _priority_key(self, ticket: TicketRecord) -> tuple[int, Any]:
        """Ascending key: null lowest (or highest), words just below or just above
        the numbers (`strings_sort`), numbers."""
        served = self.served_priority(ticket)
        if served is None:
            return (-1 if self.null_priorities == "last" else 3, "")
        if isinstance(served, str):
            return (2 if self.strings_sort == "first" else 0, served)
        return (1, served)

    def served_priority(self, ticket: TicketRecord) -> int | str | None:
        """The priority as the API shows it (a word under `string_priorities`)."""
        value = ticket["priority"]
        if self.string_priorities and value is not None and int(ticket["_id"][-1], 16) % 4 == 0:
            return _PRIORITY_WORDS.get(value, str(value))
        return cast("int | str | None", value)

    def _churn(self, since: datetime) -> None:
        """Between two pages: resolve `churn` open tickets created since `since` (the
        search's start), create `churn` new open ones (random priority, created now)."""
        low = bisect_left(self.tickets, since, key=_created)
        candidates = [t for t in self.tickets[low:] if t["status"] != "Resolved"]
        for ticket in self._rng.sample(candidates, min(self.churn, len(candidates))):
            self.update(ticket["_id"], status="Resolved")
        for _ in range(self.churn):
            self.add_ticket(status="Open", priority=self._rng.choice((None, *PRIORITIES)))

    # --- Direct controls for tests (simulating the Mava dashboard) ----------------------

    def add_ticket(self, **fields: Any) -> TicketRecord:
        """Store a ticket as if created in Mava; returns the stored dict.

        Fields use API names or snake_case (`status`, `priority`, `sourceType`,
        `assignedTo` agent id, `category` id, `tags` ids, `csat` 1-5, `customer` id
        or {name, email, attributes: {label: value}} or None, `createdAt`,
        `messages` as strings (customer messages) or dicts). Unknown fields raise
        ValueError. No one-open-ticket check: tests may want odd states.
        """
        given = _normalize_fields(fields)
        created = _as_datetime(given.pop("createdAt", self.now()), "createdAt")
        source = given.get("sourceType", "web")
        ticket: TicketRecord = {
            "_id": self.new_id(created),
            "createdAt": created,
            "updatedAt": created,
            "status": "Open",
            "priority": 2,
            "sourceType": source,
            "resolutionTime": None,
            "assignedTo": None,
            "category": None,
            "tags": [],
            "csat": None,
            "aiStatus": None if source == "telegram-group" else "escalated",
            "discordUsers": [],
            "attributes": [],
            "customer": None,
            "messages": [],
        }
        if "customer" not in given and source != "telegram-group":
            ticket["customer"] = self.add_customer(name="Sandbox Customer").id
        if "messages" not in given:
            given["messages"] = ["Hello, I need some help with my account."]
        for key, value in given.items():
            ticket[key] = self._coerce(key, value, created)
        if ticket["status"] == "Resolved" and "resolutionTime" not in given:
            ticket["resolutionTime"] = max(0, _ms_between(created, self.now()))
        if "updatedAt" not in given:
            times = [m["createdAt"] for m in ticket["messages"]]
            ticket["updatedAt"] = max([created, *times])
        return self._store_new(ticket)

    def update(self, ticket_id: str, **fields: Any) -> TicketRecord:
        """Change a ticket as an agent in the Mava dashboard would.

        status/priority/category/assignedTo changes behave as through the API
        (system message, updatedAt, resolutionTime); other fields are set as given.
        Raises KeyError for an unknown ticket and ValueError for a bad field.
        """
        ticket = self._by_id[ticket_id]
        given = _normalize_fields(fields)
        given.pop("_id", None)
        coerced = {
            key: self._coerce(key, value, ticket["createdAt"]) for key, value in given.items()
        }
        audited = {key: coerced.pop(key) for key in _AUDITED if key in coerced}
        self._apply_audited(ticket, audited)
        if "createdAt" in coerced:  # keep the list sorted by creation time
            self.tickets.remove(ticket)
            ticket["createdAt"] = coerced.pop("createdAt")
            insort(self.tickets, ticket, key=lambda t: (t["createdAt"], t["_id"]))
        ticket.update(coerced)
        if coerced and "updatedAt" not in coerced:
            ticket["updatedAt"] = self.now()
        return ticket

    def backdate(self, ticket_id: str, id_time: datetime) -> TicketRecord:
        """Give a ticket a new id made at `id_time`, keeping its createdAt: as a ticket
        imported into Mava (id made at the import, createdAt from the old system) or
        back-dated looks. The reference only says an id holds its creation time; the
        date window of GET /api/tickets still filters on createdAt."""
        ticket = self._by_id.pop(ticket_id)
        ticket["_id"] = self._ids.new(id_time)
        self._by_id[ticket["_id"]] = ticket
        self.tickets.sort(key=lambda t: (t["createdAt"], t["_id"]))
        return ticket

    def _backdate_seed(self) -> None:
        """Switch `backdated`: every 4th seeded ticket gets an id whose time differs
        from its createdAt, cycling through: made 1 day after it, 30 days before it,
        100 days after it (imported; only when that is not in the future) else 90 days
        before it. Ids 30 days off need the ±60-day search, 90-100 days off are only
        found exactly, once the ticket has been read in a list."""
        now = self.now()
        for number, ticket in enumerate(list(self.tickets[::4])):
            created = ticket["createdAt"]
            kind = number % 3
            if kind == 0:
                at = min(created + timedelta(days=1), now)
            elif kind == 1:
                at = created - timedelta(days=30)
            else:
                imported = created + timedelta(days=100)
                at = imported if imported <= now else created - timedelta(days=90)
            self.backdate(ticket["_id"], at)

    def set_priority(self, ticket_id: str, priority: int | None) -> TicketRecord:
        return self.update(ticket_id, priority=priority)

    def add_message(
        self,
        ticket_id: str,
        content: str,
        *,
        sender_type: str = "customer",
        sender_name: str | None = None,
        message_type: str = "ExternalMessage",
        attachments: list[dict[str, str]] | None = None,
        created_at: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Append a message (by default a customer reply) to a ticket's thread."""
        ticket = self._by_id[ticket_id]
        message = self._coerce_message(
            {
                "content": content,
                "senderType": sender_type,
                "senderName": sender_name,
                "messageType": message_type,
                "attachments": attachments or [],
                "createdAt": created_at or self.now(),
            },
            self.now(),
        )
        ticket["messages"].append(message)
        ticket["updatedAt"] = max(ticket["updatedAt"], message["createdAt"])
        self._changed("message.created", ticket, message)
        return message

    # What happens in Mava while the bridge watches (live ticket threads): the customer
    # writes, an agent answers or notes in the dashboard, an agent changes the ticket.

    def customer_writes(
        self, ticket_id: str, content: str, *, attachments: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """The customer writes again: a customer message named as the ticket's customer
        (Discord handle, else name; None when Mava knows no name). On a resolved ticket
        what happens is `customer_on_resolved`'s (Mava's docs do not say): "reopen" it
        (status Open, as an agent would), "append" (it stays resolved) or "new_ticket"
        (a new open ticket for the same customer holds the message; its `ticketId`)."""
        ticket = self._by_id[ticket_id]
        handles = [u["name"] for u in ticket["discordUsers"] if u.get("name")]
        customer = self.customers.get(ticket["customer"] or "")
        name = handles[0] if handles else (customer.name if customer else None)
        if ticket["status"] == "Resolved" and self.customer_on_resolved == "reopen":
            self.update(ticket_id, status="Open")
        elif ticket["status"] == "Resolved" and self.customer_on_resolved == "new_ticket":
            fresh = self.add_ticket(
                customer=ticket["customer"],
                sourceType=ticket["sourceType"],
                discordUsers=ticket["discordUsers"],
                messages=[],
            )
            message = self.add_message(
                fresh["_id"], content, sender_name=name, attachments=attachments
            )
            return {**message, "ticketId": fresh["_id"]}
        return self.add_message(ticket_id, content, sender_name=name, attachments=attachments)

    def agent_writes(
        self,
        ticket_id: str,
        content: str,
        *,
        agent: str,
        note: bool = False,
        attachments: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """An agent (id, name or email) replies to the customer in the dashboard, or with
        `note` writes a private note (InternalNote)."""
        name = self.agents[self._agent_ref(agent)].name
        return self.add_message(
            ticket_id,
            content,
            sender_type="agent",
            sender_name=name,
            message_type="InternalNote" if note else "ExternalMessage",
            attachments=attachments,
        )

    def dashboard(self, ticket_id: str, **changes: Any) -> TicketRecord:
        """An agent changes the ticket in the dashboard: `status` (Resolved sets
        resolutionTime, any other status after it reopens), `priority` (1-3, "High"... or
        None), `category` (name or id, None removes it), `assignee` (agent name, email or
        id; None unassigns). Each real change leaves its system message and bumps
        updatedAt, as through the API."""
        unknown = set(changes) - _DASHBOARD_FIELDS
        if unknown:
            raise ValueError(f"the dashboard cannot change {sorted(unknown)}")
        return self.update(ticket_id, **changes)

    def _coerce(self, key: str, value: Any, created: datetime) -> Any:
        """Validate one add_ticket/update field and convert it to its stored form."""
        if key == "priority" and isinstance(value, str):
            value = _PRIORITY_BY_LABEL.get(value.casefold(), value)
        if key == "status" and value not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if key == "priority" and value is not None and not _is_priority(value):
            raise ValueError("priority must be 1, 2, 3 or None")
        if key == "sourceType" and value not in ORIGINS:
            raise ValueError(f"sourceType must be one of {ORIGINS}")
        if key == "assignedTo" and value is not None:
            return self._agent_ref(value)
        if key == "category" and value is not None:
            return self._category_ref(value)
        if key == "tags":
            unknown = [t for t in value if t not in self.tags]
            if unknown:
                raise ValueError(f"unknown tags {unknown}")
            return list(value)
        if key == "csat":
            rating = value.get("value") if isinstance(value, dict) else value
            if rating is not None and rating not in (1, 2, 3, 4, 5):
                raise ValueError("csat must be 1-5 or None")
            return rating
        if key in ("createdAt", "updatedAt"):
            return _as_datetime(value, key)
        if key == "customer":
            return self._coerce_customer(value)
        if key == "attributes":
            return self._attributes(_pairs_from_any(value))
        if key == "messages":
            step = timedelta(seconds=1)  # default times keep the given order
            return [self._coerce_message(m, created + step * i) for i, m in enumerate(value)]
        return value

    def _agent_ref(self, value: Any) -> str:
        """An agent's id from its id, name or email (as the dashboard's picker finds it)."""
        wanted = str(value).casefold()
        for agent in self.agents.values():
            if wanted in (agent.id.casefold(), agent.name.casefold(), agent.email.casefold()):
                return agent.id
        raise ValueError(f"unknown agent {value!r}")

    def _category_ref(self, value: Any) -> str:
        """A category's id from its id or name."""
        wanted = str(value).casefold()
        for category in self.categories.values():
            if wanted in (category.id.casefold(), category.name.casefold()):
                return category.id
        raise ValueError(f"unknown category {value!r}")

    def _coerce_customer(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            if value not in self.customers:
                raise ValueError(f"unknown customer {value!r}")
            return value
        if isinstance(value, dict):
            attributes = value.get("attributes") or {}
            customer = self.add_customer(
                name=value.get("name"),
                email=value.get("email"),
                wallet_address=value.get("walletAddress"),
                attributes=dict(_pairs_from_any(attributes)),
            )
            return customer.id
        raise ValueError("customer must be a customer id, a dict or None")

    def _coerce_message(self, value: Any, default_time: datetime) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"content": value}
        if not isinstance(value, dict):
            raise ValueError("a message must be a string or a dict")
        at = _as_datetime(value.get("createdAt", default_time), "message createdAt")
        sender_type = value.get("senderType", "customer")
        message_type = value.get("messageType", "ExternalMessage")
        if sender_type not in ("customer", "agent", "system"):
            raise ValueError("senderType must be customer, agent or system")
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"messageType must be one of {MESSAGE_TYPES}")
        return {
            "_id": value.get("_id") or self.new_id(at),
            "content": value.get("content", ""),
            "senderType": sender_type,
            "senderName": value.get("senderName"),
            "messageType": message_type,
            "createdAt": at,
            "attachments": [dict(a) for a in value.get("attachments") or []],
        }

    # --- Requests, faults, rate limit ---------------------------------------------------

    def record(self, record: RequestRecord) -> None:
        self.requests.append(record)

    def reset_requests(self) -> None:
        self.requests.clear()

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        body: Any = None,
        delay: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Make the next matching /api request(s) fail.

        kind "status": answer `status` (default 500) with `body` (default the usual
        {"error": ...}; a str is sent as is) after `delay` seconds; a 429 gets
        `Retry-After: 1` unless `headers` say otherwise. Nothing is handled.
        kind "timeout": handle the request normally (writes take effect), then hold
        the answer back `delay` seconds, or for good if `delay` is None.
        kind "malformed": 200 with a body that is not valid JSON (or `body`).
        kind "disconnect": close the connection without answering.
        Faults match by `method` and `path` (exact or fnmatch pattern, e.g.
        "/api/ticket*"), apply in order of injection, `times` times (None: forever).
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"fault kind must be one of {get_args(FaultKind)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for until cleared")
        fault = Fault(kind, times, path, method, status, body, delay, dict(headers or {}))
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        count = len(self.faults)
        self.faults.clear()
        return count

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def check_rate(self, key: str) -> int | None:
        """Count a request against `key`'s sliding window; seconds to wait if over."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.rate_window:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            return max(1, math.ceil(hits[0] + self.rate_window - now))
        hits.append(now)
        return None

    def summary(self) -> dict[str, Any]:
        by_status = {s: 0 for s in STATUSES}
        open_unassigned = 0
        for ticket in self.tickets:
            by_status[ticket["status"]] += 1
            open_unassigned += ticket["status"] != "Resolved" and ticket["assignedTo"] is None
        return {
            "tickets": {
                "total": len(self.tickets),
                "byStatus": by_status,
                "openUnassigned": open_unassigned,
                "newest": self.tickets[-1]["_id"] if self.tickets else None,
            },
            "customers": len(self.customers),
            "agents": [{"id": a.id, "name": a.name} for a in self.agents.values()],
            "categories": [
                {"_id": c.id, "name": c.name, "active": c.active} for c in self.categories.values()
            ],
            "tags": [{"_id": t.id, "name": t.name} for t in self.tags.values()],
            "requests": len(self.requests),
            "faults": len(self.faults),
            "latency": self.latency,
            "rateLimit": {"limit": self.rate_limit, "window": self.rate_window},
        }


def _pairs_from_any(value: Any) -> list[tuple[str, str]]:
    """Attributes as {name: content}, [{label, value}] or [{name, content}]."""
    if isinstance(value, dict):
        return [(str(k), str(v)) for k, v in value.items()]
    pairs = []
    for item in value or []:
        name = item.get("label", item.get("name"))
        content = item.get("value", item.get("content"))
        if not isinstance(name, str) or not isinstance(content, str):
            raise ValueError("attributes need a name/label and a content/value string")
        pairs.append((name, content))
    return pairs


# --- HTTP layer ------------------------------------------------------------------------

SANDBOX_KEY: Final = web.AppKey("mava_sandbox", MavaSandbox)


def _error(status: int, error: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": error}, status=status, headers=headers)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise _bad_request("Invalid request body") from exc


async def _recorded_body(request: web.Request) -> Any:
    raw = await request.text() if request.body_exists else ""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _fault_response(fault: Fault) -> web.Response:
    status = fault.status or 500
    headers = dict(fault.headers)
    if status == 429:
        headers.setdefault("Retry-After", "1")
    if isinstance(fault.body, str):
        return web.Response(status=status, text=fault.body, headers=headers)
    body = fault.body
    if body is None:
        body = {"error": _DEFAULT_FAULT_ERRORS.get(status, "Error")}
    return web.json_response(body, status=status, headers=headers)


async def _answer(
    request: web.Request, handler: Handler, sandbox: MavaSandbox, fault: Fault | None
) -> web.StreamResponse:
    """The response before transport-level faults: fault, auth, rate limit, handler."""
    if fault is not None and fault.kind == "status":
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return _fault_response(fault)
    if fault is not None and fault.kind == "malformed":
        text = fault.body if isinstance(fault.body, str) else _MALFORMED_BODY
        return web.Response(status=200, text=text, content_type="application/json")
    key = request.headers.get("x-auth-token")
    if key != sandbox.api_key:
        return _error(401, "Unauthorized")
    retry_after = sandbox.check_rate(key)
    if retry_after is not None:
        return _error(429, "Too many requests", {"Retry-After": str(retry_after)})
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.error)
    except web.HTTPException as exc:  # unknown route or method under /api
        return _error(exc.status, exc.reason)
    except Exception:
        log.exception("sandbox: unexpected error in %s %s", request.method, request.path)
        return _error(500, "Internal server error")


@web.middleware
async def _api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    sandbox = request.app[SANDBOX_KEY]
    arrived = time.time()
    body = await _recorded_body(request)

    def record(status: int, fault: Fault | None) -> None:
        query = list(request.query.items())
        kind = fault.kind if fault else None
        sandbox.record(
            RequestRecord(request.method, request.path, query, status, arrived, body, kind)
        )

    fault: Fault | None = None
    try:
        if sandbox.latency > 0:
            await asyncio.sleep(sandbox.latency)
        fault = sandbox.take_fault(request.method, request.path)
        if fault is not None and fault.kind == "disconnect":
            record(0, fault)
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never written: the connection is gone
        response = await _answer(request, handler, sandbox, fault)
    except asyncio.CancelledError:  # the client gave up while we were slow
        record(0, fault)
        raise
    record(response.status, fault)
    if fault is not None and fault.kind == "timeout":
        await asyncio.sleep(fault.delay if fault.delay is not None else _HANG_SECONDS)
    return response


@web.middleware
async def _admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/_sandbox/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.error)
    except KeyError as exc:
        return _error(404, f"Not found: {exc}")
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))


# --- /api handlers ---


async def _identify(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].identify(await _json_body(request)))


async def _categories(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].categories_json())


async def _agents(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].agents_json())


async def _update_ticket(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].update_ticket(await _json_body(request)))


async def _create_ticket(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].create_ticket(await _json_body(request)))


async def _message(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].post_message(await _json_body(request)))


async def _tickets(request: web.Request) -> web.Response:
    query = parse_ticket_query(request.query.items())
    return web.json_response(request.app[SANDBOX_KEY].list_tickets(query))


# --- /_sandbox admin handlers ---


async def _admin_object(request: web.Request) -> dict[str, Any]:
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise _bad_request("Expected a JSON object")
    return body


async def _admin_state(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].summary())


async def _admin_get_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    ticket = sandbox.get(request.match_info["ticket_id"])
    if ticket is None:
        raise KeyError(request.match_info["ticket_id"])
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_add_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    ticket = sandbox.add_ticket(**await _admin_object(request))
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_update_ticket(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    ticket = sandbox.update(request.match_info["ticket_id"], **fields)
    return web.json_response({"ticket": sandbox.ticket_json(ticket)})


async def _admin_add_message(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    allowed = {
        "content": "content",
        "senderType": "sender_type",
        "senderName": "sender_name",
        "messageType": "message_type",
        "attachments": "attachments",
        "createdAt": "created_at",
    }
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"unknown message fields {sorted(unknown)}")
    kwargs = {allowed[k]: v for k, v in fields.items() if k != "content"}
    message = sandbox.add_message(
        request.match_info["ticket_id"], str(fields.get("content", "")), **kwargs
    )
    return web.json_response({"message": sandbox.message_json(message)})


async def _admin_add_fault(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    fields = await _admin_object(request)
    kind = fields.pop("kind", None)
    sandbox.inject(kind, **fields)
    return web.json_response({"faults": len(sandbox.faults)})


async def _admin_clear_faults(request: web.Request) -> web.Response:
    return web.json_response({"cleared": request.app[SANDBOX_KEY].clear_faults()})


async def _admin_requests(request: web.Request) -> web.Response:
    records = request.app[SANDBOX_KEY].requests
    return web.json_response({"requests": [r.to_json() for r in records]})


async def _admin_reset_requests(request: web.Request) -> web.Response:
    request.app[SANDBOX_KEY].reset_requests()
    return web.json_response({"requests": []})


async def _admin_latency(request: web.Request) -> web.Response:
    seconds = (await _admin_object(request)).get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError("seconds must be a number >= 0")
    request.app[SANDBOX_KEY].latency = float(seconds)
    return web.json_response({"latency": float(seconds)})


_SWITCHES: Final[dict[str, Callable[[Any], bool]]] = {
    "null_priorities": lambda v: v in ("first", "last"),
    "string_priorities": lambda v: isinstance(v, bool),
    "strings_sort": lambda v: v in ("first", "last"),
    "random_ties": lambda v: isinstance(v, bool),
    "churn": lambda v: type(v) is int and v >= 0,
    "odd_shapes": lambda v: isinstance(v, bool),  # from then on: new tickets only
    "customer_on_resolved": lambda v: v in ("reopen", "append", "new_ticket"),
    "create_answer": lambda v: v in ("ticket", "flat", "id", "none"),
}


async def _admin_switches(request: web.Request) -> web.Response:
    """POST {"null_priorities": "first", "churn": 2, ...}: set the order/churn switches."""
    sandbox = request.app[SANDBOX_KEY]
    body = await _admin_object(request)
    for name, value in body.items():
        if name not in _SWITCHES or not _SWITCHES[name](value):
            raise ValueError(f"bad switch {name}={value!r}")
    for name, value in body.items():
        setattr(sandbox, name, value)
    return web.json_response({name: getattr(sandbox, name) for name in _SWITCHES})


async def _admin_odd_shape(request: web.Request) -> web.Response:
    """Body {"ticketId": ..., "shape": one of ODD_SHAPES or null}."""
    fields = await _admin_object(request)
    sandbox = request.app[SANDBOX_KEY]
    ticket_id = fields.get("ticketId")
    if not isinstance(ticket_id, str) or sandbox.get(ticket_id) is None:
        raise KeyError(ticket_id)
    sandbox.serve_odd(ticket_id, fields.get("shape"))
    return web.json_response({"ticketId": ticket_id, "shape": fields.get("shape")})


def create_mava_app(sandbox: MavaSandbox) -> web.Application:
    """The aiohttp app serving `sandbox`: the Mava API under /api, controls under /_sandbox."""
    app = web.Application(middlewares=[_api_middleware, _admin_middleware])
    app[SANDBOX_KEY] = sandbox
    app.router.add_post("/api/identify", _identify)
    app.router.add_get("/api/categories", _categories)
    app.router.add_get("/api/agents", _agents)
    app.router.add_put("/api/ticket", _update_ticket)
    app.router.add_post("/api/ticket", _create_ticket)
    app.router.add_put("/api/message", _message)
    app.router.add_post("/api/message", _message)  # one doc example uses POST
    app.router.add_get("/api/tickets", _tickets)

    app.router.add_get("/_sandbox/state", _admin_state)
    app.router.add_post("/_sandbox/tickets", _admin_add_ticket)
    app.router.add_get("/_sandbox/tickets/{ticket_id}", _admin_get_ticket)
    app.router.add_patch("/_sandbox/tickets/{ticket_id}", _admin_update_ticket)
    app.router.add_post("/_sandbox/tickets/{ticket_id}/messages", _admin_add_message)
    app.router.add_post("/_sandbox/faults", _admin_add_fault)
    app.router.add_delete("/_sandbox/faults", _admin_clear_faults)
    app.router.add_get("/_sandbox/requests", _admin_requests)
    app.router.add_delete("/_sandbox/requests", _admin_reset_requests)
    app.router.add_post("/_sandbox/latency", _admin_latency)
    app.router.add_post("/_sandbox/odd_shapes", _admin_odd_shape)
    app.router.add_post("/_sandbox/switches", _admin_switches)
    return app


# --- Running it ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunningSandbox:
    url: str  # base URL without /api, e.g. http://127.0.0.1:54321 (what MAVA_API_URL takes)
    sandbox: MavaSandbox

    @property
    def api_key(self) -> str:
        return self.sandbox.api_key


@contextlib.asynccontextmanager
async def running_mava_sandbox(
    sandbox: MavaSandbox | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **sandbox_options: Any,
) -> AsyncIterator[RunningSandbox]:
    """Serve a sandbox (given, or built from `sandbox_options`) on host:port (0 = any free)."""
    if sandbox is None:
        sandbox = MavaSandbox(**sandbox_options)
    elif sandbox_options:
        raise TypeError("pass a sandbox or options for a new one, not both")
    # handler_cancellation: a hung handler ends when its client gives up.
    runner = web.AppRunner(
        create_mava_app(sandbox), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        yield RunningSandbox(f"http://{shown_host}:{bound_port}", sandbox)
    finally:
        await runner.cleanup()


async def serve_forever(host: str, port: int, seed: int, tickets: int, api_key: str) -> None:
    """Serve until cancelled; first prints the settings line the bot needs."""
    sandbox = MavaSandbox(seed=seed, tickets=tickets, api_key=api_key)
    async with running_mava_sandbox(sandbox, host=host, port=port) as running:
        print(f"MAVA_API_URL={running.url} MAVA_API_TOKEN={running.api_key}", flush=True)
        print(
            f"Mava sandbox: {tickets} tickets (seed {seed}) at {running.url}. Ctrl-C to stop.",
            flush=True,
        )
        await asyncio.Event().wait()


async def _serve_until_signalled(host: str, port: int, seed: int, tickets: int, key: str) -> None:
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve_forever(host, port, seed, tickets, key)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def run_sandbox_cli(argv: list[str] | None = None) -> int:
    """`mava-bot sandbox [--host H] [--port P] [--seed N] [--tickets N]`."""
    parser = argparse.ArgumentParser(
        prog="mava-bot sandbox",
        description="Run a local Mava API server with seeded demo data.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_count, default=8000, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same demo data")
    parser.add_argument("--tickets", type=_count, default=300, help="tickets to seed")
    args = parser.parse_args(argv)
    api_key = os.environ.get("MAVA_API_TOKEN") or DEMO_API_KEY
    try:
        asyncio.run(_serve_until_signalled(args.host, args.port, args.seed, args.tickets, api_key))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"Cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(run_sandbox_cli())
