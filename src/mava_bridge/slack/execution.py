"""Running one Mava write for a Slack user: at most once, audited, with a clear outcome."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError, MavaOutcomeUnknown
from mava_bridge.services.errors import ServiceError
from mava_bridge.slack import text as t
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import slack_error
from mava_bridge.store.audit import AuditRecord
from mava_bridge.store.idempotency import make_key

log = logging.getLogger("mava_bridge.actions")

# A Slack user id; anything else from a request is shown as text, never as a mention.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")

Kind = Literal["ok", "error", "unknown", "duplicate"]


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    message: str  # plain text; the Block Kit builders escape it

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


async def run_action(
    deps: Deps,
    client: AsyncWebClient,
    *,
    person: SlackPerson,
    channel_id: str | None,
    action: str,
    ticket_id: str | None,
    summary: str,
    dedupe: tuple[str, ...],
    write: Callable[[], Awaitable[str]],
    repeatable: bool = False,
) -> Outcome:
    """Do `write` unless the same submission already did; audit and log the result.

    `write` returns the success sentence (plain text). `dedupe` names the submission: the
    same parts within the idempotency window count as a duplicate delivery.
    `repeatable`: the write only sets values, so doing it again later is harmless and may
    be meant (resolve, reopen, resolve again); the key then guards only while it runs.
    """
    key = make_key(action, person.id, ticket_id or "", *dedupe)
    started = time.monotonic()
    if not await deps.idempotency.claim(key):
        outcome = Outcome(
            "duplicate",
            "That was already submitted a moment ago, so it was not sent again.",
        )
    else:
        try:
            sentence = await write()
        except MavaOutcomeUnknown as exc:
            await deps.idempotency.finish(key, "unknown")
            outcome = Outcome("unknown", exc.user_message)
        except (MavaError, ServiceError) as exc:
            await deps.idempotency.release(key)  # nothing happened: trying again is safe
            outcome = Outcome("error", exc.user_message)
        except BaseException:
            await deps.idempotency.finish(key, "unknown")
            raise
        else:
            if repeatable:
                await deps.idempotency.release(key)
            else:
                await deps.idempotency.finish(key, "done")
            outcome = Outcome("ok", sentence)
    duration = time.monotonic() - started
    log.info(
        "action %s %s",
        action,
        outcome.kind,
        extra={
            "action": action,
            "outcome": outcome.kind,
            "duration_ms": round(duration * 1000, 1),
            "ticket": ticket_id,
            "slack_user": person.id,
            "channel": channel_id,
        },
    )
    await audit(deps, client, person, channel_id, action, ticket_id, summary, outcome.kind)
    return outcome


async def admit(
    deps: Deps,
    client: AsyncWebClient,
    *,
    user_id: str,
    channel_id: str | None,
    action: str,
    ticket_id: str | None,
    via: str,
    user_name: str | None = None,
) -> SlackPerson:
    """The person, if they may act; otherwise the refusal is audited and `Denied` raised.

    Every door (command, button, shortcut, modal submission) checks here, so every
    refused attempt leaves one audit row. `via` names the door in the row's summary.
    """
    try:
        return await deps.access.require(user_id)
    except Denied as exc:
        record = AuditRecord(
            user_id,
            user_name,
            channel_id,
            ticket_id,
            action,
            f"{via}: {exc.user_message}",
            "refused",
        )
        await _record(deps, client, record)
        log.info(
            "action %s refused",
            action,
            extra={"action": action, "outcome": "refused", "slack_user": user_id, "via": via},
        )
        raise


async def audit(
    deps: Deps,
    client: AsyncWebClient,
    person: SlackPerson,
    channel_id: str | None,
    action: str,
    ticket_id: str | None,
    summary: str,
    outcome: str,
) -> None:
    record = AuditRecord(person.id, person.name, channel_id, ticket_id, action, summary, outcome)
    await _record(deps, client, record)


async def _record(deps: Deps, client: AsyncWebClient, record: AuditRecord) -> None:
    await deps.audit.record(record)
    channel = deps.settings.audit_channel
    if not channel:
        return
    channel_id = record.channel_id
    where = f" in <#{channel_id}>" if channel_id and channel_id.startswith("C") else ""
    ticket = f" `{record.ticket_id}`" if record.ticket_id else ""
    user = record.slack_user_id
    who = f"<@{user}>" if _USER_ID.fullmatch(user) else t.escape(user[:40])
    line = (
        f"{who} {t.escape(record.action)}{ticket}{where}: "
        f"{t.escape_and_truncate(t.one_line(record.summary), 300)} ({record.outcome})"
    )
    try:
        await client.chat_postMessage(channel=channel, text=line, unfurl_links=False)
    except Exception as exc:  # the database record stands; the channel is a mirror
        log.warning("audit channel post failed", extra={"error": slack_error(exc)})
