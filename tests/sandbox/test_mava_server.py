"""The Mava sandbox behaves as docs/mava-api.md says, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mava_bridge.mava.models import Agent, Category, Ticket, TicketPage
from mava_sandbox.mava_seed import STATUSES, IdFactory, build_seed
from mava_sandbox.mava_server import (
    DEMO_API_KEY,
    SORT_FIELDS,
    MavaSandbox,
    running_mava_sandbox,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
KEY = "sandbox-test-key"
RANGE = {"startDate": "2025-11-01", "endDate": "2026-03-21"}  # holds every seeded ticket
Params = dict[str, Any] | list[tuple[str, Any]]
# One TLS context for all clients: building one per client costs ~30 ms (and we use plain HTTP).
TLS = ssl.create_default_context()


def http_client(url: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers=headers, verify=TLS)


class Clock:
    """A settable `now` for the sandbox."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Api:
    sandbox: MavaSandbox
    client: httpx.AsyncClient
    clock: Clock
    url: str

    async def tickets(self, params: Params) -> httpx.Response:
        if isinstance(params, dict):
            params = {**RANGE, **params}
        return await self.client.get("/api/tickets", params=params)

    async def all_tickets(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.tickets({"limit": 100, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] <= 100, "narrow the query"
        return list(body["tickets"])


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    clock = Clock()
    async with (
        running_mava_sandbox(api_key=KEY, now=clock, rate_limit=None) as running,
        http_client(running.url, {"x-auth-token": KEY}) as client,
    ):
        yield Api(running.sandbox, client, clock, running.url)


def some_ticket(sandbox: MavaSandbox, **where: Any) -> dict[str, Any]:
    return next(t for t in reversed(sandbox.tickets) if all(t[k] == v for k, v in where.items()))


# --- Seed --------------------------------------------------------------------------


def test_seed_is_deterministic_for_seed_and_clock() -> None:
    def render(sandbox: MavaSandbox) -> list[dict[str, Any]]:
        return [sandbox.ticket_json(t) for t in sandbox.tickets]

    first = MavaSandbox(seed=7, now=lambda: NOW)
    assert render(first) == render(MavaSandbox(seed=7, now=lambda: NOW))
    assert render(first) != render(MavaSandbox(seed=8, now=lambda: NOW))


def test_seed_is_fast() -> None:
    # The seed's own CPU time, not the wall clock: beside other busy processes (the suite's
    # workers, a CPU burner) the wall clock measures the machine, not the seed.
    started = time.process_time()
    build_seed(seed=1, now=NOW, tickets=300, ids=IdFactory(1))
    assert time.process_time() - started < 0.5
    started = time.process_time()
    big = MavaSandbox(seed=1, now=lambda: NOW, tickets=5000)
    assert time.process_time() - started < 3
    assert len(big.tickets) == 5000


def test_seed_covers_the_cases_the_bot_meets() -> None:
    sandbox = MavaSandbox(now=lambda: NOW)
    tickets = sandbox.tickets
    ages = [NOW - t["createdAt"] for t in tickets]
    assert sum(age < timedelta(hours=24) for age in ages) >= 12
    assert sum(age < timedelta(hours=1) for age in ages) >= 3
    assert max(ages) <= timedelta(days=121)
    assert {t["status"] for t in tickets} == set(STATUSES)
    assert {t["sourceType"] for t in tickets} == {
        "web",
        "discord",
        "telegram",
        "telegram-group",
        "email",
    }
    assert {t["priority"] for t in tickets} == {None, 1, 2, 3}
    open_tickets = [t for t in tickets if t["status"] != "Resolved"]
    assert sum(t["assignedTo"] is None for t in open_tickets) >= 10
    assert any(t["assignedTo"] for t in open_tickets)
    assert any(t["csat"] for t in tickets) and any(t["tags"] for t in tickets)
    for ticket in tickets:
        assert int(ticket["_id"][:8], 16) == int(ticket["createdAt"].timestamp())
        assert ticket["messages"][0]["senderType"] == "customer"
        if ticket["sourceType"] == "telegram-group":
            assert ticket["customer"] is None and ticket["csat"] is None
        if ticket["sourceType"] == "discord":
            assert ticket["discordUsers"]
        if ticket["status"] == "Resolved":
            assert ticket["resolutionTime"] is not None
    owners = [t["customer"] for t in open_tickets if t["customer"]]
    assert len(owners) == len(set(owners)), "a customer has at most one open ticket"
    assert 100 <= len(sandbox.customers) <= 150
    contents = " ".join(m["content"] for t in tickets for m in t["messages"])
    for nasty in (
        "<!channel>",
        "<@U123>",
        "*markdown* _x_ ~y~",
        "<script>",
        "&amp; chips < 5 >",
        "🔥",
    ):
        assert nasty in contents
    assert any(len(m["content"]) > 4000 for t in tickets for m in t["messages"])
    assert "Legacy" in {c.name for c in sandbox.categories.values() if not c.active}


async def test_every_seeded_ticket_parses_into_the_client_models(api: Api) -> None:
    seen: list[Ticket] = []
    skip = 0
    while True:
        response = await api.tickets({"limit": 100, "skip": skip, "includeMessages": "true"})
        page = TicketPage.model_validate(response.json())
        seen.extend(page.tickets)
        if not page.pagination.has_more:
            break
        skip += 100
    assert len(seen) == page.count == 300
    assert all(t.messages and t.first_customer_message() for t in seen)
    assert any(t.priority is None for t in seen)
    categories = (await api.client.get("/api/categories")).json()["categories"]
    assert [Category.model_validate(c).name for c in categories][:2] == ["Billing", "Technical"]
    agents = [
        Agent.model_validate(a) for a in (await api.client.get("/api/agents")).json()["agents"]
    ]
    assert agents[0].display_name == "Jane Smith" and agents[0].email == "jane@example.com"


# --- Auth, rate limit, errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tickets"),
        ("GET", "/api/categories"),
        ("GET", "/api/agents"),
        ("PUT", "/api/ticket"),
        ("POST", "/api/ticket"),
        ("PUT", "/api/message"),
        ("POST", "/api/identify"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"x-auth-token": "wrong"}])
