"""Slack profiles (users.info answers) cached in the database, shared by replicas.

Only a cache: when it cannot be read or written (a pool exhausted by a burst, a
database restart) that is one WARNING and a miss, and the caller asks Slack
(mava_bridge.slack.access)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.store.db import Database
from mava_bridge.store.tables import SlackUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedProfile:
    data: dict[str, Any]  # users.info's `user`
    fetched_at: datetime


async def cached_profile(db: Database, user_id: str) -> CachedProfile | None:
    """The cached answer for this person, None if there is none or it cannot be read."""
    try:
        row = await db.get(SlackUser, user_id)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("profile cache not read (%s); asking Slack", type(exc).__name__)
        return None
    return None if row is None else CachedProfile(row.data, row.fetched_at)


async def cache_profile(db: Database, user_id: str, data: dict[str, Any], now: datetime) -> None:
    """Remember users.info's answer; not written: the next look-up asks Slack again."""
    try:
        await db.upsert(SlackUser, ["user_id"], user_id=user_id, data=data, fetched_at=now)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("profile cache not written (%s)", type(exc).__name__)
