"""Build and sign the requests Slack sends to the bot, byte for byte the way Slack does.

Slash commands arrive form-encoded; interactivity (shortcuts, block actions, view submissions)
arrives as a form with one ``payload=<json>`` field; Events API callbacks arrive as JSON. Every
request carries ``X-Slack-Request-Timestamp`` and a v0 HMAC-SHA256 ``X-Slack-Signature``.
Driving the bot with these exercises its real path: signature check, Bolt routing
(commands by ``command``, shortcuts/views by ``callback_id``, actions by ``action_id``), acks.

Usage::

    async with running_slack_stub() as stub, SlackEventSender(app_url, SECRET, stub=stub) as s:
        response = await s.command("list")
        assert response.status_code == 200
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlencode

import httpx

from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    DEFAULT_USERS,
    STUB_APP_ID,
    STUB_BOT_ID,
    STUB_BOT_USER_ID,
    SlackStub,
)

JSON = dict[str, Any]

DEFAULT_SIGNING_SECRET: Final = "test-signing-secret"
# The deprecated verification token Slack still puts in every payload.
VERIFICATION_TOKEN: Final = "vErIfIcAtIoNtOkEn0000000"
DEFAULT_USER_ID: Final = "U0JANE"
DEFAULT_CHANNEL_ID: Final = "C0SUPPORT"
DEFAULT_APP_ID: Final = STUB_APP_ID
FORM: Final = "application/x-www-form-urlencoded"
# Used when neither the call, the sender nor a stub provides one: nothing listens on port 9,
# so a stray respond() fails fast instead of reaching the internet.
UNROUTABLE_RESPONSE_URL: Final = "http://127.0.0.1:9/response-url-not-configured"

_ids = itertools.count(1)
_USERNAMES: Final = {u.id: u.name for u in DEFAULT_USERS}


def sign(
    signing_secret: str,
    body: bytes | str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with `body`: timestamp, ``v0=`` signature and Content-Type.

    Content-Type defaults to JSON for bodies starting with ``{`` (Events API), else form."""
    ts = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    basestring = b"v0:" + str(ts).encode() + b":" + raw
    digest = hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
    if content_type is None:
        content_type = "application/json" if raw.lstrip().startswith(b"{") else FORM
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's ``<digits>.<digits>.<hex>`` shape."""
    return f"{int(time.time() * 1000)}.{next(_ids)}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    now = time.time()
    return f"{now:.6f}"


def _user(user_id: str, team_id: str, user_name: str | None) -> JSON:
    name = user_name or _USERNAMES.get(user_id, user_id.lower())
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str, team_domain: str) -> JSON:
    return {"id": team_id, "domain": team_domain}


def _channel_name(channel_id: str) -> str:
    # What Slack puts in channel_name for DMs; otherwise the id lowered stands in for a name.
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()


def _payload_form(payload: JSON) -> str:
    # Slack's interactivity body: one form field holding compact JSON.
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


# ---------------------------------------------------------------------- slash commands


def slash_command(
    text: str,
    *,
    command: str = "/mava",
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    response_url: str,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """The form-encoded body of a slash command invocation."""
    fields = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name or _channel_name(channel_id)),
        ("user_id", user_id),
        ("user_name", user_name or _USERNAMES.get(user_id, user_id.lower())),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields)


# ---------------------------------------------------------------------- shortcuts


def message_shortcut(
    callback_id: str,
    *,
    message: Mapping[str, Any],
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    response_url: str,
    trigger_id: str | None = None,
) -> str:
    """A message shortcut (``type: message_action``) on `message`.

    `message` is the Slack message object; ``type`` and ``ts`` are filled in when missing."""
    shown: JSON = {"type": "message", **message}
    shown.setdefault("ts", _action_ts())
    payload: JSON = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id, team_domain),
        "user": _user(user_id, team_id, user_name),
        "channel": {"id": channel_id, "name": channel_name or _channel_name(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url,
        "message_ts": shown["ts"],
        "message": shown,
    }
    return _payload_form(payload)


def global_shortcut(
    callback_id: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    trigger_id: str | None = None,
) -> str:
    """A global shortcut (``type: shortcut``): no channel, no message, no response_url."""
    payload: JSON = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id, team_domain),
        "user": _user(user_id, team_id, user_name),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return _payload_form(payload)