async def test_requests_without_the_key_get_401(
    api: Api, method: str, path: str, headers: dict[str, str]
) -> None:
    async with http_client(api.url, headers) as client:
        response = await client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}


async def test_rate_limit_gives_429_with_retry_after() -> None:
    async with (
        running_mava_sandbox(api_key=KEY, tickets=5, rate_limit=5, rate_window=2) as running,
        http_client(running.url, {"x-auth-token": KEY}) as client,
    ):
        statuses = [(await client.get("/api/categories")).status_code for _ in range(5)]
        assert statuses == [200] * 5
        for _ in range(2):  # refused requests do not use up the window
            limited = await client.get("/api/agents")
            assert limited.status_code == 429
            assert limited.json() == {"error": "Too many requests"}
            assert limited.headers["Retry-After"] in ("1", "2")


async def test_rate_limit_window_slides_and_can_be_disabled() -> None:
    async with (
        running_mava_sandbox(api_key=KEY, tickets=5, rate_limit=3, rate_window=0.3) as running,
        http_client(running.url, {"x-auth-token": KEY}) as client,
    ):
        for _ in range(3):
            assert (await client.get("/api/categories")).status_code == 200
        assert (await client.get("/api/categories")).status_code == 429
        await asyncio.sleep(0.35)
        assert (await client.get("/api/categories")).status_code == 200
        running.sandbox.rate_limit = None
        for _ in range(10):
            assert (await client.get("/api/categories")).status_code == 200


async def test_unexpected_exception_gives_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> dict[str, Any]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(api.sandbox, "categories_json", boom)
    response = await api.client.get("/api/categories")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error"}


