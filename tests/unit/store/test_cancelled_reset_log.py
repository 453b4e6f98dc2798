"""Work cancelled inside a database session (the drain's end at shutdown, under load)
makes SQLAlchemy's pool log "Exception during reset or similar" with a traceback at
ERROR. The bot turns that one case into one INFO line; every other pool error keeps its
level and traceback."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from mava_bridge.store.db import Database, quiet_cancelled_resets


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


async def test_a_reset_cut_off_by_cancellation_is_one_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    quiet_cancelled_resets(db)
    quiet_cancelled_resets(db)  # once per process, however often the bridge is built
    pool_logger = logging.getLogger(db.engine.pool.logger.name)  # SQLAlchemy's own
    with caplog.at_level(logging.INFO, logger=pool_logger.name):
        pool_logger.error(
            "Exception during reset or similar", exc_info=raised(asyncio.CancelledError())
        )
        pool_logger.error("Exception during reset or similar", exc_info=raised(OSError("disk")))
    cancelled, other = caplog.records
    assert (cancelled.levelname, cancelled.getMessage(), cancelled.exc_info) == (
        "INFO",
        "a database connection was dropped: its work was cancelled",
        None,
    )
    assert other.levelname == "ERROR" and other.exc_info is not None
    await db.dispose()
