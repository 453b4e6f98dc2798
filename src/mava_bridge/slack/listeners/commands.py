"""The `/mava` slash command: parse, check who is asking, call a service, answer."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, cast

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import short_tail
from mava_bridge.services.outcome import Outcome
from mava_bridge.services.ticket_actions import Assignee
from mava_bridge.services.tickets import list_filter
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import VIEW_NOTE, VIEW_REPLY
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import (
    actor,
    admit,
    metadata,
    problem,
    say_error,
    say_outcome,
)
from mava_bridge.slack.listeners.create import open_create_modal
from mava_bridge.slack.listeners.desk import handle_notify
from mava_bridge.slack.listeners.follows import handle_follow_command
from mava_bridge.slack.listeners.handoff import after_ack
from mava_bridge.slack.listeners.modal import LoadingModal
from mava_bridge.slack.listeners.subscriptions import handle_subscription, list_subscriptions

log = logging.getLogger("mava_bridge.slack.commands")


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/mava")(after_ack(deps, "command", run_command))


async def run_command(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    command = parse(body.get("text") or "")
    name = type(command).__name__
    outcome = "ok"
    try:
        command = await with_whole_id(deps, command)
        await handle(deps, command, body, answer, client)
    except Denied as exc:
        outcome = "refused"  # audited where it was refused (`admit`)
        await say_error(answer, exc.user_message)
    except Exception as exc:
        sentence = problem(exc)
        outcome = "error"
        if sentence is None:
            log.exception("command failed", extra={"command": name})
            sentence = "Something went wrong on our side; nothing more was done."
        await say_error(answer, sentence)
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


async def handle(
    deps: Deps,
    command: cmd.Command | cmd.Usage,
    body: dict[str, Any],
    answer: Answer,
    client: AsyncWebClient,
) -> None:
    if isinstance(command, cmd.Usage):
        await answer(text=b.usage_text(command), blocks=b.usage_blocks(command))
        return
    if isinstance(command, cmd.Help):
        await answer(text=b.help_text(), blocks=b.help_blocks())
        return
    if isinstance(command, cmd.ListSubscriptions):
        # No access check: it changes nothing and shows no ticket data, and it is where
        # people look when Slack refuses the bot, when profile lookups fail too.
        await list_subscriptions(deps, body.get("channel_id"), answer)
        return
    channel_id: str | None = body.get("channel_id")
    if isinstance(command, cmd.Create):  # the modal opens first, then checks access
        await open_create_modal(
            deps, client, answer, body["trigger_id"], command.email, text=command.text
        )
        return
    if isinstance(command, cmd.Reply | cmd.Note) and command.text is None:
        # The editor opens before the access check: a slow users.info must not let
        # the trigger id expire. It checks access itself before showing the ticket.
        await open_compose(deps, client, answer, body["trigger_id"], command, channel_id, "/mava")
        return
    person = await admit(
        deps,
        user_id=body["user_id"],
        user_name=body.get("user_name"),
        channel_id=channel_id,
        action=type(command).__name__.lower(),
        ticket_id=getattr(command, "ticket", None),
        via="/mava",
    )
    if isinstance(command, cmd.Show):
        ticket = await deps.tickets.ticket(command.ticket)
        await answer(
            text=b.ticket_card_text(ticket),
            blocks=b.ticket_card(
                ticket, ticket_url=deps.link(ticket.id), now=deps.clock(), follow=True
            ),
        )
        return
    if isinstance(command, cmd.ListTickets):
        await list_tickets(deps, command, person, answer)
        return
    if isinstance(command, cmd.ListCategories):
        categories = await deps.tickets.categories(fresh=True)
        await answer(text=b.categories_text(categories), blocks=b.categories_list(categories))
        return
    if isinstance(
        command,
        cmd.SubscribeDigest
        | cmd.SubscribeAlerts
        | cmd.SubscribeReminders
        | cmd.ListSubscriptions
        | cmd.Unsubscribe
        | cmd.DigestNow,
    ):
        await handle_subscription(deps, command, person, channel_id, answer)
        return
    if isinstance(command, cmd.Notify):
        await handle_notify(deps, command, person, answer)
        return
    if isinstance(command, cmd.Follow | cmd.Unfollow | cmd.ThreadNotes):
        await handle_follow_command(deps, command, person, channel_id, answer, client)
        return
    await write_command(deps, command, person, channel_id, answer)


async def write_command(
    deps: Deps,
    command: cmd.Command,
    person: SlackPerson,
    channel_id: str | None,
    answer: Answer,
) -> None:
    """Commands that change something in Mava: the ticket actions do them (once, audited)."""
    actions = deps.actions.tickets
    who = actor(person, channel_id)
    outcome: Outcome
    if isinstance(command, cmd.Reply) and command.text is not None:
        outcome = await actions.reply(who, command.ticket, command.text)
    elif isinstance(command, cmd.Note) and command.text is not None:
        outcome = await actions.note(who, command.ticket, command.text)
    elif isinstance(command, cmd.SetStatus):
        outcome = await actions.set_status(who, command.ticket, command.status)
    elif isinstance(command, cmd.SetPriority):
        outcome = await actions.set_priority(who, command.ticket, command.priority)
    elif isinstance(command, cmd.SetCategory):
        outcome = await actions.set_category(who, command.ticket, command.name)
    elif isinstance(command, cmd.Assign):
        assignee = await assignee_for(deps, command.target, person)
        outcome = await actions.assign(who, command.ticket, assignee)
    elif isinstance(command, cmd.Identify):
        outcome = await actions.identify(who, command.email, command.attributes)
    else:  # pragma: no cover - the grammar only produces the commands handled above
        raise AssertionError(f"unhandled command {command!r}")
    await say_outcome(answer, outcome)


async def assignee_for(
    deps: Deps, target: cmd.AssignTarget, person: SlackPerson
) -> Assignee | None:
    """Who `me`, `@user` or `none` means (None: nobody)."""
    if isinstance(target, cmd.Unassign):
        return None
    who = person if isinstance(target, cmd.AssignMe) else await deps.access.person(target.user_id)
    return Assignee(who.name, who.email, is_bot=who.is_bot, user_id=who.id)


async def list_tickets(
    deps: Deps, command: cmd.ListTickets, person: SlackPerson, answer: Answer
) -> None:
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
    await answer(
        text=b.ticket_list_text(listing.total, description),
        blocks=b.ticket_list(
            listing.tickets,
            total=listing.total,
            description=description,
            link=deps.link,
            now=deps.clock(),
        ),
    )


async def open_compose(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    trigger_id: str,
    command: cmd.Reply | cmd.Note,
    channel_id: str | None,
    via: str,
) -> None:
    """`/mava reply TICKET` with no text (or a Reply / Add note button): an editor
    showing the ticket. Opened first, then access is checked and the ticket loaded."""
    is_note = isinstance(command, cmd.Note)
    verb = "note" if is_note else "reply"
    title = "Add a private note" if is_note else "Reply to customer"
    modal = LoadingModal(client, answer, title, f"/mava {verb} {command.ticket} your text")
    if not await modal.open(trigger_id):
        return
    try:
        await admit(
            deps,
            user_id=answer.user_id,
            channel_id=channel_id,
            action=verb,
            ticket_id=command.ticket,
            via=via,
        )
        ticket = await deps.tickets.ticket(command.ticket)
    except Exception as exc:
        sentence = problem(exc)
        await modal.finish(sentence or "Something went wrong loading the ticket.")
        if sentence is None:
            raise
        return
    view = b.compose_modal(
        callback_id=VIEW_NOTE if is_note else VIEW_REPLY,
        title=title,
        ticket=ticket,
        ticket_id=ticket.id,
        ticket_editable=False,
        private_metadata=metadata(ticket=ticket.id, channel=channel_id),
        submit_label="Add note" if is_note else "Send",
        now=deps.clock(),
    )
    await modal.show(view)
