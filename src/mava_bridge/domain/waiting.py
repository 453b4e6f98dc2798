"""How long a customer has waited for an agent, read from a ticket's messages.

A customer waits from their latest message until an agent answers it in the
conversation (an `ExternalMessage` from an agent); an internal note, a system line or
the customer's own follow-up is no answer. Messages are read in time order; if Mava
leaves a time off a message, the order Mava gave is kept instead (its docs do not
promise either, so the result is the same either way when times are present).
"""

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
    """What these helpers read of a ticket (Mava's `Ticket` has it)."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def messages(self) -> Sequence[Message] | None: ...


def _order(messages: Sequence[Message]) -> list[int]:
    """Indices of `messages` in reading order: by time when every message has one (a
    stable sort, so equal times keep Mava's order), else Mava's order as given."""
    if all(message.created_at is not None for message in messages):
        return sorted(range(len(messages)), key=lambda i: messages[i].created_at or datetime.min)
    return list(range(len(messages)))


def _answers(message: Message) -> bool:
    """An agent's message the customer sees (a note, or an agent line of another type
    Mava may add, is not taken for a reply unless it is not a note)."""
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
    """Indices of the messages `waiting_since`, `waiting_period_start` and
    `first_response_owed` read: the last agent answer, the first and last customer
    message since it, and the customer's first message.

    Any list holding at least these, in their given order, gives both the same answers
    as the whole list (the open-tickets board keeps no more of a ticket): the stable
    sort orders them as in the whole list; after the last answer comes no other answer,
    and any customer message there sorts between the run's first and last; whatever
    sorts before the answer is reset by it, which is why the answer is kept even while
    the customer waits. A message without a time makes Mava's order count instead of
    time order, and dropping it could switch the list back to time order: then every
    index is read.
    """
    if any(message.created_at is None for message in messages):
        return set(range(len(messages)))
    answer, run = _last_answer_and_run(messages)
    kept = {*run[:1], *run[-1:]}
    if answer is not None:
        kept.add(answer)
    # The customer's first message, for `first_response_owed`: owed iff it sorts after
    # the last answer, which the kept list tells as the whole does.
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
    agent reply. It stays the same while the customer adds messages, so it names one
    waiting period (a new one starts only after an agent answered)."""
    run = _waiting(ticket)
    return _time(run[0], ticket) if run else None


def first_response_owed(ticket: Ticket) -> datetime | None:
    """When the customer first wrote, while no agent has answered since (their first
    response is still owed); None once one has, or if the customer never wrote. An
    agent's message before the customer's first one is no response."""
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
