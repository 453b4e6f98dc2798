"""Files shared in followed threads that Mava was given a link to: token -> the Slack
file. A token is `secrets.token_urlsafe(32)` (256 random bits): the link cannot be
guessed or derived from a file id, and an altered one matches nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from mava_bridge.store.db import Database
from mava_bridge.store.tables import SharedFile, utcnow

TOKEN_BYTES: Final = 32
_NAME: Final = 255


@dataclass(frozen=True)
class FileToShare:
    """What the bot knows of a Slack file when it is posted (plain values)."""

    file_id: str
    url_private: str
    name: str
    mimetype: str


class SharedFiles:
    """The table's two uses: `share` when a note is written, `find` when Mava fetches."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def share(self, file: FileToShare, *, channel_id: str, ticket_id: str) -> str:
        """Record `file` under a new token; returns the token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        row = SharedFile(
            token=token,
            file_id=file.file_id,
            url_private=file.url_private,
            name=file.name[:_NAME],
            mimetype=file.mimetype[:_NAME],
            channel_id=channel_id,
            ticket_id=ticket_id,
            created_at=self._clock(),
        )
        async with self._db.session() as session, session.begin():
            session.add(row)
        return token

    async def find(self, token: str) -> SharedFile | None:
        """The file behind `token`, or None (unknown, altered or malformed)."""
        if not token or len(token) > 64:
            return None
        return await self._db.get(SharedFile, token)
