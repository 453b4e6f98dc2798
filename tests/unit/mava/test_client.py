"""MavaClient against the Mava sandbox over loopback HTTP: every endpoint, every
documented error, retries that are safe and writes that must never be repeated.

No mocking: the sandbox speaks the documented API and records what it was sent, and
faults (`inject`) make it fail the way real Mava can.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import httpx
import pytest
from running import free_port

from mava_bridge.mava import errors
from mava_bridge.mava.client import MavaClient, RetryPolicy, TicketQuery
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import (
    UNASSIGNED,
    Agent,
    Attachment,
    Category,
    CustomAttribute,
    MessageType,
    NewCustomer,
    NewMessage,
    NewTicket,
    Origin,
    Priority,
    SenderType,
    SortBy,
    SortOrder,
    Status,
    Ticket,
    TicketPage,
)
from mava_bridge.mava.ratelimit import Lane, RateLimiter, background, current_lane
from mava_sandbox.mava_seed import TicketRecord
from mava_sandbox.mava_server import (
    MavaSandbox,
    RequestRecord,
    RunningSandbox,
    running_mava_sandbox,
)
from mava_sandbox.mava_server import TicketQuery as SandboxQuery

E = TypeVar("E", bound=BaseException)

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05)
AUTH_SENTENCE = "Mava rejected the API key (401). Check MAVA_API_TOKEN."
NOT_AN_ID = "is not a Mava ticket id"
DASHBOARD = "https://dashboard.mava.app/dashboard/ticket?id="


# One TLS context for every client: httpx builds one per client otherwise (~20 ms each),
# and the sandbox speaks plain HTTP anyway. The transport is httpx's real one.
TLS = ssl.create_default_context()


def make_client(url: str, token: str, *, timeout: float = 5.0) -> MavaClient:
    return MavaClient(
        url,
        token,
        timeout=timeout,
        limiter=RateLimiter(),
        retry=RetryPolicy(base_delay=FAST.base_delay, max_delay=FAST.max_delay),
        transport=httpx.AsyncHTTPTransport(verify=TLS),
    )


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts (each once: a chain may loop)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend(e for e in (item.__cause__, item.__context__) if e is not None)


def assert_secret_free(exc: BaseException, secret: str) -> None:
    for item in exception_chain(exc):
        assert secret not in str(item), f"{type(item).__name__} shows the API key"
        assert secret not in repr(item), f"{type(item).__name__} shows the API key"
        if isinstance(item, errors.MavaError):
            assert secret not in item.user_message


@dataclass
class Harness:
    running: RunningSandbox
    client: MavaClient
    caplog: pytest.LogCaptureFixture

    @property
    def sandbox(self) -> MavaSandbox:
        return self.running.sandbox

    @property
    def key(self) -> str:
        return self.running.api_key

    def calls(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        return [
            r
            for r in self.sandbox.requests
            if (path is None or r.path == path) and (method is None or r.method == method)
        ]

    def client_with(
        self, *, url: str | None = None, token: str | None = None, timeout: float = 5.0
    ) -> MavaClient:
        return make_client(url or self.running.url, token or self.key, timeout=timeout)

    async def fails(self, call: Awaitable[Any], kind: type[E]) -> E:
        with pytest.raises(kind) as info:
            await call
        assert_secret_free(info.value, self.key)
        return info.value

    def open_ticket(self) -> TicketRecord:
        return next(t for t in self.sandbox.tickets if t["status"] == "Open")

    def messages_with(self, ticket_id: str, content: str) -> list[dict[str, Any]]:
        ticket = self.sandbox.get(ticket_id)
        assert ticket is not None
        return [m for m in ticket["messages"] if m["content"] == content]


@pytest.fixture
async def mava(
    mava_sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Harness]:
    caplog.set_level(logging.DEBUG)
    async with make_client(mava_sandbox.url, mava_sandbox.api_key) as client:
        yield Harness(mava_sandbox, client, caplog)
    assert mava_sandbox.api_key not in caplog.text, "the API key reached the logs"


def whole_range() -> TicketQuery:
    """Every seeded ticket (the seed spans a few months before now)."""
    return TicketQuery.recent(days=365, now=datetime.now(UTC).replace(microsecond=0))


def in_range(sandbox: MavaSandbox, query: TicketQuery) -> list[TicketRecord]:
    return [t for t in sandbox.tickets if query.start <= t["createdAt"] < query.end]


# --- Endpoints ----------------------------------------------------------------------


async def test_identify_pushes_attributes_to_an_existing_customer(mava: Harness) -> None:
    customer = next(c for c in mava.sandbox.customers.values() if c.email)
    assert customer.email is not None
    result = await mava.client.identify(
        email=customer.email.upper(), attributes={"Plan": "Enterprise", "Seats": "40"}
    )
    assert result["customerId"] == customer.id
    contents = {a["name"]: a["content"] for a in customer.attributes}
    assert contents["Plan"] == "Enterprise"
    assert contents["Seats"] == "40"
    (call,) = mava.calls("/api/identify", "POST")
    assert call.body["emailAddress"] == customer.email.upper()
    assert call.body["customAttributes"] == [
        {"label": "Plan", "value": "Enterprise"},
        {"label": "Seats", "value": "40"},
    ]

    # By Mava customer id, with pairs; a second push updates in place.
    await mava.client.identify(customer_id=customer.id, attributes=[("Plan", "Pro")])
    contents = {a["name"]: a["content"] for a in customer.attributes}
    assert contents["Plan"] == "Pro"
    assert [a["name"] for a in customer.attributes].count("Plan") == 1


async def test_identify_creates_a_customer_and_spells_platform_id_as_mava_does(
    mava: Harness,
) -> None:
    before = set(mava.sandbox.customers)
    result = await mava.client.identify(platform_user_id="discord-4242", attributes={"A": "b"})
    new_id = result["customerId"]
    assert new_id not in before
    created = mava.sandbox.customers[new_id]
    assert created.platform_user_id == "discord-4242"
    assert [(a["name"], a["content"]) for a in created.attributes] == [("A", "b")]
    (call,) = mava.calls("/api/identify")
    assert call.body["plaformUserId"] == "discord-4242"  # sic, Mava's schema


async def test_categories_list_the_active_ones_only(mava: Harness) -> None:
    categories = await mava.client.list_categories()
    assert all(isinstance(c, Category) for c in categories)
    active = {c.id: c.name for c in mava.sandbox.categories.values() if c.active}
    assert {c.id: c.name for c in categories} == active
    archived = [c for c in mava.sandbox.categories.values() if not c.active]
    assert archived, "the seed has an archived category"
    assert not {c.id for c in archived} & {c.id for c in categories}
    assert "Legacy" not in {c.name for c in categories}


async def test_agents(mava: Harness) -> None:
    agents = await mava.client.list_agents()
    assert all(isinstance(a, Agent) for a in agents)
    assert {a.id: (a.email, a.username) for a in agents} == {
        a.id: (a.email, a.name) for a in mava.sandbox.agents.values()
    }
    jane = next(a for a in agents if a.username == "Jane Smith")
    assert jane.wallet_address and jane.wallet_address.startswith("0x")
    assert jane.display_name == "Jane Smith"


async def test_update_status_priority_and_category_leave_system_messages(
    mava: Harness,
) -> None:
    ticket = next(
        t
        for t in mava.sandbox.tickets
        if t["status"] == "Open" and t["priority"] == 2 and t["category"] is None
    )
    billing = mava.sandbox.category_id("Billing")
    await mava.client.update_ticket(
        ticket["_id"], status=Status.PENDING, priority=Priority.HIGH, category_id=billing
    )
    assert (ticket["status"], ticket["priority"], ticket["category"]) == (
        "Pending",
        3,
        billing,
    )
    (call,) = mava.calls("/api/ticket", "PUT")
    assert call.body == {
        "ticketId": ticket["_id"],
        "status": "Pending",
        "priority": 3,
        "categoryId": billing,
    }
    assert "assignedTo" not in call.body  # leaving the assignee alone sends nothing

    seen = await mava.client.get_ticket(ticket["_id"])
    system = [m.content for m in seen.messages or [] if m.sender_type == SenderType.SYSTEM]
    assert system[-3:] == [
        "Status changed from Open to Pending",
        "Priority changed from Medium to High",
        "Category set to Billing",
    ]
    assert seen.status == Status.PENDING
    assert seen.priority_level is Priority.HIGH
    assert seen.category is not None and seen.category.name == "Billing"

    await mava.client.update_ticket(ticket["_id"], status=Status.RESOLVED)
    assert ticket["status"] == "Resolved"
    assert ticket["resolutionTime"] is not None


async def test_assign_and_unassign(mava: Harness) -> None:
    ticket = next(
        t for t in mava.sandbox.tickets if t["status"] != "Resolved" and t["assignedTo"] is None
    )
    jane = mava.sandbox.agent_id("Jane Smith")
    await mava.client.update_ticket(ticket["_id"], assigned_to=jane)
    assert ticket["assignedTo"] == jane
    assert ticket["messages"][-1]["content"] == "Assigned to Jane Smith"
    assert ticket["messages"][-1]["senderType"] == "system"

    await mava.client.update_ticket(ticket["_id"], assigned_to=None)
    assert ticket["assignedTo"] is None
    assert ticket["messages"][-1]["content"] == "Unassigned"
    unassign = mava.calls("/api/ticket", "PUT")[-1]
    assert unassign.body == {"ticketId": ticket["_id"], "assignedTo": None}  # explicit null


async def test_update_without_changes_sends_nothing(mava: Harness) -> None:
    with pytest.raises(ValueError, match="at least one change"):
        await mava.client.update_ticket(mava.open_ticket()["_id"])
    with pytest.raises(ValueError):
        await mava.client.update_ticket(mava.open_ticket()["_id"], status=cast(Any, "Closed"))
    assert mava.calls() == []


@pytest.mark.parametrize(
    ("message_type", "wire"),
    [(MessageType.EXTERNAL, "ExternalMessage"), (MessageType.INTERNAL_NOTE, "InternalNote")],
)
async def test_send_message_and_internal_note(
    mava: Harness, message_type: MessageType, wire: str
) -> None:
    ticket = mava.open_ticket()
    result = await mava.client.send_message(
        ticket["_id"], f"Hello from Slack ({wire})", message_type=message_type
    )
    assert result["message"]["messageType"] == wire
    assert result["ticket"]["_id"] == ticket["_id"]
    (stored,) = mava.messages_with(ticket["_id"], f"Hello from Slack ({wire})")
    assert (stored["senderType"], stored["messageType"]) == ("agent", wire)
    (call,) = mava.calls("/api/message")
    assert call.method == "PUT"
    assert call.body["messageType"] == wire


async def test_send_message_with_attachments(mava: Harness) -> None:
    ticket = mava.open_ticket()
    files = [
        Attachment(
            file_name="log.txt", url="https://files.example/log.txt", file_type="text/plain"
        ),
        Attachment(file_name="shot.png", url="https://files.example/s.png", file_type="image/png"),
    ]
    await mava.client.send_message(ticket["_id"], "See attached", attachments=files)
    (stored,) = mava.messages_with(ticket["_id"], "See attached")
    assert stored["attachments"] == [
        {"fileName": "log.txt", "url": "https://files.example/log.txt", "fileType": "text/plain"},
        {"fileName": "shot.png", "url": "https://files.example/s.png", "fileType": "image/png"},
    ]
    # Attachments alone are a message too.
    await mava.client.send_message(
        ticket["_id"], None, message_type=MessageType.INTERNAL_NOTE, attachments=files[:1]
    )
    last = ticket["messages"][-1]
    assert (last["content"], last["messageType"]) == ("", "InternalNote")
    assert len(last["attachments"]) == 1


async def test_create_ticket_for_a_new_and_an_existing_customer(mava: Harness) -> None:
    vip = mava.sandbox.tag_id("VIP")
    technical = mava.sandbox.category_id("Technical")
    omar = mava.sandbox.agent_id("Omar Haddad")
    new = NewTicket(
        customer=NewCustomer(
            name="Ada Lovelace",
            email="ada@example.org",
            attributes=[CustomAttribute(label="Plan", value="Pro")],
        ),
        priority=Priority.HIGH,
        source_type=Origin.DISCORD,
        assigned_to=omar,
        category=technical,
        tags=[vip],
        message=NewMessage(content="My export fails"),
    )
    result = await mava.client.create_ticket(new)
    created = Ticket.model_validate(result["ticket"])
    stored = mava.sandbox.get(created.id)
    assert stored is not None
    assert (stored["priority"], stored["sourceType"], stored["assignedTo"]) == (3, "discord", omar)
    assert (stored["category"], stored["tags"]) == (technical, [vip])
    assert [m["content"] for m in stored["messages"]] == ["My export fails"]
    customer = mava.sandbox.customers[stored["customer"]]
    assert (customer.name, customer.email) == ("Ada Lovelace", "ada@example.org")
    assert created.status == Status.OPEN
    (call,) = mava.calls("/api/ticket", "POST")
    assert "customerId" not in call.body

    # For a customer Mava already knows, by id; defaults apply.
    result = await mava.client.create_ticket(
        NewTicket(customer_id=customer.id, status=Status.RESOLVED)
    )
    again = mava.sandbox.get(result["ticket"]["_id"])
    assert again is not None
    assert (again["customer"], again["status"], again["priority"]) == (
        customer.id,
        "Resolved",
        2,
    )
    with pytest.raises(ValueError):
        NewTicket()  # neither customer nor customer_id


async def test_fetch_tickets_with_every_filter(mava: Harness) -> None:
    sandbox = mava.sandbox
    base = whole_range()
    everything = in_range(sandbox, base)
    assert len(everything) == len(sandbox.tickets) == 300
    jane = sandbox.agent_id("Jane Smith")
    billing = sandbox.category_id("Billing")
    vip, refund = sandbox.tag_id("VIP"), sandbox.tag_id("Refund")
    cases: list[tuple[dict[str, Any], Callable[[TicketRecord], bool], list[tuple[str, str]]]] = [
        (
            {"statuses": (Status.OPEN, Status.PENDING)},
            lambda t: t["status"] in ("Open", "Pending"),
            [("status", "Open"), ("status", "Pending")],
        ),
        (
            {"assigned_to": (jane,)},
            lambda t: t["assignedTo"] == jane,
            [("assignedTo", jane)],
        ),
        (
            {"assigned_to": (UNASSIGNED,)},
            lambda t: t["assignedTo"] is None,
            [("assignedTo", "Unassigned")],
        ),
        (
            {"assigned_to": (jane, UNASSIGNED)},
            lambda t: t["assignedTo"] in (jane, None),
            [("assignedTo", jane), ("assignedTo", "Unassigned")],
        ),
        ({"categories": (billing,)}, lambda t: t["category"] == billing, [("category", billing)]),
        (
            {"tags": (vip, refund)},
            lambda t: bool({vip, refund} & set(t["tags"])),
            [("tags", vip), ("tags", refund)],
        ),
        (
            {"csat": ("5", "no-rating")},
            lambda t: t["csat"] in (5, None),
            [("csatValues", "5"), ("csatValues", "no-rating")],
        ),
        (
            {"origins": (Origin.DISCORD, Origin.TELEGRAM_GROUP)},
            lambda t: t["sourceType"] in ("discord", "telegram-group"),
            [("origin", "discord"), ("origin", "telegram-group")],
        ),
        (
            {"statuses": (Status.RESOLVED,), "origins": (Origin.EMAIL,), "csat": ("4", "5")},
            lambda t: (
                t["status"] == "Resolved" and t["sourceType"] == "email" and t["csat"] in (4, 5)
            ),
            [("status", "Resolved"), ("csatValues", "4"), ("csatValues", "5")],
        ),
    ]
    for filters, matches, sent in cases:
        query = TicketQuery(start=base.start, end=base.end, **filters)
        expected = {t["_id"] for t in everything if matches(t)}
        assert expected, f"the seed has tickets for {filters}"
        page = await mava.client.fetch_tickets(query, limit=100)
        assert isinstance(page, TicketPage)
        assert page.count == len(expected), filters
        got = {t.id async for page in pages_by_created(mava.client, query) for t in page.tickets}
        assert got == expected, filters
        recorded = mava.calls("/api/tickets")[-1].query
        for pair in sent:
            assert pair in recorded, (filters, pair)


@pytest.mark.parametrize("sort_by", list(SortBy))
@pytest.mark.parametrize("order", list(SortOrder))
async def test_fetch_tickets_sorts(mava: Harness, sort_by: SortBy, order: SortOrder) -> None:
    base = whole_range()
    query = TicketQuery(start=base.start, end=base.end, sort_by=sort_by, sort_order=order)
    page = await mava.client.fetch_tickets(query, limit=100, skip=50)
    expected = mava.sandbox.select(
        SandboxQuery(start=base.start, end=base.end, sort_by=str(sort_by), sort_order=str(order))
    )
    assert [t.id for t in page.tickets] == [t["_id"] for t in expected[50:150]]
    assert (page.pagination.limit, page.pagination.skip, page.pagination.has_more) == (
        100,
        50,
        True,
    )
    (call,) = mava.calls("/api/tickets")
    assert ("sortBy", str(sort_by)) in call.query
    assert ("sortOrder", str(order)) in call.query
    if sort_by is SortBy.CREATED_AT:
        times = [t.created_at for t in page.tickets]
        assert times == sorted(times, reverse=order is SortOrder.DESC)


async def test_fetch_tickets_include_messages(mava: Harness) -> None:
    base = whole_range()
    bare = await mava.client.fetch_tickets(base, limit=20)
    assert all(t.messages is None for t in bare.tickets)
    assert ("includeMessages", "true") not in mava.calls("/api/tickets")[-1].query

    full = await mava.client.fetch_tickets(
        TicketQuery(start=base.start, end=base.end, include_messages=True), limit=20
    )
    assert ("includeMessages", "true") in mava.calls("/api/tickets")[-1].query
    for ticket in full.tickets:
        stored = mava.sandbox.get(ticket.id)
        assert stored is not None and ticket.messages is not None
        assert len(ticket.messages) == len(stored["messages"])
        times = [m.created_at for m in ticket.messages if m.created_at is not None]
        assert times == sorted(times)  # oldest first
    assert any(t.first_customer_message() is not None for t in full.tickets)


async def test_a_whole_search_walks_every_page(mava: Harness) -> None:
    query = whole_range()
    pages = pages_by_created(mava.client, query, page_size=10)
    tickets = [t async for page in pages for t in page.tickets]
    ids = [t.id for t in tickets]
    assert len(ids) == len(set(ids)) == len(in_range(mava.sandbox, query)) == 300
    calls = mava.calls("/api/tickets")
    assert len(calls) == 30
    times = [t.created_at for t in tickets]
    assert times == sorted(times, reverse=True)


async def test_a_whole_search_over_a_query_of_more_than_200(mava: Harness) -> None:
    base = whole_range()
    query = TicketQuery(start=base.start, end=base.end, statuses=(Status.RESOLVED,))
    expected = [t["_id"] for t in in_range(mava.sandbox, base) if t["status"] == "Resolved"]
    assert len(expected) > 200
    got = [t.id async for page in pages_by_created(mava.client, query) for t in page.tickets]
    assert sorted(got) == sorted(expected)
    assert len(mava.calls("/api/tickets")) == 3
    page = await mava.client.fetch_tickets(query)
    assert page.count == len(expected)


async def test_a_whole_search_fetches_the_next_page_only_when_asked(mava: Harness) -> None:
    async for page in pages_by_created(mava.client, whole_range(), page_size=10):
        assert len(page.tickets) == 10
        break
    assert len(mava.calls("/api/tickets")) == 1


async def test_empty_result(mava: Harness) -> None:
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    query = TicketQuery(start=long_ago, end=long_ago + timedelta(days=30))
    assert [t async for page in pages_by_created(mava.client, query) for t in page.tickets] == []
    page = await mava.client.fetch_tickets(query)
    assert (page.count, page.tickets, page.pagination.has_more) == (0, [], False)


# --- get_ticket -------------------------------------------------------------------


async def test_get_ticket_by_id_and_links(mava: Harness) -> None:
    ticket = mava.sandbox.tickets[150]
    tid = ticket["_id"]
    refs = [
        tid,
        tid.upper(),
        f"  {tid}  ",
        DASHBOARD + tid,
        f"<{DASHBOARD}{tid}|ticket>",
        f"<https://dashboard.mava.app/dashboard/ticket?tab=notes&amp;id={tid}>",
    ]
    for ref in refs:
        mava.sandbox.reset_requests()
        found = await mava.client.get_ticket(ref)
        assert found.id == tid, ref
        assert found.messages is not None and len(found.messages) == len(ticket["messages"])
        # The id's own time finds it in one narrow search without messages, then one
        # exact request fetches it with its messages (mava.lookup).
        narrow, exact = mava.calls("/api/tickets")
        query = dict(narrow.query)
        start = datetime.fromisoformat(query["startDate"])
        end = datetime.fromisoformat(query["endDate"])
        assert end - start <= timedelta(minutes=10)
        assert "includeMessages" not in query
        assert dict(exact.query)["includeMessages"] == "true"
    without = await mava.client.get_ticket(tid, include_messages=False)
    assert without.messages is None


async def test_get_ticket_created_days_off_its_id_time(mava: Harness) -> None:
    created = mava.sandbox.now() - timedelta(days=10)
    id_time = created - timedelta(days=1, hours=3)  # e.g. imported a day after
    odd_id = f"{int(id_time.timestamp()):08x}0123456789abcdef"
    mava.sandbox.add_ticket(id=odd_id, createdAt=created)

    found = await mava.client.get_ticket(odd_id)
    assert found.id == odd_id
    # ±2 min, then the earlier and the later half of ±2 days (found), then once with
    # its messages.
    assert len(mava.calls("/api/tickets")) == 4

    # Seconds off is found in the narrow window.
    near_id = f"{int((created - timedelta(seconds=40)).timestamp()):08x}fedcba9876543210"
    mava.sandbox.add_ticket(id=near_id, createdAt=created)
    mava.sandbox.reset_requests()
    assert (await mava.client.get_ticket(near_id)).id == near_id
    assert len(mava.calls("/api/tickets")) == 2  # ±2 min, then with its messages


async def test_get_ticket_unknown_id(mava: Harness) -> None:
    known = mava.sandbox.tickets[10]["_id"]
    unknown = known[:8] + "ffffffffffffffff"
    exc = await mava.fails(mava.client.get_ticket(unknown), errors.TicketNotFound)
    assert exc.ticket_id == unknown
    assert unknown in exc.user_message
    assert "was not found in Mava within 60 days of the time in its id" in exc.user_message
    # ±2 min, then both halves of ±2 days and of ±60 days; none with messages.
    windows = {(dict(c.query)["startDate"], dict(c.query)["endDate"]) for c in mava.calls()}
    assert len(windows) == 5
    assert all("includeMessages" not in dict(c.query) for c in mava.calls())


@pytest.mark.parametrize(
    "junk",
    ["hello", "12345", "https://dashboard.mava.app/dashboard/tickets", "<https://x|y>", ""],
)
async def test_get_ticket_junk_is_refused_without_a_request(mava: Harness, junk: str) -> None:
    exc = await mava.fails(mava.client.get_ticket(junk), errors.MavaError)
    assert NOT_AN_ID in exc.user_message
    assert NOT_AN_ID in str(exc)
    assert mava.calls() == []


# --- Unknown fields -------------------------------------------------------------------


async def test_unknown_fields_and_enum_values_are_tolerated(mava: Harness) -> None:
    sandbox = mava.sandbox
    real = sandbox.ticket_json(sandbox.tickets[-1])
    odd = {
        **real,
        "status": "Escalated",
        "priority": 4,
        "sourceType": "slack",
        "brandNewField": {"nested": [1, 2]},
        "csat": {"value": 5, "comment": "great"},
        "customer": {**(real["customer"] or {"_id": "x"}), "vip": True},
        "messages": [
            {
                "_id": "m1",
                "content": "beep",
                "senderType": "bot",
                "messageType": "Whisper",
                "createdAt": "2026-03-15T10:30:00.000Z",
                "attachments": [],
                "reactions": ["+1"],
            }
        ],
    }
    body = {
        "tickets": [odd, sandbox.ticket_json(sandbox.tickets[0], include_messages=False)],
        "count": 2,
        "pagination": {"limit": 50, "skip": 0, "hasMore": False, "cursor": "abc"},
        "took": 12,
    }
    sandbox.inject("status", status=200, body=body, path="/api/tickets")
    page = await mava.client.fetch_tickets(whole_range())
    first, second = page.tickets
    assert first.status == "Escalated" and not isinstance(first.status, Status)
    assert first.priority == 4 and first.priority_level is None
    assert first.source_type == "slack"
    assert first.model_extra == {"brandNewField": {"nested": [1, 2]}}
    assert first.customer is not None and first.customer.model_extra == {"vip": True}
    assert first.messages is not None
    assert first.messages[0].sender_type == "bot"
    assert first.messages[0].message_type == "Whisper"
    assert isinstance(second.status, Status)
    assert page.model_extra == {"took": 12}

    sandbox.inject(
        "status",
        status=200,
        path="/api/categories",
        body={"categories": [{"_id": "c1", "name": "New", "color": "red"}], "total": 1},
    )
    (category,) = await mava.client.list_categories()
    assert (category.id, category.name) == ("c1", "New")
    sandbox.inject(
        "status",
        status=200,
        path="/api/agents",
        body={"agents": [{"id": "a1", "email": None, "username": None, "role": "admin"}]},
    )
    (agent,) = await mava.client.list_agents()
    assert agent.display_name == "a1"


def test_ticket_model_accepts_extra_keys_and_nulls() -> None:
    ticket = Ticket.model_validate(
        {
            "_id": "6650a1b2c3d4e5f678901234",
            "createdAt": "2026-03-15T10:30:00.000Z",
            "status": "Archived",
            "priority": None,
            "sourceType": None,
            "assignedTo": None,
            "category": None,
            "csat": None,
            "customer": None,
            "somethingNew": 1,
        }
    )
    assert ticket.status == "Archived"
    assert ticket.priority_level is None
    assert ticket.model_extra == {"somethingNew": 1}


# --- Errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shift", "limit", "skip", "code"),
    [
        ("backwards", 50, 0, "INVALID_DATE_RANGE"),
        ("empty", 50, 0, "INVALID_DATE_RANGE"),
        ("two_years", 50, 0, "INVALID_DATE_RANGE"),
        ("ok", 0, 0, "INVALID_LIMIT"),
        ("ok", 101, 0, "INVALID_LIMIT"),
        ("ok", 50, -1, "INVALID_SKIP"),
    ],
)
async def test_bad_queries_are_mapped(
    mava: Harness, shift: str, limit: int, skip: int, code: str
) -> None:
    now = datetime.now(UTC)
    start, end = {
        "backwards": (now, now - timedelta(days=1)),
        "empty": (now, now),
        "two_years": (now - timedelta(days=730), now),
        "ok": (now - timedelta(days=1), now),
    }[shift]
    exc = await mava.fails(
        mava.client.fetch_tickets(TicketQuery(start=start, end=end), limit=limit, skip=skip),
        errors.MavaBadRequest,
    )
    assert exc.code == code
    assert exc.status == 400
    assert exc.user_message.startswith("Mava rejected the ticket search: ")
    assert len(mava.calls()) == 1  # a 400 is not retried


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("MISSING_DATE_RANGE", "no date range"),
        ("UNSUPPORTED_SORT_FIELD", "sort field"),
        ("UNSUPPORTED_SORT_ORDER", "asc or desc"),
    ],
)
async def test_query_codes_the_typed_client_cannot_cause_are_mapped(
    mava: Harness, code: str, words: str
) -> None:
    mava.sandbox.inject("status", status=400, body={"error": code}, path="/api/tickets")
    exc = await mava.fails(mava.client.fetch_tickets(whole_range()), errors.MavaBadRequest)
    assert exc.code == code
    assert words in exc.user_message


async def test_ticket_not_found_names_the_ticket(mava: Harness) -> None:
    missing = "6650a1b2c3d4e5f678901234"
    for call in (
        mava.client.update_ticket(missing, status=Status.RESOLVED),
        mava.client.send_message(missing, "hi"),
    ):
        exc = await mava.fails(call, errors.TicketNotFound)
        assert exc.code == "Ticket not found"
        assert missing in exc.user_message
        assert exc.user_message.startswith(f"Ticket {missing} was not found in Mava.")
    assert len(mava.calls()) == 2  # neither retried


async def test_category_not_found_for_unknown_and_archived(mava: Harness) -> None:
    ticket = mava.open_ticket()
    legacy = mava.sandbox.category_id("Legacy")
    for category in (legacy, "6650c3d4e5f678901234567a"):
        exc = await mava.fails(
            mava.client.update_ticket(ticket["_id"], category_id=category),
            errors.CategoryNotFound,
        )
        assert "/mava categories" in exc.user_message
    assert ticket["category"] != legacy


async def test_assignee_not_found(mava: Harness) -> None:
    ticket = mava.open_ticket()
    exc = await mava.fails(
        mava.client.update_ticket(ticket["_id"], assigned_to="6650b2c3d4e5f67890123456"),
        errors.AssigneeNotFound,
    )
    assert exc.user_message == (
        "Mava does not know that agent. Check that they are an agent in your Mava workspace."
    )


async def test_invalid_status_or_priority(mava: Harness) -> None:
    # The typed client cannot send a bad value, so Mava is made to refuse a good one.
    mava.sandbox.inject(
        "status", status=400, body={"error": "Invalid status or priority"}, path="/api/ticket"
    )
    exc = await mava.fails(
        mava.client.update_ticket(mava.open_ticket()["_id"], priority=Priority.LOW),
        errors.InvalidStatusOrPriority,
    )
    assert "Valid statuses: open, pending, waiting, resolved" in exc.user_message


async def test_empty_message(mava: Harness) -> None:
    ticket = mava.open_ticket()
    for content in ("", "   \n", None):
        exc = await mava.fails(
            mava.client.send_message(ticket["_id"], content), errors.EmptyMessage
        )
        assert exc.user_message == "The message is empty: Mava needs text or an attachment."
    assert mava.calls() == []  # refused before sending
    mava.sandbox.inject(
        "status",
        status=400,
        body={"error": "Content or attachments are required"},
        path="/api/message",
    )
    await mava.fails(mava.client.send_message(ticket["_id"], "x"), errors.EmptyMessage)


async def test_unknown_400_and_unexpected_statuses(mava: Harness) -> None:
    mava.sandbox.inject("status", status=400, body={"error": "Something new"})
    exc = await mava.fails(mava.client.list_categories(), errors.MavaBadRequest)
    assert exc.user_message == "Mava rejected the request: Something new."
    # 404 has its own sentence now (a wrong MAVA_API_URL: see test_pages.py), so the
    # unexpected status here is a 409.
    mava.sandbox.inject("status", status=409, body="<html>no</html>")
    exc2 = await mava.fails(mava.client.list_agents(), errors.MavaError)
    assert exc2.user_message == "Mava answered with an unexpected error (409)."
    assert exc2.status == 409
    assert len(mava.calls()) == 2


async def test_wrong_key_is_a_401_with_the_fix(mava: Harness) -> None:
    async with mava.client_with(token="wrong-key-0000") as client:
        exc = await mava.fails(client.list_categories(), errors.MavaAuthError)
        assert_secret_free(exc, "wrong-key-0000")
    assert exc.user_message == AUTH_SENTENCE
    assert str(exc) == AUTH_SENTENCE
    assert exc.status == 401
    assert len(mava.calls()) == 1  # not retried


async def test_429_is_retried_honouring_retry_after(mava: Harness) -> None:
    mava.sandbox.inject(
        "status", status=429, times=2, headers={"Retry-After": "0.2"}, path="/api/categories"
    )
    started = time.monotonic()
    categories = await mava.client.list_categories()
    assert time.monotonic() - started >= 0.38  # backoff alone would take ~0.03 s
    assert categories
    assert [c.status for c in mava.calls()] == [429, 429, 200]


async def test_429_without_retry_after_backs_off(mava: Harness) -> None:
    mava.sandbox.inject("status", status=429, headers={"Retry-After": "soon"})
    assert await mava.client.list_agents()
    assert [c.status for c in mava.calls()] == [429, 200]


async def test_429_forever_gives_rate_limited(mava: Harness) -> None:
    mava.sandbox.inject("status", status=429, times=None, headers={"Retry-After": "0"})
    exc = await mava.fails(mava.client.list_categories(), errors.MavaRateLimited)
    assert exc.user_message == "Mava is rate limiting us (429). Try again in a minute."
    assert exc.retry_after == 0
    assert len(mava.calls()) == RetryPolicy().attempts


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_on_a_read_is_retried(mava: Harness, status: int) -> None:
    mava.sandbox.inject("status", status=status, times=2, path="/api/tickets")
    page = await mava.client.fetch_tickets(whole_range())
    assert page.count == 300
    assert [c.status for c in mava.calls()] == [status, status, 200]


async def test_5xx_forever_gives_server_error(mava: Harness) -> None:
    mava.sandbox.inject("status", status=500, times=None)
    exc = await mava.fails(mava.client.list_categories(), errors.MavaServerError)
    assert exc.user_message == "Mava had an internal error. Try again in a moment."
    assert exc.status == 500
    assert len(mava.calls()) == RetryPolicy().attempts


async def test_timeout_on_a_read_is_retried_then_gives_unavailable(mava: Harness) -> None:
    async with mava.client_with(timeout=0.5) as client:
        mava.sandbox.inject("timeout", times=1, path="/api/categories")
        assert await client.list_categories()
        assert len(mava.calls()) == 2

    mava.sandbox.reset_requests()
    mava.sandbox.inject("timeout", times=None, path="/api/agents")
    async with mava.client_with(timeout=0.2) as client:
        exc = await mava.fails(client.list_agents(), errors.MavaUnavailable)
    assert exc.user_message == "Mava did not answer in time. Try again in a moment."
    assert len(mava.calls()) == RetryPolicy().attempts


async def test_connection_refused_gives_unavailable(mava: Harness) -> None:
    async with mava.client_with(url=f"http://127.0.0.1:{free_port()}") as client:
        exc = await mava.fails(client.list_categories(), errors.MavaUnavailable)
        assert exc.user_message == "Mava could not be reached. Try again in a moment."
        # Never reached Mava: a write may be retried and ends the same way.
        exc = await mava.fails(
            client.send_message(mava.open_ticket()["_id"], "hi"), errors.MavaUnavailable
        )
        assert not isinstance(exc, errors.MavaOutcomeUnknown)


async def test_a_host_that_does_not_resolve_is_named_in_the_resolvers_words(
    mava: Harness,
) -> None:
    """The outage's log line names the cause as the Slack side does, not as "[errno -2]
    ...". `.invalid` never resolves (RFC 6761), so no network is needed."""
    async with mava.client_with(url="http://mava.invalid:8080") as client:
        exc = await mava.fails(client.list_categories(), errors.MavaUnavailable)
    line = errors.describe(exc)
    host, _, cause = line.partition(": ")
    assert host == "Mava at mava.invalid:8080"
    # "name or service not known"; "temporary failure in name resolution" without DNS.
    assert cause.startswith(("name", "temporary", "no address")) and "errno" not in cause, line