# ---------------------------------------------------------------------- block actions

_OPTION_TYPES: Final = frozenset({"static_select", "external_select", "overflow", "radio_buttons"})
_MULTI_OPTION_TYPES: Final = frozenset(
    {"multi_static_select", "multi_external_select", "checkboxes"}
)
# element type -> payload field holding the selection, for the *_select pickers
_SELECTED_FIELD: Final = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}


def _find_element(
    blocks: Any, *, action_id: str | None = None, block_id: str | None = None
) -> tuple[str | None, JSON] | None:
    """The interactive element with `action_id` (or the input element of `block_id`)."""
    if not isinstance(blocks, list):
        return None
    for block in blocks:
        if not isinstance(block, dict):
            continue
        candidates: list[Any] = [block.get("accessory"), block.get("element")]
        candidates += block.get("elements") or []
        for element in candidates:
            if not isinstance(element, dict) or "action_id" not in element:
                continue
            if action_id is not None and element["action_id"] == action_id:
                return block.get("block_id"), element
            if block_id is not None and block.get("block_id") == block_id:
                return block_id, element
    return None


def _option(element: JSON | None, value: str, text: str | None = None) -> JSON:
    # Reuse the option as the element declared it, so its text matches what the user saw.
    if element is not None:
        for option in element.get("options") or []:
            if isinstance(option, dict) and option.get("value") == value:
                return dict(option)
        for group in element.get("option_groups") or []:
            for option in group.get("options") or []:
                if isinstance(option, dict) and option.get("value") == value:
                    return dict(option)
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def element_state(
    element_type: str, value: str | Sequence[str] | None, element: JSON | None = None
) -> JSON:
    """The state Slack reports for an input element of `element_type` holding `value`.

    Text inputs carry ``value``; selects ``selected_option``; multi-selects/checkboxes
    ``selected_options``; user/conversation/channel pickers ``selected_user`` etc."""
    state: JSON = {"type": element_type}
    if element_type in _OPTION_TYPES:
        state["selected_option"] = None if value is None else _option(element, str(value))
    elif element_type in _MULTI_OPTION_TYPES:
        values = [value] if isinstance(value, str) else list(value or [])
        state["selected_options"] = [_option(element, v) for v in values]
    elif element_type in _SELECTED_FIELD:
        state[_SELECTED_FIELD[element_type]] = (
            list(value or []) if element_type.startswith("multi_") else value
        )
    else:  # plain_text_input, number_input, email_text_input, url_text_input, ...
        state["value"] = value
    return state


def plain_text_state(value: str | None) -> JSON:
    return element_state("plain_text_input", value)


def state_values(
    values: Mapping[str, Any], blocks: Sequence[Any] | None = None
) -> dict[str, dict[str, JSON]]:
    """``view.state.values`` from either form, per block id:

    * ready: ``{block_id: {action_id: {"type": ..., "value": ...}}}`` (a Mapping) is kept;
    * shorthand: ``{block_id: "text" | None | ["a", "b"]}``. The action id and element type
      come from the input block with that block_id in `blocks` when given; otherwise the
      action id equals the block id and the element is a ``plain_text_input``.
    """
    result: dict[str, dict[str, JSON]] = {}
    for block_id, value in values.items():
        if isinstance(value, Mapping):
            result[block_id] = {str(k): dict(v) for k, v in value.items()}
            continue
        found = _find_element(list(blocks or []), block_id=block_id)
        if found is None:
            result[block_id] = {block_id: plain_text_state(value)}
        else:
            element = found[1]
            state = element_state(str(element.get("type", "plain_text_input")), value, element)
            result[block_id] = {str(element["action_id"]): state}
    return result


def _build_action(
    action_id: str,
    value: str | Sequence[str] | None,
    *,
    block_id: str | None,
    action_type: str | None,
    element: JSON | None,
) -> JSON:
    kind = action_type or (str(element["type"]) if element and "type" in element else "button")
    action: JSON = {"action_id": action_id, "block_id": block_id}
    if kind == "button":
        label = element.get("text") if element else None
        action["text"] = label or {"type": "plain_text", "text": "Button", "emoji": True}
        if value is not None:
            action["value"] = value
        if element and element.get("style"):
            action["style"] = element["style"]
        action["type"] = "button"
    else:
        state = element_state(kind, value, element)
        action.update(state)
        if element and element.get("placeholder"):
            action["placeholder"] = element["placeholder"]
    action["action_ts"] = _action_ts()
    return action


