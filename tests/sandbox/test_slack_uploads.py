"""The Slack stub's file uploads as Slack does them: files.getUploadURLExternal (filename
and length required), the bytes POSTed to the upload URL (exactly that length), then
files.completeUploadExternal (only ids whose bytes arrived; the file shared in the
channel). slack_sdk's files_upload_v2 goes through all three."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0CHARTS"


async def test_files_upload_v2_shares_the_bytes_in_the_channel(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    done = await client.files_upload_v2(
        channel=CHANNEL, filename="chart.png", content=b"\x89PNG data", title="Week"
    )
    [shared] = stub.files.shared
    assert (shared.channel, shared.title, shared.data) == (CHANNEL, "Week", b"\x89PNG data")
    assert done["file"]["id"] == shared.file_id


@pytest.mark.parametrize(
    "params", [{"length": 5}, {"filename": "a.png"}, {"filename": "a.png", "length": 0}]
)
async def test_an_upload_url_needs_a_filename_and_a_length(
    client: AsyncWebClient, params: dict[str, object]
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("files.getUploadURLExternal", params=params)
    assert caught.value.response["error"] == "invalid_arguments"


async def test_completing_an_unknown_or_unsent_file_is_refused(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    got = await client.files_getUploadURLExternal(filename="a.png", length=4)
    for file_id in ("F0NOPE", got["file_id"]):  # unknown; never uploaded
        with pytest.raises(SlackApiError) as caught:
            await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=CHANNEL)
        assert caught.value.response["error"] == "file_not_found"
    assert not stub.files.shared


async def test_the_upload_url_refuses_another_length(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    got = await client.files_getUploadURLExternal(filename="a.png", length=4)
    async with httpx.AsyncClient() as http:
        refused = await http.post(got["upload_url"], content=b"12345")
        assert refused.status_code == 400
        assert (await http.post(got["upload_url"], content=b"1234")).status_code == 200
    await client.files_completeUploadExternal(files=[{"id": got["file_id"]}], channel_id=CHANNEL)
    assert stub.files.shared[0].data == b"1234"
