"""Who the bot is, who may act on tickets from Slack, and who has an email.

Refused always, for anything that changes or reveals ticket data: guests, people from
another workspace (Slack Connect) and bots. Then, if ALLOWED_SLACK_USER_IDS or
ALLOWED_SLACK_USERGROUP_IDS is set, only those people. users.info answers are cached in
the database (shared by replicas) and in memory for a TTL, so a burst of commands costs
no database round trip each. The database is only a cache: when it cannot be read or
written, the check asks Slack and goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from mava_bridge.delivery.ports import MayReceive, SlackUnsure
from mava_bridge.slack.errors import TRANSIENT_ERRORS, error_code, http_status, slack_error
from mava_bridge.store.db import Database
from mava_bridge.store.seen import cache_profile, cached_profile

log = logging.getLogger("mava_bridge.slack.access")

# People remembered in memory per process (a few hundred bytes each).
MAX_REMEMBERED = 10_000
# Slack's "nobody here has that email" (and a deactivated or external address).
NOT_FOUND: Final = frozenset({"users_not_found", "user_not_found"})


class Denied(Exception):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class BotIdentity:
    """`auth.test`, asked once and shared. Bolt's default asks it on every request until
    the first answer, so a burst into a fresh replica would each wait on Slack; here
    concurrent callers share one call, and `mava-bot run` asks before it reports ready."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._answer: AsyncSlackResponse | None = None
        self._lock = asyncio.Lock()

    async def auth_test(self) -> AsyncSlackResponse:
        """The first successful answer; a failure is not kept, so the next call asks again."""
        if self._answer is None:
            async with self._lock:
                if self._answer is None:
                    self._answer = await self.client.auth_test()
        return self._answer

    def authorize(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """Bolt's `authorize`: the bot token, with what auth.test said of it. A closure, as
        Bolt passes arguments by name (none here: a method's `self` would be one)."""

        async def authorize() -> AuthorizeResult:
            return AuthorizeResult.from_auth_test_response(
                bot_token=self.client.token, auth_test_response=await self.auth_test()
            )

        return authorize


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
        *,
        allowed_users: Sequence[str] = (),
        allowed_groups: Sequence[str] = (),
        ttl_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.db = db
        self.identity = BotIdentity(client)
        self.allowed_users = frozenset(allowed_users)
        self.allowed_groups = tuple(allowed_groups)
        self.ttl = timedelta(seconds=ttl_seconds)
        self._lookups: dict[str, asyncio.Future[SlackPerson]] = {}
        self._groups: tuple[datetime, frozenset[str]] | None = None
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
        home: Any = (await self.identity.auth_test()).get("team_id")
        if person.team_id and home and person.team_id != str(home):
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
        now = datetime.now(UTC)
        if self._groups is not None and now - self._groups[0] < self.ttl:
            return user_id in self._groups[1]
        members: set[str] = set()
        failure = None
        for group in self.allowed_groups:
            try:
                response = await self.client.usergroups_users_list(usergroup=group)
            except Exception as exc:
                if _group_refused(exc):  # an unknown group grants nobody; the others count
                    log.warning("allowed user group %s: %s", group, slack_error(exc))
                else:
                    failure = slack_error(exc)
                continue
            members.update(response.get("users") or [])
        if failure is None:  # a failed listing is not remembered
            self._groups = (now, frozenset(members))
        if user_id in members:
            return True
        if failure is not None:  # maybe in the group Slack could not list: don't guess
            raise Denied(
                f"Slack could not list the allowed user groups ({failure}), so the action "
                "was not taken. Try again in a moment."
            )
        return False


def _group_refused(exc: BaseException) -> bool:
    """Slack said no about the group itself (no_such_subteam, missing_scope), rather than
    not answering properly (a 5xx, HTML, a timeout), which is worth a retry."""
    if not isinstance(exc, SlackApiError):
        return False
    code = error_code(exc.response)
    status = http_status(exc.response)
    return code is not None and code not in TRANSIENT_ERRORS and (status is None or status < 500)


def receives_dms(access: AccessControl) -> MayReceive:
    """The rules of /mava for a DM's recipient (no ticket to a guest, another workspace's
    member, a deactivated account or one off the allow-list). A refusal that only says
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


class MemberDirectory:
    """Which Slack member has an email (users.lookupByEmail), for the assignment DMs.
    Answers are remembered for `ttl` seconds, "nobody" included, so a poll that DMs an
    agent twice asks once; any other failure is raised, so the DM waits for the next poll
    rather than taking it for "no member"."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = 600.0) -> None:
        self._client = client
        self._ttl = timedelta(seconds=ttl)
        self._found: dict[str, tuple[datetime, str | None]] = {}

    async def user_for_email(self, email: str) -> str | None:
        key = email.casefold()
        now = datetime.now(UTC)
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