async def test_invalid_json_body_is_a_400(api: Api) -> None:
    response = await api.client.put(
        "/api/ticket", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid request body"}


# --- Categories, agents, identify ------------------------------------------------------


async def test_categories_lists_active_ones_only(api: Api) -> None:
    body = (await api.client.get("/api/categories")).json()
    names = [c["name"] for c in body["categories"]]
    assert names == ["Billing", "Technical", "Account", "Bug report", "Feature request", "General"]
    assert all(set(c) == {"_id", "name"} for c in body["categories"])


async def test_agents_use_id_not_underscore_id(api: Api) -> None:
    agents = (await api.client.get("/api/agents")).json()["agents"]
    assert len(agents) == 6
    assert all(set(a) == {"id", "email", "username", "walletAddress"} for a in agents)


async def test_identify_creates_then_finds_and_upserts(api: Api) -> None:
    first = await api.client.post(
        "/api/identify",
        json={
            "emailAddress": "new@example.org",
            "mavaCustomerId": "",
            "customAttributes": [{"label": "Plan", "value": "Pro"}],
        },
    )
    assert first.status_code == 200
    body = first.json()
    assert body["message"] == "Customer identified"
    customer_id = body["customerId"]
    assert body["customer"]["attributes"][0]["name"] == "Plan"

    by_email = await api.client.post("/api/identify", json={"emailAddress": "NEW@example.org"})
    assert by_email.json()["customerId"] == customer_id

    updated = await api.client.post(
        "/api/identify",
        json={
            "mavaCustomerId": customer_id,
            "plaformUserId": "discord-42",
            "customAttributes": [
                {"label": "Plan", "value": "Enterprise"},
                {"label": "Company", "value": "Acme"},
            ],
        },
    )
    customer = updated.json()["customer"]
    assert {a["name"]: a["content"] for a in customer["attributes"]} == {
        "Plan": "Enterprise",
        "Company": "Acme",
    }
    assert customer["platformUserId"] == "discord-42"
    assert customer["email"] == "new@example.org"
    by_platform = await api.client.post("/api/identify", json={"platformUserId": "discord-42"})
    assert by_platform.json()["customerId"] == customer_id


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"mavaCustomerId": "0" * 24}, "Customer not found"),
        ({"customAttributes": [{"label": "Plan"}]}, "Invalid request body"),
        ({"customAttributes": [{"label": "Plan", "value": 3}]}, "Invalid request body"),
        ({"customAttributes": {"label": "Plan", "value": "x"}}, "Invalid request body"),
        ({"emailAddress": 5}, "Invalid request body"),
        ([], "Invalid request body"),
    ],
)
async def test_identify_errors(api: Api, body: Any, error: str) -> None:
    response = await api.client.post("/api/identify", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": error}


# --- PUT /api/ticket -------------------------------------------------------------------


async def test_update_ticket_changes_fields_and_leaves_system_messages(api: Api) -> None:
    sandbox = api.sandbox
    ticket = sandbox.add_ticket(status="Open", priority=2, createdAt=NOW - timedelta(hours=1))
    jane = sandbox.agent_id("Jane Smith")
    billing = sandbox.category_id("Billing")
    api.clock.advance(60)
    response = await api.client.put(
        "/api/ticket",
        json={
            "ticketId": ticket["_id"],
            "status": "Resolved",
            "priority": 3,
            "categoryId": billing,
            "assignedTo": jane,
        },
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Ticket updated"}
    notes = [m["content"] for m in ticket["messages"] if m["senderType"] == "system"]
    assert notes == [
        "Status changed from Open to Resolved",
        "Priority changed from Medium to High",
        "Category set to Billing",
        "Assigned to Jane Smith",
    ]
    assert {m["messageType"] for m in ticket["messages"][1:]} == {"InternalNote"}
    assert ticket["resolutionTime"] == 3_660_000
    assert ticket["updatedAt"] == api.clock.now
    just_it = {"startDate": "2026-03-20T11:00:00.000Z", "endDate": "2026-03-20T11:00:00.001Z"}
    listed = (await api.tickets({**just_it, "includeMessages": "true"})).json()["tickets"][0]
    assert listed["_id"] == ticket["_id"]
    assert listed["assignedTo"] == {"_id": jane, "name": "Jane Smith"}
    assert listed["category"] == {"_id": billing, "name": "Billing"}
    assert listed["messages"][-1]["content"] == "Assigned to Jane Smith"

    api.clock.advance(60)
    same = {"ticketId": ticket["_id"], "status": "Resolved", "priority": 3, "assignedTo": jane}
    assert (await api.client.put("/api/ticket", json=same)).status_code == 200
    assert len(ticket["messages"]) == 5, "no change, no message"
    assert ticket["updatedAt"] == NOW + timedelta(seconds=60)

    reopen = {"ticketId": ticket["_id"], "status": "Open", "assignedTo": None}
    assert (await api.client.put("/api/ticket", json=reopen)).status_code == 200
    assert ticket["resolutionTime"] is None and ticket["assignedTo"] is None
    assert [m["content"] for m in ticket["messages"][-2:]] == [
        "Status changed from Resolved to Open",
        "Unassigned",
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"ticketId": None}, "Ticket not found"),
        ({"ticketId": "0" * 24}, "Ticket not found"),
        ({"status": "Closed"}, "Invalid status or priority"),
        ({"priority": 4}, "Invalid status or priority"),
        ({"priority": "2"}, "Invalid status or priority"),
        ({"priority": True}, "Invalid status or priority"),
        ({"categoryId": "0" * 24}, "Category not found"),
        ({"categoryId": "Legacy"}, "Category not found"),
        ({"assignedTo": "0" * 24}, "Assignee not found"),
    ],
)
async def test_update_ticket_errors_change_nothing(
    api: Api, change: dict[str, Any], error: str
) -> None:
    ticket = some_ticket(api.sandbox, status="Open")
    before = api.sandbox.ticket_json(ticket)
    if change.get("categoryId") == "Legacy":
        change = {"categoryId": api.sandbox.category_id("Legacy")}  # archived
    body = {"ticketId": ticket["_id"], "status": "Pending", **change}
    response = await api.client.put("/api/ticket", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert api.sandbox.ticket_json(ticket) == before


# --- PUT/POST /api/message ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_message_appends_and_answers_message_ticket_sender(api: Api, method: str) -> None:
    ticket = some_ticket(api.sandbox, status="Open")
    response = await api.client.request(
        method, "/api/message", json={"ticketId": ticket["_id"], "content": "On it!"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"]["content"] == "On it!"
    assert body["message"]["senderType"] == "agent"
    assert body["message"]["senderName"] is None
    assert body["message"]["messageType"] == "ExternalMessage"
    assert body["ticket"]["_id"] == ticket["_id"] and "messages" not in body["ticket"]
    assert body["sender"]["name"] == "API" and body["sender"]["_id"]
    assert ticket["messages"][-1]["_id"] == body["message"]["_id"]


async def test_internal_note_with_attachments(api: Api) -> None:
    ticket = some_ticket(api.sandbox, status="Open")
    attachment = {
        "fileName": "a.pdf",
        "url": "https://x.example/a.pdf",
        "fileType": "application/pdf",
    }
    response = await api.client.put(
        "/api/message",
        json={
            "ticketId": ticket["_id"],
            "messageType": "InternalNote",
            "attachments": [attachment],
        },
    )
    message = response.json()["message"]
    assert message["messageType"] == "InternalNote"
    assert message["attachments"] == [attachment]
    assert message["content"] == ""


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Content or attachments are required"),
        ({"content": ""}, "Content or attachments are required"),
        ({"content": "", "attachments": []}, "Content or attachments are required"),
        ({"content": "x", "messageType": "Email"}, "Invalid message type"),
        ({"attachments": [{"fileName": "a", "url": "u"}]}, "Invalid attachments"),
        ({"content": "x", "attachments": "file"}, "Invalid attachments"),
        ({"content": "x", "ticketId": "0" * 24}, "Ticket not found"),
        ({"content": "x", "ticketId": None}, "Ticket not found"),
    ],
)
async def test_message_errors(api: Api, body: dict[str, Any], error: str) -> None:
    ticket = some_ticket(api.sandbox, status="Open")
    count = len(ticket["messages"])
    response = await api.client.put("/api/message", json={"ticketId": ticket["_id"], **body})
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert len(ticket["messages"]) == count


# --- POST /api/ticket --------------------------------------------------------------------


async def test_create_ticket_for_new_and_existing_customers(api: Api) -> None:
    sandbox = api.sandbox
    response = await api.client.post(
        "/api/ticket",
        json={
            "customer": {
                "name": "Zoë",
                "email": "zoe@example.org",
                "attributes": [{"label": "Plan", "value": "Pro"}],
            },
            "message": {"content": "Help!"},
            "tags": [sandbox.tag_id("VIP")],
            "attributes": [{"label": "Browser", "value": "Firefox"}],
        },
    )
    assert response.status_code == 200, response.text
    ticket = Ticket.model_validate(response.json()["ticket"])
    assert (ticket.status, ticket.priority, ticket.source_type) == ("Open", 2, "web")
    assert ticket.customer is not None and ticket.customer.email == "zoe@example.org"
    assert ticket.customer.attributes[0].content == "Pro"
    assert [t.name for t in ticket.tags] == ["VIP"]
    assert ticket.messages and ticket.messages[0].content == "Help!"
    assert sandbox.get(ticket.id) is not None

    again = await api.client.post(
        "/api/ticket", json={"customer": {"email": "zoe@example.org"}, "status": "Pending"}
    )
    assert again.status_code == 400
    assert again.json() == {"error": "Customer already has an open ticket"}

    sandbox.update(ticket.id, status="Resolved")
    jane = sandbox.agent_id("Jane Smith")
    second = await api.client.post(
        "/api/ticket",
        json={
            "customerId": ticket.customer.id,
            "status": "Waiting",
            "priority": 3,
            "sourceType": "email",
            "assignedTo": jane,
            "category": sandbox.category_id("Account"),
        },
    )
    created = second.json()["ticket"]
    assert created["customer"]["_id"] == ticket.customer.id
    assert created["assignedTo"]["name"] == "Jane Smith"
    assert created["category"]["name"] == "Account"
    assert (created["status"], created["priority"], created["sourceType"]) == (
        "Waiting",
        3,
        "email",
    )


# Mava finds or creates the customer by email or wallet; one of them is required.
NEW_CUSTOMER = {"email": "new-customer@example.com"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Provide exactly one of customerId or customer"),
        (
            {"customerId": "X", "customer": {"name": "a"}},
            "Provide exactly one of customerId or customer",
        ),
        ({"customerId": "0" * 24}, "Customer not found"),
        ({"customer": "bob"}, "Invalid customer"),
        ({"customer": {"email": 5}}, "Invalid customer"),
        ({"customer": {"attributes": [{"label": "x"}]}}, "Invalid customer attributes"),
        ({"customer": {"name": "Ann"}}, "Customer email or walletAddress is required"),
        ({"customer": NEW_CUSTOMER, "emailSubjectLine": "x" * 999}, "Invalid emailSubjectLine"),
        ({"customer": NEW_CUSTOMER, "silent": "yes"}, "Invalid silent"),
        ({"customer": NEW_CUSTOMER, "status": "Closed"}, "Invalid status"),
        ({"customer": NEW_CUSTOMER, "priority": 0}, "Invalid priority"),
        ({"customer": NEW_CUSTOMER, "sourceType": "fax"}, "Invalid sourceType"),
        ({"customer": NEW_CUSTOMER, "assignedTo": "0" * 24}, "Assignee not found"),
        ({"customer": NEW_CUSTOMER, "category": "0" * 24}, "Category not found"),
        ({"customer": NEW_CUSTOMER, "tags": ["0" * 24]}, "Tag not found"),
        ({"customer": NEW_CUSTOMER, "tags": "VIP"}, "Invalid tags"),
        ({"customer": NEW_CUSTOMER, "tags": ["t"] * 21}, "Too many tags (max 20)"),
        (
            {"customer": NEW_CUSTOMER, "attributes": [{"label": "a", "value": "b"}] * 31},
            "Too many attributes (max 30)",
        ),
        ({"customer": NEW_CUSTOMER, "attributes": [{"name": "a"}]}, "Invalid attributes"),
        ({"customer": NEW_CUSTOMER, "message": "hi"}, "Invalid message"),
        ({"customer": NEW_CUSTOMER, "message": {}}, "Content or attachments are required"),
        (
            {"customer": NEW_CUSTOMER, "message": {"content": "x" * 10_001}},
            "Message content exceeds 10000 characters",
        ),
        (
            {
                "customer": NEW_CUSTOMER,
                "message": {
                    "content": "x",
                    "attachments": [{"fileName": "a", "url": "u", "fileType": "t"}] * 11,
                },
            },
            "Too many attachments (max 10)",
        ),
        (
            {"customer": NEW_CUSTOMER, "message": {"attachments": [{"url": "u"}]}},
            "Invalid attachments",
        ),
    ],
)
async def test_create_ticket_errors(api: Api, body: dict[str, Any], error: str) -> None:
    count = len(api.sandbox.tickets)
    response = await api.client.post("/api/ticket", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert len(api.sandbox.tickets) == count


async def test_create_ticket_in_archived_category_is_refused(api: Api) -> None:
    legacy = api.sandbox.category_id("Legacy")
    response = await api.client.post(
        "/api/ticket", json={"customer": NEW_CUSTOMER, "category": legacy}
    )
    assert response.json() == {"error": "Category not found"}


@pytest.mark.parametrize(
    ("shape", "id_at"),
    [("ticket", ("ticket", "_id")), ("flat", ("_id",)), ("id", ("ticketId",)), ("none", None)],
)
async def test_create_answer_switch(api: Api, shape: str, id_at: tuple[str, ...] | None) -> None:
    """Mava's page ends before the answer's shape: each likely one can be served."""
    switched = await api.client.post("/_sandbox/switches", json={"create_answer": shape})
    assert switched.json()["create_answer"] == shape
    email = f"shape-{shape}@example.com"
    body = {"customer": {"email": email}, "message": {"content": "Hi"}, "silent": True}
    answer = (await api.client.post("/api/ticket", json=body)).json()
    [ticket] = [
        t
        for t in api.sandbox.tickets
        if api.sandbox.ticket_json(t)["customer"]
        and api.sandbox.ticket_json(t)["customer"]["email"] == email
    ]
    if id_at is None:
        assert answer == {"message": "Ticket created"}
    else:
        found: Any = answer
        for key in id_at:
            found = found[key]
        assert found == ticket["_id"]
    bad = await api.client.post("/_sandbox/switches", json={"create_answer": "xml"})
    assert bad.status_code >= 400


# --- GET /api/tickets: validation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"endDate": "2026-03-01"}, "MISSING_DATE_RANGE"),
        ({"startDate": "2026-03-01"}, "MISSING_DATE_RANGE"),
        ({"startDate": "", "endDate": "2026-03-01"}, "MISSING_DATE_RANGE"),
        ({"startDate": "yesterday", "endDate": "2026-03-01"}, "INVALID_DATE_RANGE"),
        ({"startDate": "2026-03-01", "endDate": "2026-03-01"}, "INVALID_DATE_RANGE"),
        ({"startDate": "2026-03-02", "endDate": "2026-03-01"}, "INVALID_DATE_RANGE"),
        (
            {"startDate": "2025-03-01", "endDate": "2026-03-01T00:00:00.001Z"},
            "INVALID_DATE_RANGE",
        ),
        ({**RANGE, "limit": "0"}, "INVALID_LIMIT"),
        ({**RANGE, "limit": "101"}, "INVALID_LIMIT"),
        ({**RANGE, "limit": "ten"}, "INVALID_LIMIT"),
        ({**RANGE, "limit": "1.5"}, "INVALID_LIMIT"),
        ({**RANGE, "skip": "-1"}, "INVALID_SKIP"),
        ({**RANGE, "skip": "x"}, "INVALID_SKIP"),
        ({**RANGE, "sortBy": "updatedAt"}, "UNSUPPORTED_SORT_FIELD"),
        ({**RANGE, "sortOrder": "up"}, "UNSUPPORTED_SORT_ORDER"),
        ({**RANGE, "limit": "0", "sortBy": "nope"}, "INVALID_LIMIT"),  # documented order
    ],
)
async def test_ticket_query_errors(api: Api, params: dict[str, str], error: str) -> None:
    response = await api.client.get("/api/tickets", params=params)
    assert response.status_code == 400
    assert response.json() == {"error": error}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-03-01", "2026-03-01"),  # exactly one year
        ("2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.001Z"),
        ("2026-03-01T01:00:00+01:00", "2026-03-02"),
    ],
)
async def test_ticket_query_accepts_iso_dates(api: Api, start: str, end: str) -> None:
    response = await api.client.get("/api/tickets", params={"startDate": start, "endDate": end})
    assert response.status_code == 200


