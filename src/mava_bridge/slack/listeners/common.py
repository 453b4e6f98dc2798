"""The one shape of a listener, and what listeners share: the access check, telling.

Bolt runs a listener before it answers Slack (`process_before_response`), so a listener
acks and hands its work, a module-level function taking plain arguments, to
`deps.inflight`. Bolt's lazy listeners are not used: they run outside InFlight, so a
SIGTERM would not drain them and a command not started would not be told.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError
from mava_bridge.observability.metrics import SlackKind
from mava_bridge.services.outcome import Actor, Outcome, ServiceError
from mava_bridge.services.ticket_actions import TicketActions
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import slack_error

log = logging.getLogger("mava_bridge.slack")

Body = dict[str, Any]
# Work after an ack: a command's, a button's, a shortcut's.
Work = Callable[[Deps, Body, Answer, AsyncWebClient], Coroutine[Any, Any, None]]
# An event's work, returning the outcome counted (Bolt acks an event when its listener returns).
EventWork = Callable[[Deps, AsyncWebClient, Body], Coroutine[Any, Any, str]]
# A view submission acks itself (the ack carries the modal's errors or next view) and
# returns the work to run after the ack, if any.
Later = Coroutine[Any, Any, object]
Submission = Callable[[Deps, AsyncAck, Body, AsyncWebClient], Awaitable[Later | None]]
AnswerFor = Callable[[AsyncWebClient, Body, AsyncRespond | None], Answer]
Listener = Callable[..., Awaitable[None]]
View = dict[str, Any]

OUR_SIDE = "Something went wrong on our side; nothing more was done."
NOTHING_DONE = "Something went wrong on our side; nothing was done."


def answer_for(client: AsyncWebClient, body: Body, respond: AsyncRespond | None = None) -> Answer:
    """Where to tell whoever sent `body` (a slash command or an interaction payload)."""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return Answer(client, str(user), str(channel) if channel else None, respond)


def dm_answer(client: AsyncWebClient, body: Body, respond: AsyncRespond | None = None) -> Answer:
    """By direct message: App Home has no channel, nor a response_url."""
    return Answer(client, str((body.get("user") or {}).get("id") or ""))


# Bolt passes a listener's arguments by name, so the listeners below name theirs as Bolt does.
def after_ack(
    deps: Deps,
    kind: str,
    work: Work,
    *,
    answer: AnswerFor = answer_for,
    counted: SlackKind | None = None,
) -> Listener:
    """Ack, then run `work` in InFlight as `kind`; with `counted`, the request is counted
    as received (under its callback id) at the ack."""

    async def listener(
        ack: AsyncAck, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        if counted is not None:
            deps.metrics.observe_slack_request(counted, str(body["callback_id"]), "received")
        deps.inflight.spawn(work(deps, body, answer(client, body, respond), client), name=kind)

    return listener


def on_event(deps: Deps, kind: str, work: EventWork) -> Listener:
    """Run `work` in InFlight and count its outcome under the event's subtype, else type."""

    async def counted(client: AsyncWebClient, body: Body) -> None:
        outcome = "ignored"
        try:
            outcome = await work(deps, client, body)
        finally:
            event = body.get("event") or {}
            name = str(event.get("subtype") or event.get("type"))
            deps.metrics.observe_slack_request("event", name, outcome)

    async def listener(body: Body, client: AsyncWebClient) -> None:
        deps.inflight.spawn(counted(client, body), name=kind)

    return listener


def submission(deps: Deps, submitted: Submission) -> Listener:
    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        work = await submitted(deps, ack, body, client)
        if work is not None:
            deps.inflight.spawn(work, name="view")

    return listener


async def only_ack(ack: AsyncAck) -> None:
    """A click with nothing to do here (a link button) still needs its ack."""
    await ack()


def actor(person: SlackPerson, channel_id: str | None) -> Actor:
    return Actor(person.id, person.name, person.email, channel_id)


@dataclass(frozen=True)
class Asked:
    """One `/mava` request: what Slack sent, and who to tell."""

    deps: Deps
    body: Body
    answer: Answer
    client: AsyncWebClient

    @property
    def channel_id(self) -> str | None:
        return self.body.get("channel_id")

    def actor(self, person: SlackPerson) -> Actor:
        return actor(person, self.channel_id)

    @property
    def writes(self) -> TicketActions:
        return self.deps.actions.tickets

    async def told(self, outcome: Awaitable[Outcome]) -> None:
        await say_outcome(self.answer, await outcome)


async def admit(
    deps: Deps,
    user_id: str,
    channel_id: str | None,
    action: str,
    ticket_id: str | None,
    *,
    via: str,
    body: Body | None = None,
) -> SlackPerson:
    """The person, if they may act; else the refusal is audited and `Denied` raised.

    Every door checks here, so every refused attempt leaves one audit row naming the
    door (`via`) and the user name `body` gives.
    """
    try:
        return await deps.access.require(user_id)
    except Denied as exc:
        body = body or {}
        name = body.get("user_name") or (body.get("user") or {}).get("username")
        who = Actor(user_id, name, None, channel_id)
        await deps.actions.auditor.refused(who, action, ticket_id, via=via, reason=exc.user_message)
        raise


async def admit_submitter(
    deps: Deps, body: Body, action: str, ticket_id: str | None
) -> SlackPerson:
    """`admit` for whoever submitted a modal (its channel is in the view's metadata)."""
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = read_metadata(body["view"]).get("channel")
    return await admit(deps, user_id, channel_id, action, ticket_id, via="modal", body=body)


