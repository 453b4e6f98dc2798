"""Messages in the Mava sandbox: PUT/POST /api/message, and messages tests add as the
customer or an agent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mava_sandbox.mava_dashboard import DashboardMixin
from mava_sandbox.mava_rules import as_object, bad_request, parse_attachments
from mava_sandbox.mava_seed import (
    MESSAGE_TYPES,
)


class MessagesMixin(DashboardMixin):
    """A ticket's messages, through the API and as tests write them."""

    # --- PUT/POST /api/message ----------------------------------------------------------

    def post_message(self, body: Any) -> dict[str, Any]:
        data = as_object(body)
        content = data.get("content")
        if content is not None and not isinstance(content, str):
            raise bad_request("Invalid request body")
        raw_attachments = data.get("attachments")
        has_attachments = isinstance(raw_attachments, list) and len(raw_attachments) > 0
        if not content and not has_attachments:
            raise bad_request("Content or attachments are required")
        message_type = data.get("messageType") or "ExternalMessage"
        if message_type not in MESSAGE_TYPES:
            raise bad_request("Invalid message type")
        attachments = parse_attachments(raw_attachments)
        ticket = self._ticket_or_400(data.get("ticketId"))

        now = self.now()
        message = self._message(now, content or "", "agent", message_type, attachments=attachments)
        ticket["messages"].append(message)
        ticket["updatedAt"] = now
        self._changed("message.created", ticket, message)
        answer = self.message_json(message)
        if self._answer_without_id(ticket["_id"]):
            del answer["_id"]
        return {
            "message": answer,
            "ticket": self.ticket_json(ticket, include_messages=False),
            "sender": {"_id": self.api_sender_id, "name": "API"},
        }

    def _answer_without_id(self, ticket_id: str) -> bool:
        """The reference shows the answer only as `{"message": { ... }}`: under odd_shapes
        every second answer leaves out message._id, and a ticket served
        message_without_id never has one, so the bridge must match its own echo by content."""
        self._message_answers += 1
        if self.odd_shape_of.get(ticket_id) == "message_without_id":
            return True
        return self.odd_shapes and self._message_answers % 2 == 0

    def add_message(
        self,
        ticket_id: str,
        content: str,
        *,
        sender_type: str = "customer",
        sender_name: str | None = None,
        message_type: str = "ExternalMessage",
        attachments: list[dict[str, str]] | None = None,
        created_at: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Append a message (by default a customer reply) to a ticket's thread."""
        ticket = self._by_id[ticket_id]
        message = self._coerce_message(
            {
                "content": content,
                "senderType": sender_type,
                "senderName": sender_name,
                "messageType": message_type,
                "attachments": attachments or [],
                "createdAt": created_at or self.now(),
            },
            self.now(),
        )
        ticket["messages"].append(message)
        ticket["updatedAt"] = max(ticket["updatedAt"], message["createdAt"])
        self._changed("message.created", ticket, message)
        return message

    # What happens in Mava while the bridge watches (live ticket threads): the customer
    # writes, an agent answers or notes in the dashboard, an agent changes the ticket.

    def customer_writes(
        self, ticket_id: str, content: str, *, attachments: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """The customer writes again: a customer message named as the ticket's customer
        (Discord handle, else name; None when Mava knows no name). On a resolved ticket
        what happens is `customer_on_resolved`'s (Mava's docs do not say): "reopen" it
        (status Open, as an agent would), "append" (it stays resolved) or "new_ticket"
        (a new open ticket for the same customer holds the message; its `ticketId`)."""
        ticket = self._by_id[ticket_id]
        handles = [u["name"] for u in ticket["discordUsers"] if u.get("name")]
        customer = self.customers.get(ticket["customer"] or "")
        name = handles[0] if handles else (customer.name if customer else None)
        if ticket["status"] == "Resolved" and self.customer_on_resolved == "reopen":
            self.update(ticket_id, status="Open")
        elif ticket["status"] == "Resolved" and self.customer_on_resolved == "new_ticket":
            fresh = self.add_ticket(
                customer=ticket["customer"],
                sourceType=ticket["sourceType"],
                discordUsers=ticket["discordUsers"],
                messages=[],
            )
            message = self.add_message(
                fresh["_id"], content, sender_name=name, attachments=attachments
            )
            return {**message, "ticketId": fresh["_id"]}
        return self.add_message(ticket_id, content, sender_name=name, attachments=attachments)

    def agent_writes(
        self,
        ticket_id: str,
        content: str,
        *,
        agent: str,
        note: bool = False,
        attachments: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """An agent (id, name or email) replies to the customer in the dashboard, or with
        `note` writes a private note (InternalNote)."""
        name = self.agents[self._agent_ref(agent)].name
        return self.add_message(
            ticket_id,
            content,
            sender_type="agent",
            sender_name=name,
            message_type="InternalNote" if note else "ExternalMessage",
            attachments=attachments,
        )
