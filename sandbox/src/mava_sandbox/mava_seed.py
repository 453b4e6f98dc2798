"""Deterministic demo data for the Mava sandbox.

Everything comes from `random.Random(seed)` and the `now` passed in, so the same seed
and clock give byte-identical data (tests rely on it). Tickets are stored as plain
dicts shaped like the API's JSON except that dates are aware `datetime`s and
references are ids: `assignedTo` (agent id), `category` (category id), `tags` (tag
ids), `customer` (customer id or None), `csat` (int or None). The server renders
names from those ids, so a rename shows everywhere at once.

The data it draws from is in mava_catalogue; this module holds the records and builds them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from mava_sandbox.mava_catalogue import (
    AGENT_REPLIES,
    AGENTS,
    ARCHIVED_CATEGORY,
    CATEGORIES,
    COMPANIES,
    COUNTRIES,
    CUSTOMER_FOLLOW_UPS,
    FIRST_NAMES,
    INTERNAL_NOTES,
    LAST_NAMES,
    NASTY,
    NON_LATIN_NAMES,
    OPENERS,
    PLANS,
    SCREENSHOT,
    SPAN,
    TAGS,
    TICKET_ATTRIBUTES,
)

STATUSES = ("Open", "Pending", "Waiting", "Resolved")
PRIORITIES = (1, 2, 3)
PRIORITY_LABELS = {1: "Low", 2: "Medium", 3: "High"}
ORIGINS = ("web", "discord", "telegram", "telegram-group", "email")
MESSAGE_TYPES = ("ExternalMessage", "InternalNote")

TicketRecord = dict[str, Any]
T = TypeVar("T")


def ms_floor(moment: datetime) -> datetime:
    """Drop sub-millisecond precision: the API's JSON carries milliseconds only."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class IdFactory:
    """MongoDB-style ObjectIds: creation time (8 hex) + fixed random part + counter.

    The 16 non-time digits come from the seed, so ids are reproducible and unique
    (the counter wraps only after 16 million ids).
    """

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"ids:{seed}")
        self._process = rng.getrandbits(40)
        self._counter = rng.getrandbits(24)

    def new(self, at: datetime) -> str:
        self._counter = (self._counter + 1) & 0xFFFFFF
        seconds = int(at.timestamp()) & 0xFFFFFFFF
        return f"{seconds:08x}{self._process:010x}{self._counter:06x}"


@dataclass
class SandboxAgent:
    id: str
    name: str
    email: str
    wallet_address: str | None = None


@dataclass
class SandboxCategory:
    id: str
    name: str
    active: bool = True


@dataclass
class SandboxTag:
    id: str
    name: str


@dataclass
class SandboxCustomer:
    id: str
    name: str | None = None
    email: str | None = None
    wallet_address: str | None = None
    platform_user_id: str | None = None
    # Wire shape: {"attributeId", "name", "content"}
    attributes: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SeedData:
    agents: list[SandboxAgent]
    categories: list[SandboxCategory]
    tags: list[SandboxTag]
    customers: list[SandboxCustomer]
    tickets: list[TicketRecord]  # sorted by (createdAt, _id)
    attribute_ids: dict[str, str]  # attribute name -> attributeId, shared by all records


