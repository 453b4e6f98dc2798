"""The sandbox's stand-ins for what happens in Mava while the bridge follows a ticket: the
customer writes, an agent answers or notes in the dashboard, an agent changes the ticket;
and PUT /api/message's answer with or without message._id. Read back over loopback HTTP
the way the bridge reads it (GET /api/tickets with messages)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from test_mava_server import Clock

from mava_sandbox.mava_server import MavaSandbox, running_mava_sandbox

KEY = "dashboard-test-key"


@dataclass
class Mava:
    sandbox: MavaSandbox
    http: httpx.AsyncClient
    clock: Clock

    async def read(self, ticket_id: str) -> dict[str, Any]:
        """The ticket as the bridge's search sees it (includeMessages=true)."""
        created = self.sandbox.get(ticket_id)
        assert created is not None
        day = created["createdAt"].date()
        params = {
            "startDate": (day - timedelta(days=1)).isoformat(),
            "endDate": (day + timedelta(days=1)).isoformat(),
            "includeMessages": "true",
            "limit": 100,
        }
        response = await self.http.get("/api/tickets", params=params)
        assert response.status_code == 200, response.text
        return next(t for t in response.json()["tickets"] if t["_id"] == ticket_id)


@pytest.fixture
async def mava() -> AsyncIterator[Mava]:
    clock = Clock()
    async with (
        running_mava_sandbox(api_key=KEY, now=clock, rate_limit=None, tickets=20) as running,
        httpx.AsyncClient(base_url=running.url, headers={"x-auth-token": KEY}) as http,
    ):
        yield Mava(running.sandbox, http, clock)


def new_ticket(mava: Mava, **fields: Any) -> str:
    fields.setdefault("customer", {"name": "Ana Customer", "email": "ana@example.org"})
    ticket = mava.sandbox.add_ticket(messages=["My card was charged twice"], **fields)
    return str(ticket["_id"])


async def test_customer_agent_and_note_messages_arrive_in_order_and_bump_updated_at(
    mava: Mava,
) -> None:
    ticket_id = new_ticket(mava)
    mava.clock.advance(60)
    mava.sandbox.customer_writes(ticket_id, "Any news?")
    mava.clock.advance(60)
    mava.sandbox.agent_writes(ticket_id, "Refund is on its way", agent="Omar Haddad")
    mava.clock.advance(60)
    mava.sandbox.agent_writes(ticket_id, "Refund id R-1", agent="jane@example.com", note=True)

    read = await mava.read(ticket_id)
    shown = [
        (m["content"], m["senderType"], m["senderName"], m["messageType"]) for m in read["messages"]
    ]
    assert shown == [
        ("My card was charged twice", "customer", None, "ExternalMessage"),
        ("Any news?", "customer", "Ana Customer", "ExternalMessage"),
        ("Refund is on its way", "agent", "Omar Haddad", "ExternalMessage"),
        ("Refund id R-1", "agent", "Jane Smith", "InternalNote"),
    ]
    assert read["updatedAt"] == "2026-03-20T12:03:00.000Z"
    assert len({m["_id"] for m in read["messages"]}) == 4


async def test_customer_on_discord_is_named_by_handle(mava: Mava) -> None:
    ticket_id = new_ticket(
        mava,
        source_type="discord",
        discord_users=[{"discordAuthorId": "123", "name": "ana#0001"}],
    )
    message = mava.sandbox.customer_writes(ticket_id, "hi")
    assert message["senderName"] == "ana#0001"


async def test_dashboard_changes_by_name_each_leave_a_system_line(mava: Mava) -> None:
    ticket_id = new_ticket(mava, priority=1)
    mava.clock.advance(30)
    mava.sandbox.dashboard(
        ticket_id, status="Pending", priority="High", category="Billing", assignee="Li Wei"
    )
    read = await mava.read(ticket_id)
    assert read["status"] == "Pending" and read["priority"] == 3
    assert read["category"]["name"] == "Billing"
    assert read["assignedTo"]["name"] == "Li Wei"
    assert read["updatedAt"] == "2026-03-20T12:00:30.000Z"
    system = [m["content"] for m in read["messages"] if m["senderType"] == "system"]
    assert system == [
        "Status changed from Open to Pending",
        "Priority changed from Low to High",
        "Category set to Billing",
        "Assigned to Li Wei",
    ]

    mava.sandbox.dashboard(ticket_id, assignee=None, category=None, priority=None)
    read = await mava.read(ticket_id)
    assert read["assignedTo"] is None and read["category"] is None and read["priority"] is None

    # The same value again is no change: no new line, updatedAt kept.
    before = len(read["messages"])
    mava.clock.advance(30)
    mava.sandbox.dashboard(ticket_id, status="Pending")
    read = await mava.read(ticket_id)
    assert len(read["messages"]) == before
    assert read["updatedAt"] == "2026-03-20T12:00:30.000Z"


async def test_resolve_then_reopen(mava: Mava) -> None:
    ticket_id = new_ticket(mava)
    mava.clock.advance(120)
    mava.sandbox.dashboard(ticket_id, status="Resolved")
    read = await mava.read(ticket_id)
    assert read["status"] == "Resolved" and read["resolutionTime"] == 120_000

    mava.clock.advance(60)
    mava.sandbox.dashboard(ticket_id, status="Open")
    read = await mava.read(ticket_id)
    assert read["status"] == "Open" and read["resolutionTime"] is None
    assert read["messages"][-1]["content"] == "Status changed from Resolved to Open"
    assert read["updatedAt"] == "2026-03-20T12:03:00.000Z"


