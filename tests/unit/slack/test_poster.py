"""SlackPoster against the Slack stub: pacing, retries on 429/5xx, and refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import DeliveryFailed
from mava_bridge.domain.retry import SLACK_RETRY, Stopping
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.slack.web import slack_clients
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub, running_slack_stub

CHANNEL = "C0POST"


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with running_slack_stub() as running:
        yield running


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def poster_for(
    stub: SlackStub, fake_time: FakeTime, *, min_interval: float = 1.0, **retry: Any
) -> SlackPoster:
    """`retry` changes SLACK_RETRY (attempts, base_delay, ...)."""
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    return SlackPoster(
        client,
        metrics=Metrics(process_metrics=False),
        min_interval=min_interval,
        retry=replace(SLACK_RETRY, jitter=lambda: 1.0, **retry),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )


async def test_posts_and_returns_ts(stub: SlackStub, fake_time: FakeTime) -> None:
    poster = poster_for(stub, fake_time)
    ts = await poster.post(CHANNEL, "hello", [{"type": "section", "text": _md("hi")}])
    reply = await poster.post(CHANNEL, "reply", None, thread_ts=ts)
    messages = stub.messages(CHANNEL)
    assert [m["ts"] for m in messages] == [ts, reply]
    assert messages[1]["thread_ts"] == ts


async def test_paces_posts_per_channel(stub: SlackStub, fake_time: FakeTime) -> None:
    poster = poster_for(stub, fake_time, min_interval=1.0)
    await poster.post(CHANNEL, "one")
    await poster.post("C0OTHER", "elsewhere")  # another channel does not wait
    assert fake_time.sleeps == []
    await poster.post(CHANNEL, "two")
    assert fake_time.sleeps == [pytest.approx(1.0)]


async def test_a_pace_at_shutdown_still_posts(stub: SlackStub) -> None:
    """Shutdown cuts retry waits short, but a post under way keeps its pace and goes."""
    stopping = Stopping()
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    poster = SlackPoster(
        client, metrics=Metrics(process_metrics=False), min_interval=0.05, sleep=stopping.sleep
    )
    await poster.post(CHANNEL, "one")
    stopping.set()
    await poster.post(CHANNEL, "two")
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["one", "two"]


async def test_retries_429_honouring_retry_after(stub: SlackStub, fake_time: FakeTime) -> None:
    stub.rate_limit("chat.postMessage", times=2, retry_after=7)
    poster = poster_for(stub, fake_time, min_interval=0.0)
    await poster.post(CHANNEL, "eventually")
    assert fake_time.sleeps == [7.0, 7.0]
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["eventually"]
    assert len(stub.calls("chat.postMessage")) == 3


async def test_retries_5xx_with_backoff(stub: SlackStub, fake_time: FakeTime) -> None:
    stub.http_error("chat.postMessage", 500, times=1)
    stub.http_error("chat.postMessage", 503, times=1, body="Service Unavailable")
    poster = poster_for(stub, fake_time, min_interval=0.0, base_delay=0.5)
    await poster.post(CHANNEL, "after trouble")
    assert fake_time.sleeps == [0.5, 1.0]
    assert len(stub.messages(CHANNEL)) == 1


async def test_gives_up_retryable_after_retries(stub: SlackStub, fake_time: FakeTime) -> None:
    stub.http_error("chat.postMessage", 500, times=None)
    poster = poster_for(stub, fake_time, min_interval=0.0, attempts=3, base_delay=0.1)
    with pytest.raises(DeliveryFailed) as raised:
        await poster.post(CHANNEL, "lost?")
    assert raised.value.retryable
    assert len(stub.calls("chat.postMessage")) == 3


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_channel_errors_are_not_retried(
    stub: SlackStub, fake_time: FakeTime, error: str
) -> None:
    stub.fail("chat.postMessage", error, times=None)
    poster = poster_for(stub, fake_time, min_interval=0.0)
    with pytest.raises(DeliveryFailed) as raised:
        await poster.post(CHANNEL, "nowhere")
    assert raised.value.error == error
    assert not raised.value.retryable
    assert raised.value.channel_unusable
    assert error in raised.value.describe()
    assert len(stub.calls("chat.postMessage")) == 1


async def test_revoked_token_is_not_retried(stub: SlackStub, fake_time: FakeTime) -> None:
    stub.revoke(DEFAULT_BOT_TOKEN)
    poster = poster_for(stub, fake_time, min_interval=0.0)
    with pytest.raises(DeliveryFailed) as raised:
        await poster.post(CHANNEL, "no")
    assert raised.value.error == "token_revoked"
    assert "SLACK_BOT_TOKEN" in raised.value.describe()


async def test_slack_unreachable_names_the_host_and_the_cause(
    stub: SlackStub, fake_time: FakeTime
) -> None:
    """The stub stopped: its loopback port is closed. Retried, then one failure that
    says where and why, as Mava's are said (no exception class, no traceback)."""
    poster = poster_for(stub, fake_time, min_interval=0.0, attempts=2, base_delay=0.1)
    port = urlsplit(stub.api_url).port
    await stub.stop()
    with pytest.raises(DeliveryFailed) as raised:
        await poster.post(CHANNEL, "anyone there?")
    failure = raised.value
    assert (failure.error, failure.retryable) == ("connection_error", True)
    assert failure.detail == f"Slack at 127.0.0.1:{port}: connection refused"
    assert failure.log_fields() == {
        "error": "connection_error",
        "detail": f"Slack at 127.0.0.1:{port}: connection refused",
        "retryable": True,
    }
    said = failure.describe()
    assert (
        said
        == f"Slack could not be reached: Slack at 127.0.0.1:{port}: connection refused (will retry)"
    )
    assert "ClientConnectorError" not in said
    assert fake_time.sleeps == [pytest.approx(0.1)]  # one retry, then the failure


async def test_refused_blocks_fall_back_to_text(stub: SlackStub, fake_time: FakeTime) -> None:
    poster = poster_for(stub, fake_time, min_interval=0.0)
    too_many = [{"type": "section", "text": _md(str(i))} for i in range(51)]
    ts = await poster.post(CHANNEL, "the text still goes", too_many)
    message = stub.message(CHANNEL, ts)
    assert message is not None
    assert message["text"] == "the text still goes"
    assert not message.get("blocks")


def _md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


async def test_sdk_retry_handlers_do_not_stack_on_ours(
    stub: SlackStub, fake_time: FakeTime
) -> None:
    clients = slack_clients(
        Settings(_env_file=None, slack_bot_token=DEFAULT_BOT_TOKEN, slack_api_url=stub.api_url)
    )
    poster = SlackPoster(
        clients.poster,
        metrics=Metrics(process_metrics=False),
        min_interval=0.0,
        retry=replace(SLACK_RETRY, attempts=2),
        sleep=fake_time.sleep,
    )
    stub.http_error("chat.postMessage", 500, times=None)
    with pytest.raises(DeliveryFailed):
        await poster.post(CHANNEL, "twice, not four times")
    assert len(stub.calls("chat.postMessage")) == 2
    assert clients.bot.retry_handlers  # the bot's own client keeps the SDK's retries
