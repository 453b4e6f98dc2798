"""Typed shapes of the Mava API.

Responses are parsed leniently (unknown fields kept, nulls tolerated, unknown enum
values kept as plain strings) because Mava adds fields over time; request bodies are
built from strict models so we never send Mava something it does not document.
Where a shape departs from the reference but its reading is obvious, it is read so:
`tags: null` is no tags, a plain-string `assignedTo`/`category` is its id, a number
`csat` is its value, a customer or message without `_id` is kept without one.

A search page is read one ticket at a time (`TicketPageReader`): its envelope must be
readable (else `MavaProtocolError`), but a ticket that cannot be read even leniently is
skipped, so one odd ticket never blocks the rest. It is logged once per id with what was
wrong (field path and error type, never its content), counted each time, and named in
`TicketPage.unreadable`, so a look-up by id can say "found, but unreadable".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

# Re-exported: the API's statuses, priorities and origins are the domain's terms.
from mava_bridge.domain.tickets import Origin as Origin
from mava_bridge.domain.tickets import Priority as Priority
from mava_bridge.domain.tickets import Status as Status
from mava_bridge.mava.errors import MavaProtocolError

log = logging.getLogger(__name__)


class MessageType(StrEnum):
    EXTERNAL = "ExternalMessage"
    INTERNAL_NOTE = "InternalNote"


class SenderType(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class SortBy(StrEnum):
    CREATED_AT = "createdAt"
    STATUS = "status"
    PRIORITY = "priority"
    SOURCE_TYPE = "sourceType"
    ASSIGNED_TO = "assignedTo"
    CATEGORY = "category"
    RESOLUTION_TIME = "resolutionTime"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


UNASSIGNED = "Unassigned"  # the assignedTo filter value Mava uses for "nobody"

E = TypeVar("E", StrEnum, IntEnum)


def _lenient(enum: type[E]) -> Callable[[Any], Any]:
    """Map a known value to the enum member and keep an unknown one as it came."""

    def convert(value: Any) -> Any:
        try:
            return enum(value)
        except ValueError:
            return value

    return convert


LenientStatus = Annotated[Status | str, BeforeValidator(_lenient(Status))]
LenientPriority = Annotated[Priority | int | str | None, BeforeValidator(_lenient(Priority))]
LenientOrigin = Annotated[Origin | str, BeforeValidator(_lenient(Origin))]
LenientMessageType = Annotated[MessageType | str, BeforeValidator(_lenient(MessageType))]
LenientSenderType = Annotated[SenderType | str, BeforeValidator(_lenient(SenderType))]


def _id_object(value: Any) -> Any:
    """A plain-string reference (`"assignedTo": "<id>"`) read as `{"_id": "<id>"}`."""
    return {"_id": value} if isinstance(value, str) else value


NoneAsEmpty: Final = BeforeValidator(lambda value: [] if value is None else value)


def _csat_object(value: Any) -> Any:
    """`"csat": 4` read as `{"value": 4}`."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value}
    return value


def _category_object(value: Any) -> Any:
    """A plain-string category: its id, shown by id until we know its name."""
    return {"_id": value, "name": value} if isinstance(value, str) else value


# Priorities Mava may one day send as words; `priority` keeps the wire value (a word
# sorts apart from numbers: mava.keyset), `priority_level` reads it.
_PRIORITY_WORDS: Final = {p.name.casefold(): p for p in Priority}


class MavaModel(BaseModel):
    """Base for response shapes: camelCase on the wire, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class Category(MavaModel):
    id: str = Field(alias="_id")
    name: str


class Agent(MavaModel):
    id: str  # `id`, not `_id`, on this endpoint
    email: str | None = None
    username: str | None = None
    wallet_address: str | None = None

    @property
    def display_name(self) -> str:
        return self.username or self.email or self.id


class AssignedAgent(MavaModel):
    id: str = Field(alias="_id")
    name: str | None = None


class Tag(MavaModel):
    id: str = Field(alias="_id")
    name: str


class Attribute(MavaModel):
    attribute_id: str | None = None
    name: str | None = None
    content: str | None = None


class Customer(MavaModel):
    id: str | None = Field(default=None, alias="_id")
    email: str | None = None
    name: str | None = None
    attributes: list[Attribute] = []


class DiscordUser(MavaModel):
    discord_author_id: str | None = None
    name: str | None = None


class Csat(MavaModel):
    value: int | None = None


def _text(value: Any) -> Any:
    """A text field sent as a number is read as its text; any other odd type as None."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


LenientText = Annotated[str | None, BeforeValidator(_text)]


class FileAttachment(MavaModel):
    """A file on a message. Every field may be missing or odd: the message is still read
    and shows what can be shown (`slack.blocks.threads`)."""

    file_name: LenientText = None
    name: LenientText = None  # a name under another key, used when fileName is missing
    url: LenientText = None
    file_type: LenientText = None

    @property
    def display_name(self) -> str:
        return (self.file_name or self.name or "").strip() or "attachment"


def _attachment_list(value: Any) -> Any:
    """`attachments` as a list of objects: null or a non-list is none, a bare URL string is
    `{url}`, any other item is dropped (it names no file)."""
    if not isinstance(value, list):
        return []
    return [
        {"url": item} if isinstance(item, str) else item
        for item in value
        if isinstance(item, dict | str)
    ]


class Message(MavaModel):
    id: str | None = Field(default=None, alias="_id")  # kept and shown without one
    content: str | None = None
    sender_type: LenientSenderType | None = None
    sender_name: str | None = None
    message_type: LenientMessageType | None = None
    created_at: datetime | None = None
    attachments: Annotated[list[FileAttachment], BeforeValidator(_attachment_list)] = []


