"""The reply / note editor: `/mava reply TICKET` with no text, and the Reply / Add note
buttons (on cards, digests and App Home)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack import blocks as b
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import VIEW_NOTE, VIEW_REPLY
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import admit, metadata, problem
from mava_bridge.slack.listeners.modal import LoadingModal


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
