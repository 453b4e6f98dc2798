"""What people and other bots do in the Slack stub's channels, as the events Slack would
send the app about it.
"""

from __future__ import annotations

import copy
import secrets

from mava_sandbox import slack_events, slack_unfurls
from mava_sandbox.slack_state import StubState
from mava_sandbox.slack_stub_types import JSON


class PeopleMixin(StubState):
    """Messages, edits, deletions and links by others, and the events for them."""

    # ------------------------------------------------------------------ people and other bots

    # What others do in a channel: each stores (or edits, or removes) the message in the
    # stub's history, so conversations.history/replies see it, and returns the Events API
    # `message` event Slack would send; wrap it with slack_requests.event_callback (HTTP,
    # SlackEventSender.event) or SocketModeServer.send_event (Socket Mode).

    def user_message(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """`user_id` writes `text` in `channel` (in the thread at `thread_ts`). `subtype`:
        None, "thread_broadcast" (also sent to the channel) or "file_share" (with `files`,
        default one screenshot). The user's team comes from the directory: a Slack
        Connect member (another team_id) carries it in team/user_team/source_team."""
        user = self._users.get(user_id)
        team = user.team_id if user is not None else self.team_id
        target = self._dm_or_channel(channel)
        message = slack_events.user_message(
            user=user_id, team=team, text=text, ts=self._next_ts(), subtype=subtype, files=files
        )
        if thread_ts is not None:
            self._join_thread(target, message, thread_ts, user_id)
        self._messages.setdefault(target, []).append(message)
        return self.message_event(target, message["ts"])

    def user_link(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        source: str | None = "conversations_history",
        with_unfurl_id: bool = True,
    ) -> JSON:
        """`user_id` posts `text` holding links in `channel`: the `link_shared` event Slack
        sends (`message_event` of its ts gives the message event). `source` "composer":
        the link is still in the composer (channel COMPOSER, no message stored).
        `with_unfurl_id` False: an event without unfurl_id and source."""
        urls = slack_unfurls.links_in(text)
        if source == "composer":
            ts, target = f"{user_id}-{secrets.token_hex(8)}", slack_unfurls.COMPOSER
        else:
            self.user_message(channel, user_id, text, thread_ts=thread_ts)
            target = self._dm_or_channel(channel)
            ts = self._messages[target][-1]["ts"]
        event_unfurl_id = slack_unfurls.unfurl_id(target, ts) if with_unfurl_id else None
        if event_unfurl_id is not None:
            self._unfurl_ids[event_unfurl_id] = (target, ts)
        return slack_unfurls.link_shared(
            channel=target,
            user=user_id,
            message_ts=ts,
            urls=urls,
            event_unfurl_id=event_unfurl_id,
            source=source if with_unfurl_id else None,
            thread_ts=thread_ts,
        )

    def unfurls(self, channel: str, ts: str) -> JSON:
        """What chat.unfurl attached under the message at `ts`: URL -> unfurl."""
        found = self._find_message(self._dm_or_channel(channel), ts)
        return copy.deepcopy((found or {}).get("unfurls") or {})

    def user_reaction(self, channel: str, ts: str, user_id: str, name: str) -> JSON:
        """`user_id` reacts with `name` (colons optional) to the message at `ts`: the
        reaction is stored on it (conversations.history shows it) and the
        `reaction_added` event Slack sends is returned. Slack lets a person add one
        emoji once to a message."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        name = name.strip(":")
        reactions: list[JSON] = message.setdefault("reactions", [])
        found = next((r for r in reactions if r["name"] == name), None)
        if found is None:
            found = {"name": name, "users": [], "count": 0}
            reactions.append(found)
        if user_id in found["users"]:
            raise ValueError(f"{user_id} already reacted with {name}")
        found["users"].append(user_id)
        found["count"] = len(found["users"])
        return slack_events.reaction_added(
            user=user_id, reaction=name, channel=target, message=message, event_ts=self._next_ts()
        )

    def user_edit(self, channel: str, ts: str, text: str) -> JSON:
        """The author edits the message at `ts`: a `message_changed` event."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        before = copy.deepcopy(message)
        edited_at = self._next_ts()
        message["text"] = text
        message["blocks"] = slack_events.rich_text(text)
        message["edited"] = {"user": message.get("user", ""), "ts": edited_at}
        kind = self._channel_kind(target)
        return slack_events.changed_event(before, message, target, kind=kind, event_ts=edited_at)

    def user_delete(self, channel: str, ts: str) -> JSON:
        """The author deletes the message at `ts`: a `message_deleted` event."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        self._remove_message(target, ts)
        parent = self._find_message(target, message.get("thread_ts") or "")
        if parent is not None and parent is not message and parent.get("reply_count"):
            parent["reply_count"] -= 1
        kind = self._channel_kind(target)
        return slack_events.deleted_event(message, target, kind=kind, event_ts=self._next_ts())

    def bot_message(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        bot_id: str = "B0HOOK",
        username: str = "Status Hook",
    ) -> JSON:
        """Another integration posts (subtype bot_message). Our own posts and other apps'
        chat.postMessage carry bot_id without a subtype: use `message_event` for those."""
        target = self._dm_or_channel(channel)
        message = slack_events.bot_message(
            bot_id=bot_id, text=text, ts=self._next_ts(), username=username
        )
        if thread_ts is not None:
            self._join_thread(target, message, thread_ts, bot_id)
        self._messages.setdefault(target, []).append(message)
        return self.message_event(target, message["ts"])

    def message_event(self, channel: str, ts: str) -> JSON:
        """The `message` event Slack sends for the stored message at `ts`: e.g. the echo of
        the bot's own post (bot_id, app_id, user = the bot user, no subtype)."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        return slack_events.message_event(message, target, kind=self._channel_kind(target))

    def echo_events(self, channel: str | None = None) -> list[JSON]:
        """The `message` events Slack sends an app subscribed to message.channels/groups
        about the bot's own chat.postMessage (bot_id, no subtype) and chat.update
        (message_changed) calls, oldest first: forward them to prove the bot ignores
        itself."""
        return [
            copy.deepcopy(e) for e in self._echoes if channel is None or e["channel"] == channel
        ]

    def _channel_kind(self, channel: str) -> str:
        private = bool(self._channels.get(channel, {}).get("is_private"))
        return slack_events.channel_type(channel, is_private=private)
