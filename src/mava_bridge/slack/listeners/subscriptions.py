"""`/mava subscribe | subscriptions | unsubscribe | digest`: what a channel gets."""

from __future__ import annotations

from mava_bridge.mava.errors import MavaError
from mava_bridge.services.outcome import ServiceError
from mava_bridge.services.subscription_actions import NO_CHANNEL
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import SlackPerson
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import Asked

SubscriptionCommand = (
    cmd.SubscribeDigest
    | cmd.SubscribeAlerts
    | cmd.SubscribeReminders
    | cmd.SubscribeBreaches
    | cmd.SubscribeRatings
    | cmd.SubscribeReport
    | cmd.Unsubscribe
    | cmd.DigestNow
)


async def handle_subscription(
    asked: Asked, command: SubscriptionCommand, person: SlackPerson
) -> None:
    if not asked.channel_id:
        raise ServiceError(NO_CHANNEL)
    actions = asked.deps.actions.subscriptions
    who = asked.actor(person)
    if isinstance(command, cmd.DigestNow):
        outcome = await actions.digest_now(who)
    elif isinstance(command, cmd.SubscribeDigest):
        outcome = await actions.subscribe_digest(who, command.schedule, command.filters)
    elif isinstance(command, cmd.SubscribeAlerts):
        outcome = await actions.subscribe_alerts(who, command.filters)
    elif isinstance(command, cmd.SubscribeReminders):
        outcome = await actions.subscribe_reminders(who, command.wait_minutes, command.filters)
    elif isinstance(command, cmd.SubscribeBreaches):
        outcome = await actions.subscribe_breaches(who, command.filters)
    elif isinstance(command, cmd.SubscribeRatings):
        outcome = await actions.subscribe_ratings(who, command.values)
    elif isinstance(command, cmd.SubscribeReport):
        outcome = await actions.subscribe_report(who, command.schedule, command.days)
    else:
        outcome = await actions.unsubscribe(who, command.id)
    await asked.answer(text=outcome.message, blocks=b.success_blocks(outcome.message))


async def list_subscriptions(asked: Asked, command: cmd.ListSubscriptions) -> None:
    """What this channel gets, and how its last delivery went."""
    if not asked.channel_id:
        raise ServiceError(NO_CHANNEL)
    deps = asked.deps
    views = await deps.subscriptions.list_for_channel(asked.channel_id)
    missing, unchecked = await _missing_categories(deps, views)
    await asked.answer(
        text=b.subscriptions_text(views), blocks=b.subscriptions_list(views, missing, unchecked)
    )


async def _missing_categories(
    deps: Deps, views: list[ActiveSubscription]
) -> tuple[list[tuple[str, ...]], str | None]:
    """Per subscription, its category names Mava no longer has active; and, when Mava's
    categories cannot be read, the sentence that says so (nothing is guessed)."""
    none: list[tuple[str, ...]] = [() for _ in views]
    if not any(view.filters.categories for view in views):
        return none, None
    try:
        active = [c.name for c in await deps.tickets.categories(fresh=True)]
    except MavaError as exc:
        return none, (
            f"Mava's categories could not be read ({exc.user_message}), so the category "
            "filters above were not checked."
        )
    return [view.filters.missing_categories(active) for view in views], None


async def report_now(asked: Asked, command: cmd.ReportNow, person: SlackPerson) -> None:
    """`/mava report`: posted in the channel (the chart is a file, which needs one), so
    the team sees the same numbers; the one who asked hears how it went."""
    if not asked.channel_id:
        raise ServiceError(NO_CHANNEL)
    sentence = f"Building the report of the last {command.days} days; it is posted here."
    await asked.answer(text=sentence, blocks=b.notice_blocks(sentence))
    problem = await asked.deps.reports(asked.channel_id, command.days)
    if problem is not None:
        raise ServiceError(problem)
