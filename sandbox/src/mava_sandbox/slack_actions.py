"""Block actions as Slack sends them, with the state of the surface's inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from mava_sandbox.slack_signing import (
    DEFAULT_APP_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    JSON,
    VERIFICATION_TOKEN,
    name_of_channel,
    new_action_ts,
    new_trigger_id,
    payload_form,
    team_object,
    user_object,
)
from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
)

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
    action["action_ts"] = new_action_ts()
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
        built.setdefault("action_ts", new_action_ts())
    else:
        built = _build_action(
            action_id, value, block_id=resolved_block_id, action_type=action_type, element=element
        )

    shown_message: JSON | None = None
    if message is not None:
        shown_message = {"type": "message", **message}
        shown_message.setdefault("ts", message_ts or new_action_ts())
    if container is not None:
        built_container: JSON = dict(container)
    elif view is not None:
        built_container = {"type": "view", "view_id": view.get("id")}
    else:
        ts = message_ts or (shown_message["ts"] if shown_message else new_action_ts())
        built_container = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }

    payload: JSON = {
        "type": "block_actions",
        "user": user_object(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": built_container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": team_object(team_id, team_domain),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_name or name_of_channel(channel_id)}
    if shown_message is not None and not is_ephemeral:
        payload["message"] = shown_message
    if view is not None:
        payload["view"] = dict(view)
    view_blocks = list(view.get("blocks") or []) if view is not None else None
    payload["state"] = {"values": state_values(state or {}, view_blocks)}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [built]
    return payload_form(payload)
