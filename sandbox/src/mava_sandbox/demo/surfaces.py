"""What the demo has shown with buttons (messages, ephemerals, modals, App Home), so
`click LABEL` can press one that Slack would still show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass
class Surface:
    """Something shown with buttons, so `click` can press one of them."""

    kind: str  # "message", "ephemeral" or "modal"
    blocks: list[JSON]
    channel: str | None = None
    ts: str | None = None
    view: JSON | None = None
    # Why Slack no longer shows it (None while it does): a click on it is refused, as
    # Slack offers no such button, instead of sending what the bot would ignore.
    gone: str | None = None

    def same_place(self, other: Surface) -> bool:
        """Both are versions of one message or one modal."""
        if self.kind != other.kind or self.kind == "ephemeral":
            return False
        if self.kind == "message":
            return (self.channel, self.ts) == (other.channel, other.ts)
        return (self.view or {}).get("id") == (other.view or {}).get("id")


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str | None
    surface: Surface
    url: str | None = None  # a link button: Slack opens it and still sends the action


def buttons(surface: Surface) -> list[Button]:
    found = []
    for block in surface.blocks:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                label = str((element.get("text") or {}).get("text") or "")
                action_id, value = str(element.get("action_id")), element.get("value")
                found.append(Button(label, action_id, value, surface, element.get("url")))
    return found
