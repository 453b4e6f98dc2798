"""Who waits for an answer, from when: `waiting_since` and `waiting_period_start`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mava_bridge.domain.waiting import waiting_period_start, waiting_since
from mava_bridge.mava.models import Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def ticket(*messages: dict[str, Any]) -> Ticket:
    return Ticket.model_validate(
        {"_id": "t1", "createdAt": T0.isoformat(), "status": "Open", "messages": list(messages)}
    )


def customer(minutes: int | None) -> dict[str, Any]:
    return (
        {"senderType": "customer", "messageType": "ExternalMessage", "createdAt": at(minutes)}
        if (minutes is not None)
        else {"senderType": "customer", "messageType": "ExternalMessage"}
    )


def agent(minutes: int, *, note: bool = False) -> dict[str, Any]:
    kind = "InternalNote" if note else "ExternalMessage"
    return {"senderType": "agent", "messageType": kind, "createdAt": at(minutes)}


def test_an_unanswered_customer_waits_since_their_latest_message() -> None:
    found = ticket(customer(0), agent(5), customer(10), customer(20))
    assert waiting_since(found) == T0 + timedelta(minutes=20)
    assert waiting_period_start(found) == T0 + timedelta(minutes=10)


def test_an_agent_reply_ends_the_wait_but_a_note_or_system_line_does_not() -> None:
    assert waiting_since(ticket(customer(0), agent(5))) is None
    assert waiting_period_start(ticket(customer(0), agent(5))) is None
    noted = ticket(customer(0), agent(5, note=True), {"senderType": "system", "createdAt": at(6)})
    assert waiting_since(noted) == T0
    assert waiting_period_start(noted) == T0


def test_a_customer_who_never_wrote_does_not_wait() -> None:
    assert waiting_since(ticket()) is None
    assert waiting_since(ticket(agent(1))) is None


def test_messages_are_read_in_time_order_whatever_order_mava_lists_them() -> None:
    assert waiting_since(ticket(agent(5), customer(0))) is None
    assert waiting_since(ticket(customer(10), agent(5), customer(0))) == T0 + timedelta(minutes=10)


def test_a_message_without_a_time_keeps_mavas_order_and_takes_the_tickets_time() -> None:
    found = ticket(customer(0), agent(5), customer(None))
    assert waiting_since(found) == T0  # no updatedAt: the ticket's creation
    assert waiting_since(ticket(customer(None), agent(5))) is None