async def test_dashboard_refuses_what_the_dashboard_cannot_do(mava: Mava) -> None:
    ticket_id = new_ticket(mava)
    with pytest.raises(ValueError, match="cannot change"):
        mava.sandbox.dashboard(ticket_id, tags=[])
    with pytest.raises(ValueError, match="unknown agent"):
        mava.sandbox.dashboard(ticket_id, assignee="Nobody Here")
    with pytest.raises(ValueError, match="unknown category"):
        mava.sandbox.dashboard(ticket_id, category="Nope")
    with pytest.raises(ValueError, match="status"):
        mava.sandbox.dashboard(ticket_id, status="Closed")
    with pytest.raises(ValueError, match="unknown agent"):
        mava.sandbox.agent_writes(ticket_id, "hi", agent="Nobody Here")


async def test_admin_routes_do_the_same_over_http(mava: Mava) -> None:
    ticket_id = new_ticket(mava)
    http = mava.http
    patched = await http.patch(
        f"/_sandbox/tickets/{ticket_id}",
        json={"status": "Resolved", "assignee": "omar@example.com", "category": "Technical"},
    )
    assert patched.status_code == 200, patched.text
    ticket = patched.json()["ticket"]
    assert ticket["status"] == "Resolved" and ticket["resolutionTime"] == 0
    assert ticket["assignedTo"]["name"] == "Omar Haddad"
    assert ticket["category"]["name"] == "Technical"
    unassigned = await http.patch(f"/_sandbox/tickets/{ticket_id}", json={"assignee": None})
    assert unassigned.json()["ticket"]["assignedTo"] is None
    bad = await http.patch(f"/_sandbox/tickets/{ticket_id}", json={"assignee": "Nobody"})
    assert bad.status_code == 400

    note = await http.post(
        f"/_sandbox/tickets/{ticket_id}/messages",
        json={
            "content": "checked the logs",
            "senderType": "agent",
            "senderName": "Omar Haddad",
            "messageType": "InternalNote",
        },
    )
    assert note.status_code == 200
    read = await mava.read(ticket_id)
    assert read["messages"][-1]["_id"] == note.json()["message"]["_id"]
    assert read["messages"][-1]["messageType"] == "InternalNote"


async def test_put_message_answers_with_the_message_id(mava: Mava) -> None:
    ticket_id = new_ticket(mava)
    answer = await mava.http.put(
        "/api/message",
        json={"ticketId": ticket_id, "content": "Note from Jane", "messageType": "InternalNote"},
    )
    body = answer.json()
    assert set(body) == {"message", "ticket", "sender"}
    read = await mava.read(ticket_id)
    assert body["message"]["_id"] == read["messages"][-1]["_id"]
    assert body["message"]["content"] == "Note from Jane"


async def test_odd_shapes_leaves_out_the_message_id_every_second_answer(mava: Mava) -> None:
    mava.sandbox.odd_shapes = True
    ticket_id = new_ticket(mava)
    mava.sandbox.serve_odd(ticket_id, None)  # the ticket itself served as documented
    ids = []
    for number in range(4):
        answer = await mava.http.put(
            "/api/message", json={"ticketId": ticket_id, "content": f"reply {number}"}
        )
        assert answer.status_code == 200
        message = answer.json()["message"]
        assert message["content"] == f"reply {number}"
        ids.append(message.get("_id"))
    assert [i is not None for i in ids] == [True, False, True, False]
    # The messages themselves have ids: only the answer left them out.
    read = await mava.read(ticket_id)
    assert all(m.get("_id") for m in read["messages"])


async def test_ticket_served_without_message_ids_never_answers_one(mava: Mava) -> None:
    ticket_id = new_ticket(mava)
    mava.sandbox.serve_odd(ticket_id, "message_without_id")
    for _ in range(2):
        answer = await mava.http.put(
            "/api/message", json={"ticketId": ticket_id, "content": "same again"}
        )
        assert "_id" not in answer.json()["message"]


async def test_customer_writing_on_a_resolved_ticket_reopens_it_by_default(mava: Mava) -> None:
    ticket_id = new_ticket(mava, status="Resolved")
    mava.clock.advance(60)
    mava.sandbox.customer_writes(ticket_id, "It broke again")
    read = await mava.read(ticket_id)
    assert read["status"] == "Open" and read["resolutionTime"] is None
    assert [m["content"] for m in read["messages"][-2:]] == [
        "Status changed from Resolved to Open",
        "It broke again",
    ]


async def test_customer_on_resolved_switch_append_and_new_ticket(mava: Mava) -> None:
    switched = await mava.http.post("/_sandbox/switches", json={"customer_on_resolved": "append"})
    assert switched.json()["customer_on_resolved"] == "append"
    kept = new_ticket(mava, status="Resolved")
    mava.sandbox.customer_writes(kept, "hello?")
    read = await mava.read(kept)
    assert read["status"] == "Resolved" and read["messages"][-1]["content"] == "hello?"

    mava.sandbox.customer_on_resolved = "new_ticket"
    old = new_ticket(mava, status="Resolved")
    message = mava.sandbox.customer_writes(old, "new problem")
    assert message["ticketId"] != old
    assert (await mava.read(old))["messages"][-1]["content"] != "new problem"
    fresh = await mava.read(message["ticketId"])
    assert fresh["status"] == "Open"
    assert [m["content"] for m in fresh["messages"]] == ["new problem"]
    assert fresh["customer"]["_id"] == (await mava.read(old))["customer"]["_id"]

    bad = await mava.http.post("/_sandbox/switches", json={"customer_on_resolved": "ignore"})
    assert bad.status_code == 400
