"""Who may act on tickets from Slack.

Refused always, for anything that changes or reveals ticket data: guests (restricted and
ultra-restricted), people from another workspace (Slack Connect) and bots. Then, if
ALLOWED_SLACK_USER_IDS or ALLOWED_SLACK_USERGROUP_IDS is set, only those people.
users.info answers are cached in the database (shared by replicas, see
mava_bridge.store.seen) for a TTL, and in memory until the same moment, so a
burst of commands costs no database round trip per command. The database cache is only
a cache: when it cannot be read or written (a pool exhausted by a burst, a database
restart) the check asks Slack and goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack.errors import TRANSIENT_ERRORS, error_code, http_status, slack_error
from mava_bridge.slack.identity import BotIdentity
from mava_bridge.store.db import Database
from mava_bridge.store.seen import cache_profile, cached_profile

log = logging.getLogger("mava_bridge.slack.access")

# People remembered in memory per process (a few hundred bytes each).
MAX_REMEMBERED = 10_000


class Denied(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class SlackPerson:
    id: str
    name: str
    email: str | None
    team_id: str | None
    is_bot: bool
    is_guest: bool
    deleted: bool

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> SlackPerson:
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user.get("id", "someone")
        )
        return cls(
            id=str(user.get("id", "")),
            name=str(name),
            email=profile.get("email"),
            team_id=user.get("team_id"),
            is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            deleted=bool(user.get("deleted")),
        )


class AccessControl:
    def __init__(
        self,
        client: AsyncWebClient,
        db: Database,
        identity: BotIdentity,
        *,
        allowed_users: Sequence[str] = (),
        allowed_groups: Sequence[str] = (),
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.db = db
        self.allowed_users = frozenset(allowed_users)
        self.allowed_groups = tuple(allowed_groups)
        self.ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self.identity = identity
        self._lookups: dict[str, asyncio.Future[SlackPerson]] = {}
        self._groups: tuple[float, frozenset[str]] | None = None
        # user id -> (when the profile was fetched from Slack, the person)
        self._people: dict[str, tuple[datetime, SlackPerson]] = {}

    async def require(self, user_id: str) -> SlackPerson:
        """The person, if they may act; otherwise `Denied` with the reason."""
        person = await self.person(user_id)
        if person.is_bot:
            raise Denied("Bots can't act on Mava tickets.")
        if person.deleted:
            raise Denied("This Slack account is deactivated.")
        if person.is_guest:
            raise Denied(
                "Guests can't act on Mava tickets. Ask a workspace admin if you need access."
            )
        home = await self.identity.team_id()
        if person.team_id and home and person.team_id != home:
            raise Denied(
                "People from another workspace (Slack Connect) can't act on Mava tickets here."
            )
        if (self.allowed_users or self.allowed_groups) and not await self._listed(person.id):
            raise Denied(
                "You are not on the list of people allowed to use /mava. Ask an admin to add "
                "you to ALLOWED_SLACK_USER_IDS or one of ALLOWED_SLACK_USERGROUP_IDS."
            )
        return person

    async def person(self, user_id: str) -> SlackPerson:
        now = datetime.now(UTC)
        remembered = self._people.get(user_id)
        if remembered is not None and now - remembered[0] < self.ttl:
            return remembered[1]
        cached = await cached_profile(self.db, user_id)
        if cached is not None and now - cached.fetched_at < self.ttl:
            person = SlackPerson.from_api(cached.data)
            self._remember(user_id, cached.fetched_at, person)
            return person
        # One users.info per person at a time: a burst of clicks or commands by one
        # person shares it (Slack rate-limits users.info).
        lookup = self._lookups.get(user_id)
        if lookup is None:
            lookup = asyncio.ensure_future(self._look_up(user_id, now))
            self._lookups[user_id] = lookup
            lookup.add_done_callback(lambda _done: self._lookups.pop(user_id, None))
        return await asyncio.shield(lookup)

    async def _look_up(self, user_id: str, now: datetime) -> SlackPerson:
        try:
            response = await self.client.users_info(user=user_id)
        except Exception as exc:  # Slack's error, an HTML 502, a timeout: all told alike
            raise Denied(
                f"Your Slack profile could not be looked up ({slack_error(exc)}), "
                "so the action was not taken. Try again in a moment."
            ) from exc
        user: dict[str, Any] = response["user"]
        person = SlackPerson.from_api(user)
        self._remember(user_id, now, person)
        await cache_profile(self.db, user_id, user, now)
        return person

    def _remember(self, user_id: str, fetched_at: datetime, person: SlackPerson) -> None:
        self._people.pop(user_id, None)
        self._people[user_id] = (fetched_at, person)
        while len(self._people) > MAX_REMEMBERED:  # oldest first (dicts keep order)
            self._people.pop(next(iter(self._people)))

    async def _listed(self, user_id: str) -> bool:
        if user_id in self.allowed_users:
            return True
        members, failure = await self._group_members()
        if user_id in members:
            return True
        if failure is not None:  # maybe in the group Slack could not list: don't guess
            raise Denied(
                f"Slack could not list the allowed user groups ({failure}), so the action "
                "was not taken. Try again in a moment."
            )
        return False

    async def _group_members(self) -> tuple[frozenset[str], str | None]:
        """Members of the allowed groups, and the error if Slack failed to list one
        (then the answer is not cached)."""
        if self._groups is not None and self._clock() - self._groups[0] < self.ttl.total_seconds():
            return self._groups[1], None
        members: set[str] = set()
        failure = None
        for group in self.allowed_groups:
            try:
                response = await self.client.usergroups_users_list(usergroup=group)
            except Exception as exc:
                if _group_refused(exc):
                    log.warning("allowed user group %s: %s", group, slack_error(exc))
                    continue  # an unknown group grants nobody; the others still count
                failure = slack_error(exc)
                continue
            members.update(response.get("users") or [])
        if failure is None:
            self._groups = (self._clock(), frozenset(members))
        return frozenset(members), failure


def _group_refused(exc: BaseException) -> bool:
    """Slack said no about the group itself (no_such_subteam, missing_scope), as opposed
    to not answering properly (a 5xx, HTML, a timeout): only the latter is worth a retry."""
    if not isinstance(exc, SlackApiError):
        return False
    code = error_code(exc.response)
    status = http_status(exc.response)
    return code is not None and code not in TRANSIENT_ERRORS and (status is None or status < 500)
