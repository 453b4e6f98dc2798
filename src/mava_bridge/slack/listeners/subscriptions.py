"""`/mava subscribe | subscriptions | unsubscribe | digest`: what a channel gets."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.services.errors import ServiceError
from mava_bridge.services.subscriptions import SubscriptionError
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.execution import audit

SubscriptionCommand = (
    cmd.SubscribeDigest
    | cmd.SubscribeAlerts
    | cmd.ListSubscriptions
    | cmd.Unsubscribe
    | cmd.DigestNow
)


async def handle_subscription(
    deps: Deps,
    command: SubscriptionCommand,
    person: SlackPerson,
    channel_id: str | None,
    answer: Answer,
    client: AsyncWebClient,
) -> None:
    if deps.subscriptions is None or deps.digests is None or not channel_id:
        raise ServiceError("Digests and alerts are not available in this process.")
    subs = deps.subscriptions
    if isinstance(command, cmd.ListSubscriptions):
        await list_subscriptions(deps, channel_id, answer)
        return
    if isinstance(command, cmd.DigestNow):
        result = await deps.digests.post(channel_id)
        sentence = f"Digest {result.describe()}."
        if not result.ok:
            raise ServiceError(sentence)
        await audit(deps, client, person, channel_id, "digest", None, sentence, "ok")
        await answer(text=sentence, blocks=b.success_blocks(sentence))
        return
    try:
        if isinstance(command, cmd.SubscribeDigest):
            row = await subs.add_digest(channel_id, command.schedule, command.filters, person.id)
            sentence = (
                f"Subscribed: this channel gets a digest {command.schedule.describe()} "
                f"({row.timezone}) of {command.filters.describe()}. "
                f"Remove it with /mava unsubscribe {row.id}."
            )
            action, summary = "subscribe", f"digest #{row.id}: {command.schedule.cron}"
        elif isinstance(command, cmd.SubscribeAlerts):
            row = await subs.add_alerts(channel_id, command.filters, person.id)
            sentence = (
                f"Subscribed: this channel gets alerts for new {command.filters.describe()}. "
                f"Remove it with /mava unsubscribe {row.id}."
            )
            action, summary = "subscribe", f"alerts #{row.id}: {command.filters.describe()}"
        else:
            if not await subs.remove(channel_id, command.id):
                raise ServiceError(
                    f"This channel has no subscription #{command.id}. "
                    "`/mava subscriptions` lists them."
                )
            sentence = f"Unsubscribed #{command.id}."
            action, summary = "unsubscribe", f"#{command.id}"
    except SubscriptionError as exc:
        raise ServiceError(str(exc)) from exc
    await audit(deps, client, person, channel_id, action, None, summary, "ok")
    await answer(text=sentence, blocks=b.success_blocks(sentence))


async def list_subscriptions(deps: Deps, channel_id: str | None, answer: Answer) -> None:
    """`/mava subscriptions`: what this channel gets, and how its last delivery went."""
    if deps.subscriptions is None or not channel_id:
        raise ServiceError("Digests and alerts are not available in this process.")
    views = await deps.subscriptions.list_for_channel(channel_id)
    if not views:
        sentence = (
            "This channel gets no digests or alerts. Add one with "
            "`/mava subscribe digest` or `/mava subscribe alerts`."
        )
        await answer(text=sentence, blocks=[_section(t.escape(sentence))])
        return
    lines = [f"• {t.escape(view.describe())}" for view in views]
    header = f"*This channel gets {len(views)} subscription(s):*"
    await answer(text=header, blocks=[_section("\n".join([header, *lines]))])


def _section(mrkdwn: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:3000]}}
