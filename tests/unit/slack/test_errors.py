"""Naming a Slack failure from whatever came back: JSON errors, HTML, plain text, no answer.

Real slack_sdk calls against the local Slack stub and a closed port; nothing mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from running import free_port
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from mava_bridge.slack.answer import webhook_error
from mava_bridge.slack.errors import slack_error
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, RESPONSE_URL, SlackStub, running_slack_stub

pytestmark = pytest.mark.asyncio

HTML_502 = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest_asyncio.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with running_slack_stub() as running:
        yield running


async def failure_of(stub: SlackStub, base_url: str | None = None) -> BaseException:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=base_url or stub.api_url)
    with pytest.raises(Exception) as caught:
        await client.users_info(user="U0JANE")
    return caught.value


async def test_a_json_error_is_named_by_its_code(stub: SlackStub) -> None:
    stub.fail("users.info", "user_not_found")
    assert slack_error(await failure_of(stub)) == "user_not_found"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (502, HTML_502, "text/html"),
        (500, "Internal Server Error", "text/plain"),
        (503, "{not json", "application/json"),
    ],
)
async def test_a_non_json_answer_is_named_by_its_status(
    stub: SlackStub, status: int, body: str, content_type: str
) -> None:
    stub.http_error("users.info", status, body=body, content_type=content_type)
    assert slack_error(await failure_of(stub)) == f"HTTP {status}"


async def test_no_answer_names_the_cause_and_the_host() -> None:
    port = free_port()  # nobody listens there
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/")
    with pytest.raises(Exception) as caught:
        await client.users_info(user="U0JANE")
    assert slack_error(caught.value) == f"connection refused (127.0.0.1:{port})"


async def test_a_host_that_does_not_resolve_is_named_in_the_resolvers_words() -> None:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url="http://slack.invalid:8080/api/")
    with pytest.raises(Exception) as caught:
        await client.users_info(user="U0JANE")
    said = slack_error(caught.value)
    # "name or service not known"; "temporary failure in name resolution" without DNS.
    assert said.startswith(("name", "temporary", "no address")), said
    assert said.endswith(" (slack.invalid:8080)") and "errno" not in said, said


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (None, None),
        (("error", "expired_url"), "expired_url"),
        (("http", 500), "internal_error"),
        (("html", 502), "HTTP 502"),
    ],
)
async def test_response_url_refusals(
    stub: SlackStub, fault: tuple[str, object] | None, expected: str | None
) -> None:
    if fault == ("error", "expired_url"):
        stub.fail(RESPONSE_URL, "expired_url")
    elif fault == ("http", 500):
        stub.http_error(RESPONSE_URL, 500)
    elif fault == ("html", 502):
        stub.http_error(RESPONSE_URL, 502, body=HTML_502, content_type="text/html")
    response = await AsyncWebhookClient(stub.response_url()).send(text="hello")
    assert webhook_error(response) == expected