def _weighted(rng: random.Random, options: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(options, weights)[0]


class _Builder:
    """Holds the random source and id factory while one seed is generated."""

    def __init__(self, seed: int, now: datetime, ids: IdFactory) -> None:
        self.rng = random.Random(seed)
        self.now = ms_floor(now)
        self.ids = ids
        self.attribute_ids: dict[str, str] = {}
        self.discord: dict[str, tuple[str, str]] = {}  # customer id -> (author id, handle)
        self.open_customers: set[str] = set()

    def catalogue_time(self) -> datetime:
        """Agents, categories and tags all predate every ticket."""
        return self.now - SPAN - timedelta(days=200 + self.rng.randint(0, 100))

    def attribute(self, name: str, content: str) -> dict[str, str]:
        if name not in self.attribute_ids:
            self.attribute_ids[name] = self.ids.new(self.catalogue_time())
        return {"attributeId": self.attribute_ids[name], "name": name, "content": content}

    # --- people and catalogue --------------------------------------------------

    def agents(self) -> list[SandboxAgent]:
        return [
            SandboxAgent(self.ids.new(self.catalogue_time()), name, email, wallet)
            for name, email, wallet in AGENTS
        ]

    def categories(self) -> list[SandboxCategory]:
        active = [SandboxCategory(self.ids.new(self.catalogue_time()), n) for n in CATEGORIES]
        archived = SandboxCategory(self.ids.new(self.catalogue_time()), ARCHIVED_CATEGORY, False)
        return [*active, archived]

    def tags(self) -> list[SandboxTag]:
        return [SandboxTag(self.ids.new(self.catalogue_time()), name) for name in TAGS]

    def customer(self, index: int) -> SandboxCustomer:
        rng = self.rng
        if index % 17 == 3:
            name = NON_LATIN_NAMES[index % len(NON_LATIN_NAMES)]
            local = f"customer{index}"
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first} {last}"
            local = f"{first}.{last}{index}".lower().replace("'", "")
        attributes = [self.attribute("Plan", rng.choice(PLANS))]
        if rng.random() < 0.6:
            attributes.append(self.attribute("Company", rng.choice(COMPANIES)))
        if rng.random() < 0.4:
            attributes.append(self.attribute("Country", rng.choice(COUNTRIES)))
        customer = SandboxCustomer(
            id=self.ids.new(self.now - SPAN - timedelta(days=rng.uniform(1, 60))),
            name=name,
            email=f"{local}@example.com" if rng.random() < 0.75 else None,
            wallet_address=f"0x{rng.getrandbits(160):040x}" if rng.random() < 0.2 else None,
            attributes=attributes,
        )
        handle = local.split("@")[0].replace(".", "_")[:20]
        self.discord[customer.id] = (str(rng.randrange(10**17, 10**18)), handle)
        return customer

    # --- tickets ---------------------------------------------------------------

    def age(self, index: int) -> timedelta:
        """A few tickets in the last hour, a dozen more today, then skewed to recent."""
        if index < 4:
            return timedelta(seconds=self.rng.uniform(60, 3500))
        if index < 16:
            return timedelta(seconds=self.rng.uniform(3700, 85_000))
        return SPAN * self.rng.random() ** 2

    def status(self, age: timedelta) -> str:
        if age < timedelta(days=1):
            weights = (55, 15, 10, 20)
        elif age < timedelta(days=14):
            weights = (25, 12, 8, 55)
        else:
            weights = (5, 3, 2, 90)
        return _weighted(self.rng, STATUSES, weights)

    def pick_customer(
        self, customers: list[SandboxCustomer], origin: str, is_open: bool
    ) -> SandboxCustomer:
        """A customer never holds two open tickets; email tickets want an email."""
        candidate = customers[0]
        for _ in range(12):
            candidate = self.rng.choice(customers)
            if is_open and candidate.id in self.open_customers:
                continue
            if origin == "email" and candidate.email is None:
                continue
            break
        else:
            candidate = self.customer(len(customers))
            customers.append(candidate)
        if is_open:
            self.open_customers.add(candidate.id)
        return candidate

    def message(
        self,
        at: datetime,
        content: str,
        sender_type: str,
        *,
        sender_name: str | None = None,
        message_type: str = "ExternalMessage",
        attachments: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        return message_record(
            self.ids.new(at),
            at,
            content,
            sender_type,
            sender_name=sender_name,
            message_type=message_type,
            attachments=attachments,
        )

    def thread(
        self,
        created: datetime,
        end: datetime,
        opener: str,
        customer_name: str | None,
        agent: SandboxAgent | None,
        resolved: bool,
    ) -> list[dict[str, Any]]:
        """Customer first, then a few replies spread over the ticket's life."""
        rng = self.rng
        screenshot = [dict(SCREENSHOT)] if rng.random() < 0.08 else None
        messages = [
            self.message(
                created, opener, "customer", sender_name=customer_name, attachments=screenshot
            )
        ]
        middle: list[tuple[str, str, str]] = []  # (content, senderType, messageType)
        if agent is not None and rng.random() < 0.3:
            middle.append((f"Assigned to {agent.name}", "system", "InternalNote"))
        if agent is not None or resolved or rng.random() < 0.3:
            middle.append((rng.choice(AGENT_REPLIES), "agent", "ExternalMessage"))
            if rng.random() < 0.45:
                middle.append((rng.choice(CUSTOMER_FOLLOW_UPS), "customer", "ExternalMessage"))
        if rng.random() < 0.2:
            middle.append((rng.choice(INTERNAL_NOTES), "agent", "InternalNote"))
        span = end - created
        offsets = sorted(rng.uniform(0.05, 0.9) for _ in middle)
        for (content, sender_type, message_type), frac in zip(middle, offsets, strict=True):
            name = customer_name if sender_type == "customer" else None
            at = ms_floor(created + span * frac)
            messages.append(
                self.message(at, content, sender_type, sender_name=name, message_type=message_type)
            )
        if resolved:
            note = "Status changed from Open to Resolved"
            messages.append(self.message(end, note, "system", message_type="InternalNote"))
        return messages

    def ticket(
        self,
        index: int,
        catalogue: tuple[list[SandboxAgent], list[SandboxCategory], list[SandboxTag]],
        customers: list[SandboxCustomer],
    ) -> TicketRecord:
        agents, categories, tags = catalogue
        rng = self.rng
        age = self.age(index)
        created = ms_floor(self.now - age)
        status = "Open" if index < 3 else self.status(age)
        origin = _weighted(rng, ORIGINS, (30, 30, 12, 8, 20))
        is_open = status != "Resolved"
        group = origin == "telegram-group"
        customer = None if group else self.pick_customer(customers, origin, is_open)

        assign_chance = 0.55 if is_open else 0.9
        agent = rng.choice(agents) if rng.random() < assign_chance else None
        category = self.category(categories, age)
        topic = category.name if category and category.name in OPENERS else "General"
        opener = rng.choice(OPENERS[topic])
        if 4 <= index < 4 + len(NASTY):
            opener = NASTY[index - 4]  # guarantee the nasty ones are recent and visible

        resolved_at = self.resolved_at(created) if status == "Resolved" else None
        discord_users: list[dict[str, str]] = []
        sender_name = None
        if origin == "discord" and customer is not None:
            author_id, handle = self.discord[customer.id]
            discord_users = [{"discordAuthorId": author_id, "name": handle}]
            sender_name = handle
        end = resolved_at or ms_floor(created + (self.now - created) * rng.uniform(0.2, 1.0))
        messages = self.thread(created, end, opener, sender_name, agent, resolved_at is not None)

        return {
            "_id": self.ids.new(created),
            "createdAt": created,
            "updatedAt": max(m["createdAt"] for m in messages),
            "status": status,
            "priority": _weighted(rng, (None, 1, 2, 3), (15, 25, 40, 20)),
            "sourceType": origin,
            "resolutionTime": ms_between(created, resolved_at) if resolved_at else None,
            "assignedTo": agent.id if agent else None,
            "category": category.id if category else None,
            "tags": [t.id for t in rng.sample(tags, _weighted(rng, (0, 1, 2), (50, 35, 15)))],
            "csat": self.csat() if resolved_at and not group else None,
            "aiStatus": None if group else self.ai_status(status),
            "discordUsers": discord_users,
            "attributes": self.ticket_attributes(),
            "customer": customer.id if customer else None,
            "messages": messages,
        }

    def category(self, categories: list[SandboxCategory], age: timedelta) -> SandboxCategory | None:
        if age > timedelta(days=60) and self.rng.random() < 0.1:
            return categories[-1]  # old tickets may keep the since-archived category
        if self.rng.random() < 0.8:
            return self.rng.choice(categories[:-1])
        return None

    def resolved_at(self, created: datetime) -> datetime:
        took = timedelta(seconds=max(120.0, self.rng.expovariate(1 / 36_000)))
        latest = self.now - created
        if took >= latest:
            took = latest * self.rng.uniform(0.3, 0.95)
        return ms_floor(created + took)

    def csat(self) -> int | None:
        if self.rng.random() < 0.45:
            return None
        return _weighted(self.rng, (1, 2, 3, 4, 5), (5, 5, 10, 30, 50))

    def ai_status(self, status: str) -> str:
        if status == "Resolved":
            return _weighted(self.rng, ("resolved", "escalated"), (40, 60))
        return _weighted(self.rng, ("active", "escalated"), (30, 70))

    def ticket_attributes(self) -> list[dict[str, str]]:
        if self.rng.random() >= 0.3:
            return []
        name, values = self.rng.choice(TICKET_ATTRIBUTES)
        return [self.attribute(name, self.rng.choice(values))]


def message_record(
    message_id: str,
    at: datetime,
    content: str,
    sender_type: str,
    *,
    sender_name: str | None = None,
    message_type: str = "ExternalMessage",
    attachments: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A stored message: the API's shape, with a datetime `createdAt`."""
    return {
        "_id": message_id,
        "content": content,
        "senderType": sender_type,
        "senderName": sender_name,
        "messageType": message_type,
        "createdAt": at,
        "attachments": attachments or [],
    }


def ms_between(start: datetime, end: datetime) -> int:
    return (end - start) // timedelta(milliseconds=1)


def build_seed(*, seed: int, now: datetime, tickets: int, ids: IdFactory) -> SeedData:
    """Generate the catalogue, ~120 customers (more for big seeds) and `tickets` tickets."""
    builder = _Builder(seed, now, ids)
    agents = builder.agents()
    categories = builder.categories()
    tags = builder.tags()
    customers = [builder.customer(i) for i in range(max(120, tickets * 2 // 5))]
    records = [builder.ticket(i, (agents, categories, tags), customers) for i in range(tickets)]
    records.sort(key=lambda t: (t["createdAt"], t["_id"]))
    return SeedData(agents, categories, tags, customers, records, builder.attribute_ids)
