"""Thread files in Socket Mode: the files door is served beside /healthz when Slack's
requests come over the socket, so a file posted in a followed thread reaches Mava as
an attachment whose URL returns the file's bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from running import free_port

from mava_sandbox.stack import Stack

from .conftest import CHANNEL, JANE, messages, new_ticket, scenario_stack, send_event
from .test_thread_notes_socket import follow

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack() -> AsyncIterator[Stack]:
    port = free_port()
    async with scenario_stack(
        socket_mode=True, port=port, public_url=f"http://127.0.0.1:{port}"
    ) as stack:
        yield stack


async def test_a_file_posted_over_the_socket_is_served_to_mava(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    file = stack.slack.files.add(JANE, "trace.log", b"line 1\nline 2\n", "text/plain")
    event = stack.slack.user_message(
        CHANNEL, JANE, "The trace", thread_ts=thread, subtype="file_share", files=[file]
    )
    await send_event(stack, event)
    [note] = messages(stack, ticket, "InternalNote")
    [attachment] = note["attachments"]
    assert attachment["fileName"] == "trace.log"
    async with httpx.AsyncClient() as client:
        fetched = await client.get(attachment["url"])
        assert (fetched.status_code, fetched.content) == (200, b"line 1\nline 2\n")
        # /slack/events is not served in Socket Mode; the files door is.
        assert (await client.post(f"{stack.base_url}/slack/events")).status_code == 404
