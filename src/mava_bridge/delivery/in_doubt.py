"""Each delivery posted once, for every kind on the ledger (store.ledger) alike: a
claimed post made and marked (`post_claimed`), and a claim a take-over left in doubt
looked for in the chat, by the `Tag` every post carries, before it goes again
(`settle`). A grouped assignment DM's tag lists the (ticket, generation) rows it tells,
so the person's DM is read once for all of them (`settle_dm_claims`). The tags are
written here once, so a post and the look for it always agree.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import ALERT, DM, RATING, REMINDER, SLA, THREAD, DeliveryFailed, Tag
from mava_bridge.mava.models import Ticket
from mava_bridge.store import assignments
from mava_bridge.store.ledger import POSTED, Key, Ledger

log = logging.getLogger(__name__)

FOUND: Final = "an interrupted post is in Slack already: recorded, not posted again"


def thread_tag(follow_id: int, item_key: str, ticket_id: str) -> Tag:
    return Tag(THREAD, f"{follow_id}/{item_key}", ticket_id)


def alert_tag(ticket_id: str) -> Tag:
    return Tag(ALERT, ticket_id, ticket_id)


def reminder_tag(ticket_id: str, period: str) -> Tag:
    """A waiting period's reminder, or (ticket `backlog`) a subscription's summary."""
    return Tag(REMINDER, f"{ticket_id}/{period}", ticket_id)


def sla_tag(where: str, item: tuple[str, str, str], *, dm: bool) -> Tag:
    """In a channel keyed by the item (ticket, clock, level); in a DM keyed by the
    person, the item listed (a DM is read back with `listed`)."""
    key = "/".join(item)
    return Tag(SLA, where, item[0], items=(key,)) if dm else Tag(SLA, key, item[0])


def rating_tag(ticket_id: str) -> Tag:
    return Tag(RATING, ticket_id, ticket_id)


def dm_item(ticket_id: str, generation: int) -> str:
    return f"{ticket_id}/{generation}"


def dm_tag(user_id: str, keys: Sequence[tuple[str, int]] = ()) -> Tag:
    return Tag(DM, user_id, items=tuple(dm_item(t, g) for t, g in keys))


async def settle_dm_claims(
    parts: DeliveryParts,
    user_id: str,
    keys: Sequence[tuple[str, int]],
    doubt: dict[tuple[str, int], datetime],
) -> set[tuple[str, int]]:
    """Of the assignments `keys` about to be DMed to `user_id`, those in `doubt` (a
    take-over left them; each with its claim time) that a DM since the earliest claim
    told already: recorded `posted` with that DM's ts, not to be told again. The rest
    (all, when the chat could not tell: said once) are sent as before."""
    mine = {key: doubt[key] for key in keys if key in doubt}
    if parts.lookback is None or not mine:
        return set()
    seen = await parts.lookback.listed(user_id, dm_tag(user_id), since=min(mine.values()))
    if not isinstance(seen, dict):
        return set()
    found = {key: seen[dm_item(*key)] for key in mine if dm_item(*key) in seen}
    for ts in sorted(set(found.values())):
        told = [key for key, at in found.items() if at == ts]
        await assignments.finish_dms(
            parts.db, told, assignments.POSTED, parts.clock(), ts=ts, slack_user_id=user_id
        )
        log.info(FOUND, extra={"channel": user_id, "kind": DM, "key": user_id, "ts": ts})
    return set(found)


async def settle(
    parts: DeliveryParts,
    ledger: Ledger,
    scope: Key,
    among: Iterable[Any] | None,
    tag: Callable[[Any], Tag],
    channel: str,
    *columns: str,
    thread_ts: str | None = None,
    states: dict[Any, str] | None = None,
) -> dict[Any, tuple[str, Row[Any]]]:
    """The claims of `ledger` in `scope` (`among` these, or all) a take-over left in
    doubt, each settled once: its post (`tag(rest of key)`) found in `channel` (or the
    thread; a tag with `items`: among those a DM lists), recorded `posted` with that ts;
    else released, to be posted again. Returns those found: rest of key -> (ts, row of
    `claimed_at` and `columns`), and updates `states` (rest -> state) to match. Without
    an owner there is no take-over either."""
    if parts.owner is None:
        return {}
    found: dict[Any, tuple[str, Row[Any]]] = {}
    for rest, row in (await ledger.in_doubt(parts.db, scope, among, *columns)).items():
        key = (*scope, *(rest if isinstance(rest, tuple) else (rest,)))
        look, seen = tag(rest), None
        # Not there, or the chat could not tell: posted again.
        if parts.lookback is not None and not look.items:
            seen = await parts.lookback.find(
                channel, look, since=row.claimed_at, thread_ts=thread_ts
            )
        elif parts.lookback is not None:  # a DM listing what it tells: among its items
            listed = await parts.lookback.listed(channel, look, since=row.claimed_at)
            seen = listed.get(look.items[0]) if isinstance(listed, dict) else None
        if not isinstance(seen, str):
            await ledger.release(parts.db, key)
            if states is not None:
                states.pop(rest, None)
        else:
            log.info(
                FOUND, extra={"channel": channel, "kind": look.kind, "key": look.key, "ts": seen}
            )
            await ledger.mark_posted(parts.db, key, seen, parts.clock())
            if states is not None:
                states[rest] = POSTED
            found[rest] = (seen, row)
    return found


async def post_claimed(
    parts: DeliveryParts,
    ledger: Ledger,
    key: Key,
    post: Callable[[], Awaitable[str]],
    logger: logging.Logger,
    what: str,
    extra: Mapping[str, Any],
    *,
    refused: str | None = None,
) -> str:
    """Post a delivery this process claimed (`key` of `ledger`), then mark it posted;
    its ts. Refused by Slack: logged (one WARNING, "`what` not posted") and the claim
    released, so the next poll tries again, or, with `refused`, when no retry would
    help, recorded in that state (skipped for good); the `DeliveryFailed` is raised.
    A mark the database lost is logged: the claim goes stale and is posted again."""
    try:
        ts = await post()
    except DeliveryFailed as failure:
        logger.warning("%s not posted", what, extra={**extra, **failure.log_fields()})
        if refused is not None and not (failure.retryable or failure.channel_unusable):
            await ledger.set(parts.db, [key], {"state": refused, "posted_at": parts.clock()})
        else:
            await ledger.release(parts.db, key)
        raise
    try:
        await ledger.mark_posted(parts.db, key, ts, parts.clock())
    except SQLAlchemyError:
        logger.exception("%s posted but not recorded", what, extra={**extra, "ts": ts})
    return ts


async def post_card(
    parts: DeliveryParts,
    ledger: Ledger,
    key: Key,
    ticket: Ticket,
    said: str,
    tag: Tag,
    logger: logging.Logger,
    what: str,
    now: datetime,
    **claim: Any,
) -> str | None:
    """Claim `key` (its first part the channel or member), post `ticket`'s card under
    `said` there and mark it (`post_claimed`): its ts, None if another process holds
    it. `claim`: the row's other columns."""
    if not await ledger.claim(parts.db, key, now, parts.owner, **claim):
        return None
    where, renderer = key[0], parts.renderer
    return await post_claimed(
        parts,
        ledger,
        key,
        lambda: parts.poster.post(
            where,
            renderer.alert_text(ticket, said),
            renderer.alert_message(ticket, link=parts.link, now=now, reason=said),
            tag=tag,
        ),
        logger,
        what,
        {"channel": where, "ticket": ticket.id},
    )
