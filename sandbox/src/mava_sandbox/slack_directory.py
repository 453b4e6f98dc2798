"""users.*, usergroups.* and conversations.* in the Slack stub, and the test controls that
change the workspace's people and channels.
"""

from __future__ import annotations

import copy
import time

from mava_sandbox import slack_history
from mava_sandbox.slack_state import StubState
from mava_sandbox.slack_stub_types import DEFAULT_TEAM_ID, JSON, SlackApiFailure, StubUser


class DirectoryMixin(StubState):
    """People, user groups and channels."""

    # ------------------------------------------------------------------ directory

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        is_bot: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        tz: str = "Europe/London",
    ) -> StubUser:
        user = StubUser(
            user_id,
            name=name,
            real_name=real_name,
            display_name=display_name,
            email=email,
            team_id=team_id,
            is_bot=is_bot,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            deleted=deleted,
            is_admin=is_admin,
            tz=tz,
        )
        self._users[user_id] = user
        return user

    def remove_user(self, user_id: str) -> None:
        self._users.pop(user_id, None)

    def user(self, user_id: str) -> StubUser | None:
        return self._users.get(user_id)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
        is_ext_shared: bool = False,
    ) -> JSON:
        """Give conversations.info something specific to say (unknown ids get a public channel)."""
        channel = self._synth_channel(channel_id, name or channel_id.lower())
        channel.update(
            {
                "is_private": is_private,
                "is_group": is_private,
                "is_channel": not is_private,
                "is_archived": is_archived,
                "is_member": is_member,
                "is_ext_shared": is_ext_shared,
                "is_shared": is_ext_shared,
            }
        )
        self._channels[channel_id] = channel
        return channel

    def join(self, channel_id: str, *user_ids: str) -> None:
        """`user_ids` are members of `channel_id` (what users.conversations answers)."""
        self._members.setdefault(channel_id, set()).update(user_ids)

    def home_view(self, user_id: str) -> JSON | None:
        """The App Home view last published for `user_id` (None: never published)."""
        view_id = self._home_views.get(user_id)
        return copy.deepcopy(self._views.get(view_id)) if view_id else None

    # ------------------------------------------------------------------ methods: conversations

    def _conversations_info(self, params: JSON) -> JSON:
        channel_id = str(params.get("channel") or "")
        if not channel_id or channel_id in self.channels_not_found:
            raise SlackApiFailure("channel_not_found")
        if channel_id in self._channels:
            return {"ok": True, "channel": copy.deepcopy(self._channels[channel_id])}
        if channel_id.startswith("D"):
            user_id = f"U{channel_id[1:]}"
            return {
                "ok": True,
                "channel": {
                    "id": channel_id,
                    "created": 1_700_000_000,
                    "is_archived": False,
                    "is_im": True,
                    "is_org_shared": False,
                    "context_team_id": self.team_id,
                    "updated": 1_700_000_000_000,
                    "user": user_id,
                    "is_user_deleted": bool(
                        self._users.get(user_id) and self._users[user_id].deleted
                    ),
                    "priority": 0,
                },
            }
        return {"ok": True, "channel": self._synth_channel(channel_id, channel_id.lower())}

    def _conversations_open(self, params: JSON) -> JSON:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        if len(users) == 1:
            channel = self._resolve_channel(users[0])
        else:
            channel = "G" + "".join(u[1:] for u in sorted(users))[:20]
        return {"ok": True, "channel": {"id": channel}}

    def _conversations_history(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        try:
            return slack_history.history(self._messages.get(channel, []), params)
        except slack_history.HistoryError as refused:
            raise SlackApiFailure(refused.error) from refused

    def _conversations_replies(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        found = self._find_message(channel, ts)
        if found is None:
            raise SlackApiFailure("thread_not_found")
        root = str(found.get("thread_ts") or ts) if self.replies_of_a_reply == "thread" else ts
        thread = [m for m in self._messages[channel] if root in (m["ts"], m.get("thread_ts"))]
        try:
            page = slack_history.replies(thread, params)
            shown = {m["ts"] for m in page["messages"]}
            if root != ts and root not in shown:  # the root first, whatever the bounds
                bare = {k: v for k, v in params.items() if k not in ("oldest", "latest", "cursor")}
                page["messages"][:0] = slack_history.replies(thread[:1], bare)["messages"]
            return page
        except slack_history.HistoryError as refused:
            raise SlackApiFailure(refused.error) from refused

    # ------------------------------------------------------------------ methods: users/groups

    def _users_info(self, params: JSON) -> JSON:
        return {"ok": True, "user": self._require_user(params.get("user")).to_slack()}

    def _users_lookup_by_email(self, params: JSON) -> JSON:
        email = str(params.get("email") or "").lower()
        for user in self._users.values():
            if user.email is not None and user.email.lower() == email and not user.is_bot:
                return {"ok": True, "user": user.to_slack()}
        raise SlackApiFailure("users_not_found")

    def _users_conversations(self, params: JSON) -> JSON:
        """The channels `user` was `join`ed to (one page, archived ones left out)."""
        user = self._require_user(params.get("user")).id
        found = [
            copy.deepcopy(self._channels.get(c) or self._synth_channel(c, c.lower()))
            for c, members in self._members.items()
            if user in members
        ]
        channels = [c for c in found if not c.get("is_archived")]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _users_list(self, params: JSON) -> JSON:
        return {
            "ok": True,
            "members": [u.to_slack() for u in self._users.values()],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": ""},
        }

    def _usergroups_list(self, params: JSON) -> JSON:
        include_users = str(params.get("include_users", "")).lower() in ("1", "true")
        groups = []
        for group in self._usergroups.values():
            shown: JSON = {
                "id": group["id"],
                "team_id": self.team_id,
                "is_usergroup": True,
                "name": group["name"],
                "description": "",
                "handle": group["handle"],
                "is_external": False,
                "date_create": 1_700_000_000,
                "date_update": 1_700_000_000,
                "date_delete": 0,
                "auto_type": None,
                "created_by": "U0JANE",
                "updated_by": "U0JANE",
                "deleted_by": None,
                "prefs": {"channels": [], "groups": []},
                "user_count": len(group["users"]),
            }
            if include_users:
                shown["users"] = list(group["users"])
            groups.append(shown)
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, params: JSON) -> JSON:
        group = self._usergroups.get(str(params.get("usergroup") or ""))
        if group is None:
            raise SlackApiFailure("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}
