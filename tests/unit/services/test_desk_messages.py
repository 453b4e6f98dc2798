"""What the open-tickets board keeps of each ticket's messages (`desk_messages`): every
user of the board shows and computes from it what it would from the whole ticket —
App Home (its lines and their order), the card an assignment DM or a reminder posts
(alert_message, alert_text), and a reminder's wait and waiting period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.sla import clocks
from mava_bridge.domain.waiting import waiting_period_start, waiting_since
from mava_bridge.mava.models import Ticket
from mava_bridge.services.open_board import desk_messages
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.blocks.home import HomeModel, home_view, longest_waiting_first, queue_order

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DASHBOARD = "https://dashboard.example"
SENDERS = ("customer", "agent", "system", "bot", None)
KINDS = ("ExternalMessage", "InternalNote", "Note", None)  # unknown ones kept as read


def link(ticket_id: str) -> str:
    return f"{DASHBOARD}/t?id={ticket_id}"


def at(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat()


def message(sender: str | None, minutes: int | None, text: str = "", **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"senderType": sender, "messageType": "ExternalMessage"}
    if minutes is not None:
        found["createdAt"] = at(minutes)
    return {**found, "content": text, **more}


def ticket(n: int, *messages: dict[str, Any], customer: dict[str, Any] | None = None) -> Ticket:
    return Ticket.model_validate(
        {
            "_id": f"{n:024x}",
            "createdAt": at(600),
            "status": "Open",
            "customer": customer,
            "messages": list(messages),
        }
    )


def contents(found: Ticket) -> list[str | None]:
    return [m.content for m in found.messages or []]


def test_a_long_conversation_keeps_the_first_question_and_the_current_wait() -> None:
    found = ticket(
        1,
        message("system", 300, "opened"),
        message("customer", 290, "first"),
        message("agent", 280, "answer 1"),
        message("customer", 270, "again"),
        message("agent", 260, "answer 2"),
        message("agent", 250, "a note", messageType="InternalNote"),
        message("customer", 240, "wait 1"),
        message("customer", 230, "wait 2"),
        message("customer", 220, "wait 3"),
    )
    kept = desk_messages(found)
    assert contents(kept) == ["first", "answer 2", "wait 1", "wait 3"]  # Mava's order
    assert kept.model_dump(exclude={"messages"}) == found.model_dump(exclude={"messages"})
    assert found.messages is not None and len(found.messages) == 9  # not changed in place


def test_the_first_question_is_mavas_first_even_when_a_later_one_is_older() -> None:
    found = ticket(
        2,
        message("customer", 10, "listed first"),
        message("customer", 20, "older"),
        message("agent", 15, "answer"),
        message("customer", 5, "latest"),
        message("customer", 1, "newest"),
    )
    # And the first in time order, which tells whether a first response is owed.
    assert contents(desk_messages(found)) == ["listed first", "older", "answer", "newest"]


def test_nothing_to_drop_is_the_same_ticket_and_a_missing_time_keeps_all() -> None:
    short = ticket(3, message("customer", 10, "hello"), message("agent", 5, "hi"))
    assert desk_messages(short) is short
    timeless = ticket(
        4, *(message("customer", 10 - i, f"m{i}") for i in range(5)), message("agent", None)
    )
    assert desk_messages(timeless) is timeless
    empty = ticket(5)
    assert desk_messages(empty) is empty
    bare = Ticket.model_validate({"_id": "f" * 24, "createdAt": at(1), "status": "Open"})
    assert desk_messages(bare) is bare  # read without messages: nothing to keep


@st.composite
def tickets(draw: st.DrawFn, n: int) -> Ticket:
    """A ticket with messages in any order, equal times, odd types, names and texts (the
    customer's name then comes from their first message), some without a time."""
    timeless = draw(st.booleans()) and draw(st.booleans())  # a quarter of the tickets
    messages = []
    for _ in range(draw(st.integers(0, 12))):
        minutes = draw(st.integers(0, 6))
        if timeless and draw(st.booleans()):
            minutes = None
        found = message(
            draw(st.sampled_from(SENDERS)),
            minutes,
            draw(st.sampled_from(("", " ", "help *me*", "line\nline", "<@U1> & co"))),
            messageType=draw(st.sampled_from(KINDS)),
            senderName=draw(st.sampled_from((None, "", "Ann", "Bo <b>"))),
        )
        messages.append(found)
    customer = draw(st.sampled_from((None, {"_id": "c1", "name": "Cy"}, {"_id": "c2"})))
    return ticket(n, *messages, customer=customer)


def shown(found: list[Ticket]) -> tuple[Any, ...]:
    """What App Home, a DM or a reminder shows of `found`, and a reminder's times."""
    renderer = digest_blocks
    model = HomeModel(mine=longest_waiting_first(found), queue=queue_order(found))
    return (
        home_view(model, link=link, now=NOW, dashboard=DASHBOARD),
        [renderer.alert_message(t, link=link, now=NOW, reason="Assigned to you") for t in found],
        [renderer.alert_text(t, "Customer waiting 5m for an agent") for t in found],
        [(waiting_since(t), waiting_period_start(t)) for t in found],
        [clocks(t) for t in found],  # the SLA clocks (domain.sla)
    )


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6).flatmap(lambda k: st.tuples(*(tickets(n) for n in range(k)))))
def test_every_user_of_the_board_shows_what_the_whole_ticket_shows(
    found: tuple[Ticket, ...],
) -> None:
    whole = list(found)
    kept = [desk_messages(t) for t in whole]
    assert shown(kept) == shown(whole)
    assert all(
        len(k.messages or []) <= len(t.messages or []) for k, t in zip(kept, whole, strict=True)
    )
