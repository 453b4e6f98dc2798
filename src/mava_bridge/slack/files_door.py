"""`GET /files/<token>`: a file shared in a followed thread, as Mava fetches it.

Mava takes a note's attachments only as public URLs, and a Slack file's `url_private`
needs the bot token. So the note carries `PUBLIC_URL/files/<token>` (256 random bits,
`store.writes`; any other token is 404, alike in words and time) and this door
streams the file from Slack, in chunks and up to `FILE_MAX_MB`, as a download under a
sandboxing policy. Each request asks `files.info` first, so a file deleted in Slack is
withdrawn from Mava too. Slack answers a `url_private` it will not serve with its sign-in
page (HTML), not 401: that is one WARNING naming the likely cause and a 502.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack.errors import error_code, slack_error
from mava_bridge.store.tables import SharedFile
from mava_bridge.store.writes import SharedFiles

log = logging.getLogger("mava_bridge.slack.files")

PATH: Final = "/files/{token}"
CHUNK: Final = 64 * 1024
GONE: Final = frozenset({"file_not_found", "file_deleted"})
# Shown in the browser (Mava's dashboard previews them); everything else is a download.
INLINE: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_TIMEOUT: Final = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)


class Unavailable(Exception):
    """Slack could not give the file now: 502, after one WARNING."""


class FilesDoor:
    def __init__(
        self,
        files: SharedFiles,
        client: AsyncWebClient,
        session: aiohttp.ClientSession,
        *,
        max_bytes: int,
    ) -> None:
        self._files = files
        self._client = client
        self._session = session
        self._max_bytes = max_bytes

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.handle, allow_head=False)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        row = await self._files.find(request.match_info["token"])
        if row is None:
            return _not_found()
        try:
            info = await self._info(row)
            if info is None:
                return _not_found()
            return await self._stream(request, row, info)
        except Unavailable as exc:
            log.warning("shared file %s not served: %s", row.file_id, exc)
            return web.Response(status=502, text="The file cannot be fetched from Slack now.")

    async def _info(self, row: SharedFile) -> dict[str, Any] | None:
        """Slack's file object, or None when the file is gone (deleted, not found)."""
        try:
            answer = await self._client.files_info(file=row.file_id)
        except SlackApiError as exc:
            if error_code(exc.response) in GONE:
                return None
            raise Unavailable(f"files.info at Slack answered {slack_error(exc)}") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Unavailable(f"files.info at Slack failed: {slack_error(exc)}") from exc
        file = answer.get("file")
        if not isinstance(file, dict) or file.get("mode") == "tombstone" or file.get("is_deleted"):
            return None
        return file

    async def _stream(
        self, request: web.Request, row: SharedFile, info: dict[str, Any]
    ) -> web.StreamResponse:
        url = info.get("url_private") if isinstance(info.get("url_private"), str) else None
        mimetype = str(info.get("mimetype") or row.mimetype or "application/octet-stream")
        headers = {"Authorization": f"Bearer {self._client.token}"}
        try:
            async with self._session.get(
                url or row.url_private, headers=headers, timeout=_TIMEOUT, max_redirects=3
            ) as upstream:
                if upstream.status in (404, 410):
                    return _not_found()
                if upstream.status != 200:
                    raise Unavailable(f"files.slack.com answered HTTP {upstream.status}")
                if _sign_in_page(upstream, mimetype):
                    raise Unavailable(
                        "Slack answered with its sign-in page: the app needs the files:read "
                        "scope (reinstall it after adding it) and a valid bot token"
                    )
                declared = upstream.content_length
                if declared is not None and declared > self._max_bytes:
                    raise Unavailable(f"the file is larger than the {self._max_bytes}-byte limit")
                response = web.StreamResponse(headers=_headers(row.name, mimetype, declared))
                await response.prepare(request)
                sent = 0
                async for chunk in upstream.content.iter_chunked(CHUNK):
                    sent += len(chunk)
                    if sent > self._max_bytes:
                        # Headers are gone: cut the connection so the body reads as broken.
                        log.warning("shared file %s cut at the size limit", row.file_id)
                        response.force_close()
                        if request.transport is not None:
                            request.transport.close()
                        return response
                    await response.write(chunk)
                await response.write_eof()
                return response
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"files.slack.com failed: {slack_error(exc)}") from exc


def _sign_in_page(upstream: aiohttp.ClientResponse, mimetype: str) -> bool:
    """An HTML answer for a file that is not HTML: Slack's sign-in page, not the file."""
    answered = upstream.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return answered == "text/html" and not mimetype.lower().startswith("text/html")


def _headers(name: str, mimetype: str, length: int | None) -> dict[str, str]:
    inline = mimetype.lower() in INLINE
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    disposition = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    headers = {
        "Content-Type": mimetype,
        "Content-Disposition": disposition,
        # User content on our host: never sniffed into HTML, never run as a page.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    if length is not None:
        headers["Content-Length"] = str(length)
    return headers


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found.")
