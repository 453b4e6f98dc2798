"""The App Home tab: what is mine, what waits in the queue, what my channels get.

Slack allows 100 blocks in a Home view and a ticket takes two, so the lists are cut to
fit (the queue keeps a third of the room when it has tickets) and end in "and 42 more".
Buttons carry Home's own action ids, so Assign to me and Resolve redraw this Home; Follow
is a channel picker (Home has no channel of its own to follow a ticket in).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.waiting import waiting_since
from mava_bridge.mava.models import Ticket
from mava_bridge.slack import callback_ids as ids
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import common as kit
from mava_bridge.slack.blocks.common import Block

FOLLOW_BLOCK_PREFIX: Final = "home_follow:"
MAX_BLOCKS: Final = 100  # Slack's limit for a Home view
PER_TICKET: Final = 2


@dataclass(frozen=True)
class HomeModel:
    mine: Sequence[Ticket] = ()
    queue: Sequence[Ticket] = ()
    subscriptions: Sequence[tuple[str, str]] = ()  # (channel id, what it gets)
    no_agent: str | None = None  # why this person has no Mava agent (plain text)
    refused: str | None = None  # why this person may not see tickets (plain text)
    notice: str | None = None  # the outcome of their last button (plain text)
    channels_unknown: bool = False  # Slack would not say which channels they are in
    read_at: datetime | None = None
    stale: bool = False  # Mava could not be read: an older board (or none) is shown
    refresh_seconds: float = 60.0


def longest_waiting_first(tickets: Sequence[Ticket]) -> list[Ticket]:
    """Customers waiting longest first; answered tickets after them, oldest first."""

    def key(ticket: Ticket) -> tuple[int, float]:
        since = waiting_since(ticket)
        return (0, since.timestamp()) if since else (1, ticket.created_at.timestamp())

    return sorted(tickets, key=key)


def queue_order(tickets: Sequence[Ticket]) -> list[Ticket]:
    """High priority first, then oldest (a priority Mava gave in another form: last)."""

    def key(ticket: Ticket) -> tuple[int, float]:
        level = ticket.priority_level
        return (-(int(level) if level is not None else 0), ticket.created_at.timestamp())

    return sorted(tickets, key=key)


def _line(ticket: Ticket, link: Callable[[str], str], now: datetime) -> Block:
    facts = [kit.priority_badge(ticket), kit.status_label(ticket)]
    since = waiting_since(ticket)
    facts.append(f"waiting {t.age(since, now)}" if since else "answered")
    facts.append(kit.ticket_link(link(ticket.id), short_ref(ticket.id)))
    text = f"*{kit.customer_label(ticket, 150)}*\n" + " · ".join(facts)
    return kit.section(text, block_id=f"home_ticket:{ticket.id}")


def _buttons(ticket: Ticket, *, mine: bool) -> Block:
    value = ticket.id
    elements: list[dict[str, Any]] = []
    if not mine:
        elements.append(
            kit.button("Assign to me", ids.HOME_ASSIGN_ME, value=value, style="primary")
        )
    elements += [
        kit.button("Resolve", ids.HOME_RESOLVE, value=value),
        kit.button("Reply", ids.HOME_REPLY, value=value),
        kit.button("Add note", ids.HOME_NOTE, value=value),
        {
            "type": "conversations_select",
            "action_id": ids.HOME_FOLLOW,
            "placeholder": kit.plain_text("Follow in…", t.INPUT_PLACEHOLDER),
            # No channel shared with another organisation: ticket data stays inside.
            "filter": {
                "include": ["public", "private"],
                "exclude_external_shared_channels": True,
                "exclude_bot_users": True,
            },
        },
    ]
    return kit.actions(elements, block_id=f"{FOLLOW_BLOCK_PREFIX}{ticket.id}")


def ticket_of_follow_block(block_id: str) -> str | None:
    """The ticket whose "Follow in…" picker is in this block."""
    if not block_id.startswith(FOLLOW_BLOCK_PREFIX):
        return None
    return block_id.removeprefix(FOLLOW_BLOCK_PREFIX) or None


def _list(
    tickets: Sequence[Ticket],
    room: int,
    *,
    mine: bool,
    link: Callable[[str], str],
    now: datetime,
    dashboard: str,
) -> list[Block]:
    shown = tickets[:room]
    blocks: list[Block] = []
    for ticket in shown:
        blocks += [_line(ticket, link, now), _buttons(ticket, mine=mine)]
    if (more := len(tickets) - len(shown)) > 0:
        blocks.append(
            kit.context(f"and {more} more — {kit.ticket_link(dashboard, 'open in Mava')}")
        )
    return blocks


def home_view(
    model: HomeModel, *, link: Callable[[str], str], now: datetime, dashboard: str
) -> dict[str, Any]:
    top: list[Block] = [kit.header("Your Mava desk")]
    status = "Mava as of " + (kit.slack_date(model.read_at, "{time}") if model.read_at else "—")
    status += f" · kept for {int(model.refresh_seconds)} s"
    if model.stale:
        status += " · :warning: Mava could not be read just now; this may be out of date"
    top += [
        kit.context(status),
        kit.actions(
            [kit.button("Refresh", ids.HOME_REFRESH, value="refresh")], block_id="home_refresh"
        ),
    ]
    if model.notice:
        top.append(kit.section(t.escape_and_truncate(model.notice, 2000)))
    if model.refused:
        return _view([*top, kit.section(t.escape_and_truncate(model.refused, 2000))])
    bottom = _subscriptions(model)
    # Fixed blocks: top, two headers (+ an explanation each) and a "more" line each.
    room = (MAX_BLOCKS - len(top) - len(bottom) - 6) // PER_TICKET
    mine_room = min(len(model.mine), room - min(len(model.queue), room // 3))
    queue_room = min(len(model.queue), room - mine_room)
    body: list[Block] = [kit.divider(), kit.header(f"Assigned to me ({len(model.mine)})")]
    if model.no_agent:
        body.append(kit.section(t.escape_and_truncate(model.no_agent, 2000)))
    elif not model.mine:
        body.append(kit.context("Nothing open is assigned to you."))
    else:
        body += _list(model.mine, mine_room, mine=True, link=link, now=now, dashboard=dashboard)
    body += [kit.divider(), kit.header(f"Unassigned queue ({len(model.queue)})")]
    if not model.queue:
        body.append(kit.context("No open ticket waits for someone to take it."))
    else:
        body += _list(model.queue, queue_room, mine=False, link=link, now=now, dashboard=dashboard)
    return _view([*top, *body, *bottom])


def _subscriptions(model: HomeModel) -> list[Block]:
    blocks: list[Block] = [kit.divider(), kit.header("Subscriptions in your channels")]
    if model.channels_unknown:
        blocks.append(kit.context("Slack did not say which channels you are in just now."))
    elif not model.subscriptions:
        blocks.append(kit.context("None of your channels has a digest or alerts."))
    else:
        lines = [f"<#{channel}> · {t.escape(what)}" for channel, what in model.subscriptions]
        blocks.append(kit.section(kit.fit("\n".join(lines), t.SECTION_TEXT)))
    return blocks


def _view(blocks: list[Block]) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def home_text(model: HomeModel) -> str:
    return f"{len(model.mine)} assigned, {len(model.queue)} unassigned"
