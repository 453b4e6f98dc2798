"""The Mava sandbox's shared rules: limits, the API's error, dates, and how request
bodies and test-control field names are read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

from aiohttp import web

from mava_sandbox.mava_seed import (
    PRIORITIES,
    PRIORITY_LABELS,
    TicketRecord,
    ms_floor,
)

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
HANG_SECONDS: Final = 3600.0  # "never answer"; the handler is cancelled when the client leaves
MALFORMED_BODY: Final = '{"tickets": [{"_id": '

FaultKind = Literal["status", "timeout", "malformed", "disconnect"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An error answer of the API: HTTP status and the `error` string of the body."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def bad_request(error: str) -> ApiError:
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


def one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, month=3, day=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def ticket_created(ticket: TicketRecord) -> datetime:
    return cast(datetime, ticket["createdAt"])


# --- Body validation helpers -------------------------------------------------------


def as_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Invalid request body")
    return body


def optional_str(body: dict[str, Any], key: str, error: str = "Invalid request body") -> str | None:
    """A string field; absent, null and "" all mean "not given"."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request(error)
    return value


def labelled_pairs(items: Any, error: str, limit: int | None = None) -> list[tuple[str, str]]:
    """[{label, value}] with string label and value (the identify schema)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise bad_request(error)
    if limit is not None and len(items) > limit:
        raise bad_request(f"Too many attributes (max {limit})")
    pairs = []
    for item in items:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("label"), str)
            and isinstance(item.get("value"), str)
        ):
            raise bad_request(error)
        pairs.append((item["label"], item["value"]))
    return pairs


def parse_attachments(items: Any, limit: int | None = None) -> list[dict[str, str]]:
    """[{fileName, url, fileType}], every field a non-empty string."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise bad_request("Invalid attachments")
    if limit is not None and len(items) > limit:
        raise bad_request(f"Too many attachments (max {limit})")
    keys = ("fileName", "url", "fileType")
    result = []
    for item in items:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item[k] for k in keys
        ):
            raise bad_request("Invalid attachments")
        result.append({k: item[k] for k in keys})
    return result


def is_priority(value: Any) -> bool:
    return type(value) is int and value in PRIORITIES  # bool is not a priority


@dataclass(frozen=True)
class CustomerSpec:
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
AUDITED = ("status", "priority", "category", "assignedTo")
PRIORITY_WORDS: Final = {1: "low", 2: "medium", 3: "high"}
# The dashboard's priority labels, for dashboard changes given by name.
PRIORITY_BY_LABEL: Final = {label.casefold(): value for value, label in PRIORITY_LABELS.items()}
DASHBOARD_FIELDS: Final = frozenset({"status", "priority", "category", "assignee", "assignedTo"})


def normalize_fields(fields: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for key, value in fields.items():
        name = _FIELD_ALIASES.get(key, key)
        if name not in _TICKET_FIELDS:
            raise ValueError(f"unknown ticket field {key!r}")
        result[name] = value
    return result


def as_datetime(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return ms_floor(value)
    if isinstance(value, str) and (parsed := parse_iso(value)) is not None:
        return ms_floor(parsed)
    raise ValueError(f"{what} must be a datetime or an ISO 8601 string, not {value!r}")


def pairs_from_any(value: Any) -> list[tuple[str, str]]:
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
