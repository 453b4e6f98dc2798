"""The Mava sandbox's state, in one place: the seeded records, the clock and ids, and the
wire rendering every resource shares. The resource mixins (mava_directory, mava_dashboard,
mava_messages, mava_ticket_api, mava_search, mava_faults) add behaviour over it.
"""

from __future__ import annotations

import random
from bisect import insort
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from mava_sandbox.mava_records import Fault, RequestRecord
from mava_sandbox.mava_rules import DEMO_API_KEY, PRIORITY_WORDS, bad_request, iso, utcnow
from mava_sandbox.mava_seed import (
    IdFactory,
    SandboxAgent,
    SandboxCategory,
    SandboxCustomer,
    SandboxTag,
    TicketRecord,
    build_seed,
    message_record,
    ms_floor,
)
from mava_sandbox.odd_shapes import ODD_SHAPES, odd_shape


class SandboxState:
    """In-memory Mava: seeded state, lookups and rendering."""

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
        self._clock = now or utcnow
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
        # rating_touches_updated: whether a customer's rating (`rate`) moves the ticket's
        # updatedAt; Mava does not say, and the bridge must not depend on it.
        self.rating_touches_updated = True
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
            raise bad_request("Ticket not found")
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
        return message_record(
            self.new_id(at),
            at,
            content,
            sender_type,
            sender_name=sender_name,
            message_type=message_type,
            attachments=attachments,
        )

    def _store_new(self, ticket: TicketRecord) -> TicketRecord:
        if ticket["_id"] in self._by_id:
            raise ValueError(f"ticket {ticket['_id']} already exists")
        insort(self.tickets, ticket, key=lambda t: (t["createdAt"], t["_id"]))
        self._by_id[ticket["_id"]] = ticket
        if self.odd_shapes:
            self._take_odd_shape(ticket["_id"])
        self._changed("ticket.created", ticket)
        return ticket

    def served_priority(self, ticket: TicketRecord) -> int | str | None:
        """The priority as the API shows it (a word under `string_priorities`)."""
        value = ticket["priority"]
        if self.string_priorities and value is not None and int(ticket["_id"][-1], 16) % 4 == 0:
            return PRIORITY_WORDS.get(value, str(value))
        return cast("int | str | None", value)

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