async def test_malformed_json_gives_protocol_error(mava: Harness) -> None:
    mava.sandbox.inject("malformed", path="/api/tickets")
    exc = await mava.fails(mava.client.fetch_tickets(whole_range()), errors.MavaProtocolError)
    assert "MAVA_API_URL" in exc.user_message
    for body in ([1, 2], {"categories": "none"}, {"categories": [{"name": "no id"}]}):
        mava.sandbox.inject("status", status=200, body=body, path="/api/categories")
        await mava.fails(mava.client.list_categories(), errors.MavaProtocolError)
    mava.sandbox.inject("status", status=200, body={"tickets": []}, path="/api/tickets")
    await mava.fails(mava.client.fetch_tickets(whole_range()), errors.MavaProtocolError)


async def test_disconnect_on_a_read_is_retried_then_gives_unavailable(mava: Harness) -> None:
    mava.sandbox.inject("disconnect", times=1, path="/api/agents")
    assert await mava.client.list_agents()
    assert [c.status for c in mava.calls()] == [0, 200]
    mava.sandbox.inject("disconnect", times=None)
    exc = await mava.fails(mava.client.list_agents(), errors.MavaUnavailable)
    assert not isinstance(exc, errors.MavaOutcomeUnknown)


# --- Writes are never repeated ------------------------------------------------------