def block_actions(
    action_id: str,
    value: str | Sequence[str] | None = None,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    channel_id: str | None = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    is_ephemeral: bool = False,
    message_ts: str | None = None,
    response_url: str | None,
    trigger_id: str | None = None,
    block_id: str | None = None,
    action_type: str | None = None,
    action: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """A ``block_actions`` payload: `action_id` clicked/selected with `value`.

    * on a message: pass `message` (with its ``ts`` and ``blocks``), or for an ephemeral one
      ``is_ephemeral=True`` and `message_ts` (Slack omits ephemeral messages' content);
    * in a modal or App Home: pass `view` (e.g. from ``stub.views()``) and ``channel_id=None``.

    The element is looked up in the message/view blocks, so block_id, the button text and
    the action type default to what the bot rendered; `action_type` forces e.g.
    ``"static_select"`` (value -> ``selected_option``) or ``"users_select"``.
    `action` replaces the generated action object entirely; `state` is ``state.values``
    (either form accepted by `state_values`).
    """
    blocks = (view or {}).get("blocks") if view is not None else (message or {}).get("blocks")
    found = _find_element(blocks, action_id=action_id)
    element = found[1] if found else None
    resolved_block_id = block_id or (found[0] if found else None) or f"b_{action_id}"[:255]
    if action is not None:
        built: JSON = {"action_id": action_id, "block_id": resolved_block_id, **action}
        built.setdefault("action_ts", _action_ts())
    else:
        built = _build_action(
            action_id, value, block_id=resolved_block_id, action_type=action_type, element=element
        )

    shown_message: JSON | None = None
    if message is not None:
        shown_message = {"type": "message", **message}
        shown_message.setdefault("ts", message_ts or _action_ts())
    if container is not None:
        built_container: JSON = dict(container)
    elif view is not None:
        built_container = {"type": "view", "view_id": view.get("id")}
    else:
        ts = message_ts or (shown_message["ts"] if shown_message else _action_ts())
        built_container = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }

    payload: JSON = {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": built_container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": _team(team_id, team_domain),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_name or _channel_name(channel_id)}
    if shown_message is not None and not is_ephemeral:
        payload["message"] = shown_message
    if view is not None:
        payload["view"] = dict(view)
    view_blocks = list(view.get("blocks") or []) if view is not None else None
    payload["state"] = {"values": state_values(state or {}, view_blocks)}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [built]
    return _payload_form(payload)


# ---------------------------------------------------------------------- views


