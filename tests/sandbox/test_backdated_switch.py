"""The Mava sandbox's switch `backdated`: ticket ids whose time is far from createdAt.

By default an id holds its ticket's creation time (the reference's reading of an
ObjectId); under the switch every 4th seeded ticket is as an imported ticket looks:
its id made a day after, 30 days before, or 90-100 days away from its createdAt. The
date window of GET /api/tickets still filters on createdAt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mava_bridge.domain import ticket_refs
from mava_sandbox.mava_server import MavaSandbox, parse_ticket_query

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _gaps(sandbox: MavaSandbox) -> list[timedelta]:
    return [abs(t["createdAt"] - ticket_refs.created_at(t["_id"])) for t in sandbox.tickets]


def test_by_default_an_id_holds_its_creation_time() -> None:
    sandbox = MavaSandbox(now=lambda: NOW)
    assert max(_gaps(sandbox)) < timedelta(seconds=1)


def test_the_switch_moves_ids_far_from_created_at() -> None:
    sandbox = MavaSandbox(now=lambda: NOW, backdated=True)
    gaps = _gaps(sandbox)
    off = [g for g in gaps if g >= timedelta(seconds=1)]
    assert len(off) >= len(gaps) // 4 - 1  # every 4th (a very recent one may be near)
    assert any(timedelta(hours=12) <= g <= timedelta(days=1) for g in gaps)
    assert any(timedelta(days=30) <= g < timedelta(days=30, seconds=1) for g in gaps)
    assert any(timedelta(days=90) <= g <= timedelta(days=100) for g in gaps)
    assert all(ticket_refs.created_at(t["_id"]) <= NOW for t in sandbox.tickets)
    # Same seed, same data; the ids stay unique and the list stays sorted by createdAt.
    again = MavaSandbox(now=lambda: NOW, backdated=True)
    assert [t["_id"] for t in again.tickets] == [t["_id"] for t in sandbox.tickets]
    assert len({t["_id"] for t in sandbox.tickets}) == len(sandbox.tickets)
    assert sandbox.tickets == sorted(sandbox.tickets, key=lambda t: (t["createdAt"], t["_id"]))


def test_the_window_filters_on_created_at_not_the_id() -> None:
    sandbox = MavaSandbox(now=lambda: NOW, backdated=True)
    ticket = sandbox.add_ticket(createdAt=NOW - timedelta(hours=1))
    moved = sandbox.backdate(ticket["_id"], NOW - timedelta(days=100))
    assert sandbox.get(moved["_id"]) is moved
    assert ticket_refs.created_at(moved["_id"]) == NOW - timedelta(days=100)
    near_created = parse_ticket_query(
        [
            ("startDate", (NOW - timedelta(hours=2)).isoformat().replace("+00:00", "Z")),
            ("endDate", NOW.isoformat().replace("+00:00", "Z")),
        ]
    )
    assert moved["_id"] in [t["_id"] for t in sandbox.select(near_created)]
