"""The `/mava` slash command: parse, then a table from each command class to its
handler, answered before any access check (UNCHECKED) or once `admit` let the person in
(CHECKED)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Final, cast

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.business_hours import BusinessHours
from mava_bridge.domain.ticket_refs import short_tail
from mava_bridge.services.outcome import Outcome
from mava_bridge.services.ticket_actions import Assignee
from mava_bridge.services.tickets import list_filter
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import (
    Asked,
    Body,
    admit,
    say_error,
    say_outcome,
    told,
)
from mava_bridge.slack.listeners.compose import open_compose
from mava_bridge.slack.listeners.create import open_create_modal
from mava_bridge.slack.listeners.follows import handle_follow_command
from mava_bridge.slack.listeners.subscriptions import (
    handle_subscription,
    list_subscriptions,
    report_now,
)

log = logging.getLogger("mava_bridge.slack.commands")


# A handler takes the request, its command (the tables pair each class with its handler)
# and, once access is checked, the person.
Unchecked = Callable[[Asked, Any], Awaitable[None]]
Checked = Callable[[Asked, Any, SlackPerson], Awaitable[None]]


async def run_command(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    command = parse(body.get("text") or "")
    name = type(command).__name__
    outcome = "ok"
    try:
        command = await with_whole_id(deps, command)
        await handle(Asked(deps, body, answer, client), command)
    except Denied as exc:
        outcome = "refused"  # audited where it was refused (`admit`)
        await say_error(answer, exc.user_message)
    except Exception as exc:
        outcome = "error"
        await say_error(answer, told(exc, log, f"command {name}"))
    finally:
        deps.metrics.observe_slack_request("command", name, outcome)


async def with_whole_id(deps: Deps, command: cmd.Command | cmd.Usage) -> cmd.Command | cmd.Usage:
    """The command with a short id as lists show it (`…562460`) made the whole id."""
    ticket = getattr(command, "ticket", None)
    if not isinstance(ticket, str) or short_tail(ticket) is None:
        return command
    whole = await deps.tickets.whole_id(ticket)
    # Every command with a `ticket` is a dataclass with that field (slack.command.model).
    return cast(cmd.Command, replace(cast(Any, command), ticket=whole))


async def handle(asked: Asked, command: cmd.Command | cmd.Usage) -> None:
    early = _unchecked(command)
    if early is not None:
        await early(asked, command)
        return
    action, ticket_id = type(command).__name__.lower(), getattr(command, "ticket", None)
    user_id, body = asked.body["user_id"], asked.body
    person = await admit(
        asked.deps, user_id, asked.channel_id, action, ticket_id, via="/mava", body=body
    )
    await CHECKED[type(command)](asked, command, person)


def _unchecked(command: cmd.Command | cmd.Usage) -> Unchecked | None:
    """The handler of a command answered before any access check, if it is one."""
    if isinstance(command, cmd.Reply | cmd.Note):
        # The editor opens before the access check: a slow users.info must not let
        # the trigger id expire. It checks access itself before showing the ticket.
        return _editor if command.text is None else None
    return UNCHECKED.get(type(command))


async def _usage(asked: Asked, command: cmd.Usage) -> None:
    await asked.answer(text=b.usage_text(command), blocks=b.usage_blocks(command))


async def _help(asked: Asked, command: cmd.Help) -> None:
    await asked.answer(text=b.help_text(), blocks=b.help_blocks())


async def _create(asked: Asked, command: cmd.Create) -> None:
    trigger_id = asked.body["trigger_id"]
    await open_create_modal(
        asked.deps, asked.client, asked.answer, trigger_id, command.email, text=command.text
    )


async def _editor(asked: Asked, command: cmd.Reply | cmd.Note) -> None:
    trigger_id = asked.body["trigger_id"]
    await open_compose(asked.deps, asked.client, asked.answer, trigger_id, command, "/mava")


async def _show(asked: Asked, command: cmd.Show, person: SlackPerson) -> None:
    deps = asked.deps
    ticket = await deps.tickets.ticket(command.ticket)
    await asked.answer(
        text=b.ticket_card_text(ticket),
        blocks=b.ticket_card(
            ticket, ticket_url=deps.link(ticket.id), now=deps.clock(), follow=True
        ),
    )


async def _categories(asked: Asked, command: cmd.ListCategories, person: SlackPerson) -> None:
    categories = await asked.deps.tickets.categories(fresh=True)
    await asked.answer(text=b.categories_text(categories), blocks=b.categories_list(categories))


async def _sla(asked: Asked, command: cmd.SlaShow) -> None:
    said = "SLA policy:\n" + "\n".join((await asked.deps.actions.sla.current()).describe())
    await asked.answer(text=said, blocks=b.notice_blocks(said))


async def _sla_change(
    asked: Asked, command: cmd.SlaSet | cmd.SlaHours, person: SlackPerson
) -> None:
    policies, who = asked.deps.actions.sla, asked.actor(person)
    if isinstance(command, cmd.SlaSet):
        await asked.told(policies.set_targets(who, command.priorities, dict(command.targets)))
        return
    zone = command.zone or policies.zone
    hours = BusinessHours(command.days, command.start, command.end, zone)
    await asked.told(policies.set_hours(who, hours))


async def _notify(asked: Asked, command: cmd.Notify, person: SlackPerson) -> None:
    """Whether a person gets a DM when a ticket becomes theirs."""
    if asked.deps.set_notify is None:
        await say_error(asked.answer, "Assignment DMs are not set up in this bridge.")
        return
    await asked.deps.set_notify(person.id, command.enabled)
    if command.enabled:
        sentence = (
            "You will get a DM when a ticket is assigned to you (in Slack or in Mava). "
            "Turn it off with /mava notify off."
        )
    else:
        sentence = (
            "No more DMs when a ticket is assigned to you. Turn them back on with /mava notify on."
        )
    await say_outcome(asked.answer, Outcome("ok", sentence))


async def _reply(asked: Asked, command: cmd.Reply, person: SlackPerson) -> None:
    assert command.text is not None  # without text it opened the editor (`_unchecked`)
    await asked.told(asked.writes.reply(asked.actor(person), command.ticket, command.text))


async def _note(asked: Asked, command: cmd.Note, person: SlackPerson) -> None:
    assert command.text is not None  # without text it opened the editor (`_unchecked`)
    await asked.told(asked.writes.note(asked.actor(person), command.ticket, command.text))


async def _status(asked: Asked, command: cmd.SetStatus, person: SlackPerson) -> None:
    await asked.told(asked.writes.set_status(asked.actor(person), command.ticket, command.status))


async def _priority(asked: Asked, command: cmd.SetPriority, person: SlackPerson) -> None:
    who = asked.actor(person)
    await asked.told(asked.writes.set_priority(who, command.ticket, command.priority))


async def _category(asked: Asked, command: cmd.SetCategory, person: SlackPerson) -> None:
    await asked.told(asked.writes.set_category(asked.actor(person), command.ticket, command.name))


async def _assign(asked: Asked, command: cmd.Assign, person: SlackPerson) -> None:
    assignee = await assignee_for(asked.deps, command.target, person)
    await asked.told(asked.writes.assign(asked.actor(person), command.ticket, assignee))


async def _identify(asked: Asked, command: cmd.Identify, person: SlackPerson) -> None:
    who = asked.actor(person)
    await asked.told(asked.deps.actions.customers.identify(who, command.email, command.attributes))


async def assignee_for(
    deps: Deps, target: cmd.AssignTarget, person: SlackPerson
) -> Assignee | None:
    """Who `me`, `@user` or `none` means (None: nobody)."""
    if isinstance(target, cmd.Unassign):
        return None
    who = person if isinstance(target, cmd.AssignMe) else await deps.access.person(target.user_id)
    return Assignee(who.name, who.email, is_bot=who.is_bot, user_id=who.id)


async def list_tickets(asked: Asked, command: cmd.ListTickets, person: SlackPerson) -> None:
    deps = asked.deps
    mine = None
    if command.assignee == "mine":
        mine = await deps.tickets.agent_for_email(person.email, who="You")
    wanted = list_filter(
        command.statuses, command.assignee, command.origins, command.high_only, mine
    )
    listing = await deps.tickets.list_tickets(wanted)
    words = [s.value.lower() for s in wanted.statuses]
    if command.assignee != "any":
        words.append(command.assignee)
    words += [str(o) for o in command.origins]
    if command.high_only:
        words.append("high priority")
    description = " · ".join(words)
    await asked.answer(
        text=b.ticket_list_text(listing.total, description),
        blocks=b.ticket_list(
            listing.tickets,
            total=listing.total,
            description=description,
            link=deps.link,
            now=deps.clock(),
        ),
    )


# Answered without an access check: usage and help; the SLA policy; the channel's
# subscriptions (it changes nothing and shows no ticket data, and it is where people look
# when Slack refuses the bot, when profile lookups fail too); and what opens a modal,
# which checks access itself once open (the trigger id expires in 3 s).
UNCHECKED: Final[dict[type[cmd.Command | cmd.Usage], Unchecked]] = {
    cmd.Usage: _usage,
    cmd.Help: _help,
    cmd.ListSubscriptions: list_subscriptions,
    cmd.SlaShow: _sla,
    cmd.Create: _create,
}
# Every other command the grammar makes, after `admit`.
CHECKED: Final[dict[type[cmd.Command | cmd.Usage], Checked]] = {
    cmd.Show: _show,
    cmd.ListTickets: list_tickets,
    cmd.ListCategories: _categories,
    cmd.SubscribeDigest: handle_subscription,
    cmd.SubscribeAlerts: handle_subscription,
    cmd.SubscribeReminders: handle_subscription,
    cmd.SubscribeBreaches: handle_subscription,
    cmd.SlaSet: _sla_change,
    cmd.SlaHours: _sla_change,
    cmd.SubscribeRatings: handle_subscription,
    cmd.SubscribeReport: handle_subscription,
    cmd.ReportNow: report_now,
    cmd.Unsubscribe: handle_subscription,
    cmd.DigestNow: handle_subscription,
    cmd.Notify: _notify,
    cmd.Follow: handle_follow_command,
    cmd.Unfollow: handle_follow_command,
    cmd.ThreadNotes: handle_follow_command,
    cmd.Reply: _reply,
    cmd.Note: _note,
    cmd.SetStatus: _status,
    cmd.SetPriority: _priority,
    cmd.SetCategory: _category,
    cmd.Assign: _assign,
    cmd.Identify: _identify,
}