def _view_object(
    callback_id: str,
    *,
    values: Mapping[str, Any],
    base: Mapping[str, Any] | None,
    view_id: str | None,
    private_metadata: str | None,
    team_id: str,
    title: str,
    blocks: Sequence[Any] | None,
    view_hash: str | None,
    external_id: str | None,
    api_app_id: str,
) -> JSON:
    base = dict(base or {})
    the_id = view_id or base.get("id") or f"V{next(_ids):08d}"
    the_blocks = list(blocks if blocks is not None else base.get("blocks") or [])
    return {
        "id": the_id,
        "team_id": team_id,
        "type": base.get("type", "modal"),
        "blocks": the_blocks,
        "private_metadata": (
            private_metadata if private_metadata is not None else base.get("private_metadata", "")
        ),
        "callback_id": callback_id,
        "state": {"values": state_values(values, the_blocks)},
        "hash": view_hash or base.get("hash") or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": base.get("title") or {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": base.get("clear_on_close", False),
        "notify_on_close": base.get("notify_on_close", False),
        "close": base.get("close"),
        "submit": base.get("submit") or {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": base.get("previous_view_id"),
        "root_view_id": base.get("root_view_id") or the_id,
        "app_id": api_app_id,
        "external_id": external_id if external_id is not None else base.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": STUB_BOT_ID,
    }


def view_submission(
    callback_id: str,
    values: Mapping[str, Any],
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    private_metadata: str | None = None,
    view_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    blocks: Sequence[Any] | None = None,
    title: str = "Mava",
    view_hash: str | None = None,
    external_id: str | None = None,
    response_urls: Sequence[Mapping[str, Any]] | None = None,
    trigger_id: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """A ``view_submission`` payload for the modal `callback_id`.

    `values` is ``view.state.values`` in either form `state_values` accepts (ready
    ``{block_id: {action_id: {...}}}`` or shorthand ``{block_id: value}``). `view` is an
    optional base, e.g. the modal the bot opened (``stub.views()[-1]``): its id, blocks,
    private_metadata and hash are reused unless given here, and its input blocks resolve
    shorthand values to the right action ids and element types.
    """
    payload: JSON = {
        "type": "view_submission",
        "team": _team(team_id, team_domain),
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": _view_object(
            callback_id,
            values=values,
            base=view,
            view_id=view_id,
            private_metadata=private_metadata,
            team_id=team_id,
            title=title,
            blocks=blocks,
            view_hash=view_hash,
            external_id=external_id,
            api_app_id=api_app_id,
        ),
        "response_urls": [dict(u) for u in response_urls or []],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def view_closed(
    callback_id: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    private_metadata: str | None = None,
    view_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    is_cleared: bool = False,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """A ``view_closed`` payload (sent only for modals opened with notify_on_close)."""
    payload: JSON = {
        "type": "view_closed",
        "team": _team(team_id, team_domain),
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "view": _view_object(
            callback_id,
            values={},
            base=view,
            view_id=view_id,
            private_metadata=private_metadata,
            team_id=team_id,
            title="Mava",
            blocks=None,
            view_hash=None,
            external_id=None,
            api_app_id=api_app_id,
        ),
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


# ---------------------------------------------------------------------- Events API


def event_callback(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = STUB_BOT_USER_ID,
    is_ext_shared_channel: bool | None = None,
) -> str:
    """An Events API ``event_callback`` JSON body wrapping `event` (e.g. an app_mention, or
    a message event from `SlackStub.user_message`). `is_ext_shared_channel` defaults to
    whether the event's author is from another team (a Slack Connect channel)."""
    if is_ext_shared_channel is None:
        is_ext_shared_channel = event.get("user_team", team_id) != team_id
    body: JSON = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": secrets.token_hex(16),
    }
    return json.dumps(body, separators=(",", ":"))


def url_verification(challenge: str | None = None) -> str:
    """The body Slack posts (signed) when the Event Subscriptions URL is saved; the app
    must answer with the `challenge`."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": challenge or secrets.token_urlsafe(32),
            "type": "url_verification",
        },
        separators=(",", ":"),
    )


def retry_headers(retry_num: int, reason: str = "http_timeout") -> dict[str, str]:
    """What Slack adds when it redelivers an event the app did not ack in time (up to 3
    retries: reasons http_timeout, http_error, too_many_redirects, connection_failed...)."""
    return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}


# ---------------------------------------------------------------------- sender


class SlackEventSender:
    """Posts signed Slack requests to the bot's ``/slack/events`` URL, as Slack would.

    Response URLs in payloads come from, in order: the call's `response_url`, the sender's
    `response_url`, a fresh ``stub.response_url(channel=..., message_ts=...)`` when a `stub`
    was given (so replace_original/in_channel act on the stub's messages), else
    UNROUTABLE_RESPONSE_URL. The last one used is kept in `last_response_url`.
    """

    def __init__(
        self,
        url: str,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        *,
        client: httpx.AsyncClient | None = None,
        stub: SlackStub | None = None,
        response_url: str | None = None,
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        team_id: str = DEFAULT_TEAM_ID,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.stub = stub
        self.response_url = response_url
        self.user_id = user_id
        self.channel_id = channel_id
        self.team_id = team_id
        self.last_response_url: str | None = None
        self.last_event_body: str | None = None  # what `event` posted last (for `redeliver`)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _response_url(
        self, explicit: str | None, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        if explicit is not None:
            url = explicit
        elif self.response_url is not None:
            url = self.response_url
        elif self.stub is not None:
            url = self.stub.response_url(channel=channel_id, message_ts=message_ts)
        else:
            url = UNROUTABLE_RESPONSE_URL
        self.last_response_url = url
        return url

    async def post(
        self,
        body: str | bytes,
        *,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Sign `body` (at `timestamp`, default now) and post it; `headers` are added
        (e.g. ``X-Slack-Retry-Num``)."""
        signed = sign(self.signing_secret, body, timestamp)
        signed.update(headers or {})
        return await self.post_raw(body, signed)

    async def post_raw(
        self, body: str | bytes, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """Post `body` with exactly `headers` (no signing): for bad-signature tests."""
        content = body.encode() if isinstance(body, str) else body
        return await self._client.post(self.url, content=content, headers=dict(headers or {}))

    async def command(
        self,
        text: str,
        *,
        command: str = "/mava",
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Run ``/mava text``; extra `fields` go to `slash_command` (user_name, team_domain…)."""
        channel = channel_id or self.channel_id
        body = slash_command(
            text,
            command=command,
            user_id=user_id or self.user_id,
            team_id=fields.pop("team_id", self.team_id),
            channel_id=channel,
            response_url=self._response_url(response_url, channel),
            trigger_id=trigger_id,
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def shortcut(
        self,
        callback_id: str,
        *,
        message: Mapping[str, Any],
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Run the message shortcut `callback_id` on `message`."""
        channel = channel_id or self.channel_id
        body = message_shortcut(
            callback_id,
            message=message,
            user_id=user_id or self.user_id,
            channel_id=channel,
            team_id=fields.pop("team_id", self.team_id),
            response_url=self._response_url(response_url, channel, message.get("ts")),
            trigger_id=trigger_id,
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def global_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        body = global_shortcut(
            callback_id,
            user_id=user_id or self.user_id,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def action(
        self,
        action_id: str,
        value: str | Sequence[str] | None = None,
        *,
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Click/select `action_id` on `message` (in `channel_id`) or in `view`.
        Actions in views get no channel and no response_url, as from Slack."""
        channel = None if view is not None else (channel_id or self.channel_id)
        if view is not None:
            url = response_url
        else:
            ts = fields.get("message_ts") or (message or {}).get("ts")
            url = self._response_url(response_url, channel, ts)
        body = block_actions(
            action_id,
            value,
            user_id=user_id or self.user_id,
            channel_id=channel,
            message=message,
            view=view,
            response_url=url,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def submit_view(
        self,
        callback_id: str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        private_metadata: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Submit the modal `callback_id` with `values` (see `state_values` for the forms)."""
        body = view_submission(
            callback_id,
            values,
            user_id=user_id or self.user_id,
            view=view,
            private_metadata=private_metadata,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def close_view(
        self,
        callback_id: str,
        *,
        user_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        body = view_closed(
            callback_id,
            user_id=user_id or self.user_id,
            view=view,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **fields: Any,
    ) -> httpx.Response:
        """Deliver `event` in an event_callback; `fields` go to `event_callback` (event_id,
        event_time...). `retry_num` adds Slack's retry headers (pass the first delivery's
        event_id to make it the same event again, or use `redeliver`)."""
        body = event_callback(event, team_id=fields.pop("team_id", self.team_id), **fields)
        self.last_event_body = body
        headers = retry_headers(retry_num, retry_reason) if retry_num is not None else None
        return await self.post(body, timestamp=timestamp, headers=headers)

    @property
    def last_event_id(self) -> str | None:
        """The event_id of the last event posted with `event`."""
        if self.last_event_body is None:
            return None
        return str(json.loads(self.last_event_body)["event_id"])

    async def redeliver(
        self, retry_num: int = 1, reason: str = "http_timeout", *, body: str | None = None
    ) -> httpx.Response:
        """Slack's retry: the same event_callback body (default: the last `event`), signed
        anew, with ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``."""
        body = body if body is not None else self.last_event_body
        if body is None:
            raise RuntimeError("no event to redeliver: post one with event() first")
        return await self.post(body, headers=retry_headers(retry_num, reason))

    async def url_verification(self, challenge: str | None = None) -> httpx.Response:
        """Save the Request URL in the app config: Slack's signed url_verification."""
        return await self.post(url_verification(challenge))


__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_SIGNING_SECRET",
    "DEFAULT_USER_ID",
    "UNROUTABLE_RESPONSE_URL",
    "VERIFICATION_TOKEN",
    "SlackEventSender",
    "block_actions",
    "element_state",
    "event_callback",
    "global_shortcut",
    "message_shortcut",
    "new_trigger_id",
    "plain_text_state",
    "retry_headers",
    "sign",
    "slash_command",
    "state_values",
    "url_verification",
    "view_closed",
    "view_submission",
]
