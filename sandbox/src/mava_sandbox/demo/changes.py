"""What changed in Mava between two snapshots, drawn for the demo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

# --- What changed in Mava ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    name: str  # "status", "priority", "category", "assignee"
    old: str
    new: str


@dataclass(frozen=True)
class NewMessage:
    message_type: str  # ExternalMessage (the customer sees it) or InternalNote
    sender_type: str
    content: str


@dataclass(frozen=True)
class TicketChange:
    ticket_id: str
    created: bool = False
    fields: tuple[FieldChange, ...] = ()
    messages: tuple[NewMessage, ...] = ()


@dataclass(frozen=True)
class CustomerChange:
    customer: str  # email, else name, else id
    created: bool = False
    attributes: tuple[FieldChange, ...] = ()


Change = TicketChange | CustomerChange

_MESSAGE_LABELS: Final = {
    "ExternalMessage": "ExternalMessage (the customer sees it)",
    "InternalNote": "InternalNote (agents only)",
}


def render_changes(changes: Sequence[Change], *, limit: int = 600) -> RenderableType:
    """The sandbox diff after one demo line: new tickets, messages, field changes and
    customer attributes."""
    if not changes:
        return Text("What changed in Mava: nothing.", "dim")
    lines: list[RenderableType] = []
    for change in changes:
        if isinstance(change, CustomerChange):
            head = Text.assemble(("customer ", "bold"), (change.customer, "bold cyan"))
            if change.created:
                head.append("  (new customer)", "green")
            lines.append(head)
            for item in change.attributes:
                line = Text(f"  attribute {item.name}: ")
                line.append(item.old, "red").append(" → ").append(item.new, "green")
                lines.append(line)
            continue
        head = Text.assemble(("ticket ", "bold"), (change.ticket_id, "bold cyan"))
        if change.created:
            head.append("  (new ticket)", "green")
        lines.append(head)
        for item in change.fields:
            line = Text(f"  {item.name}: ")
            line.append(item.old, "red").append(" → ").append(item.new, "green")
            lines.append(line)
        for message in change.messages:
            label = _MESSAGE_LABELS.get(message.message_type, message.message_type)
            content = (
                message.content
                if len(message.content) <= limit
                else (message.content[: limit - 1] + "…")
            )
            line = Text.assemble("  ", ("+ ", "green"), (label, "bold"))
            line.append(f" by {message.sender_type}: ", "dim").append(content)
            lines.append(line)
    return Panel(
        Group(*lines),
        title="What changed in Mava",
        title_align="left",
        border_style="green",
        box=box.ROUNDED,
    )
