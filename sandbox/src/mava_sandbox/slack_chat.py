"""chat.* and reactions.* in the Slack stub."""

from __future__ import annotations

import copy

from mava_sandbox import block_kit_rules, slack_events, slack_unfurls
from mava_sandbox.slack_people import PeopleMixin
from mava_sandbox.slack_stub_types import JSON, SlackApiFailure, invalid_failure, refusal_failure


class ChatMixin(PeopleMixin):
    """Posting, ephemerals, updates, deletes, unfurls, permalinks and reactions.

    Over PeopleMixin: the bot's own posts come back to it as message events too."""

    def _chat_post_message(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        self._check_message(params)
        message = self._store_message(channel, params)
        self._echoes.append(self.message_event(channel, message["ts"]))
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        user_id = str(params.get("user") or "")
        user = self._users.get(user_id)
        if not user_id or (user is None and self.strict_users) or (user and user.deleted):
            raise SlackApiFailure("user_not_in_channel")
        self._check_message(params)
        message_ts = self._next_ts()
        ephemeral: JSON = {"channel": channel, "user": user_id, "message_ts": message_ts}
        for key in ("text", "blocks", "attachments", "thread_ts"):
            if params.get(key):
                ephemeral[key] = copy.deepcopy(params[key])
        self._ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": message_ts}

    def _answer_ephemeral(self, channel: str, message_ts: str, body: JSON) -> None:
        """A response_url post after a click on an ephemeral: delete_original removes it,
        replace_original replaces its content (an ephemeral still, for the same person)."""
        for i, shown in enumerate(self._ephemerals):
            if (shown["channel"], shown["message_ts"]) != (channel, message_ts):
                continue
            if body.get("delete_original"):
                del self._ephemerals[i]
            elif body.get("replace_original"):
                kept = ("channel", "user", "message_ts", "thread_ts")
                replaced: JSON = {k: shown[k] for k in kept if k in shown}
                for key in ("text", "blocks", "attachments"):
                    if body.get(key):
                        replaced[key] = copy.deepcopy(body[key])
                self._ephemerals[i] = replaced
            return

    def _own_message(self, params: JSON, not_ours: str) -> tuple[str, str, JSON]:
        """The bot's message at params' channel and ts, as chat.update and chat.delete
        find it: Slack's `not_ours` error for another's message."""
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._find_message(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise SlackApiFailure(not_ours)
        return channel, ts, message

    def _chat_update(self, params: JSON) -> JSON:
        channel, ts, message = self._own_message(params, "cant_update_message")
        if not any(params.get(k) is not None for k in ("text", "blocks", "attachments")):
            raise SlackApiFailure("no_text")
        self._check_message(params, require_content=False)
        before = copy.deepcopy(message)
        self._edit(message, params)
        kind = self._channel_kind(channel)
        edited_at = str(message["edited"]["ts"])
        self._echoes.append(
            slack_events.changed_event(before, message, channel, kind=kind, event_ts=edited_at)
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, params: JSON) -> JSON:
        channel, ts, _ = self._own_message(params, "cant_delete_message")
        self._remove_message(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_unfurl(self, params: JSON) -> JSON:
        """Either form Slack takes: channel + ts, or unfurl_id + source."""
        if params.get("unfurl_id") or params.get("source"):
            if params.get("source") not in slack_unfurls.SOURCES:
                raise SlackApiFailure("invalid_source")
            where = self._unfurl_ids.get(str(params.get("unfurl_id") or ""))
            if where is None:
                raise SlackApiFailure("invalid_unfurl_id")
            channel, ts = where
        elif params.get("channel") and params.get("ts"):
            channel = self._resolve_channel(params.get("channel"))
            ts = str(params["ts"])
        else:
            raise SlackApiFailure("invalid_arguments")
        message = self._find_message(channel, ts)
        if message is None and channel != slack_unfurls.COMPOSER:
            raise SlackApiFailure("cannot_find_message")
        urls = slack_unfurls.links_in(str((message or {}).get("text") or ""))
        unfurls = params.get("unfurls")
        problems = slack_unfurls.unfurl_problems(unfurls, urls) if message else []
        if problems:
            raise invalid_failure("cannot_unfurl_message", problems)
        if isinstance(unfurls, dict) and any(
            isinstance(u, dict) and block_kit_rules.has_blocks(u) for u in unfurls.values()
        ):
            block_problems = block_kit_rules.unfurl_problems(unfurls)
            refusal = block_kit_rules.Refusal("invalid_arguments", tuple(block_problems))
            self.tally.count(refusal if block_problems else None)
            if block_problems:
                raise refusal_failure(refusal)
        if message is not None:  # Slack modifies the same unfurls on a second call
            message.setdefault("unfurls", {}).update(copy.deepcopy(unfurls))
        return {"ok": True}

    def _chat_get_permalink(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise SlackApiFailure("message_not_found")
        # Lenient on unknown ts: payloads in tests reference messages users "posted".
        permalink = self.permalink(channel, ts)
        stored = self._find_message(channel, ts)
        if stored is not None and stored.get("thread_ts") not in (None, ts):
            permalink += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _reacted_message(self, params: JSON) -> tuple[JSON, str]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("timestamp") or "")
        if not ts:
            raise SlackApiFailure("no_item_specified")
        message = self._find_message(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise SlackApiFailure("invalid_name")
        return message, name

    def _reactions_add(self, params: JSON) -> JSON:
        message, name = self._reacted_message(params)
        reactions: list[JSON] = message.setdefault("reactions", [])
        found = next((r for r in reactions if r["name"] == name), None)
        if found is not None and self.bot_user_id in found["users"]:
            raise SlackApiFailure("already_reacted")
        if found is None:
            found = {"name": name, "users": [], "count": 0}
            reactions.append(found)
        found["users"].append(self.bot_user_id)
        found["count"] = len(found["users"])
        return {"ok": True}

    def _reactions_remove(self, params: JSON) -> JSON:
        message, name = self._reacted_message(params)
        reactions: list[JSON] = message.get("reactions", [])
        found = next((r for r in reactions if r["name"] == name), None)
        if found is None or self.bot_user_id not in found["users"]:
            raise SlackApiFailure("no_reaction")
        found["users"].remove(self.bot_user_id)
        found["count"] = len(found["users"])
        if not found["users"]:
            reactions.remove(found)
        if not reactions:
            message.pop("reactions", None)
        return {"ok": True}