async def test_message_timeout_is_not_retried_and_exists_once(mava: Harness) -> None:
    ticket = mava.open_ticket()
    mava.sandbox.inject("timeout", times=None, path="/api/message")
    async with mava.client_with(timeout=0.3) as client:
        exc = await mava.fails(
            client.send_message(ticket["_id"], "once only"), errors.MavaOutcomeUnknown
        )
    assert "check the ticket in Mava" in exc.user_message
    assert len(mava.calls("/api/message")) == 1
    assert len(mava.messages_with(ticket["_id"], "once only")) == 1  # Mava applied it


@pytest.mark.parametrize("status", [500, 503])
async def test_message_5xx_is_not_retried(mava: Harness, status: int) -> None:
    ticket = mava.open_ticket()
    mava.sandbox.inject("status", status=status, times=None, path="/api/message")
    exc = await mava.fails(
        mava.client.send_message(ticket["_id"], "maybe"), errors.MavaOutcomeUnknown
    )
    assert exc.status == status
    assert len(mava.calls("/api/message")) == 1


async def test_message_disconnect_is_not_retried(mava: Harness) -> None:
    mava.sandbox.inject("disconnect", times=None, path="/api/message")
    await mava.fails(
        mava.client.send_message(mava.open_ticket()["_id"], "cut"), errors.MavaOutcomeUnknown
    )
    assert len(mava.calls("/api/message")) == 1


