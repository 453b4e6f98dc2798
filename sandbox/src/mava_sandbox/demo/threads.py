"""Demo lines for live ticket threads: what happens in Mava while Slack follows a ticket
(`customer TICKET TEXT`, `dashboard TICKET key=value ...`) and the Slack thread of a
ticket's card (`thread TICKET`).

Pure helpers over the sandbox and the stub; `DemoSession` runs them, shows the Mava diff,
then lets the bot's thread sync run once so the thread update is on screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final, cast

from mava_bridge.domain.ticket_refs import ending_with, is_object_id, short_tail
from mava_sandbox.mava_seed import PRIORITY_LABELS, STATUSES
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import SlackStub

JSON = dict[str, Any]

DASHBOARD_FIELDS: Final = ("status", "priority", "category", "assignee")
DASHBOARD_USAGE: Final = (
    "Say e.g. `dashboard $T1 status=Pending priority=High assignee=Omar category=Billing` "
    "(none clears priority, category or assignee)."
)
_NONE: Final = frozenset({"none", "null", "-", "unassigned", "nobody"})
_KEY: Final = re.compile(r"(?:^|\s)([A-Za-z]+)=")
_TICKET_ID: Final = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])", re.IGNORECASE)


def find_ticket(sandbox: MavaSandbox, token: str) -> str:
    """The ticket a demo argument names: its id, or its short id in any form a list,
    Home or a card shows it (`…562460`, `#562460`, `562460`). Raises ValueError with the
    sentence to show."""
    ids = [str(t["_id"]) for t in sandbox.tickets]
    whole = token.strip().lower()
    if is_object_id(whole):
        found = [whole] if whole in ids else []
    elif short_tail(token) is not None:
        found = ending_with(token, ids)
    else:
        raise ValueError(f"'{token}' is not a ticket id (try $T1).")
    if not found:
        raise ValueError(f"No ticket {token} in the sandbox.")
    if len(found) > 1:
        raise ValueError(f"{token} fits {len(found)} tickets: give more of the id.")
    return str(found[0])


def parse_changes(sandbox: MavaSandbox, text: str) -> dict[str, Any]:
    """`status=Resolved priority=3 assignee=Omar category=Bug report` → the keyword
    arguments of `MavaSandbox.dashboard`. Values may hold spaces (up to the next
    `key=`) or be quoted. Raises ValueError with the sentence to show."""
    keys = list(_KEY.finditer(text))
    if not keys or text[: keys[0].start()].strip():
        raise ValueError(DASHBOARD_USAGE)
    changes: dict[str, Any] = {}
    for number, match in enumerate(keys):
        end = keys[number + 1].start() if number + 1 < len(keys) else len(text)
        key = match.group(1).lower()
        value = text[match.end() : end].strip().strip("\"'")
        if key not in DASHBOARD_FIELDS:
            raise ValueError(f"The dashboard changes {', '.join(DASHBOARD_FIELDS)}, not {key}.")
        if not value:
            raise ValueError(f"{key}= needs a value. {DASHBOARD_USAGE}")
        changes[key] = _value(sandbox, key, value)
    return changes


def _value(sandbox: MavaSandbox, key: str, value: str) -> Any:
    folded = value.casefold()
    if key == "status":
        status = next((s for s in STATUSES if s.casefold() == folded), None)
        if status is None:
            raise ValueError(f"status is one of {', '.join(STATUSES)}.")
        return status
    if folded in _NONE:
        return None
    if key == "priority":
        by_label = {label.casefold(): level for level, label in PRIORITY_LABELS.items()}
        level = by_label.get(folded) or (int(value) if value in ("1", "2", "3") else None)
        if level is None:
            raise ValueError("priority is 1-3, Low, Medium, High or none.")
        return level
    if key == "category":
        names = [c.name for c in sandbox.categories.values() if c.active]
        return _one(value, names, {n: n for n in names}, "category")
    people: dict[str, str] = {}
    for agent in sandbox.agents.values():
        for name in (agent.name, agent.name.split(" ")[0], agent.email, agent.email.split("@")[0]):
            people.setdefault(name.casefold(), agent.name)
    return _one(value.removeprefix("@"), list(people), people, "agent")


def _one(value: str, names: list[str], meaning: dict[str, str], what: str) -> str:
    """The one name `value` is (exactly, else as a unique prefix), case-insensitively."""
    folded = value.casefold()
    exact = {meaning[n] for n in names if n.casefold() == folded}
    found = exact or {meaning[n] for n in names if n.casefold().startswith(folded)}
    if len(found) != 1:
        known = sorted({meaning[n] for n in names})
        raise ValueError(f"No single {what} '{value}'. Known: {', '.join(known)}.")
    return found.pop()


def find_cards(stub: SlackStub, ticket_id: str) -> list[tuple[str, JSON]]:
    """Per channel, the bot's top-level card of `ticket_id` (a message naming that ticket
    and no other, so not a digest) that a thread hangs off: the newest one with
    replies, else the newest one. (channel, message) pairs."""
    cards = []
    for channel in stub.channels():
        about = [
            m
            for m in stub.messages(channel)
            if m.get("bot_id") == stub.bot_id
            and m.get("thread_ts") in (None, m["ts"])
            and _tickets_named(m) == {ticket_id.lower()}
        ]
        if about:
            threaded = [m for m in about if m.get("reply_count")]
            cards.append((channel, (threaded or about)[-1]))
    return cards


def _tickets_named(message: JSON) -> set[str]:
    shown = json.dumps([message.get("text"), message.get("blocks")])
    return {found.lower() for found in _TICKET_ID.findall(shown)}


def thread_sync(runtime: Any) -> Callable[[], Awaitable[object]] | None:
    """One pass of the bridge's thread sync, if this build has one: the scheduler's job
    (`delivery.scheduler.run_threads`, which on the demo's SQLite always leads), else
    `delivery.threads.sync_once`. The demo stack runs no scheduler, so the demo runs one
    pass after each line that changes Mava."""
    delivery = getattr(runtime, "delivery", None)
    job = getattr(getattr(delivery, "scheduler", None), "run_threads", None)
    if callable(job):
        return cast("Callable[[], Awaitable[object]]", job)
    once = getattr(getattr(delivery, "threads", None), "sync_once", None)
    return cast("Callable[[], Awaitable[object]]", once) if callable(once) else None


__all__ = [
    "DASHBOARD_FIELDS",
    "DASHBOARD_USAGE",
    "find_cards",
    "find_ticket",
    "parse_changes",
    "thread_sync",
]
