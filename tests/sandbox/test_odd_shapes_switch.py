"""The sandbox's `odd_shapes` switch: off by default, each shape served when on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mava_sandbox.mava_server import running_mava_sandbox
from mava_sandbox.odd_shapes import ODD_SHAPES

KEY = "odd-key"


def params() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "startDate": (now - timedelta(days=360)).isoformat(),
        "endDate": (now + timedelta(days=1)).isoformat(),
        "limit": "100",
        "includeMessages": "true",
    }


async def search(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers={"x-auth-token": KEY}) as client:
        response = await client.get("/api/tickets", params=params())
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


def documented(ticket: dict[str, Any]) -> bool:
    return (
        isinstance(ticket["tags"], list)
        and isinstance(ticket["priority"], int | None)
        and not isinstance(ticket["assignedTo"], str)
        and not isinstance(ticket["category"], str)
        and not isinstance(ticket["csat"], int)
        and (ticket["customer"] is None or "_id" in ticket["customer"])
        and all("_id" in m and "createdAt" in m for m in ticket["messages"])
    )


async def test_off_by_default() -> None:
    async with running_mava_sandbox(api_key=KEY, rate_limit=None) as running:
        assert running.sandbox.odd_shape_of == {}
        data = await search(running.url)
    assert all(documented(t) for t in data["tickets"])


async def test_on_serves_each_shape_and_the_same_tickets() -> None:
    at = datetime.now(UTC)
    async with running_mava_sandbox(api_key=KEY, rate_limit=None, now=lambda: at) as plain:
        expected = await search(plain.url)
    async with running_mava_sandbox(
        api_key=KEY, rate_limit=None, now=lambda: at, odd_shapes=True
    ) as running:
        data = await search(running.url)
        shapes = running.sandbox.odd_shape_of
    assert sorted(shapes.values()) == sorted(ODD_SHAPES)
    # Same matches, same order, same count: only the wire form of some tickets differs.
    assert data["count"] == expected["count"]
    assert [t.get("_id") for t in data["tickets"]] == [t["_id"] for t in expected["tickets"]]
    odd = {t["_id"]: t for t in data["tickets"] if t["_id"] in shapes}
    assert len(odd) == len(ODD_SHAPES)
    by_shape = {shapes[tid]: t for tid, t in odd.items()}
    assert by_shape["null_tags"]["tags"] is None
    assert isinstance(by_shape["unreadable"]["priority"], dict)
    for ticket_id, ticket in odd.items():
        if shapes[ticket_id] in ("message_without_id", "message_without_created_at"):
            dropped = "_id" if shapes[ticket_id] == "message_without_id" else "createdAt"
            assert all(dropped not in m for m in ticket["messages"])
    others = [t for t in data["tickets"] if t["_id"] not in shapes]
    assert all(documented(t) for t in others)


async def test_admin_route_sets_and_clears_a_shape() -> None:
    async with running_mava_sandbox(api_key=KEY, rate_limit=None) as running:
        ticket_id = running.sandbox.tickets[-1]["_id"]
        async with httpx.AsyncClient(base_url=running.url) as admin:
            set_ = await admin.post(
                "/_sandbox/odd_shapes", json={"ticketId": ticket_id, "shape": "string_category"}
            )
            assert set_.status_code == 200, set_.text
            wrong = await admin.post(
                "/_sandbox/odd_shapes", json={"ticketId": ticket_id, "shape": "sideways"}
            )
            assert wrong.status_code == 400
            assert running.sandbox.odd_shape_of == {ticket_id: "string_category"}
            cleared = await admin.post(
                "/_sandbox/odd_shapes", json={"ticketId": ticket_id, "shape": None}
            )
            assert cleared.status_code == 200
            assert running.sandbox.odd_shape_of == {}


async def test_switches_route_turns_it_on_for_new_tickets() -> None:
    async with running_mava_sandbox(api_key=KEY, rate_limit=None) as running:
        async with httpx.AsyncClient(base_url=running.url) as admin:
            response = await admin.post("/_sandbox/switches", json={"odd_shapes": True})
            assert response.status_code == 200, response.text
        assert running.sandbox.odd_shape_of == {}  # seeded tickets keep their shape
        ticket_id = running.sandbox.add_ticket()["_id"]
        assert running.sandbox.odd_shape_of == {ticket_id: ODD_SHAPES[0]}