class Ticket(MavaModel):
    id: str = Field(alias="_id")
    created_at: datetime
    updated_at: datetime | None = None
    status: LenientStatus
    priority: LenientPriority = None
    source_type: LenientOrigin | None = None
    resolution_time: int | None = None
    assigned_to: Annotated[AssignedAgent | None, BeforeValidator(_id_object)] = None
    category: Annotated[Category | None, BeforeValidator(_category_object)] = None
    tags: Annotated[list[Tag], NoneAsEmpty] = []
    csat: Annotated[Csat | None, BeforeValidator(_csat_object)] = None
    ai_status: str | None = None
    discord_users: Annotated[list[DiscordUser], NoneAsEmpty] = []
    attributes: Annotated[list[Attribute], NoneAsEmpty] = []
    customer: Customer | None = None
    messages: list[Message] | None = None  # only with includeMessages=true

    @property
    def priority_level(self) -> Priority | None:
        """The priority as a level; a word ("high", "High") reads as its level."""
        if isinstance(self.priority, str):
            return _PRIORITY_WORDS.get(self.priority.strip().casefold())
        return self.priority if isinstance(self.priority, Priority) else None

    def first_customer_message(self) -> Message | None:
        for message in self.messages or []:
            if message.sender_type == SenderType.CUSTOMER:
                return message
        return None


class Pagination(MavaModel):
    limit: int
    skip: int
    has_more: bool


class TicketPage(MavaModel):
    tickets: list[Ticket]
    count: int
    pagination: Pagination
    skipped: int = 0  # tickets on this page that could not be read (`TicketPageReader`)
    # Of those, the ones with an id: id -> what was wrong, in a few words (no values).
    unreadable: dict[str, str] = {}


# --- What we send: strict, no extra fields --------------------------------------


class RequestModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class Attachment(RequestModel):
    file_name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    file_type: str = Field(min_length=1)


class CustomAttribute(RequestModel):
    label: str = Field(min_length=1)
    value: str


class NewCustomer(RequestModel):
    name: str | None = None
    email: str | None = None
    wallet_address: str | None = None
    attributes: list[CustomAttribute] | None = None


class NewMessage(RequestModel):
    content: str = Field(max_length=10_000)
    attachments: list[Attachment] | None = Field(default=None, max_length=10)


class NewTicket(RequestModel):
    """Body of POST /api/ticket: exactly one of customer_id / customer."""

    customer_id: str | None = None
    customer: NewCustomer | None = None
    status: Status | None = None
    priority: Priority | None = None
    source_type: Origin | None = None
    assigned_to: str | None = None
    category: str | None = None
    tags: list[str] | None = Field(default=None, max_length=20)
    attributes: list[CustomAttribute] | None = Field(default=None, max_length=30)
    message: NewMessage | None = None
    # Documented with its description cut off; sent only when the setting says so.
    silent: bool | None = None

    def model_post_init(self, __context: Any) -> None:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id or customer")


# Ticket ids already logged as unreadable; bounded so a flood cannot grow it forever.
_MAX_REMEMBERED = 10_000


class TicketPageReader:
    """Reads ticket pages; remembers which unreadable tickets it has already logged."""

    def __init__(self, on_unreadable: Callable[[], None] | None = None) -> None:
        self._on_unreadable = on_unreadable
        self._logged: set[str] = set()

    def read(self, data: dict[str, Any]) -> TicketPage:
        items = data.get("tickets")
        if not isinstance(items, list):
            raise MavaProtocolError()
        try:  # the envelope with its unknown fields kept; the tickets one by one below
            envelope = TicketPage.model_validate({**data, "tickets": []})
        except ValidationError as exc:
            raise MavaProtocolError() from exc
        tickets: list[Ticket] = []
        skipped = 0
        unreadable: dict[str, str] = {}
        for position, item in enumerate(items):
            try:
                tickets.append(Ticket.model_validate(item))
            except ValidationError as exc:
                skipped += 1
                self._unreadable(item, position, exc)
                if (ticket_id := _ticket_id(item)) is not None:
                    unreadable[ticket_id] = summary(exc)
        return envelope.model_copy(
            update={"tickets": tickets, "skipped": skipped, "unreadable": unreadable}
        )

    def _unreadable(self, item: Any, position: int, exc: ValidationError) -> None:
        if self._on_unreadable is not None:
            self._on_unreadable()
        ticket_id = _ticket_id(item)
        key = ticket_id or f"#{position}"
        if key in self._logged:
            return
        if len(self._logged) >= _MAX_REMEMBERED:
            self._logged.clear()
        self._logged.add(key)
        log.warning(
            "Mava ticket unreadable; skipped (the rest of the page is used)",
            extra={
                "ticket_id": ticket_id or f"(no _id, position {position} on the page)",
                "problems": problems(exc),
            },
        )


def problems(exc: ValidationError) -> str:
    """`field.path: error_type` for each error, without the values that caused them."""
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in error["loc"]) or "(ticket)"
        found.append(f"{path}: {error['type']}")
    return "; ".join(dict.fromkeys(found))


def summary(exc: ValidationError) -> str:
    """What was wrong in a few words for a user, e.g. "priority in an unexpected shape"."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "the ticket"
        missing = error["type"] == "missing" and len(error["loc"]) == 1
        fields.setdefault(field, "missing" if missing else "in an unexpected shape")
    return ", ".join(f"{field} {what}" for field, what in fields.items())


def _ticket_id(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("_id")
        if isinstance(value, str) and value:
            return value[:64]
    return None
