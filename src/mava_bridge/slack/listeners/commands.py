"""The `/mava` slash command: parse, check who is asking, call a service, answer."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.models import Agent, Priority
from mava_bridge.services.errors import ServiceError
from mava_bridge.services.tickets import list_filter
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import VIEW_NOTE, VIEW_REPLY
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.execution import admit, run_action
from mava_bridge.slack.listeners.common import (
    answer_for,
    metadata,
    problem,
    say_error,
    say_outcome,
    ticket_mention,
)
from mava_bridge.slack.listeners.modal import LoadingModal
from mava_bridge.slack.listeners.subscriptions import handle_subscription, list_subscriptions

log = logging.getLogger("mava_bridge.slack.commands")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/mava")
    async def mava(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        answer = answer_for(client, body, respond)
        deps.inflight.spawn(run_command(deps, body, answer, client), name="command")


async def run_command(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    command = parse(body.get("text") or "")
    name = type(command).__name__
    outcome = "ok"
    try:
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
        if deps.metrics:
            deps.metrics.observe_slack_request("command", name, outcome)


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
    if isinstance(command, cmd.Reply | cmd.Note) and command.text is None:
        # The editor opens before the access check: a slow users.info must not let
        # the trigger id expire. It checks access itself before showing the ticket.
        await open_compose(deps, client, answer, body["trigger_id"], command, channel_id, "/mava")
        return
    person = await admit(
        deps,
        client,
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
            blocks=b.ticket_card(ticket, ticket_url=deps.link(ticket.id), now=deps.clock()),
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
        | cmd.ListSubscriptions
        | cmd.Unsubscribe
        | cmd.DigestNow,
    ):
        await handle_subscription(deps, command, person, channel_id, answer, client)
        return
    await write_command(deps, command, body, person, channel_id, answer, client)


async def write_command(
    deps: Deps,
    command: cmd.Command,
    body: dict[str, Any],
    person: SlackPerson,
    channel_id: str | None,
    answer: Answer,
    client: AsyncWebClient,
) -> None:
    """Commands that change something in Mava: once, audited."""
    tickets = deps.tickets
    ticket_id: str | None = getattr(command, "ticket", None)
    dedupe: tuple[str, ...]
    link = ticket_mention(deps, ticket_id) if ticket_id else ""

    if isinstance(command, cmd.Reply) and command.text is not None:
        text = command.text

        async def write() -> str:
            await tickets.reply(ticket_id or "", text)
            return f"Sent to the customer on ticket {link}."

        action, summary, dedupe = "reply", text, (text,)
    elif isinstance(command, cmd.Note) and command.text is not None:
        note_text = command.text

        async def write() -> str:
            await tickets.note(ticket_id or "", note_text, author=person.name)
            return f"Private note added to ticket {link}."

        action, summary, dedupe = "note", note_text, (note_text,)
    elif isinstance(command, cmd.SetStatus):
        status = command.status

        async def write() -> str:
            await tickets.set_status(ticket_id or "", status)
            return f"Ticket {link} is now {status.value}."

        action, summary, dedupe = "status", f"status -> {status.value}", (status.value,)
    elif isinstance(command, cmd.SetPriority):
        priority = command.priority

        async def write() -> str:
            await tickets.set_priority(ticket_id or "", priority)
            return f"Ticket {link} now has {Priority(priority).label} priority."

        action, summary, dedupe = "priority", f"priority -> {priority.label}", (str(priority),)
    elif isinstance(command, cmd.SetCategory):
        wanted = command.name
        # Match before claiming, so a typo gets the list of names without a write.
        category = await tickets.category_named(wanted)

        async def write() -> str:
            await tickets.set_category(ticket_id or "", category)
            return f"Ticket {link} is now in category {category.name}."

        action, summary, dedupe = "category", f"category -> {category.name}", (category.id,)
    elif isinstance(command, cmd.Assign):
        agent, who = await resolve_assignee(deps, command.target, person)

        async def write() -> str:
            await tickets.assign(ticket_id or "", agent)
            if agent is None:
                return f"Ticket {link} is now unassigned."
            return f"Ticket {link} is now assigned to {who}."

        target = agent.id if agent else "none"
        action, summary, dedupe = "assign", f"assign -> {who}", (target,)
    elif isinstance(command, cmd.Identify):
        email, attributes = command.email, command.attributes

        async def write() -> str:
            await tickets.identify(email, attributes)
            labels = ", ".join(label for label, _ in attributes)
            return f"Updated {len(attributes)} attribute(s) ({labels}) for {email}."

        pairs = "; ".join(f"{k}={v}" for k, v in attributes)
        action, summary, dedupe = "identify", f"{email}: {pairs}", (email, pairs)
    else:  # pragma: no cover - the grammar only produces the commands handled above
        raise AssertionError(f"unhandled command {command!r}")

    outcome = await run_action(
        deps,
        client,
        person=person,
        channel_id=channel_id,
        action=action,
        ticket_id=ticket_id,
        summary=summary,
        dedupe=dedupe,
        write=write,
        # Setting a status/priority/category/assignee twice is harmless (Mava ignores a
        # value it already has), and "resolve, reopen, resolve" must not look like a repeat.
        repeatable=isinstance(
            command, cmd.SetStatus | cmd.SetPriority | cmd.SetCategory | cmd.Assign
        ),
    )
    await say_outcome(answer, outcome)


async def resolve_assignee(
    deps: Deps, target: cmd.AssignTarget, person: SlackPerson
) -> tuple[Agent | None, str]:
    """(Mava agent or None, a name to show) for `me`, `@user` or `none`."""
    if isinstance(target, cmd.Unassign):
        return None, "nobody"
    if isinstance(target, cmd.AssignMe):
        who = person
    else:
        who = await deps.access.person(target.user_id)
        if who.is_bot:
            raise ServiceError("Bots can't be assigned tickets.")
    agent = await deps.tickets.agent_for_email(who.email, who=who.name)
    return agent, agent.display_name


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
            client,
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
