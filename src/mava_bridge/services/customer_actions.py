"""What people do for a customer: set their attributes (identify) and create a ticket
for them. Each once, audited, answered with an `Outcome` (see services.ticket_actions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.models import NewTicket
from mava_bridge.services.outcome import Actor, Outcome, Writes
from mava_bridge.services.ticket_actions import check_length


class CustomerActions:
    def __init__(self, mava: MavaClient, writes: Writes) -> None:
        self.mava = mava
        self._writes = writes

    async def identify(
        self, actor: Actor, email: str, attributes: Sequence[tuple[str, str]]
    ) -> Outcome:
        """Set a customer's attributes (looked up by email) in Mava; the answer and the
        audit record name the customer id Mava returned. Mava's answer does not say
        whether it created that customer, so the sentence does not claim it."""
        pairs = "; ".join(f"{k}={v}" for k, v in attributes)
        summary = [f"{email}: {pairs}"]

        async def write() -> str:
            result = await self.mava.identify(email=email, attributes=attributes)
            found = result.get("customerId") or (result.get("customer") or {}).get("_id")
            customer = found if isinstance(found, str) and found else None
            labels = ", ".join(label for label, _ in attributes)
            done = f"Updated {len(attributes)} attribute(s) ({labels}) for {email}."
            if customer is None:
                summary.append("no customer id returned")
                return f"{done} Mava returned no customer ID."
            summary.append(f"customer {customer}")
            return f"{done} Mava returned customer ID {customer}."

        return await self._writes.run(
            actor,
            action="identify",
            ticket_id=None,
            summary=lambda: " | ".join(summary),
            dedupe=(email, pairs),
            write=write,
        )

    async def create(
        self, actor: Actor, new: NewTicket, *, email: str, submission: str
    ) -> tuple[Outcome, str | None]:
        """Create a ticket for the customer `email` (once per submission): the outcome
        and the new ticket's id (None if not created, or Mava's answer named none)."""
        created: list[str] = []
        content = new.message.content if new.message is not None else ""
        summary = [f"create for {email}: {content}"]

        async def write() -> str:
            check_length(content)
            ticket_id = created_ticket_id(await self.mava.create_ticket(new))
            if ticket_id is None:
                summary.append("no ticket id returned")
                return (
                    f"Mava created a ticket for {email} but did not say its id, so it is "
                    "not followed here. Find it in Mava."
                )
            created.append(ticket_id)
            return f"Created ticket {ticket_id} for {email}."

        outcome = await self._writes.run(
            actor,
            action="create",
            ticket_id=None,
            summary=lambda: " | ".join(summary),
            dedupe=(submission,),
            write=write,
            recorded_ticket=lambda: created[0] if created else None,
        )
        return outcome, created[0] if created else None


def created_ticket_id(answer: Any) -> str | None:
    """The id in POST /api/ticket's answer. Mava's page ends before the answer's shape,
    so every likely one is read: `{ticket: {_id | id}}`, the ticket itself, `{ticketId}`."""
    if not isinstance(answer, dict):
        return None
    ticket = answer.get("ticket")
    places = [ticket] if isinstance(ticket, dict) else []
    places.append(answer)
    for place in places:
        for key in ("_id", "id", "ticketId"):
            found = place.get(key)
            if isinstance(found, str) and found:
                return found
    return ticket if isinstance(ticket, str) and ticket else None
