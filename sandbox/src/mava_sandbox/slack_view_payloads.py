"""view_submission and view_closed payloads, as Slack sends them when a modal is
submitted or closed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from mava_sandbox.slack_actions import state_values
from mava_sandbox.slack_signing import (
    DEFAULT_APP_ID,
    DEFAULT_USER_ID,
    JSON,
    VERIFICATION_TOKEN,
    new_trigger_id,
    payload_form,
    serial,
    team_object,
    user_object,
)
from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    STUB_BOT_ID,
)

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
    the_id = view_id or base.get("id") or f"V{next(serial):08d}"
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
        "team": team_object(team_id, team_domain),
        "user": user_object(user_id, team_id, user_name),
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
    return payload_form(payload)


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
        "team": team_object(team_id, team_domain),
        "user": user_object(user_id, team_id, user_name),
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
    return payload_form(payload)
