"""What a demo line changed in Mava: a cheap snapshot of the sandbox before and after,
and the difference as the demo shows it (field changes, new messages, customers)."""

from __future__ import annotations

from dataclasses import dataclass

from mava_sandbox.demo.render import Change, CustomerChange, FieldChange, NewMessage, TicketChange
from mava_sandbox.mava_seed import PRIORITY_LABELS
from mava_sandbox.mava_server import MavaSandbox


@dataclass(frozen=True)
class _TicketState:
    status: str
    priority: int | None
    category: str | None
    assignee: str | None
    message_ids: frozenset[str]


@dataclass(frozen=True)
class Snapshot:
    """The parts of the sandbox a demo line can change, cheap enough to take every line."""

    tickets: dict[str, _TicketState]
    # customer id -> (who, attribute name -> content)
    customers: dict[str, tuple[str, dict[str, str]]]


def snapshot(sandbox: MavaSandbox) -> Snapshot:
    tickets = {
        t["_id"]: _TicketState(
            t["status"],
            t["priority"],
            t["category"],
            t["assignedTo"],
            frozenset(m["_id"] for m in t["messages"]),
        )
        for t in sandbox.tickets
    }
    customers = {
        c.id: (c.email or c.name or c.id, {a["name"]: a["content"] for a in c.attributes})
        for c in sandbox.customers.values()
    }
    return Snapshot(tickets, customers)


def _customer_changes(before: Snapshot, after: Snapshot) -> list[CustomerChange]:
    changes = []
    for customer_id, (who, now) in after.customers.items():
        old = before.customers.get(customer_id)
        was = old[1] if old else {}
        fields = tuple(
            FieldChange(name, was.get(name, "–"), now.get(name, "–"))
            for name in sorted(set(was) | set(now))
            if was.get(name) != now.get(name)
        )
        if old is None or fields:
            changes.append(CustomerChange(who, old is None, fields))
    return changes


def diff(sandbox: MavaSandbox, before: Snapshot, after: Snapshot) -> list[Change]:
    """What a line changed. Mava's own "Status changed ..." system messages are left out:
    the field changes say the same thing."""

    def priority(value: int | None) -> str:
        return PRIORITY_LABELS.get(value, str(value)) if value is not None else "none"

    def category(value: str | None) -> str:
        found = sandbox.categories.get(value or "")
        return found.name if found else "none"

    def agent(value: str | None) -> str:
        found = sandbox.agents.get(value or "")
        return found.name if found else "Unassigned"

    changes: list[Change] = []
    for ticket_id, now in after.tickets.items():
        old = before.tickets.get(ticket_id)
        fields: list[FieldChange] = []
        if old is not None:
            pairs = (
                ("status", old.status, now.status),
                ("priority", priority(old.priority), priority(now.priority)),
                ("category", category(old.category), category(now.category)),
                ("assignee", agent(old.assignee), agent(now.assignee)),
            )
            fields = [FieldChange(n, a, b) for n, a, b in pairs if a != b]
        added = now.message_ids - (old.message_ids if old else frozenset())
        record = sandbox.get(ticket_id)
        messages = [
            NewMessage(m["messageType"], m["senderType"], m["content"])
            for m in (record["messages"] if record else [])
            if m["_id"] in added and m["senderType"] != "system"
        ]
        if old is None or fields or messages:
            changes.append(TicketChange(ticket_id, old is None, tuple(fields), tuple(messages)))
    return [*changes, *_customer_changes(before, after)]
