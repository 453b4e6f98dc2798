"""The audit channel: a Slack copy of each audit record, posted to AUDIT_CHANNEL.

This is the Slack side of `services.outcome.AuditMirror`; the database row is the record,
so a failed post is logged and nothing more.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack import text as t
from mava_bridge.slack.errors import slack_error
from mava_bridge.store.audit import AuditRecord

log = logging.getLogger("mava_bridge.actions")


class AuditChannel:
    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def __call__(self, record: AuditRecord) -> None:
        line = audit_line(record)
        try:
            await self._client.chat_postMessage(
                channel=self._channel, text=line, unfurl_links=False
            )
        except Exception as exc:  # the database record stands; the channel is a mirror
            log.warning("audit channel post failed", extra={"error": slack_error(exc)})


def audit_line(record: AuditRecord) -> str:
    """One mrkdwn line for the audit channel; the request's text stays text."""
    channel_id = record.channel_id
    where = f" in <#{channel_id}>" if channel_id and channel_id.startswith("C") else ""
    ticket = f" `{record.ticket_id}`" if record.ticket_id else ""
    user = record.slack_user_id
    who = t.mention(user[:40])  # a user id, else inert text
    return (
        f"{who} {t.escape(record.action)}{ticket}{where}: "
        f"{t.escape_and_truncate(t.one_line(record.summary), 300)} ({record.outcome})"
    )
