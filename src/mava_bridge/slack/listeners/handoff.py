"""The one shape of a listener: ack, then hand the work to `deps.inflight`, written once.

Bolt runs a listener before it answers Slack (`process_before_response`), so a listener
only acks and hands its work on. The work is a module-level function taking plain
arguments (importable and testable alone); `register(app, deps)` binds it with one of
the makers below, one line per listener. Bolt passes arguments by name, so the
listeners made here name theirs as Bolt does (`ack`, `body`, `respond`, `client`).

Bolt's lazy listeners are not used: they run in tasks of their own, outside InFlight,
so a SIGTERM would not drain them and a command not started would not be told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.observability.metrics import SlackKind
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import answer_for

Body = dict[str, Any]
# Work after an ack: a command's, a button's, a shortcut's.
Work = Callable[[Deps, Body, Answer, AsyncWebClient], Coroutine[Any, Any, None]]
# Work of an event (Bolt acks an event itself when its listener returns).
EventWork = Callable[[Deps, AsyncWebClient, Body], Coroutine[Any, Any, None]]
# A view submission: its ack carries the modal's answer (errors, the next view), so it
# acks itself, and returns the work to run after the ack, if any.
Later = Coroutine[Any, Any, object]
Submission = Callable[[Deps, AsyncAck, Body, AsyncWebClient], Awaitable[Later | None]]
AnswerFor = Callable[[AsyncWebClient, Body, AsyncRespond | None], Answer]
Listener = Callable[..., Awaitable[None]]


def after_ack(
    deps: Deps,
    kind: str,
    work: Work,
    *,
    answer: AnswerFor = answer_for,
    counted: SlackKind | None = None,
) -> Listener:
    """A listener that acks, then runs `work` in InFlight under the name `kind`; with
    `counted`, the request is counted as received (under its callback id) at the ack."""

    async def listener(
        ack: AsyncAck, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        if counted is not None:
            deps.metrics.observe_slack_request(counted, str(body["callback_id"]), "received")
        deps.inflight.spawn(work(deps, body, answer(client, body, respond), client), name=kind)

    return listener


def on_event(deps: Deps, kind: str, work: EventWork) -> Listener:
    """An event listener running `work` in InFlight: events need no ack call."""

    async def listener(body: Body, client: AsyncWebClient) -> None:
        deps.inflight.spawn(work(deps, client, body), name=kind)

    return listener


def submission(deps: Deps, submitted: Submission) -> Listener:
    """A view-submission listener: `submitted` acks (with the modal's answer) itself;
    the work it returns runs in InFlight."""

    async def listener(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        work = await submitted(deps, ack, body, client)
        if work is not None:
            deps.inflight.spawn(work, name="view")

    return listener


async def only_ack(ack: AsyncAck) -> None:
    """A click with nothing to do here (a link button) still needs its ack."""
    await ack()


def dm_answer(client: AsyncWebClient, body: Body, respond: AsyncRespond | None = None) -> Answer:
    """The person who acted, told by direct message (App Home has no channel, nor a
    response_url)."""
    return Answer(client, str((body.get("user") or {}).get("id") or ""))