async def test_unreadable_answer_to_a_message_is_an_unknown_outcome(mava: Harness) -> None:
    # Mava said 200: the message went out. "Try again" would send it twice.
    mava.sandbox.inject("malformed", path="/api/message")
    await mava.fails(
        mava.client.send_message(mava.open_ticket()["_id"], "sent?"), errors.MavaOutcomeUnknown
    )
    assert len(mava.calls("/api/message")) == 1


async def test_mava_own_rate_limit_is_waited_out_and_the_message_sent_once() -> None:
    # Not an injected fault: the sandbox counts requests per key, as Mava does.
    key = "rate-limited-key-31337"
    async with (
        running_mava_sandbox(api_key=key, rate_limit=2, rate_window=1.0) as running,
        make_client(running.url, key) as client,
    ):
        ticket = next(t for t in running.sandbox.tickets if t["status"] == "Open")
        await client.list_categories()
        await client.list_agents()
        started = time.monotonic()
        await client.send_message(ticket["_id"], "sent when allowed")
        assert time.monotonic() - started >= 0.5  # Retry-After (1 s) was honoured
        sends = [r.status for r in running.sandbox.requests if r.path == "/api/message"]
        assert sends == [429, 200]
        assert [m["content"] for m in ticket["messages"]].count("sent when allowed") == 1


