"""A support report: its message, then its chart as a file, in a channel.

`/mava report` posts one now; a `/mava subscribe report` one per scheduled run, claimed
under a run key on the digest runs' ledger. A run whose message went out before its
holder stopped is finished by uploading the chart only; a chart Slack took just before
the stop is uploaded again (a file cannot carry metadata to be looked for).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import Chat, DeliveryFailed, Message
from mava_bridge.delivery.report_chart import chart_png
from mava_bridge.domain.report_stats import Report
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.services.reports import ReportReader
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries

log = logging.getLogger(__name__)

# The report's fallback text and blocks (slack.blocks.report), given by the root.
RenderReport = Callable[[Report, tzinfo], tuple[str, Message]]
Title = Callable[[Report, tzinfo], str]
# SLA warnings and breaches in [start, end): the report shows them only when given.
SlaCounts = Callable[[datetime, datetime], Awaitable[tuple[int, int]]]


@dataclass(frozen=True)
class ReportResult:
    ok: bool
    sentence: str  # for the person who asked, or the subscription's outcome
    retryable: bool = True  # a scheduled run that failed goes again within its grace
    chart: str | None = None  # why the chart was not uploaded, when it was not


class Reports:
    def __init__(
        self,
        parts: DeliveryParts,
        reader: ReportReader,
        uploader: Chat,
        render: RenderReport,
        title: Title,
        sla: SlaCounts | None = None,
    ) -> None:
        self.parts = parts
        self.reader = reader
        self._uploader = uploader
        self._render = render
        self._title = title
        self._sla = sla  # the SLA part's warnings and breaches in a period, once it exists
        self._drawing = asyncio.Lock()

    async def now(self, channel: str, days: int) -> str | None:
        """`/mava report` (delivery.ports.PostReport)."""
        result = await self.post(channel, days)
        if not result.ok:
            return f"The report was not posted: {result.sentence}"
        if result.chart:
            return f"The report was posted, but its chart was not uploaded: {result.chart}"
        return None

    async def post(
        self,
        channel: str,
        days: int,
        *,
        tz_name: str | None = None,
        run_key: str | None = None,
        subscription: ActiveSubscription | None = None,
    ) -> ReportResult:
        """Never raises for Mava or Slack trouble."""
        zone = ZoneInfo(tz_name or self.parts.settings.digest_timezone)
        claim = await self.parts.claim_run(run_key, channel) if run_key is not None else None
        if run_key is not None and claim is None:
            return ReportResult(True, "already posted for this time")
        ts = claim.message_ts if claim else None  # set: the message is out, the chart is not
        try:
            read = await self.reader.read(days, zone)
        except MavaError as exc:
            log.warning("report: Mava read failed: %s", describe(exc))
            result = ReportResult(False, f"Mava could not be read: {exc.user_message}")
        else:
            report = read.report
            if self._sla is not None:
                warnings, breaches = await self._sla(report.start, report.end)
                report = replace(report, sla_warnings=warnings, sla_breaches=breaches)
            result, ts = await self._deliver(channel, report, zone, claim, ts, read.requests)
        if claim is not None:
            state = deliveries.POSTED if result.ok else deliveries.FAILED
            await self.parts.finish_run(claim, state, ts)
        if subscription is not None:
            await self.parts.outcome(subscription, result.sentence)
        return result

    async def _deliver(
        self,
        channel: str,
        report: Report,
        zone: ZoneInfo,
        claim: deliveries.DigestClaim | None,
        ts: str | None,
        requests: int,
    ) -> tuple[ReportResult, str | None]:
        try:
            if ts is None:
                text, blocks = self._render(report, zone)
                ts = await self.parts.poster.post(channel, text, blocks)
                if claim is not None:
                    await deliveries.record_digest_progress(self.parts.db, claim, ts, [])
        except DeliveryFailed as failure:
            log.warning("report not posted", extra={"channel": channel, **failure.log_fields()})
            return ReportResult(False, failure.describe(), failure.retryable), ts
        done = f"report posted ({requests} Mava requests)"
        title = self._title(report, zone)
        name = f"mava-report-{report.end.astimezone(zone):%Y-%m-%d}.png"
        try:
            # Drawn in a thread, one at a time: a first draw (import, font cache) takes
            # seconds, the loop must keep acking Slack meanwhile, and matplotlib does not
            # promise two figures drawn at once in two threads.
            async with self._drawing:
                png = await asyncio.to_thread(chart_png, report.days, title)
            await self._uploader.upload(channel, name, png, title, thread_ts=None)
        except DeliveryFailed as failure:
            # The numbers are out: the run counts as posted, its outcome names the chart.
            log.warning(
                "report chart not uploaded", extra={"channel": channel, **failure.log_fields()}
            )
            why = failure.describe()
            return ReportResult(True, f"{done}; the chart was not uploaded: {why}", chart=why), ts
        return ReportResult(True, done), ts