# --- GET /api/tickets: results ---------------------------------------------------------------


async def test_date_range_is_start_inclusive_end_exclusive(api: Api) -> None:
    at_start = api.sandbox.add_ticket(createdAt="2024-01-01T00:00:00.000Z")
    api.sandbox.add_ticket(createdAt="2024-01-02T00:00:00.000Z")
    params = {"startDate": "2024-01-01", "endDate": "2024-01-02"}
    body = (await api.client.get("/api/tickets", params=params)).json()
    assert [t["_id"] for t in body["tickets"]] == [at_start["_id"]]
    assert body["tickets"][0]["createdAt"] == "2024-01-01T00:00:00.000Z"


async def test_default_page_and_full_pagination(api: Api) -> None:
    first = (await api.tickets({})).json()
    assert first["count"] == 300
    assert first["pagination"] == {"limit": 50, "skip": 0, "hasMore": True}
    assert "messages" not in first["tickets"][0]
    created = [t["createdAt"] for t in first["tickets"]]
    assert created == sorted(created, reverse=True)

    ids: list[str] = []
    for skip in range(0, 300, 70):
        page = (await api.tickets({"limit": 70, "skip": skip, "sortBy": "status"})).json()
        assert page["count"] == 300
        assert page["pagination"]["hasMore"] == (skip + 70 < 300)
        ids += [t["_id"] for t in page["tickets"]]
    assert len(ids) == len(set(ids)) == 300
    beyond = (await api.tickets({"skip": 400})).json()
    assert beyond["tickets"] == [] and beyond["count"] == 300
    assert beyond["pagination"]["hasMore"] is False


