"""Events API ``message`` events shaped as Slack sends them (message.channels/groups).

Pure builders over a message as the Slack stub stores it (the shape conversations.history
returns); `SlackStub.user_message`, `user_edit`, `user_delete`, `bot_message` and
`message_event` store or find the message and call these. Wrap the result with
`slack_requests.event_callback` (HTTP) or `SocketModeServer.send_event` (Socket Mode).

Shapes follow docs.slack.dev/reference/events/message and its subtypes
message_changed, message_deleted, bot_message, thread_broadcast and file_share.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any, Final

JSON = dict[str, Any]

# Keys the stub keeps on a stored thread parent (conversations.history state) that a
# message event does not carry.
_STATE_ONLY: Final = frozenset(
    {"reply_count", "reply_users", "reply_users_count", "latest_reply", "reactions"}
)
# Message subtypes a person's message can have in these helpers.
USER_SUBTYPES: Final = (None, "thread_broadcast", "file_share")


def channel_type(channel: str, *, is_private: bool = False) -> str:
    """The event's `channel_type`: "im" (D…), "mpim"/"group" (G…/private) or "channel"."""
    if channel.startswith("D"):
        return "im"
    if channel.startswith("G") or is_private:
        return "group"
    return "channel"


def rich_text(text: str) -> list[JSON]:
    """The `blocks` Slack's clients attach to a typed message: one rich_text section."""
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def user_message(
    *,
    user: str,
    team: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    parent_user_id: str | None = None,
    subtype: str | None = None,
    files: list[JSON] | None = None,
) -> JSON:
    """A message a person typed (as stored in history; `message_event` makes the event).
    `team` is the person's own workspace: another one for a Slack Connect member."""
    if subtype not in USER_SUBTYPES:
        raise ValueError(f"a person's message subtype is one of {USER_SUBTYPES}")
    message: JSON = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "user_team": team,
        "source_team": team,
    }
    if text:
        message["blocks"] = rich_text(text)
    if subtype is not None:
        message["subtype"] = subtype
    if subtype == "file_share":
        message["upload"] = False
        message["files"] = copy.deepcopy(files) if files else [_file(user)]
        message["display_as_bot"] = False
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
        if parent_user_id is not None:
            message["parent_user_id"] = parent_user_id
    return message


def _file(user: str) -> JSON:
    file_id = f"F{secrets.token_hex(5).upper()}"
    return {
        "id": file_id,
        "name": "screenshot.png",
        "title": "screenshot.png",
        "mimetype": "image/png",
        "filetype": "png",
        "user": user,
        "url_private": f"https://files.slack.com/files-pri/T0001-{file_id}/screenshot.png",
        "permalink": f"https://example.slack.com/files/{user}/{file_id}/screenshot.png",
    }


def bot_message(
    *, bot_id: str, text: str, ts: str, username: str, thread_ts: str | None = None
) -> JSON:
    """A legacy integration's post: subtype bot_message, a bot_id and no user."""
    message: JSON = {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "ts": ts,
        "username": username,
        "bot_id": bot_id,
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    return message


def _as_event_message(message: JSON) -> JSON:
    return {k: copy.deepcopy(v) for k, v in message.items() if k not in _STATE_ONLY}


def message_event(message: JSON, channel: str, *, kind: str) -> JSON:
    """The `message` event for a new `message` in `channel` (`kind`: its channel_type)."""
    event = _as_event_message(message)
    event.update({"channel": channel, "event_ts": message["ts"], "channel_type": kind})
    return event


def changed_event(before: JSON, after: JSON, channel: str, *, kind: str, event_ts: str) -> JSON:
    """`message_changed`: `after` (carrying `edited`) replaces the message with its ts."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": _as_event_message(after),
        "previous_message": _as_event_message(before),
        "channel": channel,
        "channel_type": kind,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def deleted_event(before: JSON, channel: str, *, kind: str, event_ts: str) -> JSON:
    """`message_deleted`: the message at `deleted_ts` is gone. Its thread is only in
    `previous_message.thread_ts` (Slack's example has no top-level thread_ts)."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": before["ts"],
        "previous_message": _as_event_message(before),
        "channel": channel,
        "channel_type": kind,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def reaction_added(*, user: str, reaction: str, channel: str, message: JSON, event_ts: str) -> JSON:
    """`reaction_added` (docs.slack.dev/reference/events/reaction_added): `user` added
    `reaction` (its name, no colons) to `message`; `item_user` is the message's author
    (absent for a legacy bot_message, which has none)."""
    event: JSON = {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": message["ts"]},
        "event_ts": event_ts,
    }
    if message.get("user"):
        event["item_user"] = message["user"]
    return event


__all__ = [
    "USER_SUBTYPES",
    "bot_message",
    "changed_event",
    "channel_type",
    "deleted_event",
    "message_event",
    "reaction_added",
    "rich_text",
    "user_message",
]