def warned(
    logger: logging.Logger,
    exc: BaseException,
    what: str,
    level: int = logging.WARNING,
    **extra: object,
) -> str:
    """Log a failed Slack call as "`what` (Slack's error)"; the error."""
    error = slack_error(exc)
    logger.log(level, "%s (%s)", what, error, extra={"error": error, **extra})
    return error


async def permalink(client: AsyncWebClient, channel: str | None, ts: str | None) -> str | None:
    """The message's permalink; None if Slack will not give it (what needs it goes on)."""
    if not channel or not ts:
        return None
    try:
        response = await client.chat_getPermalink(channel=channel, message_ts=ts)
        return str(response["permalink"])
    except Exception as exc:
        warned(log, exc, "permalink lookup failed")
        return None


async def read_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at `ts` with its metadata, whether in a channel or a thread: the
    thread read bounded to that one ts (a reply's ts answers that reply, or its whole
    thread; either way only `ts` is kept), None if Slack will not show it."""
    try:
        page = await client.conversations_replies(
            channel=channel,
            ts=ts,
            oldest=ts,
            latest=ts,
            inclusive=True,
            include_all_metadata=True,
            limit=2,  # a thread's root may come first whatever the bounds
        )
    except Exception as exc:
        warned(log, exc, "message not read")
        return None
    found = [m for m in page.get("messages") or [] if isinstance(m, dict) and m.get("ts") == ts]
    return found[0] if found else None


async def shared_outside(client: AsyncWebClient, channel_id: str) -> bool:
    """Whether the channel is (or may be) shared with another organisation. One Slack
    will not describe counts as shared: no ticket data goes there."""
    try:
        info = await client.conversations_info(channel=channel_id)
    except Exception as exc:
        warned(log, exc, "conversations.info failed")
        return True
    channel = info.get("channel") or {}
    return bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))


def as_outcome(exc: Exception) -> Outcome:
    """An expected failure as the outcome to show; a bug is raised again."""
    sentence = problem(exc)
    if sentence is None:
        raise exc
    return Outcome("error", sentence)


async def show_result(
    deps: Deps, client: AsyncWebClient, body: Body, title: str, outcome: Outcome
) -> None:
    """A submission's outcome in its modal, counted. If the modal was closed meanwhile,
    the person is told another way, or they would submit it again."""
    view = body["view"]
    deps.metrics.observe_slack_request("view", view["callback_id"], outcome.kind)
    icon = ":white_check_mark:" if outcome.ok else ":warning:"
    try:
        await client.views_update(
            view_id=view["id"], view=b.result_modal(title, f"{icon} {outcome.message}")
        )
    except Exception as exc:
        warned(log, exc, "views.update failed")
        user = str((body.get("user") or {}).get("id") or "")
        await say_outcome(Answer(client, user, read_metadata(view).get("channel")), outcome)


async def open_modal(
    client: AsyncWebClient,
    answer: Answer,
    trigger_id: str,
    title: str,
    instead: str,
    fill: Callable[[], Awaitable[View | str]],
    failed: str = NOTHING_DONE,
) -> bool:
    """Open a loading modal at once (a trigger id expires 3 s after the click), then show
    what `fill` makes after the slow look-ups: a view, or a sentence ending the modal.

    When Slack will not open or update it, the person is told, with `instead`: the text
    command that does the same. False when the modal did not open.
    """
    try:
        opened = await client.views_open(
            trigger_id=trigger_id, view=b.result_modal(title, "Loading…")
        )
    except Exception as exc:
        error = warned(log, exc, "views.open failed")
        await say_error(
            answer,
            f"Slack could not open the “{title}” window ({error}), so nothing was "
            f"done. To do the same without it, type: {instead}",
        )
        return False
    crash: Exception | None = None
    try:
        view = await fill()
    except Exception as exc:
        view = problem(exc) or failed
        crash = None if problem(exc) else exc
    if isinstance(view, str):
        shown, otherwise = b.result_modal(title, view), view
    else:
        shown = view
        otherwise = (
            f"Slack could not show the “{title}” window, so nothing was done. "
            f"To do the same without it, type: {instead}"
        )
    try:
        await client.views_update(view_id=str(opened["view"]["id"]), view=shown)
    except Exception as exc:
        warned(log, exc, "views.update failed")
        await say_error(answer, otherwise)
    if crash is not None:
        raise crash
    return True


async def say_error(answer: Answer, sentence: str) -> None:
    """An ephemeral error; `sentence` is plain text (escaped here)."""
    await answer(text=b.error_text(sentence), blocks=b.error_blocks(sentence))


async def say_outcome(answer: Answer, outcome: Outcome) -> None:
    builder = b.success_blocks if outcome.ok else b.error_blocks
    if outcome.kind == "unchanged":
        builder = b.notice_blocks
    fallback = b.success_text if outcome.ok else b.error_text
    await answer(text=fallback(outcome.message), blocks=builder(outcome.message))


def problem(exc: BaseException) -> str | None:
    """The user sentence of an expected failure, or None for a bug."""
    if isinstance(exc, MavaError | ServiceError | Denied):
        return exc.user_message
    return None


def told(exc: BaseException, logger: logging.Logger, what: str, fallback: str = OUR_SIDE) -> str:
    """The sentence to tell of a failure: an expected one's, else `fallback` (a bug,
    logged with its traceback as "`what` failed")."""
    sentence = problem(exc)
    if sentence is None:
        logger.exception("%s failed", what)
    return sentence or fallback


def metadata(**values: str | None) -> str:
    return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


def read_metadata(view: View) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