async def test_message_429_is_retried_and_sent_once(mava: Harness) -> None:
    ticket = mava.open_ticket()
    mava.sandbox.inject("status", status=429, headers={"Retry-After": "0"}, path="/api/message")
    await mava.client.send_message(ticket["_id"], "after the limit")
    assert [c.status for c in mava.calls("/api/message")] == [429, 200]
    assert len(mava.messages_with(ticket["_id"], "after the limit")) == 1


@pytest.mark.parametrize("kind", ["timeout", "status"])
async def test_create_ticket_and_identify_are_not_retried(mava: Harness, kind: str) -> None:
    async with mava.client_with(timeout=0.3) as client:
        mava.sandbox.inject(cast(Any, kind), times=None, path="/api/ticket", method="POST")
        mava.sandbox.inject(cast(Any, kind), times=None, path="/api/identify")
        await mava.fails(
            client.create_ticket(
                NewTicket(customer=NewCustomer(email="x@example.org"), status=Status.RESOLVED)
            ),
            errors.MavaOutcomeUnknown,
        )
        await mava.fails(client.identify(attributes={"a": "b"}), errors.MavaOutcomeUnknown)
    assert len(mava.calls("/api/ticket", "POST")) == 1
    assert len(mava.calls("/api/identify")) == 1


