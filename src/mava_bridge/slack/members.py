"""Which Slack member has an email (users.lookupByEmail), for the assignment DMs: a Mava
agent is the member whose Slack email is the agent's email.

Answers are remembered for `ttl` seconds, "nobody" included (users_not_found), so a
poll that DMs the same agent twice asks Slack once. Any other failure is raised, not
remembered: the DM waits for the next poll rather than being taken for "no member".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import MayReceive, SlackUnsure
from mava_bridge.slack.access import AccessControl, Denied
from mava_bridge.slack.errors import error_code

# Slack's "nobody here has that email" (and a deactivated or external address).
NOT_FOUND: Final = frozenset({"users_not_found", "user_not_found"})


class MemberDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._found: dict[str, tuple[float, str | None]] = {}

    async def user_for_email(self, email: str) -> str | None:
        key = email.casefold()
        now = self._clock()
        remembered = self._found.get(key)
        if remembered is not None and now - remembered[0] < self._ttl:
            return remembered[1]
        try:
            response = await self._client.users_lookupByEmail(email=email)
            user = response.get("user") or {}
            found = None if user.get("deleted") or user.get("is_bot") else user.get("id")
        except SlackApiError as exc:
            if error_code(exc.response) not in NOT_FOUND:
                raise
            found = None
        self._found[key] = (now, found if isinstance(found, str) else None)
        return self._found[key][1]


def receives_dms(access: AccessControl) -> MayReceive:
    """The rules of /mava for a DM's recipient: no ticket to a guest, a member of another
    workspace, a deactivated account or one off the allow-list. A refusal that only says
    Slack could not answer now ("Try again") is raised, so the DM waits for the next look."""

    async def may_receive(user_id: str) -> bool:
        try:
            await access.require(user_id)
        except Denied as exc:
            if "Try again" in exc.user_message:
                raise SlackUnsure(exc.user_message) from exc
            return False
        return True

    return may_receive
