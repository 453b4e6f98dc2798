"""App Home: each person's desk (`views.publish`), drawn from the shared open-tickets
board (services.open_board), so opening Home, Refresh or a button costs no Mava search
while the board is fresh. Who may not act on tickets sees why, and no ticket; each of
their openings (or Refreshes) is one `refused` audit row.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Final

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.mava.models import Agent
from mava_bridge.services.open_board import BoardSnapshot
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import home as h
from mava_bridge.slack.callback_ids import HOME_RESOLVE
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import Body, actor, admit, shared_outside, told, warned
from mava_bridge.slack.listeners.follows import follow_here

log = logging.getLogger("mava_bridge.slack.home")

SHARED_CHANNEL: Final = (
    "That channel is shared with another organisation (or Slack would not describe it), "
    "so no ticket is followed there from Home."
)
# Channels read per Home (users.conversations pages of 200): enough for anyone.
MAX_CHANNEL_PAGES: Final = 5


async def home_opened(deps: Deps, client: AsyncWebClient, body: Body) -> str:
    event: dict[str, Any] = body.get("event") or {}
    if event.get("tab", "home") != "home" or not event.get("user"):
        return "ignored"  # the Messages tab: nothing to draw
    published = await publish(deps, client, str(event["user"]), door="home")
    return "ok" if published else "error"


async def refreshed(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    await publish(deps, client, answer.user_id, fresh_agents=True, door="refresh")


async def act_and_redraw(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """Assign to me / Resolve; the outcome is told on top of the redrawn Home."""
    action = body["actions"][0]
    ticket_id = str(action.get("value") or "")
    resolve = action["action_id"] == HOME_RESOLVE
    name = "resolve" if resolve else "assign"
    outcome = "error"
    try:
        person = await admit(deps, answer.user_id, None, name, ticket_id, via="App Home", body=body)
        # Once per rendering of Home: a double click on the same view is one write.
        where = "home:" + str((body.get("view") or {}).get("hash") or "")
        act = deps.actions.tickets.resolve if resolve else deps.actions.tickets.take
        done = await act(actor(person, None), ticket_id, submission=where)
        outcome, notice = done.kind, done.message
        if done.kind in ("ok", "unknown", "unchanged"):  # unchanged: the board was stale
            await _read_back(deps, ticket_id)
    except Exception as exc:
        notice = told(exc, log, "App Home button")
    finally:
        deps.metrics.observe_slack_request("action", f"home_{name}", outcome)
    await publish(deps, client, answer.user_id, notice=notice)


async def _read_back(deps: Deps, ticket_id: str) -> None:
    """Put the ticket as Mava has it now into the board; if Mava cannot say, Home shows
    the board as read (the outcome line says what was done)."""
    try:
        deps.board.update(await deps.tickets.ticket(ticket_id))
    except MavaError as exc:
        log.warning("App Home: ticket not read back: %s", describe(exc))


async def follow_from_home(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    action = body["actions"][0]
    ticket_id = h.ticket_of_follow_block(str(action.get("block_id") or ""))
    channel_id = str(action.get("selected_conversation") or "")
    user_id = answer.user_id
    if not ticket_id or not channel_id:
        return
    answer = replace(answer, channel_id=channel_id)  # told in that channel, else by DM
    try:
        person = await admit(
            deps, user_id, channel_id, "follow", ticket_id, via="App Home", body=body
        )
        if await shared_outside(client, channel_id):
            notice = SHARED_CHANNEL
        else:
            await follow_here(deps, client, answer, person, ticket_id, channel_id, "App Home")
            # follow_here tells its outcome itself: in that channel, else by direct message.
            notice = f"Ticket {ticket_id}: what happened is in the channel you picked."
    except Exception as exc:
        notice = told(
            exc, log, "App Home follow", "Something went wrong on our side; nothing is followed."
        )
    await publish(deps, client, user_id, notice=notice)


async def publish(
    deps: Deps,
    client: AsyncWebClient,
    user_id: str,
    *,
    notice: str | None = None,
    fresh_agents: bool = False,
    door: str | None = None,
) -> bool:
    """Draw and publish `user_id`'s Home; False if Slack refused it (logged). `door`
    names the action when this drawing is the person's own request (opening Home,
    Refresh): a refusal is then audited, once per request, as every door does; after a
    button, `admit` has already audited it."""
    started = time.monotonic()
    model = await build_model(
        deps, client, user_id, notice=notice, fresh_agents=fresh_agents, door=door
    )
    view = h.home_view(
        model,
        link=deps.link,
        now=deps.clock(),
        dashboard=str(deps.settings.mava_dashboard_url),
    )
    try:
        await client.views_publish(user_id=user_id, view=view)
        published = True
    except Exception as exc:
        published = False
        warned(log, exc, "views.publish failed", slack_user=user_id)
    seconds = round(time.monotonic() - started, 3)
    said = {"slack_user": user_id, "seconds": seconds, "summary": h.home_text(model)}
    log.info("home published" if published else "home not published", extra=said)
    return published


async def build_model(
    deps: Deps,
    client: AsyncWebClient,
    user_id: str,
    *,
    notice: str | None = None,
    fresh_agents: bool = False,
    door: str | None = None,
) -> h.HomeModel:
    refresh = deps.settings.desk_refresh_seconds
    try:
        if door is None:
            person = await deps.access.require(user_id)
        else:
            person = await admit(deps, user_id, None, door, None, via="App Home")
    except Denied as exc:
        return h.HomeModel(refused=exc.user_message, notice=notice, refresh_seconds=refresh)
    stale = False
    snapshot: BoardSnapshot | None
    try:
        snapshot = await deps.board.snapshot()
    except MavaError as exc:
        log.warning("App Home: board not read: %s", describe(exc))
        snapshot, stale = deps.board.last, True
    tickets = snapshot.tickets if snapshot else []
    agent, no_agent = await _agent(deps, person, fresh=fresh_agents)
    mine = [t for t in tickets if agent and t.assigned_to and t.assigned_to.id == agent.id]
    queue = [t for t in tickets if t.assigned_to is None]
    channels = await _channels(client, user_id)
    subscriptions: list[tuple[str, str]] = []
    if channels:
        for sub in await deps.subscriptions.active():
            if sub.channel_id in channels:
                subscriptions.append((sub.channel_id, sub.what))
    return h.HomeModel(
        mine=h.longest_waiting_first(mine),
        queue=h.queue_order(queue),
        subscriptions=subscriptions,
        no_agent=no_agent,
        notice=notice,
        channels_unknown=channels is None,
        read_at=snapshot.read_at if snapshot else None,
        stale=stale,
        refresh_seconds=deps.board.kept_for,  # paced by the read's cost (services.open_board)
    )


async def _agent(
    deps: Deps, person: SlackPerson, *, fresh: bool
) -> tuple[Agent | None, str | None]:
    """This person's Mava agent (same email, case-blind), or why there is none."""
    if not person.email:
        return None, (
            "Slack shows no email address for you, so you can't be matched to a Mava agent "
            "(the app needs the users:read.email scope). The queue below is still yours to take."
        )
    try:
        agents = await deps.tickets.agents(fresh=fresh)
    except MavaError as exc:
        return None, f"Mava's agent list could not be read ({exc.user_message}). Press Refresh."
    for agent in agents:
        if agent.email and agent.email.casefold() == person.email.casefold():
            return agent, None
    unmatched = sum(1 for agent in agents if not agent.email)
    hint = (
        f" {unmatched} Mava agent{'s have' if unmatched != 1 else ' has'} no email and can't be "
        "matched to anyone."
        if unmatched
        else ""
    )
    return None, (
        f"No Mava agent has your Slack email ({person.email}), so nothing can be shown as "
        "yours. Ask a Mava admin to invite you as an agent with this email, or change your "
        f"Slack profile email to the one Mava has; then press Refresh.{hint}"
    )


async def _channels(client: AsyncWebClient, user_id: str) -> set[str] | None:
    """The channels `user_id` is in that the bot may see; None if Slack would not say."""
    found: set[str] = set()
    cursor: str | None = None
    try:
        for _ in range(MAX_CHANNEL_PAGES):
            page = await client.users_conversations(
                user=user_id,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            found.update(str(c.get("id")) for c in page.get("channels") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except Exception as exc:
        warned(log, exc, "users.conversations failed")
        return None
    return found
