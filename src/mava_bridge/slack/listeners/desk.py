"""`/mava notify off|on`: whether a person gets a DM when a ticket becomes theirs."""

from __future__ import annotations

from mava_bridge.services.outcome import Outcome
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import say_error, say_outcome


async def handle_notify(
    deps: Deps, command: cmd.Notify, person: SlackPerson, answer: Answer
) -> None:
    if deps.set_notify is None:
        await say_error(answer, "Assignment DMs are not set up in this bridge.")
        return
    await deps.set_notify(person.id, command.enabled)
    if command.enabled:
        sentence = (
            "You will get a DM when a ticket is assigned to you (in Slack or in Mava). "
            "Turn it off with /mava notify off."
        )
    else:
        sentence = (
            "No more DMs when a ticket is assigned to you. Turn them back on with /mava notify on."
        )
    await say_outcome(answer, Outcome("ok", sentence))
