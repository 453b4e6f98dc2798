"""Every Slack listener, registered in one place, one line each (`common` makes them)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from mava_bridge.slack import callback_ids as ids
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners import (
    actions,
    command_table,
    compose,
    create,
    events,
    follows,
    home,
    unfurls,
)
from mava_bridge.slack.listeners.common import (
    after_ack,
    dm_answer,
    on_event,
    only_ack,
    submission,
)


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/mava")(after_ack(deps, "command", command_table.run_command))

    for shortcut in (ids.SHORTCUT_ADD_NOTE, ids.SHORTCUT_REPLY):
        app.shortcut(shortcut)(after_ack(deps, "shortcut", compose.shortcut, counted="shortcut"))
    app.shortcut(ids.SHORTCUT_CREATE)(
        after_ack(deps, "shortcut", create.from_shortcut, counted="shortcut")
    )

    app.action(ids.ACTION_OPEN_IN_MAVA)(only_ack)  # Slack opens the URL itself
    for action in (ids.ACTION_REPLY, ids.ACTION_NOTE):
        app.action(action)(after_ack(deps, "action", compose.button))
    for action in (ids.ACTION_ASSIGN_ME, ids.ACTION_RESOLVE):
        app.action(action)(after_ack(deps, "action", actions.act_in_place))
    for action in (ids.ACTION_FOLLOW, ids.ACTION_UNFOLLOW):
        app.action(action)(after_ack(deps, "action", follows.button))
    app.action(ids.ACTION_CREATE_REACTED)(after_ack(deps, "action", create.create_from_reaction))

    for view in (ids.VIEW_REPLY, ids.VIEW_NOTE):
        app.view(view)(submission(deps, compose.compose_submitted))
    for view in (ids.VIEW_SHORTCUT_NOTE, ids.VIEW_SHORTCUT_REPLY):
        app.view(view)(submission(deps, compose.shortcut_submitted))
    app.view(ids.VIEW_SHORTCUT_REPLY_CONFIRM)(submission(deps, compose.reply_confirmed))
    app.view(ids.VIEW_CREATE)(submission(deps, create.create_submitted))

    app.event("message")(on_event(deps, "event", events.on_message))
    app.event("link_shared")(on_event(deps, "unfurl", unfurls.unfurl))
    app.event("reaction_added")(on_event(deps, "event", actions.reacted))
    app.event("app_home_opened")(on_event(deps, "home", home.home_opened))

    # App Home has no channel nor response_url: its problems are told by direct message.
    home_actions = {
        ids.HOME_REFRESH: home.refreshed,
        ids.HOME_ASSIGN_ME: home.act_and_redraw,
        ids.HOME_RESOLVE: home.act_and_redraw,
        ids.HOME_REPLY: compose.button,
        ids.HOME_NOTE: compose.button,
        ids.HOME_FOLLOW: home.follow_from_home,
    }
    for action, work in home_actions.items():
        app.action(action)(after_ack(deps, "home", work, answer=dm_answer))
