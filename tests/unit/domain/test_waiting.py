"""Who waits for an answer, from when: `waiting_since` and `waiting_period_start`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.waiting import read_for_waiting, waiting_period_start, waiting_since
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


# --- What of the messages the waiting rules read (the open-tickets board keeps only it) -

SENDERS = ("customer", "agent", "system", "bot", None)
KINDS = ("ExternalMessage", "InternalNote", "Note", None)  # unknown ones kept as read


def kept(found: Ticket, indices: set[int]) -> Ticket:
    """`found` with only the messages at `indices`, in their given order."""
    messages = found.messages or []
    return found.model_copy(update={"messages": [messages[i] for i in sorted(indices)]})


def test_the_last_answer_and_the_first_and_last_message_of_the_wait_are_read() -> None:
    found = ticket(customer(20), customer(0), agent(5), customer(10), agent(12, note=True))
    # In time order: 0 (the customer's first), 5, 10, 20.
    assert read_for_waiting(found.messages or []) == {1, 2, 3, 0}
    answered = ticket(
        customer(0), customer(1), agent(5), {"senderType": "system", "createdAt": at(6)}
    )
    assert read_for_waiting(answered.messages or []) == {0, 2}
    assert read_for_waiting(ticket(customer(3), customer(1)).messages or []) == {0, 1}
    assert read_for_waiting([]) == set()


def test_a_message_without_a_time_keeps_every_message_read() -> None:
    found = ticket(customer(0), agent(5), customer(10), customer(None))
    assert read_for_waiting(found.messages or []) == {0, 1, 2, 3}


@st.composite
def conversations(draw: st.DrawFn) -> tuple[Ticket, set[int]]:
    """A ticket whose messages come in any order, with equal times and odd types, some
    without a time; and a random set of extra messages kept beside those read."""
    count = draw(st.integers(0, 12))
    timeless = draw(st.booleans()) and draw(st.booleans())  # a quarter of the lists
    messages = []
    for _ in range(count):
        message: dict[str, Any] = {
            "senderType": draw(st.sampled_from(SENDERS)),
            "messageType": draw(st.sampled_from(KINDS)),
        }
        if not (timeless and draw(st.booleans())):
            message["createdAt"] = at(draw(st.integers(0, 6)))  # few values: many ties
        messages.append(message)
    found = ticket(*messages)
    extra = draw(st.sets(st.integers(0, max(0, count - 1)), max_size=count))
    return found, extra


@settings(max_examples=400, deadline=None)
@given(conversations())
def test_any_list_holding_what_is_read_waits_as_the_whole(case: tuple[Ticket, set[int]]) -> None:
    found, extra = case
    read = read_for_waiting(found.messages or [])
    for indices in (read, read | extra):
        part = kept(found, indices)
        assert waiting_since(part) == waiting_since(found)
        assert waiting_period_start(part) == waiting_period_start(found)
