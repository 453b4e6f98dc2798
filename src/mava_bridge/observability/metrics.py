"""Prometheus metrics, one registry per `Metrics` instance: tests and several apps in one
process never clash on "Duplicated timeseries" nor share counts."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Final, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

SlackKind = Literal["command", "shortcut", "action", "view", "event"]

# Slack allows 3 s to ack and we aim for tens of milliseconds, so resolution is spent there.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2, 3, 5)
MAVA_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The first bucket means "did not wait"; 30 s is a whole Mava rate-limit window.
RATELIMIT_BUCKETS: Final = (0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)

# Path segments that look like ids, so a future `/api/ticket/<id>` cannot explode labels.
_ID_SEGMENT: Final = re.compile(r"/(?:[0-9a-fA-F]{16,}|\d+)(?=/|$)")


def endpoint_label(path: str) -> str:
    """A bounded label for a request path: no query string, ids replaced by `:id`."""
    return _ID_SEGMENT.sub("/:id", path.split("?", 1)[0]) or "/"


class Metrics:
    """Every metric the bot exports, and the hooks its callers take."""

    def __init__(
        self, *, process_metrics: bool = True, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.registry = CollectorRegistry()
        self._clock = clock
        self._poll_since: float | None = None
        registry = self.registry
        if process_metrics:
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)

        counter = partial(Counter, registry=registry)
        histogram = partial(Histogram, registry=registry)
        gauge = partial(Gauge, registry=registry)
        self.slack_requests = counter(
            "slack_requests",
            "Slack requests handled, by kind (command, shortcut, action, view), name "
            "(subcommand, callback or action id) and outcome.",
            ["kind", "name", "outcome"],
        )
        self.slack_ack_seconds = histogram(
            "slack_ack_seconds",
            "Time from receiving a Slack request to acking it (Slack's limit is 3 s).",
            buckets=ACK_BUCKETS,
        )
        self.mava_requests = counter(
            "mava_requests",
            "HTTP exchanges with Mava, by endpoint and status code or error kind.",
            ["endpoint", "status"],
        )
        self.mava_request_seconds = histogram(
            "mava_request_seconds",
            "Duration of one HTTP exchange with Mava (excluding rate-limit waits).",
            ["endpoint"],
            buckets=MAVA_BUCKETS,
        )
        self.mava_ratelimit_wait_seconds = histogram(
            "mava_ratelimit_wait_seconds",
            "Time a Mava request waited for the client-side rate limiter.",
            buckets=RATELIMIT_BUCKETS,
        )
        self.mava_tickets_unreadable = counter(
            "mava_tickets_unreadable",
            "Tickets in Mava search answers that could not be read and were skipped "
            "(each skip counts; the log names each ticket id once).",
        )
        self.alerts_delivered = counter("alerts_delivered", "New-ticket alerts posted to Slack.")
        self.digest_items_delivered = counter(
            "digest_items_delivered", "Tickets listed in digests posted to Slack."
        )
        self.thread_messages_mirrored = counter(
            "thread_messages_mirrored", "Mava messages posted into followed tickets' Slack threads."
        )
        self.thread_sync_pages = counter(
            "thread_sync_pages",
            "Mava requests (search pages and look-ups) made by the thread sync.",
        )
        self.poll_lag_seconds = gauge(
            "poll_lag_seconds",
            "Seconds since the last successful Mava poll on this process (NaN while this "
            "process does not poll; alert on the minimum across replicas).",
        )
        self.poll_lag_seconds.set_function(self._poll_lag)
        self.slack_post_retries = counter(
            "slack_post_retries",
            "Retried Slack Web API posts, by reason (rate_limited, server_error, ...).",
            ["reason"],
        )

    def mava_observer(self, endpoint: str, outcome: str, seconds: float) -> None:
        label = endpoint_label(endpoint)
        self.mava_requests.labels(endpoint=label, status=outcome).inc()
        self.mava_request_seconds.labels(endpoint=label).observe(seconds)

    def observe_unreadable_ticket(self) -> None:
        self.mava_tickets_unreadable.inc()

    def observe_ratelimit_wait(self, seconds: float) -> None:
        self.mava_ratelimit_wait_seconds.observe(seconds)

    def observe_slack_request(
        self, kind: SlackKind, name: str, outcome: str, *, ack_seconds: float | None = None
    ) -> None:
        self.slack_requests.labels(kind=kind, name=name, outcome=outcome).inc()
        if ack_seconds is not None:
            self.slack_ack_seconds.observe(ack_seconds)

    def observe_slack_retry(self, reason: str) -> None:
        self.slack_post_retries.labels(reason=reason).inc()

    def poll_started(self) -> None:
        """This process now polls (e.g. took the leader lease): the lag starts counting."""
        if self._poll_since is None:
            self._poll_since = self._clock()

    def poll_succeeded(self) -> None:
        self._poll_since = self._clock()

    def poll_stopped(self) -> None:
        """This process no longer polls (lost the lease, shutting down): lag becomes NaN."""
        self._poll_since = None

    def _poll_lag(self) -> float:
        if self._poll_since is None:
            return math.nan
        return max(0.0, self._clock() - self._poll_since)

    def render(self) -> tuple[bytes, str]:
        """The text exposition format and its content type, for `GET /metrics`."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