async def test_ticket_update_is_safe_to_retry(mava: Harness) -> None:
    ticket = mava.open_ticket()
    mava.sandbox.inject("status", status=500, path="/api/ticket", method="PUT")
    await mava.client.update_ticket(ticket["_id"], status=Status.WAITING)
    assert [c.status for c in mava.calls("/api/ticket")] == [500, 200]
    assert ticket["status"] == "Waiting"
    notes = [m for m in ticket["messages"] if m["content"] == "Status changed from Open to Waiting"]
    assert len(notes) == 1


# --- Lifecycle ------------------------------------------------------------------------


async def test_client_closes_cleanly(mava_sandbox: RunningSandbox) -> None:
    async with make_client(mava_sandbox.url, mava_sandbox.api_key) as client:
        assert await client.list_categories()
    with pytest.raises(RuntimeError):  # httpx refuses a closed client
        await client.list_categories()
    await client.aclose()  # closing twice is harmless

    other = make_client(mava_sandbox.url, mava_sandbox.api_key)
    assert await other.list_agents()
    await other.aclose()
    assert mava_sandbox.api_key not in repr(other)


async def test_background_reads_wait_for_slacks_acks_and_peoples_do_not(
    mava_sandbox: RunningSandbox,
) -> None:
    """A scheduler job's send, and the reading of its answer, wait while a burst of
    Slack requests is acked (`after_acks`); a person's command never waits."""
    acks_done = asyncio.Event()
    asked: list[Lane] = []

    async def after_acks() -> None:
        asked.append(current_lane.get())
        await acks_done.wait()

    every = whole_range()
    query = TicketQuery(start=every.start, end=every.end)
    async with MavaClient(
        mava_sandbox.url, mava_sandbox.api_key, limiter=RateLimiter(), after_acks=after_acks
    ) as client:
        await client.fetch_tickets(query)  # a person's: straight through
        assert asked == []
        mava_sandbox.sandbox.reset_requests()
        with background():
            read = asyncio.create_task(client.fetch_tickets(query))
        while not asked:  # noqa: ASYNC110 - loop turns until it asks, no clock
            await asyncio.sleep(0)
        assert mava_sandbox.sandbox.requests == []  # nothing sent during the burst
        acks_done.set()
        page = await asyncio.wait_for(read, 10.0)
    assert page.tickets
    assert asked == [Lane.BACKGROUND, Lane.BACKGROUND]  # before sending, before reading
