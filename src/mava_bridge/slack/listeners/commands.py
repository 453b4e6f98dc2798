"""The `/mava` slash command: parse, check who is asking, call a service, answer."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, cast

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import short_tail
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.command_table import handle
from mava_bridge.slack.listeners.common import problem, say_error
from mava_bridge.slack.listeners.handoff import after_ack

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
