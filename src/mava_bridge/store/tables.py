"""Database tables (their datetime columns are `store.db.UTCDateTime`). Every schema
change goes through an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mava_bridge.store.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class LedgerColumns:
    """What every post on the ledger (store.ledger) records beside its key and state."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # The process holding a claim (Leadership.name); None: its holder is gone.
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """Who did what to which ticket, and how it went."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    slack_user_name: Mapped[str | None] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))  # ok | error | unknown | refused


class IdempotencyKey(Base):
    """A Mava write we started; a second delivery of the same submission finds it here."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16), default="started")  # started | done | failed
    result: Mapped[str | None] = mapped_column(Text)


class SlackUser(Base):
    """Cached users.info answers, shared by replicas."""

    __tablename__ = "slack_users"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    fetched_at: Mapped[datetime] = mapped_column()


class Subscription(Base):
    """What a channel gets: a digest on a schedule, or alerts."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # digest | alerts | reminders
    cron: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_delivery_at: Mapped[datetime | None] = mapped_column()
    last_outcome: Mapped[str | None] = mapped_column(Text)
    wait_minutes: Mapped[int | None] = mapped_column(Integer)  # reminders: posted after this


class AlertDelivery(LedgerColumns, Base):
    """A ticket alerted in a channel. The unique key makes a second post impossible."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("channel_id", "ticket_id", name="uq_alert_channel_ticket"),)
    channel_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    # claimed | posted
    state: Mapped[str] = mapped_column(String(16), default="claimed", index=True)


class DigestRun(LedgerColumns, Base):
    """One scheduled digest firing; unique so two leaders cannot both post it."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("run_key", name="uq_digest_run_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(128))  # channel + scheduled fire time
    channel_id: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="claimed")  # claimed | posted | failed
    ticket_count: Mapped[int] = mapped_column(Integer, default=0)
    # Ticket ids already listed in the channel message and thread replies (JSON list),
    # so a run interrupted mid-thread is finished without repeating any of them.
    listed: Mapped[list[str] | None] = mapped_column(JSON)


class PollWatermark(Base):
    """Up to when a poll query has seen tickets; moved only after a successful poll."""

    __tablename__ = "poll_watermarks"
    query_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_until: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DefaultSubscriptionStatus(Base):
    """Last delivery of a subscription defined by settings (DIGEST_CHANNEL, ALERT_CHANNEL).

    Those have no `subscriptions` row, so their outcome lives here, keyed like
    `settings:digest:C123`.
    """

    __tablename__ = "default_subscription_status"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_delivery_at: Mapped[datetime | None] = mapped_column()
    last_outcome: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenTicket(Base):
    """When a ticket the bridge has read was created (mava_bridge.store.seen)."""

    __tablename__ = "seen_tickets"
    ticket_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    seen_at: Mapped[datetime] = mapped_column(index=True)


class SeenWebhook(Base):
    """A verified Mava webhook, by its `webhookId` (mava_bridge.store.seen)."""

    __tablename__ = "seen_webhooks"
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    ticket_id: Mapped[str | None] = mapped_column(String(64))  # when the payload said
    received_at: Mapped[datetime] = mapped_column(index=True)


class FollowedTicket(Base):
    """A ticket mirrored into a Slack thread (mava_bridge.store.follows): one per channel."""

    __tablename__ = "followed_tickets"
    __table_args__ = (
        UniqueConstraint("channel_id", "ticket_id", name="uq_followed_channel_ticket"),
        UniqueConstraint("channel_id", "thread_ts", name="uq_followed_channel_thread"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))  # the card: thread root, updated in place
    ticket_created_at: Mapped[datetime | None] = mapped_column()  # Mava createdAt: search window
    followed_by: Mapped[str] = mapped_column(String(32))  # Slack user id, or "alert"
    followed_at: Mapped[datetime] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # The status/priority/category/assignee the card shows; None until the first sync.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    resolved_seen_at: Mapped[datetime | None] = mapped_column()  # the grace counts from here
    edit_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime | None] = mapped_column()  # None: the first sync baselines


class ThreadPost(LedgerColumns, Base):
    """One item of a followed ticket's thread (a Mava message or a "what changed" line),
    claimed before it is posted so it is posted once (see mava_bridge.store.ledger)."""

    __tablename__ = "thread_posts"
    __table_args__ = (UniqueConstraint("follow_id", "item_key", name="uq_thread_post_item"),)
    follow_id: Mapped[int] = mapped_column(Integer)
    item_key: Mapped[str] = mapped_column(String(128))  # Mava message _id, or change:<hash>
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted | baseline | ours
    message_ts: Mapped[str | None] = mapped_column("slack_ts", String(32))


class BridgeMessage(Base):
    """A reply or note the bridge itself sent to Mava, so the thread sync does not echo it."""

    __tablename__ = "bridge_messages"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(32))
    mava_message_id: Mapped[str | None] = mapped_column(String(64))  # absent in odd answers
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    # The Mava message a content match took it for: each row matches one message only.
    matched_message_id: Mapped[str | None] = mapped_column(String(64))


class ChannelSetting(Base):
    """Per-channel choices made from Slack (`/mava thread-notes on|off`)."""

    __tablename__ = "channel_settings"
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_notes: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MavaSend(Base):
    """One request sent to Mava by any replica, kept while inside Mava's window
    (mava_bridge.store.mava_budget). The key is stored only as a hash."""

    __tablename__ = "mava_sends"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column()  # the database's clock, not a replica's
    lane: Mapped[str] = mapped_column(String(16))  # interactive | background


Index("ix_mava_sends_key_sent", MavaSend.key_hash, MavaSend.sent_at)
# The "Add as private note" shortcut looks up an alert's ticket by its message.
Index("ix_alert_deliveries_channel_ts", AlertDelivery.channel_id, AlertDelivery.message_ts)
Index("ix_bridge_messages_ticket", BridgeMessage.ticket_id, BridgeMessage.mava_message_id)


class TicketAssignee(Base):
    """The agent a ticket was last seen assigned to (mava_bridge.store.assignments);
    `generation` counts the changes, so each assignment has a key of its own."""

    __tablename__ = "ticket_assignees"
    ticket_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # An assignment made from Slack is being written: the poll leaves the ticket alone.
    held_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssignmentDm(LedgerColumns, Base):
    """The DM for one assignment, claimed before it is sent (see store.ledger)."""

    __tablename__ = "assignment_dms"
    __table_args__ = (
        UniqueConstraint("ticket_id", "generation", name="uq_assignment_dm_generation"),
    )
    ticket_id: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[str] = mapped_column(String(64))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    # claimed | posted | self | off | no_member | failed | baseline
    state: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(String(255))  # Slack's error, for `failed`
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class DmSetting(Base):
    """A person's choice from `/mava notify off|on` (no row: DMs on)."""

    __tablename__ = "dm_settings"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    assignment_dms: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderPost(LedgerColumns, Base):
    """A waiting-too-long reminder: one per channel, ticket and waiting period."""

    __tablename__ = "reminder_posts"
    __table_args__ = (
        UniqueConstraint("channel_id", "ticket_id", "period", name="uq_reminder_period"),
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(40))  # when the waiting period began (UTC ISO)
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted


class SlaPolicy(Base):
    """The response-time targets and business hours (`/mava sla`): one row, id 1, the
    policy as domain.sla.Policy.to_json writes it."""

    __tablename__ = "sla_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column()
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPost(LedgerColumns, Base):
    """An SLA warning or breach told: one per channel (or, level `dm`, the assignee's
    member id), ticket, clock ("next-reply@<start>") and level."""

    __tablename__ = "sla_posts"
    __table_args__ = (
        UniqueConstraint("channel_id", "ticket_id", "clock", "level", name="uq_sla_post"),
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(32))
    clock: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # warning | breach | dm
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted


class RatingPost(LedgerColumns, Base):
    """A ticket newly rated, posted once per channel (`/mava subscribe ratings`); a
    subscription's first look is the row of ticket `look:<its key>`."""

    __tablename__ = "rating_posts"
    __table_args__ = (UniqueConstraint("channel_id", "ticket_id", name="uq_rating_channel_ticket"),)
    channel_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(40))
    rating: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)  # claimed | posted | baseline


class SlaPause(Base):
    """A span a ticket's SLA clocks stood still (Pending, Waiting, or gone from the open
    board: Resolved), as the leader's polls saw it begin and end; `ended_at` None while
    it lasts."""

    __tablename__ = "sla_pauses"
    ticket_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(primary_key=True)
    ended_at: Mapped[datetime | None] = mapped_column()


class SharedFile(Base):
    """A file shared in a followed thread and given to Mava as `PUBLIC_URL/files/<token>`
    (slack.files_door). The token is the only key: unguessable, never derived from ids."""

    __tablename__ = "shared_files"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(32))
    url_private: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
