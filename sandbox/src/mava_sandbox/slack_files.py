"""Files in the Slack stub: what people share in a channel, `files.info`, and each
file's `url_private`, which like Slack's answers only with the bot token as Bearer.

Slack answers a `url_private` asked without a valid token with its sign-in page (an
HTML page and 200, or a redirect to it), never 401: `refusal` picks which, so the bot is
tested against both. A deleted file answers 404 there and `file_deleted` in files.info.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import quote

from aiohttp import web

from mava_sandbox.slack_stub_types import SlackApiFailure

if TYPE_CHECKING:
    from mava_sandbox.slack_state import StubState

JSON = dict[str, Any]
SIGN_IN_PAGE: Final = (
    "<!DOCTYPE html><html><head><title>Sign in | Slack</title></head>"
    "<body><h1>Sign in to your workspace</h1></body></html>"
)
_CHUNK: Final = 64 * 1024


@dataclass
class StubFile:
    id: str
    user: str
    name: str
    mimetype: str
    data: bytes
    created: int = field(default_factory=lambda: int(time.time()))
    deleted: bool = False


@dataclass
class Pending:
    """A file promised by files.getUploadURLExternal: its name, declared length and,
    once POSTed to its upload URL, its bytes."""

    name: str
    length: int
    data: bytes | None = None


@dataclass(frozen=True)
class Shared:
    """A file files.completeUploadExternal shared in a channel (or thread)."""

    file_id: str
    channel: str
    title: str
    data: bytes
    thread_ts: str | None
    initial_comment: str | None


@dataclass(frozen=True)
class Download:
    """One GET of a url_private: which file, and whether the bot token came with it."""

    file_id: str
    authorized: bool
    status: int


class StubFiles:
    def __init__(self, stub: StubState) -> None:
        self._stub = stub
        self._files: dict[str, StubFile] = {}
        self.refusal: Literal["sign_in_page", "redirect"] = "sign_in_page"
        # True: the app lacks files:read, so even the bot token gets the refusal.
        self.scope_missing = False
        self.downloads: list[Download] = []
        self._pending: dict[str, Pending] = {}  # files.getUploadURLExternal, not completed
        self.shared: list[Shared] = []  # files.completeUploadExternal, in order

    def add(
        self, user: str, name: str, data: bytes, mimetype: str = "application/octet-stream"
    ) -> JSON:
        """`user` uploads `data` as `name`: the file object a message event's `files` holds."""
        stored = StubFile(f"F{secrets.token_hex(5).upper()}", user, name, mimetype, data)
        self._files[stored.id] = stored
        return self.as_slack(stored)

    def delete(self, file_id: str) -> None:
        """The file is deleted in Slack: files.info says file_deleted, url_private 404."""
        self._files[file_id].deleted = True

    def data(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def url_private(self, stored: StubFile) -> str:
        team = self._stub.team_id
        return f"{self._stub.base_url}files-pri/{team}-{stored.id}/{quote(stored.name)}"

    def as_slack(self, stored: StubFile) -> JSON:
        url = self.url_private(stored)
        kind = stored.name.rsplit(".", 1)[-1].lower() if "." in stored.name else "binary"
        return {
            "id": stored.id,
            "created": stored.created,
            "timestamp": stored.created,
            "name": stored.name,
            "title": stored.name,
            "mimetype": stored.mimetype,
            "filetype": kind,
            "user": stored.user,
            "mode": "hosted",
            "size": len(stored.data),
            "url_private": url,
            "url_private_download": f"{url}?download=1",
            "permalink": f"https://{self._stub.team_domain}.slack.com/files/{stored.user}/"
            f"{stored.id}/{quote(stored.name)}",
        }

    # --- the Web API method --------------------------------------------------------------

    def info(self, params: JSON) -> JSON:
        """files.info: the file, or file_not_found / file_deleted."""
        stored = self._files.get(str(params.get("file") or ""))
        if stored is None:
            raise SlackApiFailure("file_not_found")
        if stored.deleted:
            raise SlackApiFailure("file_deleted")
        return {"ok": True, "file": self.as_slack(stored)}

    def get_upload_url(self, params: JSON) -> JSON:
        """files.getUploadURLExternal: `filename` and `length` (bytes) are required."""
        name = str(params.get("filename") or "")
        try:
            length = int(str(params.get("length") or ""))
        except ValueError:
            length = 0
        if not name or length < 1:
            raise SlackApiFailure("invalid_arguments")
        file_id = f"F{secrets.token_hex(5).upper()}"
        self._pending[file_id] = Pending(name, length)
        return {
            "ok": True,
            "upload_url": f"{self._stub.base_url}upload/v1/{file_id}",
            "file_id": file_id,
        }

    async def upload(self, request: web.Request) -> web.Response:
        """The upload URL: the file's bytes, exactly the length promised."""
        pending = self._pending.get(request.match_info["file_id"])
        if pending is None:
            return web.Response(status=404, text="Not found", content_type="text/plain")
        data = await request.read()
        if len(data) != pending.length:
            return web.Response(status=400, text="length mismatch", content_type="text/plain")
        pending.data = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    def complete_upload(self, params: JSON) -> JSON:
        """files.completeUploadExternal: every id uploaded in full, shared in `channel_id`
        (a thread with `thread_ts`) when one is given."""
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise SlackApiFailure("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments")
        channel = params.get("channel_id")
        if channel:
            channel = self._stub._resolve_channel(channel)
        done = []
        for item in files:
            file_id = str(item.get("id") or "") if isinstance(item, dict) else ""
            pending = self._pending.get(file_id)
            if pending is None or pending.data is None:
                raise SlackApiFailure("file_not_found")
            title = str(item.get("title") or pending.name)
            stored = StubFile(
                file_id, self._stub.bot_user_id, pending.name, "image/png", pending.data
            )
            self._files[file_id] = stored
            del self._pending[file_id]
            if channel:
                thread = str(params.get("thread_ts") or "") or None
                comment = params.get("initial_comment")
                self.shared.append(Shared(file_id, channel, title, pending.data, thread, comment))
            done.append({**self.as_slack(stored), "title": title})
        return {"ok": True, "files": done}

    # --- url_private ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        valid = token in self._stub.tokens and token not in self._stub.revoked
        return valid and not self.scope_missing

    async def download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["team_file"].rsplit("-", 1)[-1]
        stored = self._files.get(file_id)
        authorized = self._authorized(request)
        if not authorized:
            self.downloads.append(Download(file_id, False, 200))
            if self.refusal == "redirect":
                raise web.HTTPFound(f"{self._stub.base_url}signin?redir={quote(request.path)}")
            return await sign_in_page(request)
        if stored is None or stored.deleted:
            self.downloads.append(Download(file_id, True, 404))
            return web.Response(status=404, text="Not found", content_type="text/plain")
        self.downloads.append(Download(file_id, True, 200))
        response = web.StreamResponse(
            headers={"Content-Type": stored.mimetype, "Content-Length": str(len(stored.data))}
        )
        await response.prepare(request)
        for start in range(0, len(stored.data), _CHUNK):
            await response.write(stored.data[start : start + _CHUNK])
        await response.write_eof()
        return response

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/files-pri/{team_file}/{name}", self.download)
        app.router.add_get("/signin", sign_in_page)
        app.router.add_post("/upload/v1/{file_id}", self.upload)


async def sign_in_page(_request: web.Request) -> web.Response:
    return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
