"""How long a customer has waited for an agent, read from a ticket's messages: from
their latest message until an agent answers it in the conversation (a note, a system
line or the customer's own follow-up is no answer). Messages are read in time order, or
in Mava's order when one has no time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final, Protocol

# Mava's wire values (mava.models.SenderType / MessageType are these strings).
AGENT: Final = "agent"
CUSTOMER: Final = "customer"
INTERNAL_NOTE: Final = "InternalNote"


class Message(Protocol):
    @property
    def sender_type(self) -> str | None: ...
    @property
    def message_type(self) -> str | None: ...
    @property
    def created_at(self) -> datetime | None: ...


class Ticket(Protocol):
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def messages(self) -> Sequence[Message] | None: ...


def _order(messages: Sequence[Message]) -> list[int]:
    """Indices in reading order: a stable sort by time when every message has one."""
    if all(message.created_at is not None for message in messages):
        return sorted(range(len(messages)), key=lambda i: messages[i].created_at or datetime.min)
    return list(range(len(messages)))


def _answers(message: Message) -> bool:
    """An agent's message the customer sees (not a note)."""
    return message.sender_type == AGENT and message.message_type != INTERNAL_NOTE


def _last_answer_and_run(messages: Sequence[Message]) -> tuple[int | None, list[int]]:
    """The index of the last agent answer (None: none yet) and of the customer's
    messages since it, oldest first."""
    answer: int | None = None
    run: list[int] = []
    for index in _order(messages):
        if _answers(messages[index]):
            answer, run = index, []
        elif messages[index].sender_type == CUSTOMER:
            run.append(index)
    return answer, run


def _waiting(ticket: Ticket) -> list[Message]:
    """The customer's messages since the last agent reply (oldest first)."""
    messages = ticket.messages or []
    return [messages[index] for index in _last_answer_and_run(messages)[1]]


def read_for_waiting(messages: Sequence[Message]) -> set[int]:
    """Indices of the messages the waiting helpers read (the last agent answer, the
    first and last customer message since, the customer's first message): kept in
    order, they give the same answers as the whole list, so the open board keeps only
    these. With a message lacking a time, Mava's order counts: every index is read."""
    if any(message.created_at is None for message in messages):
        return set(range(len(messages)))
    answer, run = _last_answer_and_run(messages)
    kept = {*run[:1], *run[-1:]}
    if answer is not None:
        kept.add(answer)
    first = next((i for i in _order(messages) if messages[i].sender_type == CUSTOMER), None)
    if first is not None:
        kept.add(first)
    return kept


def _time(message: Message, ticket: Ticket) -> datetime:
    return message.created_at or ticket.updated_at or ticket.created_at


def waiting_since(ticket: Ticket) -> datetime | None:
    """When the customer's latest message no agent reply has answered was written;
    None if an agent answered their latest message, or they never wrote."""
    run = _waiting(ticket)
    return _time(run[-1], ticket) if run else None


def waiting_period_start(ticket: Ticket) -> datetime | None:
    """When the current waiting period began: the first customer message after the last
    agent reply (it names one period: more messages do not move it)."""
    run = _waiting(ticket)
    return _time(run[0], ticket) if run else None


def first_response_owed(ticket: Ticket) -> datetime | None:
    """When the customer first wrote, while no agent has answered since (their first
    response is still owed); None once one has, or if the customer never wrote."""
    messages = ticket.messages or []
    first = next((i for i in _order(messages) if messages[i].sender_type == CUSTOMER), None)
    if first is None or first not in _last_answer_and_run(messages)[1]:
        return None
    return _time(messages[first], ticket)


def first_response(messages: Sequence[Message]) -> float | None:
    """Seconds from the first customer message to the first agent answer after it (a
    report's first-response time); None while unanswered, or if a time is missing."""
    asked: datetime | None = None
    for index in _order(messages):
        message = messages[index]
        if asked is None and message.sender_type == CUSTOMER:
            asked = message.created_at
        elif asked is not None and _answers(message) and message.created_at is not None:
            return max(0.0, (message.created_at - asked).total_seconds())
    return None
