"""A local Slack Web API that records every call, for tests, the terminal demo and benchmarks.

Point slack_sdk at it unchanged: ``AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)``.
It speaks the wire protocol slack_sdk uses (``GET``/``POST /api/{method}``, form or JSON bodies,
``Authorization: Bearer``) and answers with the documented response shapes, including the
``ok: false`` errors real Slack gives for bad channels, unknown users, stale view hashes and
the like, so that code exercised here behaves the same against slack.com.

Besides the Web API it serves ``POST /response/{name}``: the ``response_url`` Slack puts in
command and interaction payloads, which Bolt's ``respond()`` posts JSON to.

Usage::

    async with running_slack_stub() as stub:
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
        await client.chat_postMessage(channel="C0SUPPORT", text="hi")
        assert stub.messages("C0SUPPORT")[0]["text"] == "hi"

The stub is one state (slack_state) and one mixin per API family: slack_chat,
slack_views, slack_directory (users/usergroups/conversations), slack_people (what others
do), slack_recording (records and fault switches); this module serves them over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from mava_sandbox.slack_chat import ChatMixin
from mava_sandbox.slack_directory import DirectoryMixin
from mava_sandbox.slack_people import PeopleMixin
from mava_sandbox.slack_recording import RecordingMixin
from mava_sandbox.slack_stub_types import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    DEFAULT_TEAM_NAME,
    DEFAULT_USERGROUPS,
    DEFAULT_USERS,
    JSON,
    RESPONSE_URL,
    STUB_APP_ID,
    STUB_BOT_ID,
    STUB_BOT_USER_ID,
    MethodHandler,
    SlackApiFailure,
    SlackCall,
    StubFault,
    StubUser,
    parse_response_body,
    read_params,
)
from mava_sandbox.slack_views import ViewsMixin


class SlackStub(ChatMixin, ViewsMixin, DirectoryMixin, PeopleMixin, RecordingMixin):
    """State, recording and behaviour of the fake Slack. Serve it with `create_slack_stub_app`.

    Mixins rather than separate objects: tests reach every family through one stub
    (`stub.fail`, `stub.messages`, `stub.user_message`), and the families share one
    store of channels, messages and views, which lives once in `StubState`."""

    def _method_table(self) -> dict[str, MethodHandler]:
        return {
            "api.test": self._api_test,
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.unfurl": self._chat_unfurl,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.info": self.files.info,
            "files.getUploadURLExternal": self.files.get_upload_url,
            "files.completeUploadExternal": self.files.complete_upload,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on `host`; port 0 picks a free one. Sets `base_url`/`api_url`."""
        if self._runner is not None:
            raise RuntimeError("the Slack stub is already running")
        runner = web.AppRunner(
            create_slack_stub_app(self),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,  # tests should not wait a minute for keep-alive clients
        )
        await runner.setup()
        # Bind the socket ourselves so the chosen port is known without private attributes.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        bound_host, bound_port = sock.getsockname()[:2]
        self._runner = runner
        self.bind_url(f"http://{bound_host}:{bound_port}/")

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # ------------------------------------------------------------------ HTTP entry points

    async def handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        now = time.time()
        try:
            params, token = await read_params(request)
        except ValueError:  # malformed JSON body
            self._record(
                SlackCall(method, {}, None, now, 200, {"ok": False, "error": "invalid_json"})
            )
            return web.json_response({"ok": False, "error": "invalid_json"})

        def answer(body: JSON, status: int = 200) -> JSON:
            self._record(SlackCall(method, params, token, now, status, body))
            return body

        await self._late(method)
        if method not in self._methods:
            body = answer({"ok": False, "error": "unknown_method", "req_method": method})
            return web.json_response(body)

        infra = self._take_fault(method, ("ratelimit", "http"))
        if infra is not None:
            return self._fault_response(infra, answer)

        auth_error = self._auth_error(token, method)
        if auth_error is not None:
            return web.json_response(answer({"ok": False, "error": auth_error}))

        wait = self._posting_wait(method, params)
        if wait is not None:
            return self._fault_response(StubFault("ratelimit", None, retry_after=wait), answer)

        injected = self._take_fault(method, ("error",))
        if injected is not None:
            return web.json_response(answer({"ok": False, "error": injected.error}))

        try:
            result = self._methods[method](params)
        except SlackApiFailure as failure:
            result = {"ok": False, "error": failure.error, **failure.extra}
        if method == "chat.postMessage" and result.get("ok"):
            self._posted_at.setdefault(str(result["channel"]), deque()).append(time.monotonic())
        return web.json_response(answer(result))

    async def _late(self, method: str) -> None:
        """Wait out `slow_down(method)`, counted in `in_flight`."""
        if method in self._slow:
            self._in_flight[method] = self._in_flight.get(method, 0) + 1
            try:  # answered even when the caller has gone (killed): as Slack does
                await asyncio.sleep(self._slow[method])
            finally:
                self._in_flight[method] -= 1

    def _posting_wait(self, method: str, params: JSON) -> int | None:
        """Under `channel_post_limit`: the Retry-After (whole seconds) a chat.postMessage to a
        channel that already had its posts this second gets, else None."""
        if method != "chat.postMessage" or self.channel_post_limit is None:
            return None
        channel = self._dm_or_channel(str(params.get("channel") or ""))
        posted = self._posted_at.get(channel)
        now = time.monotonic()
        while posted and now - posted[0] >= 1.0:
            posted.popleft()
        if posted is None or len(posted) < self.channel_post_limit:
            return None
        return max(1, math.ceil(1.0 - (now - posted[0])))

    async def handle_response_url(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.text()
        params = parse_response_body(raw, request.content_type)
        now = time.time()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = int(peer[1]) if isinstance(peer, tuple) else None

        def answer(body: JSON, status: int = 200) -> JSON:
            call = SlackCall(RESPONSE_URL, params, None, now, status, body, name, port)
            self._record(call)
            return body

        await self._late(RESPONSE_URL)
        fault = self._take_fault(RESPONSE_URL, ("ratelimit", "http", "error"))
        if fault is not None and fault.kind != "error":
            return self._fault_response(fault, answer)
        if fault is not None:
            answer({"ok": False, "error": fault.error}, 404)
            return web.Response(status=404, text=fault.error, content_type="text/plain")
        try:
            self._check_message(params, require_content=False)
        except SlackApiFailure as refused:  # Slack answers a bad webhook body 400, in words
            answer({"ok": False, "error": refused.error, **refused.extra}, 400)
            return web.Response(status=400, text=refused.error, content_type="text/plain")
        self._apply_response(name, params)
        answer({"ok": True})
        # Slack answers response_url posts with a plain "ok".
        return web.Response(text="ok", content_type="text/plain")

    def _fault_response(
        self, fault: StubFault, answer: Callable[[JSON, int], JSON]
    ) -> web.Response:
        if fault.kind == "ratelimit":
            headers = {"Retry-After": str(fault.retry_after)}
            body = answer({"ok": False, "error": "ratelimited"}, 429)
            return web.json_response(body, status=429, headers=headers)
        if isinstance(fault.body, str):
            answer({"ok": False, "error": fault.body}, fault.status)
            return web.Response(
                status=fault.status, text=fault.body, content_type=fault.content_type
            )
        body = fault.body if fault.body is not None else {"ok": False, "error": "internal_error"}
        return web.json_response(answer(body, fault.status), status=fault.status)

    def _auth_error(self, token: str | None, method: str = "") -> str | None:
        if not token:
            return "not_authed"
        if token in self.revoked:
            return "token_revoked"
        # apps.connections.open takes only an app-level token (xapp-), every other method
        # only the others.
        app_method = method == "apps.connections.open"
        if token.startswith("xapp-") != app_method:
            return "not_allowed_token_type"
        if token not in (self.app_tokens if app_method else self.tokens):
            return "invalid_auth"
        return None

    def _apply_response(self, name: str, body: JSON) -> None:
        target = self._response_targets.get(name)
        if target is None or target.channel is None:
            return
        channel = self._dm_or_channel(target.channel)
        if target.ephemeral and (body.get("delete_original") or body.get("replace_original")):
            self._answer_ephemeral(channel, str(target.message_ts), body)
        elif body.get("delete_original") and target.message_ts:
            self._remove_message(channel, target.message_ts)
        elif body.get("replace_original") and target.message_ts:
            original = self._find_message(channel, target.message_ts)
            if original is not None:
                self._edit(original, body)
        elif body.get("response_type") == "in_channel":
            self._store_message(channel, body)

    # ------------------------------------------------------------------ methods: auth/chat

    def _apps_connections_open(self, params: JSON) -> JSON:
        if self.socket_mode_url is None:  # no SocketModeServer attached: Socket Mode is off
            raise SlackApiFailure("internal_error")
        return {"ok": True, "url": self.socket_mode_url()}

    def _api_test(self, params: JSON) -> JSON:
        return {"ok": True, "args": params} if params else {"ok": True}

    def _auth_test(self, params: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "mava",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }


def create_slack_stub_app(stub: SlackStub) -> web.Application:
    """An aiohttp app serving `stub`: ``/api/{method}`` and ``POST /response/{name}``.
    When embedding it yourself, call `stub.bind_url(...)` with where it is served."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("GET", "/api/{method}", stub.handle_api)
    app.router.add_route("POST", "/api/{method}", stub.handle_api)
    app.router.add_post("/response/{name:.+}", stub.handle_response_url)
    stub.files.routes(app)  # url_private, and the sign-in page Slack answers it with
    return app


@contextlib.asynccontextmanager
async def running_slack_stub(
    *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> AsyncIterator[SlackStub]:
    """Serve a `SlackStub(**options)` on a free loopback port for the duration of the block."""
    stub = SlackStub(**options)
    await stub.start(host, port)
    try:
        yield stub
    finally:
        await stub.stop()


__all__ = [
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_TEAM_NAME",
    "DEFAULT_USERGROUPS",
    "DEFAULT_USERS",
    "RESPONSE_URL",
    "STUB_APP_ID",
    "STUB_BOT_ID",
    "STUB_BOT_USER_ID",
    "SlackApiFailure",
    "SlackCall",
    "SlackStub",
    "StubUser",
    "create_slack_stub_app",
    "running_slack_stub",
]
