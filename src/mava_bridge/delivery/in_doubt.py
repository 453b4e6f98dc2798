"""Posts whose outcome is unknown: looked for in the chat before they are posted again.

A claim whose holder died (cleared by a take-over, see `mava_bridge.store.ledger`)
may have reached Slack: the holder could have died after Slack took the post and
before the ledger recorded it. Each such claim is settled here once, by the leader
that finds it: the chat is asked (`Lookback.find`, by the post's `Tag`, which every
post carries); found, the row is recorded `posted` with that ts and nothing is posted
again; not there, or the chat could not tell, the caller drops the claim and posts as
before (never lose, may repeat).

Assignment DMs are one per person for several assignments: the tag names the person
and lists the (ticket, generation) rows it tells, and the person's DM is read once
for all of them (`settle_dm_claims`).

The tags are written here once, so a post and the look for it always agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import ALERT, DM, RATING, REMINDER, SLA, THREAD, Tag
from mava_bridge.store import assignments, thread_posts
from mava_bridge.store.follows import Follow

log = logging.getLogger(__name__)

FOUND: Final = "an interrupted post is in Slack already: recorded, not posted again"


def thread_tag(follow_id: int, item_key: str, ticket_id: str) -> Tag:
    """A followed ticket's thread item: a Mava message (its id), a change line, a notice."""
    return Tag(THREAD, f"{follow_id}/{item_key}", ticket_id)


def alert_tag(ticket_id: str) -> Tag:
    """A ticket's alert: one per channel and ticket."""
    return Tag(ALERT, ticket_id, ticket_id)


def reminder_tag(ticket_id: str, period: str) -> Tag:
    """A waiting period's reminder, or (ticket `backlog`) a subscription's summary."""
    return Tag(REMINDER, f"{ticket_id}/{period}", ticket_id)


def sla_tag(where: str, item: tuple[str, str, str], *, dm: bool) -> Tag:
    """An SLA warning or breach (ticket, clock, level): in a channel keyed by the item; in
    a DM keyed by the person, the item listed (a DM is read back with `listed`)."""
    key = "/".join(item)
    return Tag(SLA, where, item[0], items=(key,)) if dm else Tag(SLA, key, item[0])


async def sla_posted_already(
    parts: DeliveryParts, where: str, item: tuple[str, str, str], *, since: datetime, dm: bool
) -> str | None:
    """The ts of an SLA post a dead leader may have made, if the chat shows it."""
    tag = sla_tag(where, item, dm=dm)
    if not dm or parts.lookback is None:
        return await posted_already(parts, where, tag, since=since)
    seen = await parts.lookback.listed(where, tag, since=since)
    found = seen.get(tag.items[0]) if isinstance(seen, dict) else None
    if found is not None:
        log.info(FOUND, extra={"channel": where, "kind": SLA, "key": tag.items[0], "ts": found})
    return found


def rating_tag(ticket_id: str) -> Tag:
    """A ticket newly rated: one post per channel and ticket."""
    return Tag(RATING, ticket_id, ticket_id)


def dm_item(ticket_id: str, generation: int) -> str:
    """One assignment (a row of the DM ledger) as a grouped DM lists it."""
    return f"{ticket_id}/{generation}"


def dm_tag(user_id: str, keys: Sequence[tuple[str, int]] = ()) -> Tag:
    """An assignment DM to `user_id`, naming the assignments (ticket, generation) it tells."""
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


async def posted_already(
    parts: DeliveryParts,
    channel: str,
    tag: Tag,
    *,
    since: datetime,
    thread_ts: str | None = None,
) -> str | None:
    """The ts of the post tagged `tag` if the chat shows it; None: post it again (it is
    not there, or the chat could not tell: `slack.lookback` said why, once)."""
    if parts.lookback is None:
        return None
    seen = await parts.lookback.find(channel, tag, since=since, thread_ts=thread_ts)
    if not isinstance(seen, str):
        return None
    log.info(
        FOUND,
        extra={"channel": channel, "kind": tag.kind, "key": tag.key, "ts": seen},
    )
    return seen


async def settle_thread_claims(parts: DeliveryParts, follow: Follow, known: dict[str, str]) -> int:
    """The claims in `known` (item key -> state) a take-over left in doubt, settled:
    found in the follow's thread, recorded `posted` (and so in `known`); else dropped
    from the ledger and from `known`, to be posted again. Returns how many were found.
    Without an owner there is no take-over, so nothing is in doubt."""
    claimed = [key for key, state in known.items() if state == thread_posts.CLAIMED]
    if not claimed or parts.owner is None:
        return 0
    found, db = 0, parts.db
    for key, since in (await thread_posts.in_doubt(db, follow.id, claimed)).items():
        tag = thread_tag(follow.id, key, follow.ticket_id)
        ts = await posted_already(
            parts, follow.channel_id, tag, since=since, thread_ts=follow.thread_ts
        )
        if ts is not None:
            await thread_posts.mark_item_posted(db, follow.id, key, ts, parts.clock())
            known[key] = thread_posts.POSTED
            found += 1
        else:
            await thread_posts.release_item(db, follow.id, key)
            del known[key]
    return found
