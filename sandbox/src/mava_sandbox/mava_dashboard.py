"""Direct controls for tests, simulating the Mava dashboard: add and change tickets,
with the audit notes Mava writes for the audited fields.
"""

from __future__ import annotations

from bisect import insort
from datetime import datetime, timedelta
from typing import Any

from mava_sandbox.mava_directory import DirectoryMixin
from mava_sandbox.mava_rules import (
    AUDITED,
    DASHBOARD_FIELDS,
    PRIORITY_BY_LABEL,
    as_datetime,
    is_priority,
    normalize_fields,
    pairs_from_any,
)
from mava_sandbox.mava_seed import (
    MESSAGE_TYPES,
    ORIGINS,
    PRIORITY_LABELS,
    STATUSES,
    TicketRecord,
    ms_between,
)


class DashboardMixin(DirectoryMixin):
    """Tickets added and changed as an agent or admin would in the dashboard."""

    def _change_note(self, key: str, old: Any, new: Any) -> str:
        if key == "status":
            return f"Status changed from {old} to {new}"
        if key == "priority":
            if new is None:
                return "Priority removed"
            if old is None:
                return f"Priority set to {PRIORITY_LABELS[new]}"
            return f"Priority changed from {PRIORITY_LABELS[old]} to {PRIORITY_LABELS[new]}"
        if key == "category":
            return f"Category set to {self.categories[new].name}" if new else "Category removed"
        return f"Assigned to {self.agents[new].name}" if new else "Unassigned"

    def _apply_audited(self, ticket: TicketRecord, changes: dict[str, Any]) -> bool:
        """Apply status/priority/category/assignee changes the way Mava does: only real
        changes count, and each leaves a system message in the thread."""
        now = self.now()
        changed = False
        for key in AUDITED:
            if key not in changes or changes[key] == ticket[key]:
                continue
            note = self._change_note(key, ticket[key], changes[key])
            ticket[key] = changes[key]
            ticket["messages"].append(self._message(now, note, "system", "InternalNote"))
            changed = True
            if key == "status":
                resolved = changes[key] == "Resolved"
                ticket["resolutionTime"] = (
                    ms_between(ticket["createdAt"], now) if resolved else None
                )
        if changed:
            ticket["updatedAt"] = now
            self._changed("ticket.updated", ticket)
        return changed

    # --- Direct controls for tests (simulating the Mava dashboard) ----------------------

    def add_ticket(self, **fields: Any) -> TicketRecord:
        """Store a ticket as if created in Mava; returns the stored dict.

        Fields use API names or snake_case (`status`, `priority`, `sourceType`,
        `assignedTo` agent id, `category` id, `tags` ids, `csat` 1-5, `customer` id
        or {name, email, attributes: {label: value}} or None, `createdAt`,
        `messages` as strings (customer messages) or dicts). Unknown fields raise
        ValueError. No one-open-ticket check: tests may want odd states.
        """
        given = normalize_fields(fields)
        created = as_datetime(given.pop("createdAt", self.now()), "createdAt")
        source = given.get("sourceType", "web")
        ticket: TicketRecord = {
            "_id": self.new_id(created),
            "createdAt": created,
            "updatedAt": created,
            "status": "Open",
            "priority": 2,
            "sourceType": source,
            "resolutionTime": None,
            "assignedTo": None,
            "category": None,
            "tags": [],
            "csat": None,
            "aiStatus": None if source == "telegram-group" else "escalated",
            "discordUsers": [],
            "attributes": [],
            "customer": None,
            "messages": [],
        }
        if "customer" not in given and source != "telegram-group":
            ticket["customer"] = self.add_customer(name="Sandbox Customer").id
        if "messages" not in given:
            given["messages"] = ["Hello, I need some help with my account."]
        for key, value in given.items():
            ticket[key] = self._coerce(key, value, created)
        if ticket["status"] == "Resolved" and "resolutionTime" not in given:
            ticket["resolutionTime"] = max(0, ms_between(created, self.now()))
        if "updatedAt" not in given:
            times = [m["createdAt"] for m in ticket["messages"]]
            ticket["updatedAt"] = max([created, *times])
        return self._store_new(ticket)

    def update(self, ticket_id: str, **fields: Any) -> TicketRecord:
        """Change a ticket as an agent in the Mava dashboard would.

        status/priority/category/assignedTo changes behave as through the API
        (system message, updatedAt, resolutionTime); other fields are set as given.
        Raises KeyError for an unknown ticket and ValueError for a bad field.
        """
        ticket = self._by_id[ticket_id]
        given = normalize_fields(fields)
        given.pop("_id", None)
        coerced = {
            key: self._coerce(key, value, ticket["createdAt"]) for key, value in given.items()
        }
        audited = {key: coerced.pop(key) for key in AUDITED if key in coerced}
        self._apply_audited(ticket, audited)
        if "createdAt" in coerced:  # keep the list sorted by creation time
            self.tickets.remove(ticket)
            ticket["createdAt"] = coerced.pop("createdAt")
            insort(self.tickets, ticket, key=lambda t: (t["createdAt"], t["_id"]))
        ticket.update(coerced)
        if coerced and "updatedAt" not in coerced:
            ticket["updatedAt"] = self.now()
        return ticket

    def rate(self, ticket_id: str, value: int | None) -> TicketRecord:
        """The customer rates the ticket 1-5 (None takes the rating back). Whether
        updatedAt moves is the switch `rating_touches_updated`."""
        kept = (
            {}
            if self.rating_touches_updated
            else {"updatedAt": self._by_id[ticket_id]["updatedAt"]}
        )
        return self.update(ticket_id, csat=value, **kept)

    def set_priority(self, ticket_id: str, priority: int | None) -> TicketRecord:
        return self.update(ticket_id, priority=priority)

    def dashboard(self, ticket_id: str, **changes: Any) -> TicketRecord:
        """An agent changes the ticket in the dashboard: `status` (Resolved sets
        resolutionTime, any other status after it reopens), `priority` (1-3, "High"... or
        None), `category` (name or id, None removes it), `assignee` (agent name, email or
        id; None unassigns). Each real change leaves its system message and bumps
        updatedAt, as through the API."""
        unknown = set(changes) - DASHBOARD_FIELDS
        if unknown:
            raise ValueError(f"the dashboard cannot change {sorted(unknown)}")
        return self.update(ticket_id, **changes)

    def _coerce(self, key: str, value: Any, created: datetime) -> Any:
        """Validate one add_ticket/update field and convert it to its stored form."""
        if key == "priority" and isinstance(value, str):
            value = PRIORITY_BY_LABEL.get(value.casefold(), value)
        if key == "status" and value not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if key == "priority" and value is not None and not is_priority(value):
            raise ValueError("priority must be 1, 2, 3 or None")
        if key == "sourceType" and value not in ORIGINS:
            raise ValueError(f"sourceType must be one of {ORIGINS}")
        if key == "assignedTo" and value is not None:
            return self._agent_ref(value)
        if key == "category" and value is not None:
            return self._category_ref(value)
        if key == "tags":
            unknown = [t for t in value if t not in self.tags]
            if unknown:
                raise ValueError(f"unknown tags {unknown}")
            return list(value)
        if key == "csat":
            rating = value.get("value") if isinstance(value, dict) else value
            if rating is not None and rating not in (1, 2, 3, 4, 5):
                raise ValueError("csat must be 1-5 or None")
            return rating
        if key in ("createdAt", "updatedAt"):
            return as_datetime(value, key)
        if key == "customer":
            return self._coerce_customer(value)
        if key == "attributes":
            return self._attributes(pairs_from_any(value))
        if key == "messages":
            step = timedelta(seconds=1)  # default times keep the given order
            return [self._coerce_message(m, created + step * i) for i, m in enumerate(value)]
        return value

    def _agent_ref(self, value: Any) -> str:
        """An agent's id from its id, name or email (as the dashboard's picker finds it)."""
        wanted = str(value).casefold()
        for agent in self.agents.values():
            if wanted in (agent.id.casefold(), agent.name.casefold(), agent.email.casefold()):
                return agent.id
        raise ValueError(f"unknown agent {value!r}")

    def _category_ref(self, value: Any) -> str:
        """A category's id from its id or name."""
        wanted = str(value).casefold()
        for category in self.categories.values():
            if wanted in (category.id.casefold(), category.name.casefold()):
                return category.id
        raise ValueError(f"unknown category {value!r}")

    def _coerce_customer(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            if value not in self.customers:
                raise ValueError(f"unknown customer {value!r}")
            return value
        if isinstance(value, dict):
            attributes = value.get("attributes") or {}
            customer = self.add_customer(
                name=value.get("name"),
                email=value.get("email"),
                wallet_address=value.get("walletAddress"),
                attributes=dict(pairs_from_any(attributes)),
            )
            return customer.id
        raise ValueError("customer must be a customer id, a dict or None")

    def _coerce_message(self, value: Any, default_time: datetime) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"content": value}
        if not isinstance(value, dict):
            raise ValueError("a message must be a string or a dict")
        at = as_datetime(value.get("createdAt", default_time), "message createdAt")
        sender_type = value.get("senderType", "customer")
        message_type = value.get("messageType", "ExternalMessage")
        if sender_type not in ("customer", "agent", "system"):
            raise ValueError("senderType must be customer, agent or system")
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"messageType must be one of {MESSAGE_TYPES}")
        return {
            "_id": value.get("_id") or self.new_id(at),
            "content": value.get("content", ""),
            "senderType": sender_type,
            "senderName": value.get("senderName"),
            "messageType": message_type,
            "createdAt": at,
            "attachments": [dict(a) for a in value.get("attachments") or []],
        }
