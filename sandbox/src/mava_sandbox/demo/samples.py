"""The demo's samples: tickets worth trying (`$T1 $T2 $T3 $HIGH`), the Slack messages
the shortcuts act on, and typed text as Slack delivers it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import StubUser

JSON = dict[str, Any]

SAMPLE_AUTHOR: Final = "U0SAM"
OPEN_STATUSES: Final = ("Open", "Pending", "Waiting")


@dataclass(frozen=True)
class Samples:
    """Tickets worth trying and the Slack messages the shortcuts act on: Sam's question
    about a ticket (note, create) and Sam's draft answer to its customer (reply)."""

    open_tickets: tuple[str, ...]
    high_unassigned: str
    message: JSON
    draft: JSON

    def message_for(self, shortcut: str) -> JSON:
        """What `shortcut note|reply|create` is run on: a reply goes to the customer, so it
        is run on words meant for them."""
        return self.draft if shortcut == "reply" else self.message

    @property
    def noted_ticket(self) -> str:
        """The ticket the sample message links to (where `shortcut note` lands)."""
        return self.open_tickets[1]

    def placeholders(self) -> dict[str, str]:
        names = {f"$T{n}": ticket for n, ticket in enumerate(self.open_tickets, start=1)}
        return {**names, "$HIGH": self.high_unassigned}

    def expand(self, line: str) -> str:
        for name, ticket in sorted(self.placeholders().items(), key=lambda kv: -len(kv[0])):
            line = re.sub(re.escape(name) + r"\b", ticket, line, flags=re.IGNORECASE)
        return line


_URL = re.compile(r"https?://\S+?(?=[.,;:!?)]*(?:\s|$))")
_MENTION = re.compile(r"(?<![\w<&])@([A-Za-z0-9._-]+)")


def as_slack_sends(text: str, users: Iterable[StubUser]) -> str:
    """Command text the way Slack delivers it with `should_escape` (see manifest.yml):
    `&<>` escaped, links wrapped, and `@jane` turned into `<@U0JANE|jane>` for members."""
    by_name: dict[str, StubUser] = {}
    for user in users:
        names = [user.name, user.display_name, (user.real_name or "").split(" ")[0]]
        for name in names:
            if name:
                by_name.setdefault(name.lower(), user)

    def mention(match: re.Match[str]) -> str:
        user = by_name.get(match.group(1).lower())
        return f"<@{user.id}|{user.name}>" if user else match.group(0)

    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    linked = _URL.sub(lambda m: f"<{m.group(0)}>", escaped)
    return _MENTION.sub(mention, linked)


def slack_ts() -> str:
    return f"{time.time():.6f}"


def pick_samples(sandbox: MavaSandbox, ticket_url: Callable[[str], str]) -> Samples:
    """Three recent open tickets and one unassigned High one; created if the seed lacks them
    (e.g. `--tickets 0`), so the banner's suggestions always work."""

    def usable(ticket: JSON) -> bool:
        return ticket["status"] in OPEN_STATUSES and ticket["sourceType"] != "telegram-group"

    newest_first = [t for t in reversed(sandbox.tickets) if usable(t)]
    high = next((t for t in newest_first if t["priority"] == 3 and t["assignedTo"] is None), None)
    if high is None:
        high = sandbox.add_ticket(
            priority=3, messages=["Our whole team is locked out since this morning!"]
        )
    others = [t["_id"] for t in newest_first if t["_id"] != high["_id"]][:3]
    while len(others) < 3:
        others.append(sandbox.add_ticket(messages=["Where is my order?"])["_id"])
    link = ticket_url(others[1])
    question = (
        f"The customer on <{link}> says the refund still hasn't arrived after 5 days. "
        "I checked Stripe: it was issued on the 3rd &amp; is pending at their bank."
    )
    draft = (
        "Hi! Your refund was issued on the 3rd and is on its way: banks take 5 to 7 business "
        "days to show it. If it hasn't arrived by Friday, reply here &amp; we'll chase it "
        f"with them for you. (Your ticket: {others[1]})"
    )
    return Samples(tuple(others), high["_id"], _message(question), _message(draft))


def _message(text: str) -> JSON:
    return {
        "type": "message",
        "user": SAMPLE_AUTHOR,
        "ts": slack_ts(),
        "team": "T0001",
        "text": text,
    }
