"""The shape of a signed Slack request, checked once at the door so listeners can index it
(`body["user"]["id"]`, `body["actions"][0]["value"]`) without guarding each lookup, and a
request nothing here handles is refused before Bolt would log it whole. Only what the
listeners (and Bolt's context builder) read is checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from mava_bridge.domain.refused import Refused
from mava_bridge.slack import callback_ids as ids

JSON = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

# What the listeners handle; anything else is answered 404 here.
COMMANDS = frozenset({"/mava"})
SHORTCUTS = frozenset({ids.SHORTCUT_ADD_NOTE, ids.SHORTCUT_REPLY, ids.SHORTCUT_CREATE})
ACTIONS = frozenset(
    {*ids.TICKET_ACTIONS, ids.ACTION_OPEN_IN_MAVA, ids.ACTION_CREATE_REACTED, *ids.HOME_ACTIONS}
)
VIEWS = frozenset(
    {
        ids.VIEW_REPLY,
        ids.VIEW_NOTE,
        ids.VIEW_SHORTCUT_NOTE,
        ids.VIEW_SHORTCUT_REPLY,
        ids.VIEW_SHORTCUT_REPLY_CONFIRM,
        ids.VIEW_CREATE,
    }
)
# Events the listeners handle (listeners/events.py). Another type is acked and dropped
# ("ignored"): answering 4xx would only make Slack retry it, then switch events off.
EVENTS = frozenset({"message", "link_shared", "app_home_opened", "reaction_added"})
# Slack's forms have about 15 fields; far more is not Slack.
MAX_FORM_FIELDS = 64

Kind = Literal[
    "command", "shortcut", "action", "view", "ssl_check", "url_verification", "event", "ignored"
]


@dataclass(frozen=True)
class Inbound:
    kind: Kind
    name: str  # the command, callback id or action id (for logs and metrics)
    body: JSON  # what Bolt and the listeners get


def parse(content_type: str, text: str) -> Inbound:
    """The request body as listeners see it, or `Refused`. Slash commands come as a
    form, interactivity as a form whose `payload` is JSON, Events API requests as JSON."""
    if content_type == JSON_TYPE:
        return _events_api(_json_object(text, "body"))
    if content_type != FORM:
        raise Refused(415, f"expected a form body, got {content_type or 'no content type'}")
    if text.lstrip().startswith("{"):
        raise Refused(415, "expected a form body, got JSON")
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError:
        raise Refused(400, "too many form fields") from None
    if "ssl_check" in fields:
        return Inbound("ssl_check", "ssl_check", fields)
    if "payload" in fields:
        return _interactive(_json_object(fields["payload"]))
    if "command" in fields:
        return _command(fields)
    raise Refused(400, "neither a command nor a payload")


def _command(fields: dict[str, str]) -> Inbound:
    command = fields["command"]
    if command not in COMMANDS:
        raise Refused(404, "unknown command")
    for key in ("user_id", "trigger_id"):
        _text(fields, key)
    _url(fields, "response_url")
    return Inbound("command", command, fields)


def _json_object(raw: str, what: str = "payload") -> JSON:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, a number too long, nesting too deep
        raise Refused(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


def _events_api(body: JSON) -> Inbound:
    kind = body.get("type")
    if kind == "url_verification":
        _text(body, "challenge")
        return Inbound("url_verification", "url_verification", body)
    if kind == "app_rate_limited":  # Slack telling us it dropped events: nothing to run
        return Inbound("ignored", "app_rate_limited", body)
    if kind != "event_callback":
        raise Refused(404, "Events API type not handled")
    _text(body, "event_id")
    for key in ("team_id", "api_app_id"):
        _text(body, key, required=False)
    _objects(body, "authorizations")
    event = _object(body, "event")
    event_type = _text(event, "type", "event.")
    if event_type not in EVENTS:
        return Inbound("ignored", event_type, body)
    if event_type == "reaction_added":  # listeners/actions.py: who, which emoji, where
        for key in ("user", "reaction"):
            _text(event, key, "event.")
        item = _object(event, "item", "event.")
        for key in ("type", "channel", "ts"):  # a file's reaction has no channel nor ts
            _text(item, key, "event.item.", required=key == "type")
        _text(event, "item_user", "event.", required=False)
        return Inbound("event", event_type, body)
    _text(event, "channel", "event.")
    for key in ("ts", "thread_ts", "user", "text", "subtype", "bot_id", "channel_type"):
        _text(event, key, "event.", required=False)
    for inner in ("message", "previous_message"):  # message_changed, message_deleted
        message = _optional(event, inner, "event.")
        for key in ("ts", "thread_ts", "user", "bot_id", "subtype"):
            _text(message or {}, key, f"event.{inner}.", required=False)
    _objects(event, "files", "event.")
    if event_type == "app_home_opened":  # listeners/home.py draws the Home of `user`
        _text(event, "user", "event.")
        _text(event, "tab", "event.", required=False)
    if event_type == "link_shared":  # listeners/unfurls.py reads each link's url
        for key in ("message_ts", "unfurl_id", "source"):
            _text(event, key, "event.", required=False)
        for link in _objects(event, "links", "event."):
            _text(link, "url", "event.links[].")
    return Inbound("event", event_type, body)


def _interactive(payload: JSON) -> Inbound:
    kind = payload.get("type")
    user = _object(payload, "user")
    _text(user, "id", "user.")
    for key in ("team", "channel", "container", "enterprise"):
        _optional(payload, key)
    if not isinstance(payload.get("is_enterprise_install", False), bool):
        raise Refused(400, "is_enterprise_install is not true or false")
    if "authorizations" in payload:
        raise Refused(400, "authorizations belong to Events API requests")
    if kind == "message_action":
        return _shortcut(payload)
    if kind == "block_actions":
        return _action(payload)
    if kind == "view_submission":
        return _view(payload)
    raise Refused(404, "interaction type not handled")


def _shortcut(payload: JSON) -> Inbound:
    callback_id = _text(payload, "callback_id")
    if callback_id not in SHORTCUTS:
        raise Refused(404, "unknown shortcut")
    _text(payload, "trigger_id")
    _url(payload, "response_url")
    message = _optional(payload, "message")
    if message is not None:
        for key in ("text", "ts", "thread_ts", "user", "subtype"):
            _text(message, key, "message.", required=False)
    channel = _optional(payload, "channel")
    if channel is not None:
        _text(channel, "id", "channel.", required=False)
    return Inbound("shortcut", callback_id, payload)


def _action(payload: JSON) -> Inbound:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Refused(400, "actions is empty or not a list of objects")
    action: JSON = actions[0]
    action_id = _text(action, "action_id", "actions[0].")
    if action_id not in ACTIONS:
        raise Refused(404, "unknown action")
    ticket_action = action_id in ids.TICKET_ACTIONS
    if ticket_action:
        _text(action, "value", "actions[0].")  # the ticket id
        _text(payload, "trigger_id")
        _url(payload, "response_url")
    message = _optional(payload, "message")
    if message is not None:
        # A button on a message redraws its item there: it needs both to find it.
        _text(message, "ts", "message.", required=ticket_action)
        _text(message, "text", "message.", required=False)
        _objects(message, "blocks", "message.")
    channel = _optional(payload, "channel")
    if channel is not None or (message is not None and ticket_action):
        _text(channel or {}, "id", "channel.", required=message is not None and ticket_action)
    container = _optional(payload, "container")
    if container is not None:
        _text(container, "message_ts", "container.", required=False)
    return Inbound("action", action_id, payload)


def _view(payload: JSON) -> Inbound:
    view = _object(payload, "view")
    _text(view, "id", "view.")
    callback_id = _text(view, "callback_id", "view.")
    if callback_id not in VIEWS:
        raise Refused(404, "unknown view")
    _text(view, "private_metadata", "view.", required=False)
    state = _optional(view, "state", "view.") or {}
    values = _optional(state, "values", "view.state.") or {}
    for block_id, block in values.items():
        if not isinstance(block, dict) or not all(isinstance(a, dict) for a in block.values()):
            raise Refused(400, f"view.state.values.{block_id[:40]} is not an object of objects")
        for element in block.values():
            _text(element, "value", "view.state.values…", required=False)
    _objects(payload, "response_urls")
    return Inbound("view", callback_id, payload)


def _object(data: Mapping[str, Any], key: str, where: str = "") -> JSON:
    value = _optional(data, key, where)
    if value is None:
        raise Refused(400, f"{where}{key} is missing")
    return value


def _optional(data: Mapping[str, Any], key: str, where: str = "") -> JSON | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise Refused(400, f"{where}{key} is not an object")
    return value


def _objects(data: Mapping[str, Any], key: str, where: str = "") -> list[JSON]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Refused(400, f"{where}{key} is not a list of objects")
    return value


def _text(data: Mapping[str, Any], key: str, where: str = "", *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise Refused(400, f"{where}{key} is missing or not text")
    return value


def _url(data: Mapping[str, Any], key: str) -> str:
    value = _text(data, key)
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused(400, f"{key} is not an http(s) URL")
    return value