async def test_include_messages_lists_thread_oldest_first(api: Api) -> None:
    ticket = api.sandbox.add_ticket(
        createdAt=NOW - timedelta(minutes=10),
        messages=[
            {"content": "second", "createdAt": NOW - timedelta(minutes=5)},
            {"content": "first", "createdAt": NOW - timedelta(minutes=10)},
        ],
    )
    tickets = (await api.tickets({"includeMessages": "true", "limit": 100})).json()["tickets"]
    mine = next(t for t in tickets if t["_id"] == ticket["_id"])
    assert [m["content"] for m in mine["messages"]] == ["first", "second"]
    without = (await api.tickets({"includeMessages": "false"})).json()["tickets"]
    assert all("messages" not in t for t in without)


def matches(ticket: dict[str, Any], allowed: dict[str, set[Any]]) -> bool:
    return all(
        bool(values.intersection(ticket["tags"])) if field == "tags" else ticket[field] in values
        for field, values in allowed.items()
    )


async def test_filters_match_the_state(api: Api) -> None:
    sandbox = api.sandbox

    async def ids(params: list[tuple[str, str]]) -> set[str]:
        response = await api.tickets([*RANGE.items(), ("limit", "100"), *params])
        body = response.json()
        assert body["count"] <= 100, params
        return {t["_id"] for t in body["tickets"]}

    jane, omar = sandbox.agent_id("Jane Smith"), sandbox.agent_id("Omar Haddad")
    billing = sandbox.category_id("Billing")
    vip, refund = sandbox.tag_id("VIP"), sandbox.tag_id("Refund")
    # (query, stored field -> allowed values); tags match when any tag is allowed
    cases: list[tuple[list[tuple[str, str]], dict[str, set[Any]]]] = [
        ([("status", "Open"), ("status", "Pending")], {"status": {"Open", "Pending"}}),
        (
            [("assignedTo", "Unassigned"), ("status", "Open")],
            {"assignedTo": {None}, "status": {"Open"}},
        ),
        ([("assignedTo", jane), ("assignedTo", omar)], {"assignedTo": {jane, omar}}),
        ([("category", billing)], {"category": {billing}}),
        ([("tags", vip), ("tags", refund)], {"tags": {vip, refund}}),
        ([("csatValues", "1"), ("csatValues", "2")], {"csat": {1, 2}}),
        (
            [("csatValues", "no-rating"), ("status", "Resolved"), ("origin", "web")],
            {"csat": {None}, "status": {"Resolved"}, "sourceType": {"web"}},
        ),
        ([("origin", "telegram-group")], {"sourceType": {"telegram-group"}}),
        (
            [("origin", "discord"), ("status", "Waiting")],
            {"sourceType": {"discord"}, "status": {"Waiting"}},
        ),
    ]
    for params, allowed in cases:
        want = {t["_id"] for t in sandbox.tickets if matches(t, allowed)}
        assert want, f"seed has no case for {params}"
        assert await ids(params) == want, params
    group = (await api.tickets({"origin": "telegram-group"})).json()["tickets"]
    assert all(t["customer"] is None and t["csat"] is None for t in group)


def sort_key(sandbox: MavaSandbox, field: str, ticket: dict[str, Any]) -> Any:
    value = ticket[field]
    if field in ("assignedTo", "category"):
        return (0, "") if value is None else (1, value["name"].casefold())
    if field in ("priority", "resolutionTime"):
        return (0, 0) if value is None else (1, value)
    return value


@pytest.mark.parametrize("field", SORT_FIELDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sorting(api: Api, field: str, order: str) -> None:
    body = (await api.tickets({"sortBy": field, "sortOrder": order, "limit": 100})).json()
    keys = [sort_key(api.sandbox, field, t) for t in body["tickets"]]
    assert keys == sorted(keys, reverse=order == "desc")
    if field == "priority":
        nulls = [t["priority"] is None for t in body["tickets"]]
        assert nulls == sorted(nulls, reverse=order == "asc"), "null priorities sort lowest"


async def test_sort_ties_break_by_newest_first(api: Api) -> None:
    tickets = (await api.tickets({"sortBy": "status", "sortOrder": "asc", "limit": 100})).json()
    opened = [t["createdAt"] for t in tickets["tickets"] if t["status"] == "Open"]
    assert opened == sorted(opened, reverse=True)


# --- Faults, latency, request log ----------------------------------------------------------------


async def test_status_faults_apply_in_order_then_clear(api: Api) -> None:
    api.sandbox.inject("status", status=500, times=2, path="/api/categories")
    api.sandbox.inject("status", status=429, method="GET")
    for _ in range(2):
        failed = await api.client.get("/api/categories")
        assert failed.status_code == 500
        assert failed.json() == {"error": "Internal server error"}
    limited = await api.client.get("/api/categories")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert (await api.client.get("/api/categories")).status_code == 200

    api.sandbox.inject("status", status=503, body="upstream down", times=None, path="/api/ticket*")
    for _ in range(3):
        response = await api.client.put("/api/ticket", json={})
        assert (response.status_code, response.text) == (503, "upstream down")
    assert api.sandbox.clear_faults() == 1
    assert (await api.client.put("/api/ticket", json={})).json() == {"error": "Ticket not found"}
    records = [(r.fault, r.status) for r in api.sandbox.requests]
    assert records[:3] == [("status", 500), ("status", 500), ("status", 429)]


async def test_malformed_and_disconnect_faults(api: Api) -> None:
    api.sandbox.inject("malformed")
    response = await api.client.get("/api/agents")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    api.sandbox.inject("disconnect", path="/api/agents")
    with pytest.raises(httpx.RemoteProtocolError):
        await api.client.get("/api/agents")
    assert api.sandbox.requests[-1].status == 0
    assert (await api.client.get("/api/agents")).status_code == 200


async def test_timeout_fault_applies_the_write_but_answers_late(api: Api) -> None:
    ticket = some_ticket(api.sandbox, status="Open")
    api.sandbox.inject("timeout", delay=5, path="/api/message")
    body = {"ticketId": ticket["_id"], "content": "did it arrive?"}
    with pytest.raises(httpx.ReadTimeout):
        await api.client.put("/api/message", json=body, timeout=0.2)
    assert ticket["messages"][-1]["content"] == "did it arrive?"

    api.sandbox.inject("timeout", delay=0.1)
    started = time.perf_counter()
    assert (await api.client.get("/api/agents")).status_code == 200
    assert time.perf_counter() - started >= 0.1

    api.sandbox.inject("timeout", delay=None)  # hang
    with pytest.raises(httpx.ReadTimeout):
        await api.client.get("/api/categories", timeout=0.2)
    assert (await api.client.get("/api/categories")).status_code == 200


def test_inject_rejects_unknown_kinds() -> None:
    sandbox = MavaSandbox(tickets=0)
    with pytest.raises(ValueError):
        sandbox.inject("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sandbox.inject("status", times=0)


async def test_latency_slows_every_api_request(api: Api) -> None:
    api.sandbox.latency = 0.15
    started = time.perf_counter()
    assert (await api.client.get("/api/categories")).status_code == 200
    assert time.perf_counter() - started >= 0.15


async def test_requests_are_recorded_with_query_body_and_status(api: Api) -> None:
    api.sandbox.reset_requests()
    await api.tickets([*RANGE.items(), ("status", "Open"), ("status", "Pending")])
    await api.client.put("/api/ticket", json={"ticketId": "nope"})
    get, put = api.sandbox.requests
    assert (get.method, get.path, get.status) == ("GET", "/api/tickets", 200)
    assert get.query[-2:] == [("status", "Open"), ("status", "Pending")]
    assert (put.method, put.status, put.body) == ("PUT", 400, {"ticketId": "nope"})
    assert put.time >= get.time > 0
    api.sandbox.reset_requests()
    assert api.sandbox.requests == []


# --- In-process controls ----------------------------------------------------------------------


async def test_add_ticket_update_and_set_priority(api: Api) -> None:
    sandbox = api.sandbox
    ticket = sandbox.add_ticket(
        status="Pending",
        priority=None,
        source_type="discord",
        assigned_to=sandbox.agent_id("Li Wei"),
        category=sandbox.category_id("Technical"),
        customer={"name": "Ana", "email": "ana@example.org", "attributes": {"Plan": "Team"}},
        created_at=NOW - timedelta(minutes=3),
        messages=["It broke", {"content": "Looking", "senderType": "agent"}],
    )
    assert sandbox.get(ticket["_id"]) is ticket
    assert ticket["_id"].startswith(f"{int((NOW - timedelta(minutes=3)).timestamp()):08x}")
    rendered = sandbox.ticket_json(ticket)
    assert rendered["customer"]["attributes"][0]["content"] == "Team"
    assert [m["senderType"] for m in rendered["messages"]] == ["customer", "agent"]

    sandbox.set_priority(ticket["_id"], 3)
    sandbox.update(ticket["_id"], status="Resolved", csat=5)
    assert ticket["messages"][-2]["content"] == "Priority set to High"
    assert ticket["messages"][-1]["content"] == "Status changed from Pending to Resolved"
    assert ticket["csat"] == 5 and ticket["resolutionTime"] == 180_000
    sandbox.update(ticket["_id"], createdAt=NOW - timedelta(days=2))
    assert sandbox.tickets == sorted(sandbox.tickets, key=lambda t: (t["createdAt"], t["_id"]))
    message = sandbox.add_message(ticket["_id"], "one more thing")
    assert ticket["messages"][-1] is message

    with pytest.raises(ValueError, match="unknown ticket field"):
        sandbox.add_ticket(colour="red")
    with pytest.raises(ValueError):
        sandbox.add_ticket(status="Closed")
    with pytest.raises(KeyError):
        sandbox.update("0" * 24, status="Open")


async def test_running_sandbox_takes_a_sandbox_or_options_not_both() -> None:
    with pytest.raises(TypeError):
        async with running_mava_sandbox(MavaSandbox(tickets=0), seed=3):
            pass


# --- Admin surface -------------------------------------------------------------------------------


async def test_admin_endpoints(api: Api) -> None:
    client = api.client
    state = (await client.get("/_sandbox/state")).json()
    assert state["tickets"]["total"] == 300
    assert sum(state["tickets"]["byStatus"].values()) == 300
    jane = next(a["id"] for a in state["agents"] if a["name"] == "Jane Smith")

    created = await client.post(
        "/_sandbox/tickets",
        json={"status": "Open", "assignedTo": jane, "createdAt": "2026-03-20T11:59:00.000Z"},
    )
    ticket = created.json()["ticket"]
    assert ticket["assignedTo"]["name"] == "Jane Smith"
    assert ticket["createdAt"] == "2026-03-20T11:59:00.000Z"

    patched = await client.patch(f"/_sandbox/tickets/{ticket['_id']}", json={"priority": 1})
    assert (
        patched.json()["ticket"]["messages"][-1]["content"] == "Priority changed from Medium to Low"
    )
    message = await client.post(
        f"/_sandbox/tickets/{ticket['_id']}/messages", json={"content": "hello again"}
    )
    assert message.json()["message"]["senderType"] == "customer"
    fetched = (await client.get(f"/_sandbox/tickets/{ticket['_id']}")).json()["ticket"]
    assert fetched["messages"][-1]["content"] == "hello again"

    assert (await client.get(f"/_sandbox/tickets/{'0' * 24}")).status_code == 404
    assert (await client.patch(f"/_sandbox/tickets/{'0' * 24}", json={})).status_code == 404
    bad = await client.post("/_sandbox/tickets", json={"status": "Closed"})
    assert bad.status_code == 400

    fault = {"kind": "status", "status": 502, "path": "/api/agents", "times": None}
    assert (await client.post("/_sandbox/faults", json=fault)).json() == {"faults": 1}
    assert (await client.get("/api/agents")).status_code == 502
    assert (await client.post("/_sandbox/faults", json={"kind": "boom"})).status_code == 400
    assert (await client.delete("/_sandbox/faults")).json() == {"cleared": 1}
    assert (await client.get("/api/agents")).status_code == 200

    logged = (await client.get("/_sandbox/requests")).json()["requests"]
    assert [r["status"] for r in logged] == [502, 200]
    assert logged[0]["fault"] == "status" and logged[0]["path"] == "/api/agents"
    await client.delete("/_sandbox/requests")
    assert (await client.get("/_sandbox/requests")).json() == {"requests": []}

    assert (await client.post("/_sandbox/latency", json={"seconds": 0.1})).json() == {
        "latency": 0.1
    }
    assert api.sandbox.latency == 0.1
    assert (await client.post("/_sandbox/latency", json={"seconds": -1})).status_code == 400


# --- CLI ----------------------------------------------------------------------------------------


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_cli(
    *args: str, env: dict[str, str], sigint_ignored: bool = False
) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m mava_sandbox.mava_server` and return it with its first line."""
    command = [sys.executable, "-m", "mava_sandbox.mava_server", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 10)  # never hang the suite
    if not ready:
        process.kill()
        process.wait()
        pytest.fail("the sandbox CLI printed nothing within 10 s")
    return process, process.stdout.readline().strip()


def test_cli_prints_settings_serves_and_stops_on_sigterm() -> None:
    env = {**os.environ, "MAVA_API_TOKEN": "cli-key"}
    process, first = start_cli("--tickets", "20", env=env)
    try:
        url_part, token_part = first.split(" ")
        assert url_part.startswith("MAVA_API_URL=http://127.0.0.1:")
        assert token_part == "MAVA_API_TOKEN=cli-key"
        url = url_part.removeprefix("MAVA_API_URL=")
        response = httpx.get(f"{url}/api/categories", headers={"x-auth-token": "cli-key"})
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0  # generous: the exit, not its speed, is tested
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_stops_on_sigint_even_when_started_with_sigint_ignored() -> None:
    """A non-interactive shell starts background jobs (and all they start: a test run,
    its workers) with SIGINT ignored; Ctrl-C's signal still stops the CLI."""
    process, first = start_cli("--tickets", "0", env=dict(os.environ), sigint_ignored=True)
    try:
        assert first.startswith("MAVA_API_URL=")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0  # generous: the exit, not its speed, is tested
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_defaults_to_the_demo_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MAVA_API_TOKEN"}
    process, first = start_cli("--tickets", "0", env=env)
    try:
        assert first.endswith(f"MAVA_API_TOKEN={DEMO_API_KEY}")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0  # generous: the exit, not its speed, is tested
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
